"""Every hostile/broken archive in make_corpus ends in a correct result, a labelled partial result,
or a one-line error with exit code 1, through open_bundle and through `eksdoctor triage`; nothing is
written outside the workspace; memory and time stay bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

import eksdoctor.errors as errors
from eksdoctor.bundle import Limits, open_bundle

sys.path.insert(0, str(Path(__file__).parent))
import make_corpus as corpus  # noqa: E402

EKSDOCTOR = Path(sys.executable).with_name("eksdoctor")
PEAK_RSS = Path(__file__).with_name("peak_rss.py")  # measures the CLI alone, not pytest
ESCAPE_MARKERS = ("escaped", "planted", "victim", "outside.txt")
CLI_MAX_RSS_KB = 400 * 1024   # the CLI must not load a member (or a 50 MB line) into memory
CLI_MAX_SECONDS = 60          # a hang guard, not a benchmark (the machine is shared)
BOMB_MAX_SECONDS = 10         # the ratio guard stops a 4 GiB bomb after ~8 MiB of output


def _params() -> list:
    return [pytest.param(case, id=case.name, marks=[pytest.mark.slow] if case.slow else [])
            for case in corpus.CASES]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Builds each case once per module, on first use, under a sentinel folder."""
    root = tmp_path_factory.mktemp("hostile")
    cache: dict[str, Path] = {}

    def get(case: corpus.Case) -> Path:
        if case.name not in cache:
            cache[case.name] = corpus.build(case, root / "sentinel" / "cases")
        return cache[case.name]

    get.sentinel = root / "sentinel"  # type: ignore[attr-defined]
    return get


