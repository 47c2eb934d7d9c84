"""Small bundle builders for tests/bundle (the hostile corpus lives in tests/hostile/make_corpus.py)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

AL2_UNAME = "Linux ip-10-0-1-23 5.10.219-208.866.amzn2.x86_64 #1 SMP x86_64 GNU/Linux\n"
AL2023_UNAME = "Linux ip-10-0-1-23 6.1.92-99.174.amzn2023.x86_64 #1 SMP x86_64 GNU/Linux\n"


def tar_bundle(path: Path, files: dict[str, str | bytes], prefix: str = "./", mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tar:
        if prefix == "./":  # the collector's `tar --directory=... .` lists "./" and every folder
            info = tarfile.TarInfo("./")
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        for name, data in files.items():
            raw = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(prefix + name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return path


def zip_bundle(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def streamed_zip(members: dict[str, bytes]) -> bytes:
    """A zip written to a pipe-like (non-seekable) stream: each member's sizes follow its data in a
    data descriptor, so a reader without the central directory must find each member's end itself."""

    class Sink(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b) -> int:
            self.data += b
            return len(b)

    sink = Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            with zf.open(name, "w") as f:
                f.write(data)
    return bytes(sink.data)


def dir_bundle(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, data in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode() if isinstance(data, str) else data)
    return root


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "ws" / "tmp"
