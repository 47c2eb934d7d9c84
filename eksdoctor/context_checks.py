"""Derived checks over AWS context: the questions the SOP asks, answered as simple facts.

Rules compare facts with equality, so the arithmetic lives here: does any security group allow
egress on 443, does the NACL let ephemeral ports back in, is the node role mapped, which VPC
endpoints a private cluster lacks. Each check runs only when its inputs were collected; a missing
input yields no fact (unknown), never False.
"""

from __future__ import annotations

import ipaddress
import re

REQUIRED_POLICIES = {
    "AmazonEKSWorkerNodePolicy": ("AmazonEKSWorkerNodePolicy", "AmazonEKSWorkerNodeMinimalPolicy"),
    "AmazonEKS_CNI_Policy": ("AmazonEKS_CNI_Policy",),
    "AmazonEC2ContainerRegistryReadOnly": ("AmazonEC2ContainerRegistryReadOnly", "AmazonEC2ContainerRegistryPullOnly"),
}
PRIVATE_CLUSTER_ENDPOINTS = ("ec2", "ecr.api", "ecr.dkr", "sts", "s3")


def _strip_path(arn: str) -> str:
    """arn:aws:iam::1:role/a/b/name -> arn:aws:iam::1:role/name (aws-auth matches without the path)."""
    m = re.match(r"(arn:aws[a-z-]*:iam::\d+:role)/(?:.+/)?([^/]+)$", arn or "")
    return f"{m.group(1)}/{m.group(2)}" if m else (arn or "")


def _covers(port: int, rule: dict) -> bool:
    proto = str(rule.get("protocol", "-1"))
    if proto not in ("-1", "tcp", "6", "all"):
        return False
    lo, hi = rule.get("from_port"), rule.get("to_port")
    if proto in ("-1", "all") or lo is None or hi is None:
        return True
    try:
        return int(lo) <= port <= int(hi)
    except (TypeError, ValueError):
        return False


def _sg_allows(groups: list[dict], direction: str, port: int, peer_sg: str | None = None) -> bool | None:
    """Any rule in `groups` allowing tcp `port` (to anywhere, or to/from `peer_sg`)."""
    if not groups:
        return None
    for sg in groups:
        for rule in sg.get(direction) or []:
            if not isinstance(rule, dict) or not _covers(port, rule):
                continue
            if rule.get("cidrs") or rule.get("prefix_lists"):
                return True
            if peer_sg is None and rule.get("groups"):
                return True
            if peer_sg is not None and peer_sg in (rule.get("groups") or []):
                return True
    return False


def _rule_text(rule: dict) -> str:
    if not isinstance(rule, dict):
        return "?"
    ports = "all" if rule.get("from_port") is None else f"{rule.get('from_port')}-{rule.get('to_port')}"
    peers = (rule.get("cidrs") or []) + (rule.get("groups") or []) + (rule.get("prefix_lists") or [])
    return f"{rule.get('protocol')}:{ports}->{'/'.join(peers) or '?'}"


def _nacl_action(entries: list[dict], egress: bool, port: int) -> str | None:
    """The action of the first NACL entry (by rule number) matching tcp `port` in one direction."""
    candidates = []
    for e in entries:
        if not isinstance(e, dict) or bool(e.get("egress")) != egress:
            continue
        try:
            number = int(e.get("rule_number", 32767))
        except (TypeError, ValueError):
            continue
        lo, hi = e.get("port_from"), e.get("port_to")
        proto = str(e.get("protocol", "-1"))
        if proto not in ("-1", "6", "tcp", "all"):
            continue
        if lo is not None and hi is not None and not (int(lo) <= port <= int(hi)):
            continue
        candidates.append((number, str(e.get("action", "")).lower()))
    if not candidates:
        return None
    return sorted(candidates)[0][1]


