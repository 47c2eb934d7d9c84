"""One bundle: `eksdoctor diagnose` against the decompression floor and against the manual SOP path.

Measured in the same run on the same machine, best of --repeat:
  floor     `gzip -dc BUNDLE > /dev/null`                   (nothing can read the logs faster)
  manual    `tar -xzf BUNDLE` + `grep -rE Q` for every search query of the SOP (what an engineer runs)
  api       eksdoctor.api.diagnose(BUNDLE)  in-process, engine already compiled (batch worker case)
  cli       `eksdoctor diagnose BUNDLE --format json` as a fresh process (the user's number)
Targets: api/floor <= 1.5, and faster than the manual path (manual/api > 1).

Run: .venv/bin/python bench/diagnose.py [--scale 200] [--scenario al2-unauthorized] [--repeat 3]
The bundle is generated once by eksdoctor.sample_bundles and cached in bench/.work/.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
EKSDOCTOR = Path(sys.executable).with_name("eksdoctor")

# Every `search` query of sop-A4-node-join.md (phase 1 and domains 2A-2H), verbatim.
SOP_QUERIES = [
    "Unauthorized|Unable to register|connection refused|TLS handshake timeout|InvalidClientTokenId|not found|"
    "AccessDenied|Create failed|NodeCreationFailure",
    "cloud-init|bootstrap|/etc/eks/bootstrap",
    "kubelet.*error|kubelet.*fatal|kubelet.*failed",
    "Unauthorized|401|Forbidden|403",
    "AccessDenied|not authorized|AmazonEKSWorkerNodePolicy|AmazonEKS_CNI_Policy|AmazonEC2ContainerRegistryReadOnly",
    "InvalidClientTokenId|SignatureDoesNotMatch|security token.*expired",
    "sts.*endpoint|sts.*region|regional.*sts",
    "access.entry|iamidentitymapping|aws-auth",
    "TLS handshake timeout|connection timed out|connection refused|no route to host|dial tcp.*443",
    "private.*endpoint|public.*endpoint|endpoint.*access",
    "NAT|nat-|igw-|internet gateway",
    "vpc.*endpoint|vpce-|PrivateLink",
    "node.*not found|hostname.*not found|NXDOMAIN|resolve.*failed",
    "DHCP|domain-name|AmazonProvidedDNS",
    r"bootstrap\.sh|/etc/eks/bootstrap|cloud-init.*error|cloud-init.*fatal",
    "ClusterName|cluster-name|--b64-cluster-ca|--apiserver-endpoint|--dns-cluster-ip",
    "nodeadm|NodeConfig|node.eks.aws",
    "Too Many Requests|throttl|rate limit|DescribeCluster",
    "security group|sg-|inbound|outbound|egress|ingress",
    "NACL|network ACL|acl-",
    "kubernetes.io/cluster|tag.*owned|tag.*shared",
    "ami-|AMI|image.*id|kubelet.*not found|containerd.*not found",
    "Not authorized for images|private.*AMI|Windows.*AMI",
    "InsufficientFreeAddresses|no available IP|subnet.*full",
]


def bundle_for(scenario: str, scale: int) -> Path:
    """Generate (once) and return the benchmark bundle."""
    from eksdoctor.sample_bundles import generate

    folder = WORK / f"diagnose-{scenario}-x{scale}"
    existing = sorted(folder.glob("*.tar.gz")) if folder.is_dir() else []
    if existing:
        return existing[0]
    return generate(scenario, folder, scale=scale).path


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def floor(bundle: Path) -> None:
    subprocess.run(f"gzip -dc '{bundle}' > /dev/null", shell=True, check=True)


def manual(bundle: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["tar", "-xzf", str(bundle), "-C", tmp], check=True)
        for query in SOP_QUERIES:
            subprocess.run(["grep", "-rE", query, tmp], stdout=subprocess.DEVNULL, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="al2-unauthorized")
    parser.add_argument("--scale", type=int, default=200, help="sample_bundles scale (200 ~ 25 MB of logs)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from eksdoctor import api

    bundle = bundle_for(args.scenario, args.scale)
    with tarfile.open(bundle) as tar:
        raw = sum(m.size for m in tar if m.isfile())
    print(f"bundle: {bundle.name}  {bundle.stat().st_size / 1e6:.1f} MB compressed, {raw / 1e6:.1f} MB of logs")
    print(f"machine: {platform.platform()}  python {platform.python_version()}")

    workspace = Path(tempfile.mkdtemp(prefix="eksdoctor-bench-"))
    try:
        cold_started = time.perf_counter()
        category = api.diagnose(str(bundle), workspace=workspace)["root_cause"]["category"]
        cold = time.perf_counter() - cold_started  # includes rule compilation and imports
        t_floor = best(lambda: floor(bundle), args.repeat)
        t_manual = best(lambda: manual(bundle), args.repeat)
        t_api = best(lambda: api.diagnose(str(bundle), workspace=workspace), args.repeat)
        cli_error = None
        try:
            t_cli = best(lambda: subprocess.run([str(EKSDOCTOR), "diagnose", str(bundle), "--format", "json",
                                                 "--workspace", str(workspace)], stdout=subprocess.DEVNULL,
                                                stderr=subprocess.PIPE, check=True), args.repeat)
        except subprocess.CalledProcessError as err:  # the CLI face may lag the API: say so, keep the rest
            t_cli = None
            cli_error = (err.stderr or b"").decode(errors="replace").strip().splitlines()[:1]
    finally:
        shutil.rmtree(workspace, ignore_errors=True)

    print(f"root cause: {category}")
    print(f"floor  gzip -dc                 {t_floor:8.3f} s")
    print(f"manual tar -xzf + {len(SOP_QUERIES)} grep -rE   {t_manual:8.3f} s")
    print(f"api    diagnose (warm)          {t_api:8.3f} s   (first call in process: {cold:.3f} s)")
    if t_cli is None:
        print(f"cli    eksdoctor diagnose       failed: {cli_error}")
    else:
        print(f"cli    eksdoctor diagnose       {t_cli:8.3f} s")
    print(f"ratio  api/floor    = {t_api / t_floor:7.2f}   (target <= 1.5)")
    print(f"ratio  manual/api   = {t_manual / t_api:7.2f}   (target > 1: diagnose faster than the manual path)")
    if t_cli is not None:
        print(f"ratio  cli/floor    = {t_cli / t_floor:7.2f}")
        print(f"ratio  manual/cli   = {t_manual / t_cli:7.2f}")
    print(f"throughput api      = {raw / 1e6 / t_api:7.2f} MB of logs per second")


if __name__ == "__main__":
    main()
