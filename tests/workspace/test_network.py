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


def _windows_zip(path, files: dict[str, str]):
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:  # Compress-Archive writes backslashes
        zf.writestr("system\\sysinfo", "OS Name:                   Microsoft Windows Server 2022 Datacenter\r\n")
        for name, text in files.items():
            zf.writestr(name.replace("/", "\\"), text.replace("\n", "\r\n"))
    return path


KUBECONFIG_WIN = ("apiVersion: v1\nclusters:\n- cluster:\n"
                  "    server: https://0F1E2D3C4B5A69788796A5B4C3D2E1F0.gr7.us-east-1.eks.amazonaws.com\n")


def test_windows_bundle_routes_dns_and_answer(tmp_path, workspace):
    src = _windows_zip(tmp_path / "eks_i-05341975b0817e577_20250818T1934301442Z.zip", {
        "system/network/routes.txt": D.WIN_ROUTE_PRINT, "system/network/ip.txt": D.WIN_IPCONFIG,
        "system/kubelet/kubeconfig": KUBECONFIG_WIN})
    res = api.network(str(src), sections=["routes", "dns", "eni", "iptables", "curl"])
    s = res["sections"]
    assert [(r["via"], r["dev"]) for r in s["routes"]["default_routes"]] == [("10.0.2.1", "10.0.2.57")]
    assert [n["ip"] for n in s["dns"]["nameservers"]] == ["10.0.0.2", "192.168.50.10"]
    assert any("custom DNS" in n for n in s["dns"]["notes"])
    for name in ("eni", "iptables", "curl"):  # nothing the Windows collector gathers: said, not "missing"
        assert s[name]["applicable"] is False and s[name]["notes"]
    assert res["missing"] == []
    answer = res["route_to_api"]
    assert answer["answer"] == "yes" and answer["endpoint"].endswith(".eks.amazonaws.com")
    assert answer["evidence"][0]["path"] == "system/network/routes.txt"


def test_windows_bundle_without_default_route_or_routes(tmp_path, workspace):
    name = "eks_i-05341975b0817e577_20250818T1934301442Z.zip"
    (tmp_path / "nodefault").mkdir()
    src = _windows_zip(tmp_path / "nodefault" / name, {"system/network/routes.txt": D.WIN_ROUTE_PRINT_NO_DEFAULT})
    assert api.network(str(src), sections=["routes"])["route_to_api"]["answer"] == "no"
    bare = _windows_zip(tmp_path / name, {})
    res = api.network(str(bare), sections=["routes", "dns"])
    assert res["route_to_api"]["answer"] == "unknown"
    assert {m["path"] for m in res["missing"]} == {"system/network/routes.txt", "system/network/ip.txt"}