def _snapshot(folder: Path, exclude: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        if Path(dirpath) == exclude or exclude in Path(dirpath).parents:
            continue
        for name in filenames + dirnames:
            p = Path(dirpath) / name
            if p == exclude:
                continue
            st = p.lstat()
            out[str(p)] = (st.st_size, st.st_mtime_ns)
    return out


def _escaped(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if any(m in p.name for m in ESCAPE_MARKERS)]


def _check_no_escape(sentinel: Path, workspace: Path, before: dict) -> None:
    assert _snapshot(sentinel, workspace) == before, "something outside the workspace changed"
    assert not _escaped(sentinel), "a hostile member was written somewhere"
    leftovers = [p for p in (workspace / "tmp").rglob("*")] if (workspace / "tmp").exists() else []
    assert not [p for p in leftovers if p.is_file()], f"extraction not cleaned up: {leftovers[:3]}"


@pytest.mark.parametrize("case", _params())
def test_open_bundle(case: corpus.Case, built, monkeypatch, tmp_path) -> None:
    src = built(case)
    sentinel = built.sentinel
    workspace = sentinel / f"ws-{tmp_path.name}"
    workdir = workspace / "tmp" / "open"
    before = _snapshot(sentinel, workspace)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    started = time.perf_counter()
    if case.outcome == "error":
        with pytest.raises(errors.EksDoctorError) as caught:
            with open_bundle(src, workdir):
                pass
        assert type(caught.value).__name__ == case.error
        assert caught.value.exit_code == 1
        message = str(caught.value)
        assert "\n" not in message and case.message in message
    else:
        with open_bundle(src, workdir) as bundle:
            info = bundle.info
            assert info.partial is (case.outcome == "partial")
            if case.outcome == "partial":
                assert case.message in info.partial_reason
            reasons = " | ".join(s.reason for s in info.skipped)
            for expected in case.skipped:
                assert expected in reasons
            for rel in case.files:
                assert bundle.exists(rel), rel
                assert next(iter(bundle.lines(rel)), None) is not None
            if case.family:
                assert info.family == case.family
            for rel in bundle.files():  # every extracted file is a regular file inside the workdir
                p = bundle.root / rel
                assert not p.is_symlink() and p.resolve().is_relative_to(workdir.resolve())
    if "bomb" in case.name:
        assert time.perf_counter() - started < BOMB_MAX_SECONDS
    _check_no_escape(sentinel, workspace, before)


@pytest.mark.parametrize("case", _params())
def test_cli_triage(case: corpus.Case, built, tmp_path) -> None:
    src = built(case)
    sentinel = built.sentinel
    workspace = sentinel / f"home-{tmp_path.name}"
    before = _snapshot(sentinel, workspace)
    env = {**os.environ, "EKSDOCTOR_HOME": str(workspace), **case.env}
    env.pop("EKSDOCTOR_DEBUG", None)
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    started = time.perf_counter()
    rss_file = tmp_path / "peak_rss_kb"
    with open(out, "wb") as fout, open(err, "wb") as ferr:
        proc = subprocess.run([sys.executable, str(PEAK_RSS), str(rss_file),
                               str(EKSDOCTOR), "triage", "--format", "json", str(src)],
                              stdout=fout, stderr=ferr, env=env, cwd=tmp_path)
    elapsed = time.perf_counter() - started
    stderr = err.read_text()
    peak_kb = int(rss_file.read_text())
    assert peak_kb < CLI_MAX_RSS_KB, f"peak RSS {peak_kb} KB"
    assert elapsed < (BOMB_MAX_SECONDS if "bomb" in case.name else CLI_MAX_SECONDS)
    assert "internal error" not in stderr and "Traceback" not in stderr
    if case.outcome == "error":
        assert proc.returncode == 1, stderr
        lines = stderr.splitlines()
        assert lines[0].startswith("eksdoctor: error: ") and case.message in lines[0]
        assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hint: ")), stderr
    else:
        assert proc.returncode == 0, stderr
        info = json.loads(out.read_text())["bundle"]
        assert info["partial"] is (case.outcome == "partial")
        if case.outcome == "partial":
            assert case.message in info["partial_reason"]
        reasons = " | ".join(s["reason"] for s in info["skipped"])
        for expected in case.skipped:
            assert expected in reasons
    _check_no_escape(sentinel, workspace, before)


def test_long_line_memory_bounded(built, tmp_path) -> None:
    """A single 50 MB line is read in chunks: peak Python memory stays near max_line_bytes."""
    case = next(c for c in corpus.CASES if c.name.startswith("long_line"))
    limits = Limits(max_line_bytes=1 << 20)
    with open_bundle(built(case), tmp_path / "w", limits) as bundle:
        tracemalloc.start()
        try:
            lines = [(n, len(text), text[-40:]) for n, text in bundle.lines("var_log/user-data.log")]
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert [n for n, _, _ in lines] == [1, 2]
    assert lines[0][2].endswith(f" [...truncated {(50 << 20) + len('userdata: ') - (1 << 20)} bytes]")
    assert lines[1][2] == "next line"
    assert peak < 6 * (1 << 20), f"peak {peak} bytes"


@pytest.mark.slow
def test_ten_million_lines_counted(built, tmp_path) -> None:
    case = next(c for c in corpus.CASES if c.name.startswith("ten_million"))
    with open_bundle(built(case), tmp_path / "w") as bundle:
        count, last = 0, ""
        for count, last in bundle.lines("kubelet/kubelet.log"):
            pass
    assert count == 10_000_000
    assert last.endswith("n=099999")


def test_bomb_limit_raised_by_env_reads_further(built, monkeypatch, tmp_path) -> None:
    """The env var named in the message really is the knob: with a huge ratio allowed, the same bomb
    is stopped by the total-size limit instead (set low here to keep the test cheap)."""
    case = next(c for c in corpus.CASES if c.name == "gzip_bomb.tar.gz")
    monkeypatch.setenv("EKSDOCTOR_MAX_RATIO", "1e9")
    monkeypatch.setenv("EKSDOCTOR_MAX_TOTAL_BYTES", str(64 << 20))
    monkeypatch.setenv("EKSDOCTOR_MAX_MEMBER_BYTES", str(8 << 30))
    with pytest.raises(errors.LimitExceeded, match="EKSDOCTOR_MAX_TOTAL_BYTES"):
        with open_bundle(built(case), tmp_path / "w"):
            pass
