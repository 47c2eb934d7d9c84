"""Safe, streaming extraction of untrusted bundle archives into a directory we own.

Never writes outside `dest`: absolute names, `..`, links, devices and FIFOs are skipped and recorded.
Limits (member size, total size, member count, compression ratio) are enforced while streaming, so a
bomb stops early. A truncated or corrupt archive keeps what was read before the damage (partial);
an archive with nothing readable is a BundleError.
"""

from __future__ import annotations

import errno
import lzma
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from eksdoctor.bundle.limits import Limits
from eksdoctor.bundle.zip_local import local_members
from eksdoctor.errors import BundleError, LimitExceeded, WorkspaceError
from eksdoctor.models import SkippedMember

_COPY = 1 << 20
_MAX_SKIPPED_LISTED = 1000  # a hostile archive must not grow the skipped list without bound
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


@dataclass
class ExtractResult:
    files: int = 0
    bytes: int = 0
    skipped: list[SkippedMember] = field(default_factory=list)
    skipped_total: int = 0
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
    name = raw.replace("\\", "/")  # Windows Compress-Archive writes backslashes
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:  # tarfile's surrogateescape of non-UTF-8 bytes
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
    """Counts compressed bytes consumed, for the compression-ratio guard."""

    def __init__(self, raw: BinaryIO | None = None) -> None:
        self.raw, self.count = raw, 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)  # type: ignore[union-attr]
        self.count += len(data)
        return data


class _Writer:
    """Writes members under `dest`, enforcing limits and recording what is skipped.

    Every member's data is read through `_pump`, even when the member is skipped: letting tarfile
    skip it would decompress it unguarded (a 4 GB bomb member behind a bad name takes minutes).
    """

    def __init__(self, dest: Path, limits: Limits, counter: _Counting) -> None:
        self.dest = dest.resolve()
        self.limits = limits
        self.counter = counter
        self.result = ExtractResult()
        self.seen: set[str] = set()
        self.made_dirs: set[Path] = {self.dest}
        self.members = 0
        self.expanded = 0  # decompressed bytes, written or discarded: what the ratio guard compares
        self.current: str | None = None  # the member being written, for "cut short" reports

    def check_count(self) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise LimitExceeded(f"more than {self.limits.max_members} members in the archive "
                                f"(limit max_members; raise EKSDOCTOR_MAX_MEMBERS to read more)")

    def skip(self, name: str, reason: str) -> None:
        self.result.skipped_total += 1
        if len(self.result.skipped) < _MAX_SKIPPED_LISTED:
            self.result.skipped.append(SkippedMember(_printable(name)[:300], reason))

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
        # `name` has no "..", is relative, and we never create links: dest / name stays inside dest.
        return self.dest / name, name

    def write(self, raw_name: str, stream: BinaryIO, declared: int | None) -> None:
        """Copy one member's data to its file, or drain it (guarded) when the member is skipped."""
        out, name = self.target(raw_name)
        if out is None:
            self._pump(stream, None)
            return
        if declared is not None and declared > self.limits.max_member_bytes:
            self.skip(name, _too_big(self.limits))
            self._pump(stream, None)
            return
        try:
            if out.parent not in self.made_dirs:
                out.parent.mkdir(parents=True, exist_ok=True)
                self.made_dirs.add(out.parent)
            f = open(out, "xb")
        except OSError as err:  # a file where a folder should be, a name the filesystem refuses
            self._write_failed(name, err)
            self._pump(stream, None)
            return
        self.seen.add(name)
        self.current = name
        with f:
            try:
                kept = self._pump(stream, f)
            except LimitExceeded:  # a bomb: drop its partial output, never hand it on as a file
                f.close()
                out.unlink()
                self.skip(name, "extraction stopped at a limit while writing it")
                raise
            except OSError as err:
                if err.errno not in _DISK_FULL and not isinstance(err, _WriteError):
                    raise  # a read error: the archive itself is damaged
                f.close()
                out.unlink()
                self._write_failed(name, err)
                self._pump(stream, None)
                self.current = None
                return
        self.current = None
        if not kept:
            out.unlink()
            self.skip(name, _too_big(self.limits))
            return
        self.result.files += 1

    def _pump(self, stream: BinaryIO, f: BinaryIO | None) -> bool:
        """Copy `stream` to `f` (or discard it when `f` is None) under the limits. False when the
        member outgrew max_member_bytes (the rest is then discarded)."""
        written = 0
        while True:
            chunk = stream.read(_COPY)  # read errors (corrupt data) propagate to the caller
            if not chunk:
                return True
            self.expanded += len(chunk)
            self._check_ratio()
            if f is None:
                continue
            written += len(chunk)
            if written > self.limits.max_member_bytes:
                self.result.bytes -= written - len(chunk)
                self._pump(stream, None)
                return False
            self.result.bytes += len(chunk)
            if self.result.bytes > self.limits.max_total_bytes:
                raise LimitExceeded(f"archive expands past {self.limits.max_total_bytes} bytes "
                                    f"(limit max_total_bytes; raise EKSDOCTOR_MAX_TOTAL_BYTES to read more)")
            try:
                f.write(chunk)
            except OSError as err:
                raise _WriteError(err.errno, err.strerror) from err

    def _write_failed(self, name: str, err: OSError) -> None:
        if err.errno in _DISK_FULL:
            raise WorkspaceError(f"disk full while extracting {name!r} into {self.dest}",
                                 hint="free space or point EKSDOCTOR_HOME at a larger disk") from err
        self.skip(name, f"cannot be written ({err.strerror or type(err).__name__})")

    def mkdir(self, raw_name: str) -> None:
        name, _ = safe_name(raw_name, self.limits)
        if name:
            out = self.dest / name
            try:
                out.mkdir(parents=True, exist_ok=True)
                self.made_dirs.add(out)
            except OSError as err:
                self._write_failed(name, err)

    def _check_ratio(self) -> None:
        if self.expanded > self.limits.ratio_floor_bytes:
            ratio = self.expanded / max(self.counter.count, 1)
            if ratio > self.limits.max_ratio:
                raise LimitExceeded(f"compression ratio over {self.limits.max_ratio:g}:1, looks like a "
                                    f"decompression bomb (limit max_ratio; raise EKSDOCTOR_MAX_RATIO "
                                    f"if it is a real bundle)")


