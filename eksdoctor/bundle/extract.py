"""Safe, streaming extraction of untrusted bundle archives into a directory we own.

Never writes outside `dest`: absolute names, `..`, links, devices and FIFOs are skipped and recorded.
Limits (member size, total size, member count, compression ratio) are enforced while streaming, so a
bomb stops early. A truncated or corrupt archive keeps what was read before the damage (partial);
an archive with nothing readable is a BundleError.
"""

from __future__ import annotations

import os
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from eksdoctor.bundle.limits import Limits
from eksdoctor.errors import BundleError, LimitExceeded
from eksdoctor.models import SkippedMember

_COPY = 1 << 20


@dataclass
class ExtractResult:
    files: int = 0
    bytes: int = 0
    skipped: list[SkippedMember] = field(default_factory=list)
    partial_reason: str | None = None


def sniff(path: Path) -> str:
    """'gzip' | 'bzip2' | 'xz' | 'tar' | 'zip' | 'empty' | what it looks like otherwise."""
    with open(path, "rb") as f:
        head = f.read(512)
    if not head:
        return "empty"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:3] == b"BZh":
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "a PNG image"
    if head[:4] == b"%PDF":
        return "a PDF document"
    if all(32 <= b < 127 or b in (9, 10, 13) for b in head[:256]):
        return "plain text"
    return "unknown binary data"


def safe_name(raw: str, limits: Limits) -> tuple[str | None, str | None]:
    """Normalised relative name, or (None, reason) when the name is unsafe or unusable."""
    if "\x00" in raw:
        return None, "NUL byte in name"
    name = raw.replace("\\", "/")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return None, "name is not valid UTF-8"
    if len(encoded) > limits.max_name_bytes:
        return None, f"name longer than {limits.max_name_bytes} bytes"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None, "absolute path"
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None, "path traversal (..)"
    if not parts:
        return "", None
    return "/".join(parts), None


