"""Parsers of networking/ and ipamd/ files, on realistic content."""

from eksdoctor import netfiles

import wsnet_data as D


def numbered(text: str):
    return list(enumerate(text.splitlines(), start=1))


def test_routes_main_default_and_eni_tables():
    routes = netfiles.parse_routes(numbered(D.IPROUTE_AL2))
    main_defaults = [r for r in routes if r["table"] == "main" and r["dst"] == "default"]
    assert [(r["via"], r["dev"], r["line"]) for r in main_defaults] == [("10.0.0.1", "eth0", 1)]
    assert {r["table"] for r in routes} == {"main", "2", "local"}
    unreachable = [r for r in routes if r["type"] == "unreachable"]
    assert unreachable[0]["dst"] == "::/96" and unreachable[0]["metric"] == 1024


def test_best_route_longest_prefix_and_no_cover():
    routes = netfiles.parse_routes(numbered(D.IPROUTE_AL2023))
    assert netfiles.best_route(routes, "10.0.0.2")["dst"] == "10.0.0.2"
    assert netfiles.best_route(routes, "10.0.5.9")["dst"] == "10.0.0.0/19"
    assert netfiles.best_route(routes, "52.10.1.1")["dst"] == "default"
    no_default = netfiles.parse_routes(numbered(D.IPROUTE_NO_DEFAULT))
    assert netfiles.best_route(no_default, "52.10.1.1") is None
    assert netfiles.best_route(no_default, "not-an-ip") is None


def test_rules():
    rules = netfiles.parse_rules(numbered(D.IPRULE))
    assert [r["priority"] for r in rules] == [0, 512, 1024, 1536, 32766, 32767]
    assert rules[3] == {"priority": 1536, "selector": "from 10.0.7.19", "table": "2", "line": 4,
                        "text": "1536:\tfrom 10.0.7.19 lookup 2"}


def test_resolv_conf_kinds():
    amazon = netfiles.parse_resolv_conf(numbered(D.RESOLV_AMAZON))
    assert amazon["nameservers"] == [{"ip": "10.0.0.2", "line": 4, "kind": "amazon"}]
    assert amazon["search"] == ["us-west-2.compute.internal"]
    assert amazon["options"] == ["timeout:2", "attempts:5"]
    custom = netfiles.parse_resolv_conf(numbered(D.RESOLV_CUSTOM))
    assert [n["kind"] for n in custom["nameservers"]] == ["custom", "custom"]
    assert netfiles.nameserver_kind("127.0.0.53") == "stub"
    assert netfiles.nameserver_kind("169.254.169.253") == "amazon"


def test_iptables_blocking_rules_and_policies():
    parsed = netfiles.parse_iptables_save(numbered(D.IPTABLES_SAVE))
    assert [(p["table"], p["chain"], p["policy"]) for p in parsed["policies"]] == [("filter", "OUTPUT", "DROP")]
    got = {(r["chain"], r["target"], str(r["ports"])) for r in parsed["blocking"]}
    assert got == {
        ("CORP-EGRESS", "REJECT", "[443]"),        # explicit 443
        ("CORP-EGRESS", "DROP", "[10250]"),        # multiport range 8000:11000 covers 10250
        ("CORP-EGRESS", "DROP", "[10250]"),        # ! --dport 443 blocks 10250, not 443
        ("CORP-EGRESS", "DROP", "any"),            # -d 10.99.0.0/16 all ports
    }
    texts = [r["text"] for r in parsed["blocking"]]
    assert not any("127.0.0.0/8" in t or "INVALID" in t or "--dport 22" in t or "udp" in t for t in texts)
    assert len(parsed["blocking"]) == 4 and parsed["rules"] == 11


def test_enis_summary_and_empty_file():
    parsed = netfiles.parse_enis(D.ENIS_JSON)
    assert parsed["state"] == "ok" and parsed["total_ips"] == 28 and parsed["assigned_ips"] == 3
    by_id = {e["id"]: e for e in parsed["enis"]}
    primary = by_id["eni-0f1e2d3c4b5a69788"]
    assert primary["primary"] and primary["ips"] == 2 and primary["assigned"] == 1
    assert by_id["eni-01f879673fc5fd14d"]["prefixes"] == ["10.0.20.16/28"]
    assert netfiles.parse_enis("")["state"] == "empty"
    assert netfiles.parse_enis("{not json")["state"] == "invalid"
    assert netfiles.parse_enis('[{"TotalIPs": 1, "AssignedIPs": 0, "ENIs": {}}]')["total_ips"] == 1


