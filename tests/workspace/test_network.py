"""network: sections over a realistic bundle, the route_to_api answer, missing files."""

from __future__ import annotations

import pytest

from conftest import bundle_files, write_dir
from eksdoctor import api
from eksdoctor.errors import InputError

import wsnet_data as D


def test_all_sections_on_realistic_bundle(bundle_dir, workspace):
    res = api.network(str(bundle_dir), sections=["routes", "dns", "eni", "iptables", "curl"])
    s = res["sections"]
    assert [(r["via"], r["dev"]) for r in s["routes"]["default_routes"]] == [("10.0.0.1", "eth0")]
    assert s["routes"]["eni_tables"] == ["2"]
    assert s["dns"]["nameservers"][0]["ip"] == "10.0.0.2" and s["dns"]["notes"] == []
    assert s["eni"]["state"] == "ok" and s["eni"]["assigned_ips"] == 3
    assert any("OUTPUT chain policy is DROP" in n for n in s["iptables"]["notes"])
    assert s["curl"]["outcomes"] == {"timeout": 1, "refused": 1, "resolve_failure": 1, "tls_error": 1, "ok": 1}
    assert s["curl"]["endpoint"]["path"] == "kubelet/kubeconfig.yaml"
    answer = res["route_to_api"]
    # curl's last attempt tried 10.0.45.13: outside 10.0.0.0/19, so the default route carries it
    assert answer["answer"] == "yes" and answer["ip"] == "10.0.45.13"
    assert any(e["path"] == "networking/iproute.txt" for e in answer["evidence"])
    assert all({"path", "lines"} <= set(f) for sec in s.values() for f in sec["files"])


def test_no_default_route_means_no(tmp_path, workspace):
    files = bundle_files()
    files["networking/iproute.txt"] = D.IPROUTE_NO_DEFAULT
    files["networking/curl_api_server.txt"] = D.CURL_TIMEOUT.replace("10.0.45.1", "52.12.34.5")
    root = write_dir(tmp_path / "nodefault", files)
    answer = api.network(str(root), sections=["routes"])["route_to_api"]
    assert answer["answer"] == "no" and "52.12.34.5" in answer["why"]
    assert api.network(str(root), sections=["routes"])["sections"]["routes"]["notes"]


def test_blackhole_route_means_no(tmp_path, workspace):
    files = bundle_files()
    files["networking/iproute.txt"] = D.IPROUTE_AL2 + "blackhole 10.0.45.0/24\n"
    answer = api.network(str(write_dir(tmp_path / "bh", files)))["route_to_api"]
    assert answer["answer"] == "no" and "blackhole" in answer["why"]


def test_al2023_without_curl_uses_nodeadm_endpoint_and_default_route(tmp_path, workspace):
    files = {k: v for k, v in bundle_files().items()
             if k not in ("networking/curl_api_server.txt", "kubelet/kubeconfig.yaml", "var_log/cloud-init-output.log")}
    files["networking/iproute.txt"] = D.IPROUTE_AL2023
    files["nodeadm/nodeadm-config.log"] = D.NODEADM_CONFIG_LOG
    files["ipamd/enis.json"] = ""
    res = api.network(str(write_dir(tmp_path / "al2023", files)), sections=["eni", "curl"])
    answer = res["route_to_api"]
    assert answer["answer"] == "yes" and answer["ip"] is None
    assert answer["endpoint"] == "https://9F8E7D6C5B4A.gr7.us-east-1.eks.amazonaws.com"
    assert res["sections"]["eni"]["state"] == "empty" and "not listening" in res["sections"]["eni"]["notes"][0]
    assert any(m["path"] == "networking/curl_api_server.txt" and "AL2023" in m["why"] for m in res["missing"])


def test_missing_routes_means_unknown(tmp_path, workspace):
    root = write_dir(tmp_path / "bare", {"system/instance-id.txt": "i-0abc123def4567890\n"})
    res = api.network(str(root))
    assert res["route_to_api"]["answer"] == "unknown"
    assert "networking/iproute.txt was not collected" in res["route_to_api"]["why"]
    missing = {m["path"] for m in res["missing"]}
    assert {"networking/iproute.txt", "networking/resolv.conf", "ipamd/enis.json"} <= missing


def test_unknown_section_is_input_error(bundle_dir, workspace):
    with pytest.raises(InputError, match="unknown network section"):
        api.network(str(bundle_dir), sections=["routes", "firewall"])
