"""Every sample is packed and laid out like a real collector bundle of its family and date."""

from __future__ import annotations

import gzip
import json
import re
import zipfile

from sample_helpers import Extracted

from eksdoctor.sample_bundles import SCENARIOS
from eksdoctor.sample_bundles.tree import BASE_DIRECTORIES

NAME = re.compile(r"^eks_(i-[0-9a-f]{17})_(\d{4}-\d{2}-\d{2})_(\d{4})-UTC_(\d+\.\d+\.\d+)\.tar\.gz$")
JOURNAL = re.compile(r"^[A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} \S+ [\w.()-]+(\[\d+\])?: ")
KLOG = re.compile(r"^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d{6} {1,7}\d+ [\w./-]+:\d+\] ")
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def test_name_and_tar_layout_match_the_collector(bundle: Extracted):
    m = NAME.match(bundle.gen.path.name)
    assert m, bundle.gen.path.name
    names = [x.name for x in bundle.members]
    raw = gzip.decompress(bundle.gen.path.read_bytes())
    assert raw[:3] == b"./\0"  # first member is "./" (tarfile strips the slash when reading)
    assert names[0] == "." and all(n.startswith("./") for n in names[1:])  # no top folder, like `tar -C dir .`
    assert b"./kubelet/\0" in raw and "./kubelet/kubelet.log" in names
    assert bundle.text("system/instance-id.txt").strip() == m.group(1)
    assert set(BASE_DIRECTORIES) <= bundle.dirs  # every COMMON_DIRECTORY exists, empty or not
    assert all(x.uid == 0 and x.uname == "root" for x in bundle.members)


def test_family_markers(bundle: Extracted):
    family = bundle.scenario.family
    uname = bundle.text("kernel/uname.txt")
    if family == "al2":
        assert ".amzn2." in uname and "amzn2023" not in uname
        assert "var_log/messages" in bundle.files
        for f in ("nodeadm/nodeadm-config.log", "nodeadm/nodeadm-run.log"):
            if "nodeadm" in bundle.dirs:  # collectors from 2024-02 on create it on every distro
                assert bundle.text(f).splitlines()[-1] == "-- No entries --"
        assert bundle.text("kubelet/kubelet.log").startswith("-- Logs begin at ")  # systemd 219 header
    else:
        assert "amzn2023" in uname
        assert "var_log/messages" not in bundle.files
        assert "nodeadm" in bundle.dirs and bundle.text("nodeadm/nodeadm-config.log").strip() != "-- No entries --"
        assert not bundle.text("kubelet/kubelet.log").startswith("-- Logs begin")  # systemd 252: no header
        assert "kubelet/kubeconfig.yaml" not in bundle.files
        assert bundle.text("sandbox-image/sandbox-image-log.txt") == "-- No entries --\n"


def test_journal_files_are_well_formed_and_time_ordered(bundle: Extracted):
    for path in [p for p in bundle.files if p.startswith(("kubelet/kubelet.log", "containerd/containerd-log", "nodeadm/", "var_log/messages"))]:
        last = None
        for line in bundle.text(path).splitlines():
            if line.startswith("-- ") or (line.startswith(" ") and path != "var_log/messages"):
                continue  # markers; continuation lines of a multi-line journal entry
            if path == "var_log/messages":
                assert re.match(r"^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} ip-[\d-]+ [\w.-]+(\[\d+\])?: ", line), line
                stamp = (MONTHS[line[:3]], int(line[4:6]), line[7:15])
            else:
                assert JOURNAL.match(line), (path, line)
                stamp = (MONTHS[line[:3]], int(line[4:6]), line[7:15])
            assert last is None or stamp >= last, (path, line)
            last = stamp