def _route_target(routes: list[dict]) -> str | None:
    for r in routes or []:
        if isinstance(r, dict) and r.get("destination") in ("0.0.0.0/0",):
            if str(r.get("state", "active")) == "blackhole":
                return "blackhole"
            target = str(r.get("target") or "")
            for prefix, kind in (("igw-", "igw"), ("nat-", "nat"), ("tgw-", "tgw"), ("pcx-", "pcx"),
                                 ("eni-", "eni"), ("vpce-", "vpce"), ("eigw-", "eigw"), ("i-", "instance")):
                if target.startswith(prefix):
                    return kind
            return target or "unknown"
    return "none"


def _ip_in(ip: str, cidrs: list[str]) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
        return any(addr in ipaddress.ip_network(c, strict=False) for c in cidrs)
    except ValueError:
        return False


def derive(ctx: dict, facts: dict) -> dict[str, object]:
    """Context facts (dotted names) from the context document and the bundle facts."""
    return derive_with_reasons(ctx, facts)[0]


def derive_with_reasons(ctx: dict, facts: dict) -> tuple[dict[str, object], dict[str, str]]:
    """Context facts plus, for the checks that compute something, the context values behind them."""
    out: dict[str, object] = {}
    why: dict[str, str] = {}

    def put(name: str, value, reason: str | None = None) -> None:
        if value is not None:
            out[name] = value
            if reason:
                why[name] = reason

    inst = ctx.get("instance") or {}
    cluster = ctx.get("cluster") or {}
    role = ctx.get("node_role") or {}
    for key in ("authentication_mode", "version", "status", "endpoint_public_access", "endpoint_private_access"):
        put(f"cluster.{key}", cluster.get(key))
    put("subnet.available_ips", (ctx.get("subnet") or {}).get("available_ips"))
    put("vpc.enable_dns_support", (ctx.get("vpc") or {}).get("enable_dns_support"))
    put("vpc.enable_dns_hostnames", (ctx.get("vpc") or {}).get("enable_dns_hostnames"))
    put("instance.metadata_hop_limit", inst.get("metadata_hop_limit"))
    put("ami.accessible", (ctx.get("ami") or {}).get("accessible"))
    put("sts.regional_endpoint_active", (ctx.get("sts") or {}).get("regional_endpoint_active"))
    if cluster.get("endpoint_private_access") is not None and cluster.get("endpoint_public_access") is not None:
        put("cluster.private_only", bool(cluster["endpoint_private_access"]) and not cluster["endpoint_public_access"])

    _role_mapping(ctx, inst, role, cluster, put)
    _policies(role, put)
    _security(ctx, inst, cluster, put)
    _routing(ctx, cluster, put)
    _dns(ctx, put)
    _tags_and_names(ctx, inst, cluster, facts, put)
    return out, why


def _role_mapping(ctx, inst, role, cluster, put) -> None:
    role_arn = role.get("arn") or inst.get("role_arn")
    if not role_arn:
        return
    bare = _strip_path(role_arn)
    put("node_role.has_path", bare != role_arn)
    aws_auth = ctx.get("aws_auth")
    if isinstance(aws_auth, dict) and isinstance(aws_auth.get("map_roles"), list):
        arns = [str(r.get("rolearn", "")) for r in aws_auth["map_roles"] if isinstance(r, dict)]
        listed = "aws_auth mapRoles rolearns: " + (", ".join(arns) or "(none)") + f"; node role: {role_arn}"
        put("aws_auth.maps_node_role", any(a == bare for a in arns), listed)
        put("aws_auth.maps_role_with_path", any(a == role_arn and a != bare for a in arns), listed)
        profile = inst.get("instance_profile_arn") or ""
        put("aws_auth.maps_instance_profile", any(":instance-profile/" in a and (not profile or a == profile)
                                                 for a in arns), listed)
    entries = ctx.get("access_entries")
    if isinstance(entries, list):
        node_types = {"EC2_LINUX", "EC2_WINDOWS", "STANDARD", "HYBRID_LINUX"}
        present = any(isinstance(e, dict) and _strip_path(str(e.get("principal_arn", ""))) == bare
                      and str(e.get("type", "STANDARD")) in node_types for e in entries)
        listed = ", ".join(f"{e.get('principal_arn')} ({e.get('type', 'STANDARD')})" for e in entries
                           if isinstance(e, dict)) or "(none)"
        put("access_entries.has_node_role", present, f"access entries: {listed}; node role: {role_arn}")
        if isinstance(aws_auth, dict) and isinstance(aws_auth.get("map_roles"), list):
            mode = cluster.get("authentication_mode")
            mapped_cm = any(str(r.get("rolearn", "")) == bare for r in aws_auth["map_roles"] if isinstance(r, dict))
            if mode == "API":
                put("node_role.mapped", present)
            elif mode == "CONFIG_MAP":
                put("node_role.mapped", mapped_cm)
            elif mode:
                put("node_role.mapped", present or mapped_cm)
        elif cluster.get("authentication_mode") == "API":
            put("node_role.mapped", present)


