"""Parsers for the networking files of a bundle (bundle-format.md 2.4-2.5).

Each parser takes the file's lines as (lineno, text) pairs (or its text, for JSON) and returns
plain dicts that keep the line number of everything they report, so `network` can cite
path:line evidence. Parsers never raise on odd content: unknown lines are skipped.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable

Lines = Iterable[tuple[int, str]]

# --- ip route show table all ------------------------------------------------------------------

_ROUTE_TYPES = {"unicast", "local", "broadcast", "multicast", "unreachable", "blackhole", "prohibit",
                "throw", "nat", "anycast"}
_ROUTE_KEYS = {"via", "dev", "table", "proto", "scope", "src", "metric", "mtu", "pref", "expires", "from"}


def parse_routes(lines: Lines) -> list[dict]:
    """`ip route show table all` lines -> [{type, dst, via, dev, table, proto, scope, src, metric, line}]."""
    routes = []
    for lineno, text in lines:
        words = text.split()
        if not words or words[0].startswith("#"):
            continue
        kind = "unicast"
        if words[0] in _ROUTE_TYPES:
            kind = words.pop(0)
        if not words:
            continue
        route = {"type": kind, "dst": words[0], "table": "main", "line": lineno, "text": text.strip()}
        i = 1
        while i < len(words):
            key = words[i]
            if key in _ROUTE_KEYS and i + 1 < len(words):
                route[key] = words[i + 1]
                i += 2
            else:
                i += 1
        if "metric" in route:
            route["metric"] = _int(route["metric"])
        routes.append(route)
    return routes


_ROUTE_PRINT_ROW = re.compile(
    r"^\s*(\d+\.\d+\.\d+\.\d+)\s+(\d+\.\d+\.\d+\.\d+)\s+(On-link|\d+\.\d+\.\d+\.\d+)\s+(\S+)\s+(\d+)\s*$")


def parse_route_print(lines: Lines) -> list[dict]:
    """Windows `route print` (the Windows collector's system/network/routes.txt), IPv4 active routes,
    in the same shape as parse_routes: 0.0.0.0/0.0.0.0 becomes dst "default", On-link has no via."""
    routes, active = [], False
    for lineno, text in lines:
        stripped = text.strip()
        if stripped.startswith("Active Routes:"):
            active = True
            continue
        if stripped.startswith(("Persistent Routes:", "IPv6 Route Table")):
            active = False
            continue
        m = _ROUTE_PRINT_ROW.match(text) if active else None
        if m is None:
            continue
        dest, mask, gateway, interface, metric = m.groups()
        try:
            net = ipaddress.ip_network(f"{dest}/{mask}", strict=False)
        except ValueError:
            continue
        route = {"type": "unicast", "dst": "default" if net.prefixlen == 0 else str(net), "table": "main",
                 "dev": interface, "metric": int(metric), "line": lineno, "text": stripped}
        if gateway != "On-link":
            route["via"] = gateway
        routes.append(route)
    return routes


def route_network(route: dict):
    """The ip_network a route covers (default -> 0.0.0.0/0 or ::/0), or None when unparsable."""
    dst = route["dst"]
    if dst == "default":
        return ipaddress.ip_network("::/0" if ":" in route.get("via", "") else "0.0.0.0/0")
    try:
        return ipaddress.ip_network(dst, strict=False)
    except ValueError:
        return None


def best_route(routes: list[dict], ip: str, table: str = "main") -> dict | None:
    """Longest-prefix match for `ip` among the routes of one table (lowest metric breaks ties)."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    best, best_key = None, None
    for route in routes:
        if route["table"] != table:
            continue
        net = route_network(route)
        if net is None or net.version != addr.version or addr not in net:
            continue
        key = (net.prefixlen, -(route.get("metric") or 0))
        if best_key is None or key > best_key:
            best, best_key = route, key
    return best


# --- ip rule show -----------------------------------------------------------------------------

_RULE = re.compile(r"^\s*(\d+):\s+(.*?)\s*$")


def parse_rules(lines: Lines) -> list[dict]:
    """`ip rule show` lines -> [{priority, selector, table, line, text}]."""
    rules = []
    for lineno, text in lines:
        m = _RULE.match(text)
        if not m:
            continue
        body = m.group(2)
        table = re.search(r"\blookup (\S+)", body)
        rules.append({"priority": int(m.group(1)), "selector": body.split(" lookup ")[0],
                      "table": table.group(1) if table else None, "line": lineno, "text": text.strip()})
    return rules


# --- resolv.conf ------------------------------------------------------------------------------

# Amazon-provided DNS: VPC base +2 (any x.x.x.2 is a good guess), the link-local resolver, IPv6 one.
_AMAZON_DNS_FIXED = {"169.254.169.253", "fd00:ec2::253"}


def parse_resolv_conf(lines: Lines) -> dict:
    """resolv.conf -> {nameservers: [{ip, line, kind}], search: [...], options: [...], domain}."""
    out: dict = {"nameservers": [], "search": [], "options": [], "domain": None, "evidence": []}
    for lineno, text in lines:
        words = text.split()
        if not words or words[0][0] in "#;":
            continue
        key, values = words[0], words[1:]
        if key == "nameserver" and values:
            out["nameservers"].append({"ip": values[0], "line": lineno, "kind": nameserver_kind(values[0])})
        elif key == "search":
            out["search"] = values
        elif key == "domain" and values:
            out["domain"] = values[0]
        elif key == "options":
            out["options"].extend(values)
        else:
            continue
        out["evidence"].append({"line": lineno, "text": text.strip()})
    return out


_IPCONFIG_DNS = re.compile(r"^\s*DNS Servers[ .]*:\s*(\S+)\s*$")
_IPCONFIG_MORE = re.compile(r"^\s+(\d+\.\d+\.\d+\.\d+|[0-9a-fA-F:]+:[0-9a-fA-F:]*)\s*$")
_IPCONFIG_SUFFIX = re.compile(r"^\s*(?:DNS Suffix Search List|Connection-specific DNS Suffix)[ .]*:\s*(\S+)\s*$")


def parse_ipconfig_dns(lines: Lines) -> dict:
    """Windows `ipconfig /all` (system/network/ip.txt) -> the same shape as parse_resolv_conf: each
    adapter's "DNS Servers" (continuation lines hold more servers) and DNS suffixes as search."""
    out: dict = {"nameservers": [], "search": [], "options": [], "domain": None, "evidence": []}
    in_dns = False
    for lineno, text in lines:
        m = _IPCONFIG_DNS.match(text)
        more = _IPCONFIG_MORE.match(text) if in_dns and m is None else None
        if m or more:
            ip = (m or more).group(1)
            if ip not in {ns["ip"] for ns in out["nameservers"]}:
                out["nameservers"].append({"ip": ip, "line": lineno, "kind": nameserver_kind(ip)})
            out["evidence"].append({"line": lineno, "text": text.strip()})
            in_dns = True
            continue
        in_dns = False
        m = _IPCONFIG_SUFFIX.match(text)
        if m and m.group(1) not in out["search"]:
            out["search"].append(m.group(1))
    return out


def nameserver_kind(ip: str) -> str:
    """'amazon' (VPC resolver), 'stub' (local resolver such as systemd-resolved), or 'custom'."""
    if ip in _AMAZON_DNS_FIXED or re.fullmatch(r"\d+\.\d+\.\d+\.2", ip):
        return "amazon"
    if ip.startswith("127.") or ip == "::1":
        return "stub"
    return "custom"


# --- iptables-save ----------------------------------------------------------------------------

_BUILTIN_CHAINS = {"INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING"}
WATCHED_PORTS = (443, 10250)


def parse_iptables_save(lines: Lines) -> dict:
    """iptables-save -> {policies: [...], blocking: [...], rules: n}.

    `blocking` lists DROP/REJECT rules that can hit TCP to/from port 443 or 10250: the rule's
    protocol is tcp or unrestricted and its port match (if any) includes one of those ports.
    Rules limited to loopback destinations or to conntrack INVALID packets cannot block a new
    connection to the API server and are left out.
    """
    table = None
    policies, blocking, count = [], [], 0
    for lineno, text in lines:
        line = text.strip()
        if line.startswith("*"):
            table = line[1:]
        elif line.startswith(":"):
            parts = line[1:].split()
            if len(parts) >= 2 and parts[0] in _BUILTIN_CHAINS and parts[1] in ("DROP", "REJECT"):
                policies.append({"table": table, "chain": parts[0], "policy": parts[1],
                                 "line": lineno, "text": line})
        elif line.startswith("-A "):
            count += 1
            hit = _blocking_rule(line)
            if hit:
                chain = line.split()[1]
                blocking.append({"table": table, "chain": chain, "target": hit[0], "ports": hit[1],
                                 "line": lineno, "text": line})
    return {"policies": policies, "blocking": blocking, "rules": count}


def _blocking_rule(rule: str) -> tuple[str, list[int] | str] | None:
    words = rule.split()
    target = _option(words, "-j") or _option(words, "--jump")
    if target not in ("DROP", "REJECT"):
        return None
    proto = _option(words, "-p") or _option(words, "--protocol")
    if proto not in (None, "tcp", "all", "6"):
        return None
    if _negated(words, "-p") or _option(words, "-d") in ("127.0.0.0/8", "127.0.0.1/32"):
        return None
    if "INVALID" in (_option(words, "--ctstate") or _option(words, "--state") or "").split(",") \
            and not _negated(words, "--ctstate"):
        return None
    port_sets = []
    for flag in ("--dport", "--destination-port", "--sport", "--source-port", "--dports", "--sports",
                 "--ports", "--destination-ports", "--source-ports"):
        value = _option(words, flag)
        if value is not None:
            ports = _ports_hit(value)
            port_sets.append(_complement(ports) if _negated(words, flag) else ports)
    if not port_sets:
        return target, "any"
    hit = sorted({p for ports in port_sets for p in ports})
    return (target, hit) if hit else None


def _option(words: list[str], flag: str) -> str | None:
    try:
        i = words.index(flag)
    except ValueError:
        return None
    return words[i + 1] if i + 1 < len(words) else None


def _negated(words: list[str], flag: str) -> bool:
    try:
        i = words.index(flag)
    except ValueError:
        return False
    return i > 0 and words[i - 1] == "!"


def _ports_hit(spec: str) -> list[int]:
    """Which watched ports a port spec like '443', '1:1024', '80,443' or '8000:9000,10250' covers."""
    hit = []
    for part in spec.split(","):
        lo, _, hi = part.partition(":")
        lo_n, hi_n = _int(lo) if lo else 0, _int(hi) if hi else None
        if lo_n is None:
            continue
        hi_n = hi_n if hi_n is not None else (65535 if part.endswith(":") else lo_n)
        hit.extend(p for p in WATCHED_PORTS if lo_n <= p <= hi_n)
    return hit


def _complement(ports: list[int]) -> list[int]:
    return [p for p in WATCHED_PORTS if p not in ports]


# --- ipamd introspection (/v1/enis) -----------------------------------------------------------


def parse_enis(text: str) -> dict:
    """ipamd/enis.json -> {state, enis: [...], total_ips, assigned_ips}.

    state: 'empty' (0 bytes: ipamd was not listening), 'invalid' (not JSON), or 'ok'. Accepts the
    single-datastore shape {"TotalIPs","AssignedIPs","ENIs":{...}} and lists/maps of it (multi-NIC).
    """
    if not text.strip():
        return {"state": "empty", "enis": [], "total_ips": None, "assigned_ips": None}
    try:
        data = json.loads(text)
    except ValueError as err:
        return {"state": "invalid", "error": str(err)[:200], "enis": [], "total_ips": None, "assigned_ips": None}
    stores = _datastores(data)
    enis, total, assigned = [], 0, 0
    seen_totals = False
    for store in stores:
        if isinstance(store.get("TotalIPs"), int):
            total += store["TotalIPs"]
            assigned += store.get("AssignedIPs") or 0
            seen_totals = True
        for eni_id, eni in sorted((store.get("ENIs") or {}).items()):
            if isinstance(eni, dict):
                enis.append(_eni_summary(eni_id, eni))
    if not seen_totals:
        total = sum(e["ips"] for e in enis)
        assigned = sum(e["assigned"] for e in enis)
    return {"state": "ok" if stores else "unrecognised", "enis": enis, "total_ips": total, "assigned_ips": assigned}


def _datastores(data) -> list[dict]:
    if isinstance(data, dict) and "ENIs" in data:
        return [data]
    if isinstance(data, list):
        return [d for d in data if isinstance(d, dict) and "ENIs" in d]
    if isinstance(data, dict):
        return [d for d in data.values() if isinstance(d, dict) and "ENIs" in d]
    return []


def _eni_summary(eni_id: str, eni: dict) -> dict:
    ips, assigned, prefixes = [], 0, []
    for family_key in ("AvailableIPv4Cidrs", "IPv6Cidrs"):
        for cidr, info in sorted((eni.get(family_key) or {}).items()):
            if not isinstance(info, dict):
                continue
            if info.get("IsPrefix"):
                prefixes.append(cidr)
            for addr, ainfo in (info.get("IPAddresses") or {}).items():
                ips.append(addr)
                if _assigned(ainfo):
                    assigned += 1
    return {"id": eni.get("ID") or eni_id, "primary": bool(eni.get("IsPrimary")),
            "device_number": eni.get("DeviceNumber"), "trunk": bool(eni.get("IsTrunk")),
            "efa": bool(eni.get("IsEFA")), "ips": len(ips), "assigned": assigned,
            "prefixes": prefixes, "addresses": sorted(ips)[:64]}


def _assigned(info) -> bool:
    if not isinstance(info, dict):
        return False
    key = info.get("IPAMKey") or {}
    return bool(key.get("containerID")) if isinstance(key, dict) else False


# --- curl_api_server.txt ----------------------------------------------------------------------

_CURL_HEADER = re.compile(r"^curling (\S+) \((\d+) of (\d+)\)\s*(\S+)?")
_CURL_TRYING = re.compile(r"^\*\s+Trying \[?([0-9a-fA-F:.]+?)\]?(?::(\d+))?\.\.\.")
_CURL_CONNECTED = re.compile(r"^\*\s+Connected to (\S+) \(([^)]+)\) port (\d+)")
_CURL_STATUS = re.compile(r"^<\s*HTTP/[\d.]+\s+(\d{3})")
_CURL_ERROR = re.compile(r"^curl: \((\d+)\)\s*(.*)")
_CURL_CODES = {6: "resolve_failure", 7: "connect_failed", 28: "timeout", 35: "tls_error",
               51: "tls_error", 53: "tls_error", 58: "tls_error", 59: "tls_error", 60: "tls_error",
               77: "tls_error", 83: "tls_error", 90: "tls_error", 91: "tls_error", 5: "resolve_failure",
               52: "empty_reply", 56: "connection_reset"}


def parse_curl(lines: Lines) -> list[dict]:
    """curl_api_server.txt -> one dict per attempt: url, ts, ip, outcome, http_status, detail, line.

    outcome: ok (HTTP 2xx/3xx) | http_error | resolve_failure | timeout | refused | no_route |
    connect_failed | tls_error | empty_reply | connection_reset | unknown (no verdict line).
    """
    attempts: list[dict] = []
    cur: dict | None = None
    for lineno, text in lines:
        line = text.rstrip()
        header = _CURL_HEADER.match(line)
        if header:
            cur = {"attempt": int(header.group(2)), "of": int(header.group(3)), "url": header.group(1),
                   "ts": header.group(4), "ip": None, "ip_line": None, "outcome": "unknown", "http_status": None,
                   "detail": None, "line": lineno, "evidence": [{"line": lineno, "text": line}]}
            attempts.append(cur)
            continue
        if cur is None:
            continue
        if m := _CURL_TRYING.match(line):
            cur["ip"], cur["ip_line"] = m.group(1), lineno
        elif m := _CURL_CONNECTED.match(line):
            cur["ip"], cur["ip_line"] = m.group(2), lineno
        elif m := _CURL_STATUS.match(line):
            status = int(m.group(1))
            cur["http_status"] = status
            cur["outcome"] = "ok" if status < 400 else "http_error"
            cur["detail"] = line.lstrip("< ").strip()
            cur["evidence"].append({"line": lineno, "text": line})
        elif m := _CURL_ERROR.match(line):
            code, msg = int(m.group(1)), m.group(2)
            cur["outcome"] = _curl_outcome(code, msg)
            cur["detail"] = line
            cur["evidence"].append({"line": lineno, "text": line})
        elif line.startswith("*") and cur["outcome"] == "unknown":
            low = line.lower()
            for needle, outcome in (("could not resolve host", "resolve_failure"), ("timed out", "timeout"),
                                    ("connection refused", "refused"), ("no route to host", "no_route"),
                                    ("network is unreachable", "no_route"), ("ssl certificate problem", "tls_error")):
                if needle in low:
                    cur["outcome"], cur["detail"] = outcome, line.lstrip("* ").strip()
                    cur["evidence"].append({"line": lineno, "text": line})
                    break
    return attempts


def _curl_outcome(code: int, msg: str) -> str:
    low = msg.lower()
    if "refused" in low:
        return "refused"
    if "no route to host" in low or "network is unreachable" in low:
        return "no_route"
    if "timed out" in low:
        return "timeout"
    return _CURL_CODES.get(code, "other")


# --- API endpoint -----------------------------------------------------------------------------

_KUBECONFIG_SERVER = re.compile(r"^\s*server:\s*['\"]?(\S+?)['\"]?\s*$")
_NODEADM_ENDPOINT = re.compile(r'"apiServerEndpoint"\s*:\s*"([^"]+)"')
_BOOTSTRAP_ENDPOINT = re.compile(r"--apiserver-endpoint[= ]'?(https?://[^'\s]+)")


def find_server_in_kubeconfig(lines: Lines) -> tuple[str, int] | None:
    for lineno, text in lines:
        m = _KUBECONFIG_SERVER.match(text)
        if m:
            return m.group(1), lineno
    return None


def find_endpoint_in_log(lines: Lines) -> tuple[str, int] | None:
    """nodeadm 'Loaded configuration' (apiServerEndpoint) or AL2 bootstrap --apiserver-endpoint echo."""
    found = None
    for lineno, text in lines:
        if "apiServerEndpoint" in text:
            m = _NODEADM_ENDPOINT.search(text)
            if m:
                found = (m.group(1), lineno)  # keep the last: the configuration actually used
        elif "--apiserver-endpoint" in text:
            m = _BOOTSTRAP_ENDPOINT.search(text)
            if m:
                found = (m.group(1), lineno)
    return found


def host_of(url: str) -> str:
    """Host part of an endpoint URL ('https://ABC.gr7.x.eks.amazonaws.com:443/' -> 'ABC.gr7...')."""
    rest = url.split("://", 1)[-1].split("/", 1)[0]
    if rest.startswith("["):
        return rest[1:].split("]", 1)[0]
    return rest.rsplit(":", 1)[0] if rest.count(":") == 1 else rest


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
