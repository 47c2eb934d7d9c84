"""Property: open_bundle on arbitrary bytes either works or raises an EksDoctorError, and never
writes outside its workdir."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import streamed_zip

from eksdoctor.bundle import Limits, open_bundle
from eksdoctor.errors import EksDoctorError

MAGICS = [b"", b"\x1f\x8b\x08\x00", b"\x1f\x8b", b"BZh9", b"\xfd7zXZ\x00", b"PK\x03\x04", b"PK\x05\x06"]
LIMITS = Limits(max_member_bytes=1 << 20, max_total_bytes=4 << 20, max_members=500)


FILES = [("./kernel/uname.txt", b"Linux 5.10.0.amzn2.x86_64\n"), ("./kubelet/kubelet.log", b"x\n" * 50)]


def _valid_tar() -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in FILES:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def _valid_zip() -> bytes:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in FILES:
            zf.writestr(name[2:].replace("/", "\\"), data)
    return raw.getvalue()


VALID = [gzip.compress(_valid_tar(), mtime=0), _valid_tar()[:3072], _valid_zip(),
         streamed_zip({name[2:]: data for name, data in FILES})]  # with data descriptors


def _mutate(valid: bytes, cut: int, edits: list[tuple[int, int]]) -> bytes:
    data = bytearray(valid[:cut])
    for pos, value in edits:
        if pos < len(data):
            data[pos] = value
    return bytes(data)


def _mutated() -> st.SearchStrategy[bytes]:
    """A valid tar.gz / tar / zip bundle, cut and/or with a few bytes overwritten (reaches deep
    into the parsers, where random bytes rarely get)."""
    return st.builds(_mutate, st.sampled_from(VALID), st.integers(0, 4096),
                     st.lists(st.tuples(st.integers(0, 3071), st.integers(0, 255)), max_size=4))


inputs = st.one_of(
    st.tuples(st.sampled_from(MAGICS), st.binary(max_size=2048)).map(b"".join),
    st.binary(max_size=600).map(lambda b: b.ljust(257, b"\0") + b"ustar\x0000" + b),  # tar-looking
    _mutated(),
)


def _tree(folder: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*")}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=inputs)
def test_arbitrary_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sentinel = Path(tmp)
        src = sentinel / "in.tar.gz"
        src.write_bytes(data)
        workdir = sentinel / "work"
        before = _tree(sentinel)
        try:
            with open_bundle(src, workdir, LIMITS) as bundle:
                for rel in bundle.files():
                    assert not (bundle.root / rel).is_symlink()
                    for _ in bundle.lines(rel):
                        pass
        except EksDoctorError as err:
            assert "\n" not in str(err)
        after = _tree(sentinel) - before
        assert all(Path(p).is_relative_to(workdir) for p in after)
        assert not any(os.path.isfile(p) for p in after), "extraction left files behind"


def test_gzip_header_cut_after_three_bytes(tmp_path: Path) -> None:
    """Found by the property above: tarfile raised TypeError on this input."""
    src = tmp_path / "cut.tar.gz"
    src.write_bytes(b"\x1f\x8b\x08")
    try:
        with open_bundle(src, tmp_path / "w", LIMITS):
            raise AssertionError("a 3-byte file cannot be a bundle")
    except EksDoctorError as err:
        assert "cut.tar.gz" in str(err)
