# ruff: noqa: E501  (tables of verbatim log lines)
"""Pasted lines, journal markers, year inference, odd bytes, file kinds and the non-journal formats."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from eksdoctor.models import LogLine
from eksdoctor.parsing import file_kind, parse_lines, parse_text, source_for_path
from eksdoctor.parsing.context import new_line

UTC = timezone.utc


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def one(path: str, text: str, year: int = 2024, **kw) -> LogLine:
    (line,) = list(parse_lines(path, [(1, text)], year=year, **kw))
    return line


# --- pasted lines: each sniffed on its own --------------------------------------------------------

PASTED = [
    # (line, ts, level, source, message, fmt)
    ('E0606 19:33:03.828406    3214 kubelet_node_status.go:96] "Unable to register node with API server" '
     'err="Unauthorized"', at(2024, 6, 6, 19, 33, 3, 828406), "error", "pasted",
     '"Unable to register node with API server" err="Unauthorized"', "klog"),
    ("kubelet[3214]: W0606 19:33:03.000001 3214 a.go:1] low disk", at(2024, 6, 6, 19, 33, 3, 1), "warning",
     "kubelet", "low disk", "ident+klog"),
    ("Jun 06 19:33:03 ip-10-0-1-23 kubelet: Flag --cloud-provider has been deprecated",
     at(2024, 6, 6, 19, 33, 3), None, "kubelet", "Flag --cloud-provider has been deprecated", "journal"),
    ('time="2024-06-06T19:33:03.5Z" level=error msg="PullImage \\"pause:3.5\\" failed" error="i/o timeout"',
     at(2024, 6, 6, 19, 33, 3, 500000), "error", "pasted",
     'PullImage "pause:3.5" failed error="i/o timeout"', "logfmt"),
    ('fatal cli/main.go:61 Command failed {"error": "could not find NodeConfig within UserData"}',
     None, "fatal", "pasted", 'Command failed {"error": "could not find NodeConfig within UserData"}',
     "nodeadm-console"),
    ('{"level":"dpanic","ts":1717700000.25,"caller":"x.go:1","msg":"boom"}',
     at(2024, 6, 6, 18, 53, 20, 250000), "fatal", "pasted", "boom", "nodeadm-json"),
    ("An error occurred (AccessDeniedException) when calling the DescribeCluster operation: User: "
     "arn:aws:sts::111122223333:assumed-role/node/i-0abc is not authorized to perform: eks:DescribeCluster",
     None, "error", "pasted", "An error occurred (AccessDeniedException) when calling the DescribeCluster "
     "operation: User: arn:aws:sts::111122223333:assumed-role/node/i-0abc is not authorized to perform: "
     "eks:DescribeCluster", "aws-cli"),
    # looks like klog at first sight; not klog, so the generic checks still run
    ("I2 An error occurred (Throttling) when calling the DescribeInstances operation (reached max retries: 2): "
     "Rate exceeded", None, "error", "pasted", "I2 An error occurred (Throttling) when calling the "
     "DescribeInstances operation (reached max retries: 2): Rate exceeded", "aws-cli"),
    ("2024-06-06T19:33:03+0000 [eks-bootstrap] ERROR: Exhausted retries while describing cluster!",
     at(2024, 6, 6, 19, 33, 3), "error", "eks-bootstrap", "Exhausted retries while describing cluster!",
     "bootstrap"),
    ("[INFO] plugin/reload: Running configuration SHA512 = 591cf3", None, "info", "pasted",
     "plugin/reload: Running configuration SHA512 = 591cf3", "bracket-level"),
    ("curl: (28) Connection timed out after 3001 milliseconds", None, "error", "pasted",
     "curl: (28) Connection timed out after 3001 milliseconds", "curl"),
    ("kubelet.service: Main process exited, code=exited, status=1/FAILURE", None, "error", "systemd",
     "kubelet.service: Main process exited, code=exited, status=1/FAILURE", "systemd"),
    ("Unable to register node with API server", None, None, "pasted",
     "Unable to register node with API server", "raw"),
    ("", None, None, "pasted", "", "raw"),
]


@pytest.mark.parametrize(("text", "ts", "level", "source", "message", "fmt"), PASTED)
def test_pasted_line(text, ts, level, source, message, fmt):
    (got,) = parse_text(text, year=2024) if text else parse_text("\n", year=2024)
    assert (got.ts, got.level, got.source, got.message, got.fmt) == (ts, level, source, message, fmt)
    assert got.raw == text


def test_parse_text_numbers_lines_and_keeps_blank_ones():
    lines = parse_text("a\n\nb\r\nc\n", year=2024)
    assert [(l.lineno, l.raw) for l in lines] == [(1, "a"), (2, ""), (3, "b"), (4, "c")]
    assert parse_text("", year=2024) == []


def test_structured_klog_with_escaped_quotes():
    got = one("kubelet/kubelet.log",
              'Jun 06 19:33:03 h kubelet[1]: E0606 19:33:03.000001 1 kubelet.go:2855] "Error getting node" '
              'err="node \\"ip-10-0-1-23.ec2.internal\\" not found" attempt=3')
    assert got.fields == {"msg": "Error getting node", "caller": "kubelet.go:2855",
                          "err": 'node "ip-10-0-1-23.ec2.internal" not found', "attempt": "3"}


# --- journal markers ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message", "marker"), [
    ("-- No entries --", "No entries", "no_entries"),
    ("-- Reboot --", "Reboot", "reboot"),
    ("-- Boot 3f2a9c1e0b6d4f7a8e5c2b1d0f9e8a7b --", "Boot 3f2a9c1e0b6d4f7a8e5c2b1d0f9e8a7b", "boot"),
    ("-- Journal begins at Mon 2024-06-03 10:00:00 UTC, ends at Thu 2024-06-06 19:40:00 UTC. --",
     "Journal begins at Mon 2024-06-03 10:00:00 UTC, ends at Thu 2024-06-06 19:40:00 UTC.", "journal_begins"),
])
def test_markers(text, message, marker):
    for got in (one("nodeadm/nodeadm-run.log", text), parse_text(text, year=2024)[0]):
        assert (got.fmt, got.source, got.level, got.ts, got.message) == ("journal-marker", "journal", None,
                                                                          None, message)
        assert got.fields["marker"] == marker
    if marker == "boot":
        assert got.fields["boot_id"] == "3f2a9c1e0b6d4f7a8e5c2b1d0f9e8a7b"


# --- year inference -------------------------------------------------------------------------------

def test_dec_to_jan_rollover_uses_collection_time():
    ref = at(2025, 1, 2, 10, 0, 0)
    lines = [
        "Dec 30 23:59:58 h kubelet[1]: I1230 23:59:58.100000 1 a.go:1] old year",
        "Dec 31 23:59:59 h systemd[1]: Started kubelet.",
        "Jan 02 09:00:00 h kubelet[1]: I0102 09:00:00.000000 1 a.go:1] same day",
        "Jan 03 05:00:00 h systemd[1]: within a day of ref (clock skew)",
        "Jan 05 00:00:00 h systemd[1]: after ref: last year",
    ]
    got = list(parse_lines("kubelet/kubelet.log", enumerate(lines, 1), year=2025, ref=ref))
    assert [l.ts.year for l in got] == [2024, 2024, 2025, 2025, 2024]
    assert got[0].ts == at(2024, 12, 30, 23, 59, 58, 100000)
    # without ref the year is taken as given
    assert [l.ts.year for l in parse_lines("kubelet/kubelet.log", enumerate(lines, 1), year=2025)] == [2025] * 5


def test_feb_29_in_a_non_leap_year_does_not_crash():
    text = "Feb 29 12:00:00 h kubelet[1]: I0229 12:00:00.000001 1 a.go:1] leap"
    assert one("kubelet/kubelet.log", text, year=2025).ts == at(2024, 2, 29, 12, 0, 0, 1)  # year-1 is leap
    got = one("kubelet/kubelet.log", text, year=2023)  # neither 2023 nor 2022 has Feb 29
    assert got.ts is None and got.level == "info" and got.message == "leap"
    assert one("kubelet/kubelet.log", "Feb 29 12:00:00 h systemd[1]: x", year=2023).ts is None


def test_impossible_stamps_give_no_time():
    got = one("kubelet/kubelet.log", "Feb 18 25:61:00 h kubelet[1]: I0218 25:61:00.000000 1 a.go:1] x", year=2024)
    assert got.ts is None and got.fmt == "journal+klog"


# --- odd bytes ------------------------------------------------------------------------------------

def test_crlf_nul_and_replacement_characters():
    text = "Jun 06 19:33:03 h kubelet[1]: E0606 19:33:03.000002 1 a.go:1] bad \x00 byte \ufffd\ufffd here\r"
    got = one("kubelet/kubelet.log", text, year=2024)
    assert got.raw == text[:-1] and got.message == "bad \x00 byte \ufffd\ufffd here"
    assert got.ts == at(2024, 6, 6, 19, 33, 3, 2) and got.level == "error"
    garbage = one("kubelet/kubelet.log", "\x00\x00\ufffd\ufffd\x1b[31m", year=2024)
    assert (garbage.fmt, garbage.ts, garbage.level) == ("raw", None, None)
    assert garbage.source == "kubelet"


# --- systemd unit failures ------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "level"), [
    ("Failed to start Kubernetes Kubelet.", "error"),
    ("kubelet.service: Failed with result 'exit-code'.", "error"),
    ("nodeadm-config.service: Main process exited, code=exited, status=203/EXEC", "error"),
    ("kubelet.service: Main process exited, code=exited, status=1/FAILURE", "error"),
    ("Dependency failed for EKS Nodeadm Run.", "error"),
    ("kubelet.service: Main process exited, code=exited, status=0/SUCCESS", None),
    ("Started Kubernetes Kubelet.", None),
])
def test_systemd_failure_levels(body, level):
    got = one("nodeadm/nodeadm-run.log", f"Apr 22 19:51:32 localhost systemd[1]: {body}", year=2025)
    assert (got.source, got.level, got.message) == ("systemd", level, body)


def test_systemd_exec_helper_identifier():
    got = one("nodeadm/nodeadm-config.log",
              "Apr 22 19:51:32 localhost (nodeadm)[1748]: nodeadm-config.service: Failed at step EXEC spawning "
              "/usr/bin/nodeadm: Permission denied", year=2025)
    assert (got.source, got.level, got.fields) == ("systemd", "error", {"exec": "nodeadm"})


# --- file kinds and sources -----------------------------------------------------------------------

@pytest.mark.parametrize(("path", "kind", "source"), [
    ("kubelet/kubelet.log", "journal", "kubelet"),
    ("./kubelet/kubelet.log", "journal", "kubelet"),
    ("nodeadm/nodeadm-config.log", "journal", "nodeadm"),
    ("containerd/containerd-log.txt", "journal", "containerd"),
    ("sandbox-image/sandbox-image-log.txt", "journal", "sandbox-image"),
    ("networking/configure-multicard-interfaces.txt", "journal", "networking"),
    ("var_log/messages", "rsyslog", "syslog"),
    ("var_log/cloud-init-output.log", "cloud-init-output", "cloud-init-output"),
    ("var_log/cloud-init.log", "cloud-init-log", "cloud-init"),
    ("var_log/aws-routed-eni/ipamd.log", "zap-json", "ipamd"),
    ("var_log/aws-routed-eni/plugin.log", "zap-json", "cni-plugin"),
    ("var_log/aws-routed-eni/egress-v4-plugin.log", "zap-json", "egress-cni-plugin"),
    ("var_log/aws-routed-eni/ipamd-2024-06-06T19-40-00.000.log.gz", "zap-json", "ipamd"),
    ("var_log/aws-routed-eni/aws-vpc-cni-metadata.json", "text", "aws-vpc-cni-metadata"),
    ("var_log/kube-proxy.log", "klog", "kube-proxy"),
    ("var_log/aws-node-7xk2p_kube-system_aws-vpc-cni-init-" + "0f" * 32 + ".log", "cri", "aws-vpc-cni-init"),
    ("var_log/kube-system_aws-node-7xk2p_1b2c3d4e-0000-4a4a-8b8b-123456789abc/aws-node/0.log", "cri", "aws-node"),
    ("kernel/dmesg.current", "dmesg", "kernel"),
    ("kernel/dmesg.boot", "dmesg", "kernel"),
    ("kernel/dmesg.human.current", "dmesg-human", "kernel"),
    ("ipamd/metrics.json", "prometheus", "ipamd"),
    ("ipamd/enis.json", "text", "ipamd"),
    ("networking/curl_api_server.txt", "curl", "curl"),
    ("networking/iproute.txt", "text", "networking"),
    ("system/services.txt", "text", "system"),
    ("containerd/containerd.1234.stacks.log", "sniff", "containerd"),
    ("<pasted>", "sniff", "pasted"),
])
def test_file_kind_and_source(path, kind, source):
    assert file_kind(path) == kind
    assert source_for_path(path) == source


def test_text_files_stay_raw():
    got = one("networking/iproute.txt", "default via 10.0.0.1 dev eth0", year=2024)
    assert (got.fmt, got.ts, got.level, got.source) == ("raw", None, None, "networking")


# --- non-journal formats --------------------------------------------------------------------------

def test_prometheus_metrics():
    text = [
        "# HELP awscni_total_ip_addresses The total number of IP addresses",
        "# TYPE awscni_total_ip_addresses gauge",
        'awscni_eni_allocated{fn="ipamd"} 2',
        "awscni_total_ip_addresses 0",
        'awscni_ipamd_action_inprogress{fn="increaseIPPool",x="a\\"b"} 1e+00',
    ]
    got = list(parse_lines("ipamd/metrics.json", enumerate(text, 1), year=2024))
    assert got[0].fields == {"metric": "awscni_total_ip_addresses", "help": "The total number of IP addresses"}
    assert got[1].fields == {"metric": "awscni_total_ip_addresses", "type": "gauge"}
    assert got[2].fields == {"metric": "awscni_eni_allocated", "labels": {"fn": "ipamd"}, "value": 2.0}
    assert got[3].fields == {"metric": "awscni_total_ip_addresses", "labels": {}, "value": 0.0}
    assert got[4].fields["labels"] == {"fn": "increaseIPPool", "x": 'a"b'}
    assert {l.source for l in got} == {"ipamd"} and {l.fmt for l in got} == {"prometheus"}


def test_curl_headers_date_the_attempt_that_follows():
    text = [
        "* Trying before any header",
        "curling https://ABCD.gr7.us-east-1.eks.amazonaws.com (1 of 5) 2024-06-06T19:40:01.123UTC",
        "*   Trying 10.0.1.5:443...",
        "* Connection timed out after 3001 milliseconds",
        "curl: (28) Connection timed out after 3001 milliseconds",
        "curling https://ABCD.gr7.us-east-1.eks.amazonaws.com (2 of 5) 2024-06-06T19:40:05Z",
        "< HTTP/2 200",
    ]
    got = list(parse_lines("networking/curl_api_server.txt", enumerate(text, 1), year=2024))
    assert got[0].ts is None
    assert got[1].fields == {"url": "https://ABCD.gr7.us-east-1.eks.amazonaws.com", "attempt": 1, "attempts": 5}
    assert [l.ts for l in got[1:5]] == [at(2024, 6, 6, 19, 40, 1, 123000)] * 4
    assert got[4].level == "error" and got[4].fields == {"exit_code": 28}
    assert got[6].ts == at(2024, 6, 6, 19, 40, 5) and got[6].level is None
    assert {l.source for l in got} == {"curl"}


def test_cri_aws_node_zap_content():
    path = "var_log/aws-node-7xk2p_kube-system_aws-node-" + "ab" * 32 + ".log"
    got = one(path, '2024-06-06T19:35:00.123456789Z stdout F {"level":"error","ts":"2024-06-06T19:35:00.100Z",'
                    '"caller":"ipamd/ipamd.go:500","msg":"Unable to reach API Server"}', year=2024)
    assert (got.ts, got.level, got.source, got.message, got.fmt) == (
        at(2024, 6, 6, 19, 35, 0, 123456), "error", "aws-node", "Unable to reach API Server", "cri+zap-json")
    assert got.fields["stream"] == "stdout" and got.fields["caller"] == "ipamd/ipamd.go:500"


def test_docker_json_file_container_log():
    path = "var_log/kube-proxy-abcde_kube-system_kube-proxy-" + "cd" * 32 + ".log"
    got = one(path, '{"log":"E0606 19:35:00.000001       1 proxier.go:1] sync failed\\n","stream":"stderr",'
                    '"time":"2024-06-06T19:35:00.5Z"}', year=2024)
    assert (got.ts, got.level, got.source, got.message, got.fmt) == (
        at(2024, 6, 6, 19, 35, 0, 500000), "error", "kube-proxy", "sync failed", "docker-json+klog")


def test_dmesg_uptime_becomes_time_with_boot_time():
    boot = at(2024, 6, 6, 19, 30, 0)
    got = one("kernel/dmesg.current", "[   12.500000] ena 0000:00:05.0 eth0: Link up", year=2024, boot_time=boot)
    assert got.ts == at(2024, 6, 6, 19, 30, 12, 500000) and got.fields == {"uptime": 12.5}
    systemd = one("kernel/dmesg.current", "[    3.100000] systemd[1]: Failed to start Kubernetes Kubelet.",
                  year=2024)
    assert (systemd.source, systemd.level, systemd.ts) == ("systemd", "error", None)


def test_klog_file_and_syslog_without_hostname():
    got = one("var_log/kube-proxy.log", "I0606 19:35:00.000001       1 server.go:1] Using iptables Proxier",
              year=2024)
    assert (got.ts, got.level, got.source, got.fmt) == (at(2024, 6, 6, 19, 35, 0, 1), "info", "kube-proxy", "klog")


def test_snap_kubelet_iso_prefix_falls_back_to_sniffing():
    got = one("kubelet/kubelet.log", "2024-06-06T19:33:03Z kubelet-eks.daemon[3214]: E0606 19:33:03.000007 3214 "
                                     "a.go:1] Unauthorized", year=2024)
    assert (got.ts, got.level, got.source, got.message) == (
        at(2024, 6, 6, 19, 33, 3, 7), "error", "kubelet-eks.daemon", "Unauthorized")


# --- the fast LogLine constructor -----------------------------------------------------------------

def test_fast_constructor_builds_the_same_loglines():
    args = ("kubelet/kubelet.log", 3, at(2024, 1, 1), "kubelet", "info", "m", "r", "journal+klog", {"k": "v"})
    fast, real = new_line(*args), LogLine(*args)
    assert type(fast) is LogLine and fast == real and hash(LogLine(*args[:-1])) == hash(new_line(*args[:-1]))
    assert fast.fields == {"k": "v"} and new_line(*args[:7]).fmt == "raw"
    with pytest.raises(AttributeError):
        fast.message = "frozen"


def test_make_parser_matches_parse_lines_and_keeps_file_state():
    from eksdoctor.parsing import make_parser

    text = ["curling https://x (1 of 5) 2024-06-06T19:40:01Z", "* Trying 10.0.1.5:443...",
            "Jun 06 19:33:03 h kubelet[1]: I0606 19:33:03.000001 1 a.go:1] x\r"]
    parse = make_parser("networking/curl_api_server.txt", year=2024)
    assert [parse(n, t) for n, t in enumerate(text[:2], 1)] == list(
        parse_lines("networking/curl_api_server.txt", enumerate(text[:2], 1), year=2024))
    assert parse(2, text[1]).ts == at(2024, 6, 6, 19, 40, 1)
    kubelet = make_parser("kubelet/kubelet.log", year=2024)
    assert kubelet(1, text[2]) == one("kubelet/kubelet.log", text[2])
    assert kubelet(1, text[2]).raw == text[2][:-1]