def test_kubelet_lines_are_klog_with_a_right_aligned_pid(bundle: Extracted):
    bodies = [line.split("]: ", 1)[1] for line in bundle.text("kubelet/kubelet.log").splitlines()
              if " kubelet[" in line and not line.startswith(" ")]
    klog = [b for b in bodies if not b.startswith("Flag --")]
    assert all(KLOG.match(b) for b in klog), [b for b in klog if not KLOG.match(b)][:3]
    for b in klog:
        assert len(b.split("] ", 1)[0].split(" ")[0]) == 5  # Lmmdd
        pid_field = b[22:29]
        assert pid_field.strip().isdigit() and len(pid_field) == 7


def test_registration_story_matches_the_category(bundle: Extracted):
    s = bundle.scenario
    log = bundle.text("kubelet/kubelet.log")
    registered = "Successfully registered node" in log
    joins = s.expected_category in ("none", "ip_exhaustion", "cni_plugin") or s.name in (
        "al2023-missing-cni-policy", "al2023-version-skew")
    assert registered == joins, s.name
    if registered:
        ok_at = log.index("Successfully registered node")
        # warm-up errors of a joining node all come before the registration
        assert "connect: connection refused" not in log[ok_at:]
        cni_broken = s.name in ("al2023-missing-cni-policy", "al2023-ipamd-imds-hop-limit")
        assert ("cni/10-aws.conflist" in bundle.files) != cni_broken
    else:
        assert "cni/10-aws.conflist" not in bundle.files
        assert "var_log/aws-routed-eni/plugin.log" not in bundle.files or s.red_herring
        assert all(bundle.files[f"ipamd/{n}"] == b"" for n in ("enis.json", "metrics.json"))  # ipamd never listened


def test_secrets_are_planted_where_reports_will_meet_them(linux):
    b = linux["al2-secrets"]
    everything = "\n".join(v.decode(errors="replace") for v in b.files.values())
    assert b.scenario.planted_secrets
    for secret in b.scenario.planted_secrets:
        assert secret in everything, secret
    assert not any(s in "\n".join(v.decode(errors="replace") for v in linux["al2-unauthorized"].files.values())
                   for s in b.scenario.planted_secrets)


def test_scenario_specific_evidence(linux):
    """Spot checks that each failure shows the real component text it is about."""
    t = lambda name, path: linux[name].text(path)  # noqa: E731
    assert "Unable to register node \"" in t("al2-unauthorized", "kubelet/kubelet.log")  # printf-style klog
    assert "with API server: Unauthorized" in t("al2-unauthorized", "var_log/messages")
    assert 'err="Unauthorized"' in t("al2023-unauthorized-access-entry", "kubelet/kubelet.log")
    assert "Connection timed out after 3001 milliseconds" in t("al2-tls-handshake-timeout", "networking/curl_api_server.txt")
    assert "net/http: TLS handshake timeout" in t("al2-tls-handshake-timeout", "kubelet/kubelet.log")
    assert "default via" not in t("al2-no-route", "networking/iproute.txt")
    assert "default via" in t("al2-healthy", "networking/iproute.txt")
    assert "No cluster found for name: Prod-East." in t("al2-cluster-name-mismatch", "var_log/cloud-init-output.log")
    assert "Exhausted retries while describing cluster!" in t("al2-describe-cluster-throttled", "var_log/cloud-init-output.log")
    assert "bootstrap.sh has been removed from AL2023-based EKS AMIs." in t("al2023-legacy-userdata", "var_log/cloud-init-output.log")
    assert "could not find NodeConfig within UserData" in t("al2023-legacy-userdata", "nodeadm/nodeadm-config.log")
    assert "Dependency failed for nodeadm-run.service" in t("al2023-nodeconfig-invalid", "nodeadm/nodeadm-run.log")
    assert "nodeadm-config.service" in t("al2023-nodeconfig-invalid", "system/services.txt")
    assert re.search(r"nodeadm-config\.service\s+loaded\s+failed", t("al2023-nodeconfig-invalid", "system/services.txt"))
    assert "status=203/EXEC" in t("al2-kubelet-missing", "kubelet/kubelet.log")
    assert "kubelet-" not in t("al2-kubelet-missing", "system/pkglist.txt")
    assert "/etc/eks/bootstrap.sh: No such file or directory" in t("al2-not-eks-ami", "var_log/cloud-init-output.log")
    assert "AWS cloud failed to find ClusterID" in t("al2-missing-cluster-tag", "kubelet/kubelet.log")
    assert "InsufficientFreeAddressesInSubnet" in t("al2-ip-exhaustion", "var_log/aws-routed-eni/ipamd.log")
    assert "failed to assign an IP address to container" in t("al2-ip-exhaustion", "kubelet/kubelet.log")
    assert "UnauthorizedOperation" in t("al2023-missing-cni-policy", "var_log/aws-routed-eni/ipamd.log")
    assert "InvalidClientTokenId" in t("al2-sts-invalid-token", "var_log/cloud-init-output.log")
    assert "Signature expired" in t("al2023-sts-expired-clock", "var_log/cloud-init-output.log")
    assert "DEBUG retrying request EC2/DescribeInstances" in t("al2023-private-no-endpoints", "nodeadm/nodeadm-config.log")
    assert "getting credentials: exec: executable aws-iam-authenticator not found" in t("al2-credential-helper", "kubelet/kubelet.log")
    assert 'node \\"ip-10-0-3-17\\" not found' in t("al2-node-not-found-dhcp", "kubelet/kubelet.log")
    assert "Unhandled unknown content-type (application/node.eks.aws)" in t("al2023-healthy", "var_log/cloud-init.log")
    assert "failed to load cni during init" in t("al2-healthy", "containerd/containerd-log.txt")
    rotated = [p for p in linux["rh-old-ip-exhaustion-name-mismatch"].files if p.startswith("var_log/aws-routed-eni/ipamd-")]
    assert len(rotated) == 1 and rotated[0].endswith(".log.gz")


