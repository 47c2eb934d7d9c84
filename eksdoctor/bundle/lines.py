"""Split a byte stream into text lines with bounded memory, fast enough for 10 million lines.

Blocks are read in chunks and decoded whole (a b"\\n" byte never occurs inside a UTF-8 sequence, so
decoding a block of complete lines equals decoding each line). Only the line that straddles a chunk
boundary is carried over, and never more than `limit` bytes of it: the rest is counted, not kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

CHUNK = 1 << 20


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").replace("\x00", "\ufffd")


def iter_lines(f: BinaryIO, limit: int, chunk: int = CHUNK) -> Iterator[tuple[int, str]]:
    """(1-based lineno, text): UTF-8 with U+FFFD for bad bytes and NULs, one trailing CR removed,
    lines over `limit` bytes cut to `limit` bytes plus " [...truncated N bytes]"."""
    chunk_size = max(1, min(chunk, limit))  # keeps every line that fits inside one chunk under the limit
    lineno = 0
    carry = b""       # start of the current line (at most `limit` bytes)
    dropped = 0       # bytes of the current line beyond `limit`, counted but not kept
    ends_cr = False   # the current line's last byte so far is a CR

    def finish(last: bytes) -> str:
        nonlocal carry, dropped, ends_cr
        if last:
            ends_cr = last.endswith(b"\r")
        total = len(carry) + dropped + len(last)
        if ends_cr:
            total -= 1
        if total <= limit:
            raw = (carry + last)[:total]
            text = _text(raw)
        else:
            kept = (carry + last[: max(0, limit - len(carry))])[:limit]
            text = _text(kept) + f" [...truncated {total - limit} bytes]"
        carry, dropped, ends_cr = b"", 0, False
        return text

    while True:
        block = f.read(chunk_size)
        if not block:
            break
        end = block.rfind(b"\n")
        if end < 0:  # the current line goes on
            room = limit - len(carry)
            if room > 0:
                carry += block[:room]
            dropped += max(0, len(block) - max(room, 0))
            ends_cr = block.endswith(b"\r")
            continue
        first_end = block.find(b"\n")
        lineno += 1
        yield lineno, finish(block[:first_end])
        if first_end < end:  # whole lines between the first and the last newline: decode as one block
            for text in _text(block[first_end + 1:end]).split("\n"):
                lineno += 1
                yield lineno, text[:-1] if text.endswith("\r") else text
        tail = block[end + 1:]
        if tail:
            carry = tail[:limit]
            dropped = len(tail) - len(carry)
            ends_cr = tail.endswith(b"\r")
    if carry or dropped:
        lineno += 1
        yield lineno, finish(b"")
