"""search: cold (tarball, directory) and warm (imported) paths give the same, correct answers."""

from __future__ import annotations

import time

import pytest

from conftest import IID, write_tarball
from eksdoctor import api
from eksdoctor.errors import InputError, SearchTimeout


@pytest.fixture(params=["tarball", "directory", "imported"])
def target(request, workspace, tarball, bundle_dir) -> str:
    if request.param == "tarball":
        return str(tarball)
    if request.param == "directory":
        return str(bundle_dir)
    api.import_bundle(tarball)
    return IID


def refs(result) -> list[str]:
    return [f"{m['path']}:{m['line']}" for m in result["matches"]]


def test_basic_search_order_and_fields(target):
    res = api.search(target, "Unauthorized")
    assert refs(res) == [
        "containerd/containerd-log.txt:2",
        "kubelet/kubelet.log:6", "kubelet/kubelet.log:7", "kubelet/kubelet.log:8",
        "var_log/cloud-init-output.log:5",
    ]
    assert res["total"] == 5 and res["returned"] == 5 and not res["truncated"]
    first = res["matches"][1]
    assert first["ts"] == "2024-06-06T19:33:03.828406Z" and first["level"] == "error"
    assert first["source"] == "kubelet" and "Unable to register node" in first["text"]
    assert res["matches"][-1]["ts"] is None  # untimed lines are kept without a time filter
    assert res["files_searched"] >= 10


def test_search_is_case_sensitive_unless_asked(target):
    assert api.search(target, "unauthorized")["total"] == 0
    assert api.search(target, "(?i)unauthorized")["total"] == 5


def test_file_glob(target):
    assert refs(api.search(target, "Unauthorized", file_glob="kubelet/*"))[0] == "kubelet/kubelet.log:6"
    assert api.search(target, "Unauthorized", file_glob="*.txt")["total"] == 1
    assert api.search(target, "Unauthorized", file_glob="kubelet.log,containerd/*")["total"] == 4


def test_since_until_absolute_and_relative(target):
    res = api.search(target, "Unauthorized", since="2024-06-06T19:33:04Z")
    assert refs(res) == ["containerd/containerd-log.txt:2", "kubelet/kubelet.log:8"]
    # collected at 19:40: "1m" = since 19:39 -> only the 19:39:58 line
    assert refs(api.search(target, "Unauthorized", since="1m")) == ["kubelet/kubelet.log:8"]
    assert refs(api.search(target, "Unauthorized", until="2024-06-06 19:33:03.9")) == [
        "kubelet/kubelet.log:6", "kubelet/kubelet.log:7"]
    with pytest.raises(InputError, match="neither an ISO time"):
        api.search(target, "x", since="yesterday")


def test_context_lines(target):
    res = api.search(target, "Attempting to register", context=2)
    (m,) = res["matches"]
    assert m["line"] == 5 and m["before"][0] == "-- Reboot --" and len(m["before"]) == 2
    assert len(m["after"]) == 2 and "Unable to register" in m["after"][0]
    last = api.search(target, "19:39:58", context=3)["matches"][0]
    assert len(last["before"]) == 3 and last["after"] == []


def test_paging(target):
    page1 = api.search(target, "Unauthorized", max_results=2)
    page2 = api.search(target, "Unauthorized", max_results=2, offset=2)
    page3 = api.search(target, "Unauthorized", max_results=2, offset=4)
    assert page1["truncated"] and page2["truncated"] and not page3["truncated"]
    assert refs(page1) + refs(page2) + refs(page3) == refs(api.search(target, "Unauthorized"))
    assert page3["total"] == 5 and page3["returned"] == 1 and page3["offset"] == 4


def test_invalid_regex_and_bad_options(target):
    with pytest.raises(InputError, match="invalid regular expression"):
        api.search(target, "Unable to (register")
    with pytest.raises(InputError):
        api.search(target, "x", max_results=-1)


def test_catastrophic_pattern_times_out(tmp_path, workspace):
    files = {"kubelet/kubelet.log": "ok\n" + "a" * 30000 + "b\n", "system/instance-id.txt": IID + "\n"}
    tarball = write_tarball(tmp_path / "eks_i-0aaaaaaaaaaaaaaaa_2024-06-06_1940-UTC_0.7.8.tar.gz", files)
    for target in (str(tarball), api.import_bundle(tarball)["key"]):
        start = time.perf_counter()
        with pytest.raises(SearchTimeout) as err:
            api.search(target, r"(a+)+$", timeout=0.5)
        assert time.perf_counter() - start < 2 * 0.5 + 1.0  # + extraction/IO, which is not regex time
        assert err.value.exit_code == 4 and "\n" not in str(err.value)


