"""A Windows collector bundle (zip, system\\ root, event logs as CSV) is diagnosed with Windows-specific
remediation (EC2_WINDOWS access entry, eks:kube-proxy-windows group) and Windows expectations of
which files should be there."""

from __future__ import annotations

import zipfile

import pytest

from eksdoctor import api

IID = "i-0a1b2c3d4e5f60718"
NODE = "ip-10-20-3-44.ec2.internal"

# Get-WinEvent -ProviderName kubelet | Export-Csv: quoted fields, doubled quotes, CRLF, noise first.
KUBELET_CSV = "\r\n".join([
    '"TimeCreated","Id","LevelDisplayName","Message"',
    '"11/27/2024 9:49:58 PM","1","Information","I1127 21:49:58.101202    4312 server.go:416] ""Kubelet version"" kubeletVersion=""v1.29.3-eks-ae9a62a""',
    '"11/27/2024 9:49:58 PM","1","Warning","W1127 21:49:58.110031    4312 feature_gate.go:241] Setting GA feature gate WindowsHostNetwork=true. It will be removed in a future release."',
    '"11/27/2024 9:50:01 PM","1","Information","I1127 21:50:01.002310    4312 kubelet_node_status.go:70] ""Attempting to register node"" node=""' + NODE + '""',
    '"11/27/2024 9:50:01 PM","1","Error","E1127 21:50:01.123456    4312 kubelet_node_status.go:92] ""Unable to register node with API server"" err=""Unauthorized"" node=""' + NODE + '""',
    '"11/27/2024 9:50:08 PM","1","Error","E1127 21:50:08.523101    4312 controller.go:145] ""Failed to ensure lease exists, will retry"" err=""Unauthorized"" interval=""7s""',
]) + "\r\n"

KUBECONFIG = "\r\n".join([
    "apiVersion: v1", "kind: Config", "clusters:", "- cluster:",
    "    certificate-authority: C:\\ProgramData\\kubernetes\\ca.crt",
    "    server: https://0A1B2C3D4E5F60718293A4B5C6D7E8F9.gr7.us-east-1.eks.amazonaws.com",
    "  name: kubernetes", "users:", "- name: kubelet", "  user:", "    exec:",
    "      apiVersion: client.authentication.k8s.io/v1beta1",
    "      command: C:\\Program Files\\Amazon\\EKS\\aws-iam-authenticator.exe",
    "      args:", '        - "token"', '        - "-i"', '        - "win-prod"', "        - --region", "        - us-east-1",
]) + "\r\n"


ROUTE_PRINT = "\r\n".join([
    "IPv4 Route Table",
    "===========================================================================",
    "Active Routes:",
    "Network Destination        Netmask          Gateway       Interface  Metric",
    "          0.0.0.0          0.0.0.0        10.20.0.1     10.20.3.44     15",
    "        10.20.0.0      255.255.0.0         On-link      10.20.3.44    271",
    "===========================================================================",
]) + "\r\n"


@pytest.fixture
def windows_bundle(tmp_path, monkeypatch):
    monkeypatch.setenv("EKSDOCTOR_HOME", str(tmp_path / "ws"))
    path = tmp_path / f"eks_{IID}_20241127T2155179658Z.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:  # Compress-Archive writes backslashes
        zf.writestr("system\\sysinfo", "OS Name:                   Microsoft Windows Server 2022 Datacenter\r\n")
        zf.writestr("system\\services", "Status   Name               DisplayName\r\nRunning  kubelet            kubelet\r\n")
        zf.writestr("system\\kubelet\\kubelet-service.csv", KUBELET_CSV)
        zf.writestr("system\\kubelet\\kubeconfig", KUBECONFIG)
        zf.writestr("system\\network\\routes.txt", ROUTE_PRINT)
    return path


def test_windows_unauthorized_gets_windows_remediation(windows_bundle):
    d = api.diagnose(str(windows_bundle))
    assert d["bundle"]["family"] == "windows" and d["bundle"]["instance_id"] == IID
    assert d["root_cause"]["category"] == "iam_auth"
    finding = d["findings"][0]
    evidence = finding["evidence"][0]
    assert evidence["path"] == "system/kubelet/kubelet-service.csv"
    # quoted as the file holds it (CSV's doubled quotes kept), so grep finds it at path:line
    assert evidence["text"] == KUBELET_CSV.split("\r\n")[evidence["line"] - 1]
    assert 'err=""Unauthorized""' in evidence["text"]
    commands = " ".join(finding["remediation"]["commands"])
    assert "--type EC2_WINDOWS" in commands and "EC2_LINUX" not in commands
    assert "--group eks:kube-proxy-windows" in commands
    assert "--cluster win-prod --region us-east-1" in commands  # from the Windows kubeconfig
    assert d["facts"]["default_route"] is True and d["facts"]["default_gateway"] == "10.20.0.1"  # route print


def test_windows_missing_files_are_windows_files(windows_bundle, tmp_path):
    complete = [m["path"] for m in api.diagnose(str(windows_bundle))["bundle"]["missing"]]
    assert complete == []  # no Linux file (kubelet/kubelet.log, networking/...) is "expected" here
    trimmed = tmp_path / "trimmed" / windows_bundle.name
    trimmed.parent.mkdir()
    with zipfile.ZipFile(windows_bundle) as src, zipfile.ZipFile(trimmed, "w") as dst:
        for info in src.infolist():
            if "routes" not in info.filename:
                dst.writestr(info, src.read(info))
    missing = [m["path"] for m in api.diagnose(str(trimmed))["bundle"]["missing"]]
    assert missing == ["system/network/routes.txt"]


def test_linux_unauthorized_keeps_linux_remediation(tmp_path, monkeypatch):
    from eksdoctor.sample_bundles import generate

    monkeypatch.setenv("EKSDOCTOR_HOME", str(tmp_path / "ws"))
    sample = generate("al2-unauthorized", tmp_path)
    d = api.diagnose(str(sample.path))
    commands = " ".join(next(f for f in d["findings"] if f["rule"] == "IAM-001")["remediation"]["commands"])
    assert "--type EC2_LINUX" in commands and "kube-proxy-windows" not in commands


def test_windows_node_that_registered_is_healthy_and_its_transient_error_dismissed(tmp_path, monkeypatch):
    monkeypatch.setenv("EKSDOCTOR_HOME", str(tmp_path / "ws"))
    rows = KUBELET_CSV.split("\r\n")[:4] + [
        '"11/27/2024 9:50:01 PM","1","Error","E1127 21:50:01.010000    4312 kubelet.go:2461] ""Error getting node"" '
        'err=""node \\""' + NODE + '\\"" not found""',
        '"11/27/2024 9:50:02 PM","1","Information","I1127 21:50:02.523101    4312 kubelet_node_status.go:73] '
        '""Successfully registered node"" node=""' + NODE + '""', ""]
    path = tmp_path / f"eks_{IID}_20241127T2155179658Z.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("system\\sysinfo", "OS Name:                   Microsoft Windows Server 2022 Datacenter\r\n")
        zf.writestr("system\\kubelet\\kubelet-service.csv", "\r\n".join(rows))
    d = api.diagnose(str(path))
    assert d["root_cause"]["category"] == "none"
    assert d["facts"]["kubelet_version"] == "v1.29.3-eks-ae9a62a" and d["facts"]["node_registered"] is True
    dismissed = {x["signal"]: x for x in d["dismissed"]}
    assert "kubelet_node_not_found" in dismissed