def test_curl_outcomes_per_attempt():
    attempts = netfiles.parse_curl(numbered(D.CURL_TIMEOUT))
    assert [a["outcome"] for a in attempts] == ["timeout", "refused", "resolve_failure", "tls_error", "ok"]
    assert [a["ip"] for a in attempts] == ["10.0.45.12", "10.0.45.12", None, "10.0.45.13", "10.0.45.13"]
    assert attempts[0]["ts"] == "2024-06-06T19:39:01.123UTC"
    assert attempts[4]["http_status"] == 200
    assert attempts[0]["detail"].startswith("curl: (28)")


def test_endpoint_sources():
    server, line = netfiles.find_server_in_kubeconfig(numbered(D.KUBECONFIG))
    assert server == "https://A1B2C3D4E5F6.gr7.us-west-2.eks.amazonaws.com" and line == 6
    endpoint, line = netfiles.find_endpoint_in_log(numbered(D.NODEADM_CONFIG_LOG))
    assert endpoint == "https://9F8E7D6C5B4A.gr7.us-east-1.eks.amazonaws.com" and line == 2
    bootstrap = [(1, "2023-11-17T02:16:06+0000 [eks-bootstrap] INFO: --apiserver-endpoint='https://X.gr7.eu-west-1.eks.amazonaws.com'")]
    assert netfiles.find_endpoint_in_log(bootstrap)[0] == "https://X.gr7.eu-west-1.eks.amazonaws.com"
    assert netfiles.host_of("https://10.1.2.3:443/livez") == "10.1.2.3"
    assert netfiles.host_of("https://[fd00::1]:443") == "fd00::1"


def test_windows_route_print_active_ipv4_routes_only():
    routes = netfiles.parse_route_print(numbered(D.WIN_ROUTE_PRINT))
    assert [r["dst"] for r in routes] == ["default", "10.0.2.0/24", "10.0.2.57/32", "127.0.0.0/8",
                                          "169.254.169.254/32"]  # not the persistent or IPv6 ones
    default = routes[0]
    assert (default["via"], default["dev"], default["metric"], default["line"]) == ("10.0.2.1", "10.0.2.57", 15, 12)
    assert "via" not in routes[1]  # On-link
    assert netfiles.best_route(routes, "10.0.2.200")["dst"] == "10.0.2.0/24"
    assert netfiles.best_route(routes, "52.10.1.1")["dst"] == "default"
    assert netfiles.best_route(netfiles.parse_route_print(numbered(D.WIN_ROUTE_PRINT_NO_DEFAULT)), "52.10.1.1") is None


def test_windows_ipconfig_dns_servers_and_suffixes():
    conf = netfiles.parse_ipconfig_dns(numbered(D.WIN_IPCONFIG))
    assert [(n["ip"], n["kind"]) for n in conf["nameservers"]] == [("10.0.0.2", "amazon"), ("192.168.50.10", "custom")]
    assert conf["search"] == ["us-east-1.ec2-utilities.amazonaws.com", "ec2.internal"]
    assert netfiles.parse_ipconfig_dns(numbered("Windows IP Configuration\n"))["nameservers"] == []


def test_network_file_parsers_never_raise_on_mangled_input():
    """Every parser of a networking file takes whatever a customer's bundle holds: cut, spliced or
    random lines give fewer results, never an exception."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    seeds = [D.IPROUTE_AL2, D.WIN_ROUTE_PRINT, D.WIN_IPCONFIG]
    mangled = st.builds(lambda seed, i, j, junk: seed[:i] + junk + seed[j:], st.sampled_from(seeds),
                        st.integers(0, 2000), st.integers(0, 2000), st.text(max_size=40))

    @settings(max_examples=300, deadline=None)
    @given(text=st.one_of(mangled, st.text(max_size=400)))
    def check(text):
        lines = numbered(text)
        for routes in (netfiles.parse_routes(lines), netfiles.parse_route_print(lines)):
            for r in routes:
                netfiles.best_route([r], "10.0.2.9")
        netfiles.parse_ipconfig_dns(lines)
        netfiles.parse_resolv_conf(lines)
        netfiles.parse_iptables_save(lines)

    check()