def _policies(role, put) -> None:
    attached = role.get("attached_policies")
    if not isinstance(attached, list):
        return
    names = {str(p).rsplit("/", 1)[-1] for p in attached}
    missing = [need for need, accepted in REQUIRED_POLICIES.items() if not names.intersection(accepted)]
    put("node_role.missing_policies", ",".join(missing) if missing else "",
        f"{role.get('name') or role.get('arn')} attached policies: {', '.join(sorted(names)) or '(none)'}")
    put("node_role.missing_cni_policy", "AmazonEKS_CNI_Policy" in missing)
    put("node_role.missing_worker_policy", "AmazonEKSWorkerNodePolicy" in missing)
    put("node_role.missing_ecr_policy", "AmazonEC2ContainerRegistryReadOnly" in missing)


def _security(ctx, inst, cluster, put) -> None:
    groups = [g for g in ctx.get("security_groups") or [] if isinstance(g, dict)]
    node_ids = set(inst.get("security_group_ids") or [])
    node_groups = [g for g in groups if not node_ids or g.get("id") in node_ids]
    if node_groups:
        rules = "; ".join(f"{g.get('id')} egress " + (", ".join(_rule_text(r) for r in g.get("egress") or []) or "(none)")
                          for g in node_groups)
        put("sg.egress_443", _sg_allows(node_groups, "egress", 443), rules)
        csg = cluster.get("cluster_security_group_id")
        put("sg.ingress_10250", _sg_allows(node_groups, "ingress", 10250))
        if csg:
            cluster_group = [g for g in groups if g.get("id") == csg]
            if csg in node_ids:
                put("sg.cluster_ingress_443", True)  # the cluster SG allows all traffic from its members
            elif cluster_group:
                allowed = any(_sg_allows(cluster_group, "ingress", 443, peer) for peer in node_ids) \
                    or _sg_allows([{"ingress": [r for r in cluster_group[0].get("ingress") or []
                                                if isinstance(r, dict) and r.get("cidrs")]}], "ingress", 443)
                put("sg.cluster_ingress_443", bool(allowed))
    nacl = ctx.get("network_acl") or {}
    entries = nacl.get("entries")
    if isinstance(entries, list) and entries:
        out_443 = _nacl_action(entries, True, 443)
        in_eph = _nacl_action(entries, False, 32768)
        in_443 = _nacl_action(entries, False, 443)
        out_eph = _nacl_action(entries, True, 32768)
        put("nacl.egress_443", out_443 == "allow" if out_443 else False)
        put("nacl.ingress_ephemeral", in_eph == "allow" if in_eph else False)
        put("nacl.ingress_443", in_443 == "allow" if in_443 else False)
        put("nacl.egress_ephemeral", out_eph == "allow" if out_eph else False)
        listed = ", ".join(f"#{e.get('rule_number')} {'out' if e.get('egress') else 'in'} {e.get('protocol')} "
                           f"{e.get('port_from') or '*'}-{e.get('port_to') or '*'} {e.get('action')}"
                           for e in sorted((e for e in entries if isinstance(e, dict)),
                                           key=lambda e: (bool(e.get("egress")), int(e.get("rule_number") or 0))))
        put("nacl.blocks_required", not (out_443 == "allow" and in_eph == "allow"), f"{nacl.get('id')}: {listed}")