def test_red_herring_noise_outnumbers_the_cause(linux):
    log = linux["rh-node-not-found-but-unauthorized"].text("kubelet/kubelet.log")
    assert log.count("not found") > 5 * log.count("Unauthorized") > 0
    healthy = linux["rh-transient-refused-then-joined"].text("kubelet/kubelet.log")
    ok_at = healthy.index("Successfully registered node")
    assert healthy[:ok_at].count("connection refused") >= 7 and "TLS handshake timeout" in healthy[:ok_at]


def test_nodeadm_formats_are_both_used(linux):
    fmts = set()
    for b in linux.values():
        if b.scenario.family == "al2023":
            body = b.text("nodeadm/nodeadm-config.log").splitlines()[1].split("]: ", 1)[1]
            fmts.add("json" if body.startswith("{") else "console")
            if body.startswith("{"):
                json.loads(body)
            else:
                assert re.match(r"^(info|warn|error|fatal) \S+\.go:\d+ ", body), body
    assert fmts == {"json", "console"}


def test_windows_and_bottlerocket_layouts(generated):
    win = generated["windows-sample"].path
    assert re.match(r"^eks_i-[0-9a-f]{17}_\d{8}T\d{10}Z\.zip$", win.name)
    with zipfile.ZipFile(win) as zf:
        assert all(n.startswith("system\\") for n in zf.namelist())
        assert "system\\kubelet\\kubelet-service.csv" in zf.namelist()
    import tarfile
    with tarfile.open(generated["bottlerocket-sample"].path) as tar:
        names = tar.getnames()
    assert names[0] == "bottlerocket-logs" and "bottlerocket-logs/journalctl.log" in names


def test_scenario_table_is_complete():
    cats = {s.expected_category for s in SCENARIOS.values()}
    assert cats >= {"iam_auth", "sts_endpoint", "network_connectivity", "dns_config", "bootstrap_config",
                    "security_rules", "tagging", "ami_issue", "ip_exhaustion", "cni_plugin", "none"}
    assert sum(s.red_herring for s in SCENARIOS.values()) == 4
    assert all(s.has_context for s in SCENARIOS.values() if s.needs_context)