class _WriteError(OSError):
    """Writing an extracted file failed (as opposed to reading the archive)."""


def _too_big(limits: Limits) -> str:
    return f"larger than {limits.max_member_bytes} bytes (raise EKSDOCTOR_MAX_MEMBER_BYTES)"


def _printable(name: str) -> str:
    return name.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


# What the decompressors and archive parsers raise on damaged or hostile input (TypeError: tarfile
# on a gzip header cut after 3 bytes; RuntimeError/NotImplementedError: zipfile on odd members).
_DATA_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError, OSError,
                ValueError, struct.error, OverflowError, NotImplementedError, RuntimeError, TypeError)


def extract_tar(src: Path, dest: Path, limits: Limits) -> ExtractResult:
    """Stream a (gzip/bzip2/xz compressed) tar into `dest`."""
    with open(src, "rb") as raw:
        counter = _Counting(raw)
        writer = _Writer(dest, limits, counter)
        try:
            with tarfile.open(fileobj=counter, mode="r|*", encoding="utf-8") as tar:  # type: ignore[call-overload]
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
            return _finish(writer.result, str(err), err)
        except WorkspaceError:
            raise
        except _DATA_ERRORS as err:
            if writer.members == 0 and isinstance(err, tarfile.ReadError):
                kind = sniff(src)
                what = "tar" if kind == "tar" else f"{kind}-compressed data but not a tar archive inside"
                raise BundleError(f"{src.name} is {what}: cannot read it as a bundle ({err})") from err
            reason = _damage(err, writer.current)
            return _finish(writer.result, reason, BundleError(f"{src.name}: {reason}"))
    return _finish(writer.result, None, None)