def _routing(ctx, cluster, put) -> None:
    rt = ctx.get("route_table") or {}
    if isinstance(rt.get("routes"), list):
        target = _route_target(rt["routes"])
        routes = ", ".join(f"{r.get('destination')}->{r.get('target')}" for r in rt["routes"] if isinstance(r, dict))
        put("route.default_target", target, f"{rt.get('id')}: {routes}")
        put("route.internet_path", target in ("igw", "nat", "tgw", "instance", "eni", "pcx"), f"{rt.get('id')}: {routes}")
    endpoints = ctx.get("vpc_endpoints")
    if isinstance(endpoints, list):
        have = set()
        for e in endpoints:
            if isinstance(e, dict) and str(e.get("state", "available")).lower() == "available":
                m = re.match(r"com\.amazonaws\.[a-z0-9-]+\.(.+)$", str(e.get("service", "")))
                if m:
                    have.add(m.group(1))
        missing = [s for s in PRIVATE_CLUSTER_ENDPOINTS if s not in have]
        put("endpoints.missing", ",".join(missing), "VPC endpoints present: " + (", ".join(sorted(have)) or "(none)"))
        put("endpoints.missing_count", len(missing), "missing: " + (", ".join(missing) or "(none)") +
            "; present: " + (", ".join(sorted(have)) or "(none)"))
    cidrs = cluster.get("public_access_cidrs")
    nats = [n for n in ctx.get("nat_gateways") or [] if isinstance(n, dict)]
    if cluster.get("endpoint_public_access") and not cluster.get("endpoint_private_access") \
            and isinstance(cidrs, list) and cidrs and "0.0.0.0/0" not in cidrs and nats:
        ips = [ip for n in nats for ip in n.get("public_ips") or []]
        put("cluster.nat_ip_allowed", any(_ip_in(ip, cidrs) for ip in ips))


def _dns(ctx, put) -> None:
    dhcp = (ctx.get("vpc") or {}).get("dhcp_options")
    if not isinstance(dhcp, dict):
        return
    names = dhcp.get("domain-name") or []
    servers = dhcp.get("domain-name-servers") or []
    listed = f"DHCP options: domain-name={','.join(names) or '(none)'} domain-name-servers={','.join(servers) or '(none)'}"
    put("dhcp.domain_name", bool(names), listed)
    put("dhcp.custom_dns", bool(servers) and "AmazonProvidedDNS" not in servers, listed)


def _tags_and_names(ctx, inst, cluster, facts, put) -> None:
    name = cluster.get("name") or facts.get("cluster_name")
    tags = inst.get("tags")
    if isinstance(tags, dict) and name:
        put("instance.cluster_tag", f"kubernetes.io/cluster/{name}" in tags,
            "instance tags: " + (", ".join(sorted(tags)) or "(none)"))
    node_name = facts.get("cluster_name")
    if cluster.get("name") and node_name:
        put("cluster.name_matches", node_name == cluster["name"])
        put("cluster.name_case_only", node_name != cluster["name"] and node_name.lower() == cluster["name"].lower())
    kminor, cversion = facts.get("kubelet_minor"), cluster.get("version")
    m = re.match(r"1\.(\d+)", str(cversion or ""))
    if isinstance(kminor, int) and m:
        cminor = int(m.group(1))
        put("skew.kubelet_newer", kminor > cminor, f"kubelet {facts.get('kubelet_version')} vs cluster {cversion}")
        # kubelet may be up to three minors older than the API server from 1.28, two before.
        allowed = 3 if cminor >= 28 else 2
        put("skew.kubelet_too_old", cminor - kminor > allowed, f"kubelet {facts.get('kubelet_version')} vs cluster {cversion}")
        put("skew.minor_delta", kminor - cminor)