def test_pattern_without_literals_scans_everything(target):
    # no literal to pre-filter with: the index path must fall back to scanning all rows
    res = api.search(target, r"^\d{4}-\d{2}-\d{2}T")
    assert refs(res) == ["var_log/cloud-init-output.log:2", "var_log/cloud-init-output.log:3",
                         "var_log/cloud-init-output.log:4"]


def test_tiny_blocks_give_the_same_answer_as_the_index(workspace, tarball):
    """Block boundaries (before/after context carried across blocks) must not change anything."""
    from eksdoctor import bundle_lines

    warm_id = api.import_bundle(tarball)["key"]
    for pattern in ("Unauthorized", "register", r"^\S", "Reboot"):
        warm = api.search(warm_id, pattern, context=3)
        saved, bundle_lines._READ = bundle_lines._READ, 50  # a block every ~50 bytes
        try:
            cold = api.search(str(tarball), pattern, context=3)
        finally:
            bundle_lines._READ = saved
        assert cold["matches"] == warm["matches"] and cold["total"] == warm["total"], pattern


def test_fast_blocks_equal_bundle_lines(tmp_path, workspace):
    """text_blocks decodes exactly like Bundle.lines: CRLF, NUL, invalid UTF-8, empty lines, no final newline."""
    from eksdoctor import bundle_lines
    from eksdoctor.workspace import open_target

    raw = (b"plain\r\nnul\x00byte\n\nbad \xff\xfe utf8\n\xe2\x82\xac euro\ncr only\r\r\n" * 50) + b"last no newline"
    root = tmp_path / "odd"
    (root / "kubelet").mkdir(parents=True)
    (root / "kubelet" / "kubelet.log").write_bytes(raw)
    with open_target(str(root)) as bundle:
        expected = [t for _, t in bundle.lines("kubelet/kubelet.log")]
        for size in (7, 64, 1 << 20):
            bundle_lines._READ, saved = size, bundle_lines._READ
            try:
                got = []
                for first, block in bundle_lines.text_blocks(bundle, "kubelet/kubelet.log"):
                    assert first == len(got) + 1
                    got.extend(block.split("\n"))
            finally:
                bundle_lines._READ = saved
            assert got == expected, size


@pytest.mark.parametrize("pattern, options", [
    ("Unauthorized", {}),
    ("Unauthorized|i/o timeout", {}),
    ("Unauthorized", {"file_glob": "kubelet/*"}),
    ("Unauthorized", {"since": "2024-06-06T19:33:04Z"}),
])
def test_literal_totals_counted_in_sqlite_equal_the_full_count(workspace, tarball, monkeypatch, pattern, options):
    """Once the page is full, a plain-literal pattern's remaining matches are counted by SQLite
    (instr) instead of being fetched: the total must be exactly what confirming every row gives."""
    import eksdoctor.search as search_mod

    api.import_bundle(tarball)
    full = api.search(IID, pattern, max_results=10_000, **options)
    monkeypatch.setattr(search_mod, "_ROWS_PER_BATCH", 1)  # the page fills after the first batch
    paged = api.search(IID, pattern, max_results=1, **options)
    assert full["total"] >= 2  # so the page (of 1) fills before the last candidate
    assert paged["total"] == full["total"] and paged["matches"] == full["matches"][:1]
    assert paged["truncated"] is (full["total"] > 1)


@pytest.mark.parametrize("pattern", ["Unauthorized", "Unauthorized|i/o timeout", "register"])
@pytest.mark.parametrize("context", [0, 2])
def test_cold_literal_totals_counted_per_block_equal_the_full_count(workspace, tarball, monkeypatch, pattern, context):
    """Once the page is full, a cold search of plain literals counts each later block's matching lines
    in one pass instead of a span per match: same total, same page, with and without context."""
    from eksdoctor import bundle_lines

    full = api.search(str(tarball), pattern, max_results=10_000, context=context)
    monkeypatch.setattr(bundle_lines, "_READ", 50)  # many blocks, so most of the count is per block
    paged = api.search(str(tarball), pattern, max_results=1, context=context)
    assert full["total"] >= 2
    assert paged["total"] == full["total"] and paged["matches"] == full["matches"][:1]
