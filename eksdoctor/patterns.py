"""User regular expressions, made safe to run over a whole bundle.

Three jobs, shared by search and timeline:
- compile with the third-party `regex` module (invalid pattern -> InputError) and run every match
  under a time budget (`regex`'s `timeout=`), so a catastrophic pattern like `(a+)+$` ends in
  SearchTimeout instead of hanging;
- find the literal substrings a matching line must contain (`required_literals`), to pre-filter
  candidate lines with the SQLite FTS index;
- run the pattern over a block of many '\\n'-separated lines at once (one C-level scan instead of
  a Python loop per line) and report exactly the lines that match *as single lines*, like grep.

The analysis uses CPython's own regex parser (`re._parser`). Anything it cannot parse, or any
`regex`-only syntax it might misread, makes the analysis give up: no literals, per-line matching.
Giving up is always correct, only slower.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import regex

from eksdoctor.errors import InputError, SearchTimeout

try:  # CPython >= 3.11; the analysis is an optimisation, so its absence only costs speed
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover
    _sre = _sre_parse = None

# A requirement on a line's text: None (anything), ("lit", s), ("and", [...]) or ("or", [...]).
Requirement = tuple | None

_MIN_LITERAL = 3        # the FTS trigram tokenizer cannot look up anything shorter
_MAX_ALTERNATIVES = 32  # expanding [ab][cd]... into alternatives stops being worth it past this
_FUZZY_OR_POSIX = re.compile(r"\{[^}]*[a-zA-Z][^}]*\}|\[:")  # regex-only syntax re._parser misreads


@dataclass
class Budget:
    """Time allowed for regex matching across one search (seconds of matching, not of I/O)."""

    seconds: float
    pattern: str
    spent: float = 0.0

    def remaining(self) -> float:
        left = self.seconds - self.spent
        if left <= 0:
            self.expired()
        return left

    def expired(self):
        raise SearchTimeout(
            f"pattern {self.pattern!r} ran out of its {self.seconds:g} s matching budget "
            "(catastrophic backtracking or a very broad pattern)",
            hint="simplify the pattern (avoid nested quantifiers like (a+)+), narrow it with --file, "
            "or raise --timeout",
        )


@dataclass
class UserPattern:
    """A compiled user pattern plus what we learned about it."""

    text: str
    line: regex.Pattern                     # for one line at a time
    block: regex.Pattern | None             # MULTILINE twin, set only when block matching is exact
    requirement: Requirement                # literals a matching line must contain
    budget: Budget = field(repr=False, default=None)
    cover: list[str] | None = None          # case-sensitive literals, one of which every match contains
    literal: bool = False                   # the pattern is exactly its cover: finding it is matching it

    def search_line(self, text: str):
        """`regex` search of one line under the budget; returns the match or None."""
        return self._timed(self.line, text, 0)

    def _timed(self, compiled: regex.Pattern, text: str, pos: int):
        left = self.budget.remaining()
        start = time.perf_counter()
        try:
            return compiled.search(text, pos, timeout=left)
        except TimeoutError:
            self.budget.spent = self.budget.seconds
            self.budget.expired()
        finally:
            self.budget.spent += time.perf_counter() - start

    def matching_lines(self, block: str) -> Iterator[int]:
        """Indexes (0-based) of the lines of `block` (lines joined by '\\n') that match on their own."""
        for index, _start, _end in self.matching_spans(block):
            yield index

    def matching_spans(self, block: str) -> Iterator[tuple[int, int, int]]:
        """(line index, line start offset, line end offset) of each line of `block` that matches alone."""
        size = len(block)
        if self.cover:
            yield from self._spans_by_literals(block)
            return
        if self.block is None:
            start = 0
            for i, line in enumerate(block.split("\n")):
                if self._timed(self.line, line, 0) is not None:
                    yield i, start, start + len(line)
                start += len(line) + 1
            return
        pos, index, counted_to = 0, 0, 0
        while pos <= size:
            m = self._timed(self.block, block, pos)
            if m is None:
                return
            start = m.start()
            line_start = block.rfind("\n", 0, start) + 1
            line_end = block.find("\n", start)
            if line_end < 0:
                line_end = size
            index += block.count("\n", counted_to, line_start)
            counted_to = line_start
            # A match that runs past the end of its line is not a grep match; the line may still
            # match on its own, so check it alone. Leftmost-match order makes this exact.
            if m.end() <= line_end or self._timed(self.line, block[line_start:line_end], 0) is not None:
                yield index, line_start, line_end
            pos = line_end + 1


    def _spans_by_literals(self, block: str) -> Iterator[tuple[int, int, int]]:
        """Find the lines holding a cover literal with str.find (fast, in C), then confirm each line."""
        starts: set[int] = set()
        for lit in self.cover:
            pos = block.find(lit)
            while pos >= 0:
                line_start = block.rfind("\n", 0, pos) + 1
                starts.add(line_start)
                line_end = block.find("\n", pos)
                if line_end < 0:
                    break
                pos = block.find(lit, line_end + 1)
        index, counted_to = 0, 0
        for line_start in sorted(starts):
            line_end = block.find("\n", line_start)
            if line_end < 0:
                line_end = len(block)
            index += block.count("\n", counted_to, line_start)
            counted_to = line_start
            if self.literal or self._timed(self.line, block[line_start:line_end], 0) is not None:
                yield index, line_start, line_end

    def count_matching_lines(self, block: str) -> int | None:
        """How many lines of `block` match, without building a span per match (a pattern hitting
        every third line of 200 MB made that the cost of a search); None unless the pattern is plain
        literals, where "the line contains one of them" is exactly "the line matches"."""
        if not self.literal or not self.cover:
            return None
        lines = block.split("\n")
        if len(self.cover) == 1:
            lit = self.cover[0]
            return sum(1 for line in lines if lit in line)
        return sum(1 for line in lines if any(lit in line for lit in self.cover))

    def byte_cover(self) -> list[bytes] | None:
        """The cover literals as UTF-8, for skipping whole undecoded blocks that hold none of them."""
        if not self.cover or any(c in lit for lit in self.cover for c in "\x00\ufffd\r"):
            return None
        return [lit.encode("utf-8") for lit in self.cover]


def compile_pattern(pattern: str, *, timeout: float) -> UserPattern:
    """Compile a user regex for line matching; InputError if it is not a valid `regex` pattern."""
    if timeout is None or timeout <= 0:
        raise InputError(f"timeout must be a positive number of seconds, got {timeout!r}")
    try:
        line = regex.compile(pattern)
    except (regex.error, ValueError, TypeError, OverflowError) as err:
        raise InputError(
            f"invalid regular expression {pattern!r}: {err}",
            hint="patterns use Python/`regex` syntax; escape literal ( [ { . * + ? with a backslash",
        ) from None
    tree, flags = _parse(pattern)
    block = None
    if tree is not None and _block_safe(tree):
        block = regex.compile(pattern, regex.MULTILINE)
    requirement = _requirement(tree, flags) if tree is not None else None
    cover = _cover(requirement) if tree is not None and not _ignores_case(tree, flags) else None
    literal = bool(cover) and tree is not None and _is_plain_literals(tree)
    return UserPattern(pattern, line, block, requirement, Budget(float(timeout), pattern), cover, literal)


def required_literals(pattern: str) -> Requirement:
    """Literal substrings a line must contain to match `pattern` (None: no usable literal)."""
    tree, flags = _parse(pattern)
    return _requirement(tree, flags) if tree is not None else None


# --- analysis over CPython's parse tree -------------------------------------------------------


def _parse(pattern: str):
    if _sre_parse is None or _FUZZY_OR_POSIX.search(pattern):
        return None, 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. "possible nested set": re and regex disagree
            parsed = _sre_parse.parse(pattern)
    except Exception:  # noqa: BLE001 - regex-only syntax: fall back to the exact slow path
        return None, 0
    return parsed, parsed.state.flags


_UNSAFE_AT = None


def _block_safe(items) -> bool:
    """True when matching many lines at once finds exactly the per-line matches.

    Lookarounds, atomic groups, possessive repeats and string anchors (\\A \\Z) can see or swallow
    the newline that separates lines, so they force line-by-line matching.
    """
    global _UNSAFE_AT
    if _UNSAFE_AT is None:
        _UNSAFE_AT = {_sre.AT_BEGINNING_STRING, _sre.AT_END_STRING}
    unsafe_ops = {_sre.ASSERT, _sre.ASSERT_NOT, _sre.ATOMIC_GROUP, _sre.POSSESSIVE_REPEAT}
    stack = [items]
    while stack:
        for op, av in stack.pop():
            if op in unsafe_ops or (op is _sre.AT and av in _UNSAFE_AT):
                return False
            if op is _sre.SUBPATTERN:
                stack.append(av[3])
            elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
                stack.append(av[2])
            elif op is _sre.BRANCH:
                stack.extend(av[1])
            elif op is _sre.GROUPREF_EXISTS:
                stack.extend(b for b in av[1:] if b is not None)
    return True


def _requirement(items, flags: int) -> Requirement:
    """AND of the literal runs of a sequence, recursing into groups, branches and repeats."""
    ignorecase = bool(flags & re.IGNORECASE)
    parts: list = []
    run: set[str] = {""}

    def close_run():
        nonlocal run
        usable = {s for s in run if len(s) >= _MIN_LITERAL}
        if run and len(usable) == len(run):
            parts.append(_or([("lit", s) for s in sorted(usable)]))
        run = {""}

    for op, av in items:
        chars = _literal_chars(op, av, ignorecase)
        if chars is not None and len(run) * len(chars) <= _MAX_ALTERNATIVES:
            run = {s + c for s in run for c in chars}
            continue
        close_run()
        if op is _sre.SUBPATTERN:
            add, remove = av[1], av[2]
            parts.append(_requirement(av[3], (flags | add) & ~remove))
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT) and av[0] >= 1:
            parts.append(_requirement(av[2], flags))
        elif op is _sre.ATOMIC_GROUP:
            parts.append(_requirement(av, flags))
        elif op is _sre.BRANCH:
            parts.append(_or([_requirement(b, flags) for b in av[1]]))
    close_run()
    return _and(parts)


# Under IGNORECASE these ASCII letters also match non-ASCII ones (K KELVIN SIGN, LONG S, DOTTED I)
# that the FTS case folding may not map back: they cannot be required literally.
_FOLD_UNSAFE = set("iIkKsS")


def _literal_chars(op, av, ignorecase: bool) -> list[str] | None:
    """The characters one item can match, when it is a literal or a small literal set."""
    if op is _sre.LITERAL:
        chars = [chr(av)]
    elif op is _sre.IN and av and all(o is _sre.LITERAL for o, _ in av) and len(av) <= 8:
        chars = [chr(v) for _, v in av]
    else:
        return None
    if ignorecase and not all(c.isascii() and c not in _FOLD_UNSAFE for c in chars):
        return None
    return chars


def _cover(req: Requirement) -> list[str] | None:
    """Literals such that every matching line contains at least one of them (None: no such set)."""
    if req is None:
        return None
    if req[0] == "lit":
        return [req[1]]
    covers = [_cover(p) for p in req[1]]
    if req[0] == "or":
        return None if any(c is None for c in covers) else sorted({x for c in covers for x in c})
    usable = [c for c in covers if c]
    return max(usable, key=lambda c: (min(map(len, c)), -len(c))) if usable else None


def _is_plain_literals(items) -> bool:
    """A bare literal, or an alternation of bare literals ('Unauthorized|TLS handshake timeout')."""
    if len(items) == 1 and items[0][0] is _sre.BRANCH:
        return all(_is_plain_literals(b) for b in items[0][1][1])
    return bool(items) and all(op is _sre.LITERAL for op, _ in items)


def _ignores_case(items, flags: int) -> bool:
    if flags & re.IGNORECASE:
        return True
    stack = [items]
    while stack:
        for op, av in stack.pop():
            if op is _sre.SUBPATTERN:
                if av[1] & re.IGNORECASE:
                    return True
                stack.append(av[3])
            elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
                stack.append(av[2])
            elif op is _sre.ATOMIC_GROUP:
                stack.append(av)
            elif op is _sre.BRANCH:
                stack.extend(av[1])
            elif op is _sre.GROUPREF_EXISTS:
                stack.extend(b for b in av[1:] if b is not None)
            elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
                stack.append(av[1])
    return False


def _and(parts: list) -> Requirement:
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else ("and", parts)


def _or(parts: list) -> Requirement:
    if not parts or any(p is None for p in parts):
        return None
    return parts[0] if len(parts) == 1 else ("or", parts)


def literals_in(req: Requirement) -> list[str]:
    """Every literal mentioned by a requirement (for tests and diagnostics)."""
    if req is None:
        return []
    if req[0] == "lit":
        return [req[1]]
    return [s for p in req[1] for s in literals_in(p)]


def line_may_match(req: Requirement, text: str) -> bool:
    """Evaluate a requirement case-insensitively on `text` (what the trigram index does)."""
    if req is None:
        return True
    kind = req[0]
    if kind == "lit":
        return req[1].lower() in text.lower()
    if kind == "and":
        return all(line_may_match(p, text) for p in req[1])
    return any(line_may_match(p, text) for p in req[1])
