"""`network` (the SOP's network_diagnostics): routes, DNS, ENIs, host firewall and the API curl test.

Reads only what the node collected (bundle-format.md 2.4-2.5) and answers one plain question,
"does the node have a route towards the API endpoint?", with the lines that prove the answer.
Every section lists the files it read and the files that were missing, and why that matters.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from eksdoctor import netfiles
from eksdoctor.errors import InputError

SECTIONS = ("routes", "dns", "eni", "iptables", "curl")

IPROUTE = "networking/iproute.txt"
IPRULE = "networking/iprule.txt"
RESOLV = "networking/resolv.conf"
ENIS = "ipamd/enis.json"
ENIS_SKIPPED = "ipamd/ipam_introspection_ignore.txt"
IPTABLES = "networking/iptables-save.txt"
CURL = "networking/curl_api_server.txt"
KUBECONFIG = "kubelet/kubeconfig.yaml"
# The Windows collector (bundle-format.md 1.4): `route print`, `ipconfig /all`, the kubelet kubeconfig.
WIN_ROUTES = "system/network/routes.txt"
WIN_IPCONFIG = "system/network/ip.txt"
WIN_KUBECONFIG = "system/kubelet/kubeconfig"
# What the Windows collector has no equivalent for: HNS replaces iptables, and there is no curl test.
WIN_NOT_COLLECTED = {
    "eni": "the Windows collector does not query ipamd: ENI and IP usage are not in the bundle",
    "iptables": "Windows nodes have no iptables (HNS policies, system/network/hns/, apply instead)",
    "curl": "the Windows collector runs no API server curl test",
}
ENDPOINT_LOGS = ("nodeadm/nodeadm-config.log", "nodeadm/nodeadm-run.log", "var_log/cloud-init-output.log")

WHY_MISSING = {
    IPROUTE: "routing table not collected: cannot tell whether the node has a default route",
    IPRULE: "policy routing rules not collected: per-ENI routing cannot be checked",
    RESOLV: "resolver configuration not collected (collector < 0.7.3?): DNS servers unknown",
    ENIS: "ipamd introspection not collected: ENI and IP usage unknown",
    IPTABLES: "iptables-save not collected (iptables not installed?): host firewall unknown",
    CURL: "API server curl test not run: it needs kubelet/kubeconfig.yaml (AL2), so it is usually "
          "absent on AL2023; reachability of the endpoint was not tested from the node",
    KUBECONFIG: "kubelet kubeconfig not collected: API endpoint taken from other files if possible",
    WIN_ROUTES: "route print not collected: cannot tell whether the node has a default route",
    WIN_IPCONFIG: "ipconfig /all not collected: DNS servers unknown",
}

_BAD_ROUTE_TYPES = {"unreachable", "blackhole", "prohibit", "throw"}


def network(bundle, sections: Sequence[str] = SECTIONS) -> dict:
    """Network diagnostics of an open Bundle. Returns {"sections", "route_to_api", "missing"}."""
    wanted = [s.strip() for s in sections if s and s.strip()]
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown:
        raise InputError(f"unknown network section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    reader = _Reader(bundle)
    builders = {"routes": _routes, "dns": _dns, "eni": _eni, "iptables": _iptables, "curl": _curl}
    if reader.windows:
        for name, why in WIN_NOT_COLLECTED.items():
            builders[name] = lambda _reader, why=why: {"applicable": False, "notes": [why], "files": [], "missing": []}
    out_sections = {name: builders[name](reader) for name in SECTIONS if name in wanted}
    answer = route_to_api(reader)
    return {"sections": out_sections, "route_to_api": answer, "missing": reader.missing_list()}


class _Reader:
    """Reads bundle files once, remembering which were read and which were missing."""

    def __init__(self, bundle) -> None:
        self.bundle = bundle
        self._lines: dict[str, list[tuple[int, str]] | None] = {}
        self.missing: dict[str, str] = {}
        self.windows = getattr(bundle.info, "layout", None) == "windows"
        self._routes: tuple[str, list[dict] | None] | None = None

    def routes(self) -> tuple[str, list[dict] | None]:
        """This layout's routing-table file and its routes (None when it was not collected), parsed
        once: the routes section and the route-to-API answer both need them."""
        if self._routes is None:
            path, parse = (WIN_ROUTES, netfiles.parse_route_print) if self.windows else (IPROUTE, netfiles.parse_routes)
            lines = self.lines(path)
            self._routes = (path, None if lines is None else parse(lines))
        return self._routes

    def lines(self, path: str, *, note_missing: bool = True) -> list[tuple[int, str]] | None:
        if path not in self._lines:
            self._lines[path] = list(self.bundle.lines(path)) if self.bundle.exists(path) else None
        if self._lines[path] is None and note_missing:
            self.missing.setdefault(path, WHY_MISSING.get(path, "not collected"))
        return self._lines[path]

    def text(self, path: str) -> str | None:
        lines = self.lines(path)
        return None if lines is None else "\n".join(t for _, t in lines)

    def missing_list(self) -> list[dict]:
        return [{"path": p, "why": w} for p, w in sorted(self.missing.items())]


def _files(reader: _Reader, paths: Sequence[str]) -> tuple[list[dict], list[dict]]:
    read, missing = [], []
    for p in paths:
        lines = reader.lines(p)
        if lines is None:
            missing.append({"path": p, "why": reader.missing[p]})
        else:
            read.append({"path": p, "lines": len(lines)})
    return read, missing


def _ev(path: str, item: dict) -> dict:
    return {"path": path, "line": item["line"], "text": item["text"]}


# --- sections ---------------------------------------------------------------------------------


def _routes(reader: _Reader) -> dict:
    path, parsed = reader.routes()
    read, missing = _files(reader, (path,) if reader.windows else (IPROUTE, IPRULE))
    routes = parsed or []
    rules = [] if reader.windows else netfiles.parse_rules(reader.lines(IPRULE) or [])
    main = [r for r in routes if r["table"] == "main"]
    defaults = [r for r in main if r["dst"] == "default"]
    tables: dict[str, int] = {}
    for r in routes:
        tables[r["table"]] = tables.get(r["table"], 0) + 1
    eni_tables = sorted({r["table"] for r in routes if r["dst"] == "default" and r["table"] not in ("main", "local")})
    notes = []
    if parsed is not None:
        if not routes:
            notes.append(f"{path.rsplit('/', 1)[-1]} holds no route")
        elif not any(r["type"] == "unicast" for r in defaults):
            notes.append("no default route in the main table: the node can reach only directly listed prefixes")
    return {
        "default_routes": [_route_view(r) for r in defaults],
        "main_table": [_route_view(r) for r in main],
        "eni_tables": eni_tables,
        "tables": tables,
        "rules": [{"priority": r["priority"], "selector": r["selector"], "table": r["table"], "line": r["line"]}
                  for r in rules],
        "notes": notes,
        "evidence": [_ev(path, r) for r in defaults],
        "files": read,
        "missing": missing,
    }


def _route_view(r: dict) -> dict:
    keys = ("type", "dst", "via", "dev", "table", "proto", "scope", "src", "metric", "line")
    return {k: r.get(k) for k in keys}


def _dns(reader: _Reader) -> dict:
    path, parse = (WIN_IPCONFIG, netfiles.parse_ipconfig_dns) if reader.windows else (RESOLV, netfiles.parse_resolv_conf)
    read, missing = _files(reader, (path,))
    conf = parse(reader.lines(path) or [])
    notes = []
    if reader.lines(path) is not None:
        kinds = {ns["kind"] for ns in conf["nameservers"]}
        if not conf["nameservers"] and reader.windows:
            notes.append("ip.txt (ipconfig /all) shows no 'DNS Servers' line: the adapters' DNS servers are unknown")
        elif not conf["nameservers"]:
            notes.append("resolv.conf lists no nameserver: name resolution falls back to localhost and fails")
        elif "custom" in kinds:
            notes.append("custom DNS server(s) (not the VPC resolver): they must resolve the EKS endpoint, "
                         "STS and ECR names, including private hosted zones")
        elif kinds == {"stub"}:
            notes.append("local stub resolver (systemd-resolved): upstream servers are not in this file")
    return {
        "nameservers": conf["nameservers"],
        "search": conf["search"],
        "domain": conf["domain"],
        "options": conf["options"],
        "notes": notes,
        "evidence": [{"path": path, **e} for e in conf["evidence"]],
        "files": read,
        "missing": missing,
    }


def _eni(reader: _Reader) -> dict:
    read, missing = _files(reader, (ENIS,))
    notes = []
    if reader.lines(ENIS) is None and reader.bundle.exists(ENIS_SKIPPED):
        reader.missing[ENIS] = "collector ran with --ignore_introspection=true: ipamd was not queried"
        missing = [{"path": ENIS, "why": reader.missing[ENIS]}]
    text = reader.text(ENIS)
    parsed = netfiles.parse_enis(text) if text is not None else {
        "state": "missing", "enis": [], "total_ips": None, "assigned_ips": None}
    if parsed["state"] == "empty":
        notes.append("enis.json is empty: ipamd (aws-node) was not listening when logs were collected, "
                     "expected on a node that never joined")
    elif parsed["state"] == "invalid":
        notes.append(f"enis.json is not valid JSON ({parsed.get('error')})")
    elif parsed["state"] == "ok" and parsed["total_ips"] is not None and parsed["total_ips"] > 0 \
            and parsed["assigned_ips"] >= parsed["total_ips"]:
        notes.append(f"every IP is assigned ({parsed['assigned_ips']}/{parsed['total_ips']}): pod IP pool exhausted")
    return {**parsed, "notes": notes, "files": read, "missing": missing}


def _iptables(reader: _Reader) -> dict:
    read, missing = _files(reader, (IPTABLES,))
    parsed = netfiles.parse_iptables_save(reader.lines(IPTABLES) or [])
    notes = []
    for p in parsed["policies"]:
        if p["chain"] == "OUTPUT":
            notes.append(f"{p['table']} OUTPUT chain policy is {p['policy']}: outbound traffic not explicitly "
                         "accepted is dropped")
    for r in parsed["blocking"]:
        if r["ports"] != "any":
            notes.append(f"{r['chain']} rule {r['target']}s tcp port(s) {','.join(map(str, r['ports']))}")
    evidence = [_ev(IPTABLES, p) for p in parsed["policies"]] + [_ev(IPTABLES, r) for r in parsed["blocking"]]
    return {**parsed, "notes": notes, "evidence": evidence, "files": read, "missing": missing}


def _curl(reader: _Reader) -> dict:
    read, missing = _files(reader, (CURL,))
    attempts = netfiles.parse_curl(reader.lines(CURL) or [])
    outcomes: dict[str, int] = {}
    for a in attempts:
        outcomes[a["outcome"]] = outcomes.get(a["outcome"], 0) + 1
    evidence = [{"path": CURL, **e} for a in attempts for e in a["evidence"]]
    endpoint = api_endpoint(reader)
    return {
        "endpoint": endpoint,
        "attempts": [{k: v for k, v in a.items() if k != "evidence"} for a in attempts],
        "outcomes": outcomes,
        "reachable": (None if not attempts else any(a["outcome"] in ("ok", "http_error") for a in attempts)),
        "evidence": evidence,
        "files": read,
        "missing": missing,
    }


# --- the plain answer -------------------------------------------------------------------------


def api_endpoint(reader: _Reader) -> dict | None:
    """{url, host, path, line} of the API server endpoint, from kubeconfig, nodeadm/bootstrap logs or curl."""
    path = WIN_KUBECONFIG if reader.windows else KUBECONFIG
    lines = reader.lines(path, note_missing=False)
    found = netfiles.find_server_in_kubeconfig(lines) if lines else None
    if not found:
        for candidate in ENDPOINT_LOGS:
            lines = reader.lines(candidate, note_missing=False)
            found = netfiles.find_endpoint_in_log(lines) if lines else None
            if found:
                path = candidate
                break
    if not found:
        attempts = netfiles.parse_curl(reader.lines(CURL, note_missing=False) or [])
        if attempts:
            found, path = (attempts[0]["url"], attempts[0]["line"]), CURL
    if not found:
        return None
    url, line = found
    return {"url": url, "host": netfiles.host_of(url), "path": path, "line": line}


def route_to_api(reader: _Reader) -> dict:
    """{"answer": yes|no|unknown, "why", "endpoint", "ip", "evidence"}."""
    endpoint = api_endpoint(reader)
    ip, ip_evidence = _endpoint_ip(reader, endpoint)
    result = {"answer": "unknown", "why": "", "endpoint": endpoint["url"] if endpoint else None, "ip": ip,
              "evidence": []}
    path, routes = reader.routes()
    if routes is None:
        result["why"] = f"{path} was not collected, so the node's routes are unknown"
        return result
    if not routes:
        result["why"] = f"{path} holds no route, so the node's routes are unknown"
        return result
    if ip:
        best = netfiles.best_route(routes, ip)
        result["evidence"] = ip_evidence + ([_ev(path, best)] if best else [])
        if best is None:
            result.update(answer="no", why=f"no route in the main table covers the API endpoint IP {ip} "
                                           "and there is no default route")
        elif best["type"] in _BAD_ROUTE_TYPES:
            result.update(answer="no", why=f"the route covering {ip} is '{best['type']}' "
                                           f"({path}:{best['line']}): traffic to the endpoint is dropped")
        else:
            how = "the default route" if best["dst"] == "default" else f"route {best['dst']}"
            via = f" via {best['via']}" if best.get("via") else ""
            result.update(answer="yes", why=f"{how}{via} dev {best.get('dev', '?')} covers the API endpoint IP {ip}")
        return result
    defaults = [r for r in routes
                if r["table"] == "main" and r["dst"] == "default" and r["type"] not in _BAD_ROUTE_TYPES]
    if defaults:
        d = defaults[0]
        via = f" via {d['via']}" if d.get("via") else ""
        result["evidence"] = [_ev(path, d)]
        result.update(answer="yes", why=f"the main table has a default route{via} dev {d.get('dev', '?')}; "
                                        "the endpoint IP itself is not in the bundle")
        return result
    covered = sorted({r["dst"] for r in routes if r["table"] == "main" and r["type"] == "unicast"})
    result["evidence"] = [_ev(path, r) for r in routes if r["table"] == "main"][:10]
    result.update(answer="no", why="no default route in the main table; the endpoint IP is not in the bundle, "
                                   f"and only {', '.join(covered) or 'no'} prefixes are routed, so the "
                                   "endpoint is reachable only if it resolves inside one of them")
    return result


def _endpoint_ip(reader: _Reader, endpoint: dict | None) -> tuple[str | None, list[dict]]:
    if endpoint:
        try:
            return str(ipaddress.ip_address(endpoint["host"])), [
                {"path": endpoint["path"], "line": endpoint["line"], "text": endpoint["url"]}]
        except ValueError:
            pass
    for attempt in reversed(netfiles.parse_curl(reader.lines(CURL, note_missing=False) or [])):
        if attempt["ip"]:
            line = attempt["ip_line"] or attempt["line"]
            text = dict(reader.lines(CURL, note_missing=False) or []).get(line, "")
            return attempt["ip"], [{"path": CURL, "line": line, "text": text}]
    return None, []
