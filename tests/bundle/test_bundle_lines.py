"""Bundle.lines: numbering, CRLF, NUL, bad UTF-8, over-long lines, chunk boundaries."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import dir_bundle
from hypothesis import given, settings
from hypothesis import strategies as st

from eksdoctor.bundle import Limits, open_bundle
from eksdoctor.bundle.lines import iter_lines


def _reference(data: bytes, limit: int) -> list[tuple[int, str]]:
    """The obvious (memory-hungry) definition that iter_lines must match."""
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    out = []
    for n, raw in enumerate(raw_lines, 1):
        raw = raw[:-1] if raw.endswith(b"\r") else raw
        text = raw[:limit].decode("utf-8", "replace").replace("\x00", "\ufffd")
        out.append((n, text + (f" [...truncated {len(raw) - limit} bytes]" if len(raw) > limit else "")))
    return out


def test_lines_in_a_bundle(tmp_path: Path) -> None:
    data = b"one\r\ntwo\x00nul\n\xe9\xff latin1\n\nstray\rcr\r\r\nlast-no-newline"
    root = dir_bundle(tmp_path / "b", {"kubelet/kubelet.log": data})
    with open_bundle(root, tmp_path / "w") as bundle:
        assert list(bundle.lines("kubelet/kubelet.log")) == [
            (1, "one"), (2, "two\ufffdnul"), (3, "\ufffd\ufffd latin1"), (4, ""), (5, "stray\rcr\r"),
            (6, "last-no-newline")]


def test_long_line_is_cut_and_marked(tmp_path: Path) -> None:
    root = dir_bundle(tmp_path / "b", {"f.log": b"a" * 100 + b"\r\nshort\n"})
    with open_bundle(root, tmp_path / "w", Limits(max_line_bytes=10)) as bundle:
        assert list(bundle.lines("f.log")) == [(1, "a" * 10 + " [...truncated 90 bytes]"), (2, "short")]


def test_empty_file_has_no_lines(tmp_path: Path) -> None:
    root = dir_bundle(tmp_path / "b", {"f.log": b"", "g.log": b"x"})
    with open_bundle(root, tmp_path / "w") as bundle:
        assert list(bundle.lines("f.log")) == []


@settings(max_examples=500, deadline=None)
@given(chunk=st.sampled_from([1, 2, 3, 7, 1 << 20]), data=st.lists(st.sampled_from([b"a", b"\n", b"\r", b"\r\n", b"\x00", b"\xff", "é".encode(), b"xyz"]),
                     max_size=40).map(b"".join),
       limit=st.integers(min_value=1, max_value=12))
def test_matches_reference_across_chunk_boundaries(chunk: int, data: bytes, limit: int) -> None:
    assert list(iter_lines(io.BytesIO(data), limit, chunk)) == _reference(data, limit)