def extract_zip(src: Path, dest: Path, limits: Limits) -> ExtractResult:
    """Extract a zip (the Windows collector's output) member by member into `dest`. A zip cut short
    has no central directory: its members are then recovered from their local headers (partial)."""
    counter = _Counting()  # fed with each member's compressed size before it is inflated
    writer = _Writer(dest, limits, counter)

    def members() -> None:
        try:
            zf = zipfile.ZipFile(src)
        except zipfile.BadZipFile as err:  # before any member: nothing was written yet
            raise _NoCentralDirectory from err
        with zf:
            for info in zf.infolist():
                writer.check_count()
                if info.is_dir():
                    writer.mkdir(info.filename)
                    continue
                mode = (info.external_attr >> 16) & 0o170000
                if mode and mode != 0o100000:
                    writer.skip(info.filename, "symlink or special file not extracted")
                    continue
                if info.flag_bits & 0x1:
                    writer.skip(info.filename, "encrypted member not extracted")
                    continue
                counter.count += info.compress_size
                with zf.open(info) as member:
                    writer.write(info.filename, member, info.file_size)

    try:
        return _zip_guarded(src, writer, members, None)
    except _NoCentralDirectory:
        if sniff(src) == "zip":
            return _extract_zip_local(src, dest, limits)
        raise BundleError(f"{src.name} is not a readable zip archive") from None


class _NoCentralDirectory(Exception):
    """zipfile cannot open the archive at all (its central directory is missing or unreadable).
    Not one of _DATA_ERRORS, so it passes _zip_guarded and the local-header walk takes over."""


class _Position:
    """Compressed bytes consumed = the position in the archive file (for the ratio guard)."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f

    @property
    def count(self) -> int:
        return self.f.tell()


def _extract_zip_local(src: Path, dest: Path, limits: Limits) -> ExtractResult:
    """A zip without its central directory (truncated upload): walk the local headers."""
    with open(src, "rb") as raw:
        writer = _Writer(dest, limits, _Position(raw))  # type: ignore[arg-type]

        def members() -> None:
            for member, stream in local_members(raw):
                writer.check_count()
                if member.name.endswith(("/", "\\")):
                    writer.mkdir(member.name)
                elif member.encrypted:
                    writer.skip(member.name, "encrypted member not extracted")
                else:
                    writer.write(member.name, stream, member.file_size or None)

        return _zip_guarded(src, writer, members,
                            "zip archive is truncated (no central directory): members were read from their local headers")


def _zip_guarded(src: Path, writer: _Writer, members, partial_reason: str | None) -> ExtractResult:
    """Run `members` (it writes each member through `writer`); a limit or damage ends it with a
    partial result (or an error when nothing was read). `partial_reason` labels a result that is
    partial even when the walk ends cleanly."""
    try:
        members()
    except LimitExceeded as err:
        return _finish(writer.result, str(err), err)
    except WorkspaceError:
        raise
    except _DATA_ERRORS as err:
        partial_reason = _damage(err, writer.current, "zip archive")
    if partial_reason is None:
        return _finish(writer.result, None, None)
    if writer.members == 0:
        raise BundleError(f"{src.name}: {partial_reason}; no member could be read")
    return _finish(writer.result, partial_reason, BundleError(f"{src.name}: {partial_reason}"))


def _damage(err: BaseException, current: str | None, what: str = "archive") -> str:
    detail = str(err).splitlines()[0][:200] if str(err) else ""
    cut = f"; {current} is cut short" if current else ""
    return f"{what} is truncated or corrupt ({type(err).__name__}: {detail}){cut}"


def _finish(result: ExtractResult, reason: str | None, err: Exception | None) -> ExtractResult:
    """Partial result when something was read before the damage/limit; the error when nothing was."""
    if result.skipped_total > len(result.skipped):
        result.skipped.append(SkippedMember("...", f"{result.skipped_total - len(result.skipped)} more "
                                                   "skipped members not listed"))
    if err is None:
        return result
    if result.files == 0:
        raise err
    result.partial_reason = reason
    return result
