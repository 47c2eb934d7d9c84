"""CLI faces: import, bundles, search, timeline, network (click CliRunner) and their exit codes."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import IID
from eksdoctor.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_import_and_bundles(workspace, tarball):
    res = run("import", str(tarball))
    assert res.exit_code == 0 and res.output.startswith(f"{IID}  imported:")
    assert "already imported" in run("import", str(tarball)).output
    listing = run("bundles")
    assert IID in listing.output and "al2" in listing.output
    data = json.loads(run("bundles", "--format", "json").output)
    assert data[0]["key"] == IID


def test_search_text_is_grep_like(workspace, tarball):
    res = run("search", str(tarball), "Unauthorized", "--file", "kubelet/*")
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[0].startswith("kubelet/kubelet.log:6: Jun 06 19:33:03")
    assert "\x1b[" not in res.stdout  # no colour when not a tty
    assert "3 matching lines" in res.stderr


def test_search_json_and_context(workspace, tarball):
    run("import", str(tarball))
    res = run("search", IID, "Attempting", "-C", "1", "--format", "json")
    data = json.loads(res.output)
    assert data["total"] == 1 and data["matches"][0]["before"] == [data["matches"][0]["before"][0]]
    text = run("search", IID, "Attempting", "-C", "1").stdout.splitlines()
    assert text[0].startswith("kubelet/kubelet.log-4- ") and text[1].startswith("kubelet/kubelet.log:5: ")


def test_exit_codes(workspace, tarball):
    bad = run("search", str(tarball), "(unclosed")
    assert bad.exit_code == 1 and "invalid regular expression" in bad.stderr
    unknown = run("search", "i-0nothere", "x")
    assert unknown.exit_code == 1 and "eksdoctor import" in unknown.stderr


def test_timeout_exit_code_4(workspace, tmp_path):
    from conftest import write_tarball

    t = write_tarball(tmp_path / "eks_i-0bbbbbbbbbbbbbbbb_2024-06-06_1940-UTC_0.7.8.tar.gz",
                      {"kubelet/kubelet.log": "a" * 30000 + "b\n"})
    res = run("search", str(t), "(a+)+$", "--timeout", "0.3")
    assert res.exit_code == 4 and res.stderr.count("\n") == 2  # one-line error + hint


def test_timeline_and_network_text(workspace, tarball):
    tl = run("timeline", str(tarball), "--pivot", "Unauthorized", "--window", "12")
    assert tl.exit_code == 0
    out = tl.stdout.splitlines()
    assert out[0].startswith("pivot 2024-06-06T19:33:03.828406Z  kubelet/kubelet.log:6")
    assert any("kubelet/kubelet.log:3  -- Reboot --" in line for line in out)
    net = run("network", str(tarball))
    assert net.exit_code == 0 and net.stdout.startswith("route to API endpoint: YES")
    assert "[iptables]" in net.stdout and "policy filter/OUTPUT DROP" in net.stdout
    data = json.loads(run("network", str(tarball), "--sections", "dns", "--format", "json").output)
    assert list(data["sections"]) == ["dns"]
    assert run("network", str(tarball), "--sections", "bogus").exit_code == 1


def test_help_texts_teach():
    for cmd in ("import", "bundles", "search", "timeline", "network"):
        res = run(cmd, "--help")
        assert res.exit_code == 0 and "Examples:" in res.output