class _Counting:
    """Counts compressed bytes read, for the compression-ratio guard."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.count = raw, 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.count += len(data)
        return data


class _Writer:
    """Writes members under `dest`, enforcing limits and recording what is skipped."""

    def __init__(self, dest: Path, limits: Limits, counter: _Counting | None) -> None:
        self.dest = dest.resolve()
        self.limits = limits
        self.counter = counter
        self.result = ExtractResult()
        self.seen: set[str] = set()
        self.members = 0

    def check_count(self) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise LimitExceeded(f"more than {self.limits.max_members} members in the archive "
                                f"(raise EKSDOCTOR_MAX_MEMBERS to read more)")

    def skip(self, name: str, reason: str) -> None:
        if len(self.result.skipped) < 1000:  # a hostile archive must not grow this list without bound
            self.result.skipped.append(SkippedMember(name[:300], reason))

    def target(self, raw_name: str) -> tuple[Path | None, str]:
        name, reason = safe_name(raw_name, self.limits)
        if name is None:
            self.skip(raw_name, reason or "unsafe name")
            return None, ""
        if not name:
            return None, ""
        if name in self.seen:
            self.skip(name, "duplicate member name (first kept)")
            return None, name
        out = (self.dest / name)
        if not str(out.resolve()).startswith(str(self.dest) + os.sep):
            self.skip(name, "resolves outside the bundle")
            return None, name
        return out, name

    def write(self, raw_name: str, stream: BinaryIO, declared: int | None) -> None:
        out, name = self.target(raw_name)
        if out is None:
            return
        if declared is not None and declared > self.limits.max_member_bytes:
            self.skip(name, f"larger than {self.limits.max_member_bytes} bytes (EKSDOCTOR_MAX_MEMBER_BYTES)")
            return
        if out.is_dir():
            self.skip(name, "a directory of the same name exists")
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        self.seen.add(name)
        written = 0
        with open(out, "wb") as f:
            while True:
                chunk = stream.read(_COPY)
                if not chunk:
                    break
                written += len(chunk)
                self.result.bytes += len(chunk)
                if written > self.limits.max_member_bytes:
                    f.truncate(0)
                    self.skip(name, f"larger than {self.limits.max_member_bytes} bytes (EKSDOCTOR_MAX_MEMBER_BYTES)")
                    return
                self._check_totals()
                f.write(chunk)
        self.result.files += 1

    def mkdir(self, raw_name: str) -> None:
        name, _ = safe_name(raw_name, self.limits)
        if name:
            out = self.dest / name
            if str(out.resolve()).startswith(str(self.dest)):
                out.mkdir(parents=True, exist_ok=True)

    def _check_totals(self) -> None:
        total = self.result.bytes
        if total > self.limits.max_total_bytes:
            raise LimitExceeded(f"archive expands past {self.limits.max_total_bytes} bytes "
                                f"(raise EKSDOCTOR_MAX_TOTAL_BYTES to read more)")
        if self.counter is not None and total > self.limits.ratio_floor_bytes:
            ratio = total / max(self.counter.count, 1)
            if ratio > self.limits.max_ratio:
                raise LimitExceeded(f"compression ratio over {self.limits.max_ratio:.0f}:1 — looks like a "
                                    f"decompression bomb (raise EKSDOCTOR_MAX_RATIO if it is a real bundle)")


_TAR_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError, ValueError)


def extract_tar(src: Path, dest: Path, limits: Limits) -> ExtractResult:
    with open(src, "rb") as raw:
        counter = _Counting(raw)
        writer = _Writer(dest, limits, counter)
        try:
            with tarfile.open(fileobj=counter, mode="r|*") as tar:  # type: ignore[arg-type]
                for member in tar:
                    writer.check_count()
                    if member.isdir():
                        writer.mkdir(member.name)
                    elif member.isreg():
                        fobj = tar.extractfile(member)
                        if fobj is not None:
                            writer.write(member.name, fobj, member.size)
                    else:
                        kind = ("symlink" if member.issym() else "hard link" if member.islnk() else
                                "device file" if member.ischr() or member.isblk() else
                                "FIFO" if member.isfifo() else "special member")
                        writer.skip(member.name, f"{kind} not extracted")
        except LimitExceeded as err:
            return _partial_or_raise(writer.result, str(err), err)
        except _TAR_ERRORS as err:
            reason = f"archive is truncated or corrupt ({type(err).__name__}: {err})"
            return _partial_or_raise(writer.result, reason, BundleError(f"{src.name}: {reason}"))
    return writer.result


def extract_zip(src: Path, dest: Path, limits: Limits) -> ExtractResult:
    writer = _Writer(dest, limits, None)
    try:
        with zipfile.ZipFile(src) as zf:
            for info in zf.infolist():
                writer.check_count()
                if info.is_dir():
                    writer.mkdir(info.filename)
                    continue
                mode = (info.external_attr >> 16) & 0o170000
                if mode and mode not in (0o100000,):
                    writer.skip(info.filename, "symlink or special file not extracted")
                    continue
                if info.file_size > limits.max_member_bytes:
                    writer.skip(info.filename, f"larger than {limits.max_member_bytes} bytes")
                    continue
                if info.compress_size and info.file_size / max(info.compress_size, 1) > limits.max_ratio \
                        and info.file_size > limits.ratio_floor_bytes:
                    raise LimitExceeded(f"{info.filename}: compression ratio over {limits.max_ratio:.0f}:1 "
                                        "(decompression bomb?)")
                with zf.open(info) as member:
                    writer.write(info.filename, member, info.file_size)
    except LimitExceeded as err:
        return _partial_or_raise(writer.result, str(err), err)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as err:
        reason = f"zip archive is truncated or corrupt ({type(err).__name__}: {err})"
        return _partial_or_raise(writer.result, reason, BundleError(f"{src.name}: {reason}"))
    return writer.result


def _partial_or_raise(result: ExtractResult, reason: str, err: Exception) -> ExtractResult:
    if result.files == 0:
        raise err
    result.partial_reason = reason
    return result
