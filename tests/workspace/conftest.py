"""Small realistic bundles for the workspace/search/timeline/network tests, built at test time."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

import wsnet_data as D

IID = "i-0abc123def4567890"
TARBALL_NAME = f"eks_{IID}_2024-06-06_1940-UTC_0.7.8.tar.gz"
HOST = "ip-10-0-12-34.us-west-2.compute.internal"

KUBELET_LOG = "\n".join([
    f"Jun 06 19:30:00 {HOST} kubelet[2980]: I0606 19:30:00.100000    2980 server.go:472] \"Kubelet version\" kubeletVersion=\"v1.29.3-eks-ae9a62a\"",
    f"Jun 06 19:30:05 {HOST} kubelet[2980]: E0606 19:30:05.200000    2980 kubelet_node_status.go:96] \"Unable to register node with API server\" err=\"Post \\\"https://A1B2C3D4E5F6.gr7.us-west-2.eks.amazonaws.com/api/v1/nodes\\\": dial tcp 10.0.45.12:443: i/o timeout\" node=\"{HOST}\"",
    "-- Reboot --",
    f"Jun 06 19:33:01 {HOST} kubelet[3214]: I0606 19:33:01.000000    3214 server.go:472] \"Kubelet version\" kubeletVersion=\"v1.29.3-eks-ae9a62a\"",
    f"Jun 06 19:33:03 {HOST} kubelet[3214]: I0606 19:33:03.796478    3214 kubelet_node_status.go:73] \"Attempting to register node\" node=\"{HOST}\"",
    f"Jun 06 19:33:03 {HOST} kubelet[3214]: E0606 19:33:03.828406    3214 kubelet_node_status.go:96] \"Unable to register node with API server\" err=\"Unauthorized\" node=\"{HOST}\"",
    f"Jun 06 19:33:03 {HOST} kubelet[3214]: E0606 19:33:03.828481    3214 controller.go:145] \"Failed to ensure lease exists, will retry\" err=\"Unauthorized\" interval=\"7s\"",
    f"Jun 06 19:39:58 {HOST} kubelet[3214]: E0606 19:39:58.100000    3214 kubelet_node_status.go:96] \"Unable to register node with API server\" err=\"Unauthorized\" node=\"{HOST}\"",
]) + "\n"

CONTAINERD_LOG = "\n".join([
    f"Jun 06 19:32:58 {HOST} containerd[2801]: time=\"2024-06-06T19:32:58.275890680Z\" level=info msg=\"starting containerd\" revision=de8046a5 version=1.7.11",
    f"Jun 06 19:33:04 {HOST} containerd[2801]: time=\"2024-06-06T19:33:04.000000000Z\" level=error msg=\"PullImage failed\" error=\"unexpected status: 401 Unauthorized\"",
]) + "\n"

CLOUD_INIT_OUTPUT = "\n".join([
    "Cloud-init v. 19.3-46.amzn2.0.2 running 'modules:final' at Thu, 06 Jun 2024 19:32:50 +0000. Up 21.4 seconds.",
    "2024-06-06T19:32:51+0000 [eks-bootstrap] INFO: starting...",
    "2024-06-06T19:32:51+0000 [eks-bootstrap] INFO: --apiserver-endpoint='https://A1B2C3D4E5F6.gr7.us-west-2.eks.amazonaws.com'",
    "2024-06-06T19:32:52+0000 [eks-bootstrap] INFO: Using kubelet version 1.29.3",
    "no timestamp here but Unauthorized appears",
]) + "\n"


def bundle_files() -> dict[str, str | bytes]:
    return {
        "kubelet/kubelet.log": KUBELET_LOG,
        "kubelet/kubeconfig.yaml": D.KUBECONFIG,
        "containerd/containerd-log.txt": CONTAINERD_LOG,
        "var_log/cloud-init-output.log": CLOUD_INIT_OUTPUT,
        "nodeadm/nodeadm-config.log": "-- No entries --\n",
        "system/instance-id.txt": IID + "\n",
        "kernel/uname.txt": "Linux ip-10-0-12-34 5.10.215-203.850.amzn2.x86_64 #1 SMP x86_64 GNU/Linux\n",
        "networking/iproute.txt": D.IPROUTE_AL2,
        "networking/iprule.txt": D.IPRULE,
        "networking/resolv.conf": D.RESOLV_AMAZON,
        "networking/iptables-save.txt": D.IPTABLES_SAVE,
        "networking/curl_api_server.txt": D.CURL_TIMEOUT,
        "ipamd/enis.json": D.ENIS_JSON,
        "ipamd/pods.json": "",
        "var_log/aws-routed-eni/ipamd.log.1.gz": b"\x1f\x8b\x08\x00" + b"\x00" * 20,
    }


def write_dir(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def write_tarball(path: Path, files: dict[str, str | bytes]) -> Path:
    """A tarball as the EKS log collector writes it: gzip, members under './', no top folder."""
    with tarfile.open(path, "w:gz") as tar:
        dirs = sorted({str(Path(rel).parent) for rel in files})
        for d in dirs:
            info = tarfile.TarInfo(f"./{d}")
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        for rel, content in sorted(files.items()):
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            info = tarfile.TarInfo(f"./{rel}")
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 1717702800
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    ws = tmp_path / "ws"
    monkeypatch.setenv("EKSDOCTOR_HOME", str(ws))
    return ws


@pytest.fixture
def tarball(tmp_path) -> Path:
    return write_tarball(tmp_path / TARBALL_NAME, bundle_files())


@pytest.fixture
def bundle_dir(tmp_path) -> Path:
    return write_dir(tmp_path / "extracted" / f"eks_{IID}_2024-06-06_1940-UTC_0.7.8", bundle_files())
