"""Read a zip whose central directory is missing (a truncated upload) from its local headers.

A zip lists its members at the very end, so `zipfile` cannot open an archive cut short at all, even
though every member before the cut is intact. Walking the local file headers from the start, as
`unzip -F` does, recovers those members; the member the cut lands in raises (the caller reports the
result as partial). Only what the Windows collector's Compress-Archive writes is supported: stored
and deflated members, with or without a trailing data descriptor.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

_LOCAL = b"PK\x03\x04"
_DESCRIPTOR = b"PK\x07\x08"
_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile.structFileHeader
_STORED, _DEFLATED = 0, 8
_CHUNK = 1 << 20


class TruncatedMember(EOFError):
    """The archive ends inside a member."""


@dataclass
class LocalMember:
    name: str
    flag_bits: int
    method: int
    compress_size: int   # 0 when a data descriptor follows (sizes unknown up front)
    file_size: int

    @property
    def has_descriptor(self) -> bool:
        return bool(self.flag_bits & 0x8)

    @property
    def encrypted(self) -> bool:
        return bool(self.flag_bits & 0x1)


def local_members(raw: BinaryIO) -> Iterator[tuple[LocalMember, BinaryIO]]:
    """Yield (member, data stream) for each local header in order; stop at the first non-header (the
    central directory, or garbage). The caller must read each stream to its end (or call drain) before
    asking for the next member. Raises TruncatedMember when the file ends inside a header or member."""
    while True:
        head = raw.read(_HEADER.size)
        if len(head) < 4 or head[:4] != _LOCAL:
            return
        if len(head) < _HEADER.size:
            raise TruncatedMember("archive ends inside a local file header")
        (_sig, _ver, _sys, flags, method, _t, _d, _crc, csize, fsize, name_len, extra_len) = _HEADER.unpack(head)
        name_bytes = raw.read(name_len)
        extra = raw.read(extra_len)
        if len(name_bytes) < name_len or len(extra) < extra_len:
            raise TruncatedMember("archive ends inside a local file header")
        name = name_bytes.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        if 0xFFFFFFFF in (csize, fsize):
            fsize, csize = _zip64_sizes(extra, fsize, csize)
        member = LocalMember(name, flags, method, csize, fsize)
        stream = _MemberStream(raw, member)
        yield member, stream
        stream.drain()


def _zip64_sizes(extra: bytes, fsize: int, csize: int) -> tuple[int, int]:
    """Sizes from the zip64 extra field (id 1: original size, then compressed size, each only when
    the header field holds 0xFFFFFFFF)."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack_from("<2H", extra, pos)
        if tag == 1:
            values = list(struct.unpack_from(f"<{size // 8}Q", extra, pos + 4))
            if fsize == 0xFFFFFFFF and values:
                fsize = values.pop(0)
            if csize == 0xFFFFFFFF and values:
                csize = values.pop(0)
            break
        pos += 4 + size
    return fsize, csize


class _MemberStream:
    """The decompressed bytes of one member, read in chunks (read(n) like a file)."""

    def __init__(self, raw: BinaryIO, member: LocalMember) -> None:
        self.raw, self.member = raw, member
        self.left = None if member.has_descriptor else member.compress_size
        self.inflater = zlib.decompressobj(-15) if member.method == _DEFLATED else None
        self.done = False
        if member.method not in (_STORED, _DEFLATED) or (member.has_descriptor and self.inflater is None):
            # Sizes unknown and no deflate stream to find the end by: the walk cannot go on safely.
            raise TruncatedMember(f"{member.name}: unsupported zip member (method {member.method})")

    def read(self, n: int = -1) -> bytes:
        while not self.done:
            data = self._next_compressed()
            if self.inflater is None:
                return data
            out = self.inflater.decompress(data)
            if self.inflater.eof:
                self._finish_deflate()
            if out:
                return out
        return b""

    def _next_compressed(self) -> bytes:
        if self.left is not None:
            if self.left == 0:
                self.done = True
                return b""
            data = self.raw.read(min(_CHUNK, self.left))
            if not data:
                raise TruncatedMember(f"archive ends inside {self.member.name}")
            self.left -= len(data)
            return data
        data = self.raw.read(_CHUNK)  # sizes in a trailing descriptor: the deflate stream ends it
        if not data:
            raise TruncatedMember(f"archive ends inside {self.member.name}")
        return data

    def _finish_deflate(self) -> None:
        """The deflate stream ended: give back what was read past it, skip a data descriptor."""
        self.done = True
        unused = self.inflater.unused_data  # type: ignore[union-attr]
        if self.left is not None:
            unused += self.raw.read(self.left)  # stored size beyond the stream (should be none)
            self.left = 0
        if self.member.has_descriptor:
            tail = unused + self.raw.read(max(0, 16 - len(unused)))
            skip = 16 if tail[:4] == _DESCRIPTOR else 12
            unused = tail[skip:]
        if unused:
            self.raw.seek(-len(unused), 1)

    def drain(self) -> None:
        while not self.done:
            self.read(_CHUNK)
