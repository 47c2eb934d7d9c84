"""Regex guard, literal extraction and block matching (eksdoctor.patterns)."""

import time

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from eksdoctor.errors import InputError, SearchTimeout
from eksdoctor.patterns import compile_pattern, line_may_match, literals_in, required_literals


@pytest.mark.parametrize("pattern, literals", [
    ("Unauthorized|TLS handshake timeout", ["Unauthorized", "TLS handshake timeout"]),
    ("kubelet.*error|kubelet.*fatal", ["kubelet", "error", "fatal"]),
    (r"dial tcp \S+:443", ["dial tcp ", ":443"]),
    ("ba[rz]q", ["barq", "bazq"]),
    ("(?i)unable to register", ["unable to reg", "ter"]),  # i/k/s fold to non-ASCII letters too
    ("(?i)straße", ["tra"]),
])
def test_required_literals(pattern, literals):
    assert literals_in(required_literals(pattern)) == literals


@pytest.mark.parametrize("pattern", [r"\d+", "ab|abc", "(abc)?", "(abc){e<=1}", "[[:alpha:]]+xyz",
                                     r"\p{L}+", "x*", "(?i)kiss"])
def test_no_usable_literals_means_no_filter(pattern):
    assert required_literals(pattern) is None


def test_invalid_regex_is_input_error():
    with pytest.raises(InputError, match="invalid regular expression"):
        compile_pattern("(unclosed", timeout=1)
    with pytest.raises(InputError):
        compile_pattern("x", timeout=0)


def test_catastrophic_pattern_times_out_within_twice_the_budget():
    user = compile_pattern(r"(a+)+$", timeout=0.5)
    block = "\n".join(["ok line"] * 10 + ["a" * 5000 + "b"])
    start = time.perf_counter()
    with pytest.raises(SearchTimeout, match="matching budget"):
        list(user.matching_lines(block))
    assert time.perf_counter() - start < 1.0


def test_literal_cover():
    assert compile_pattern("Unauthorized|TLS handshake timeout", timeout=1).cover == [
        "TLS handshake timeout", "Unauthorized"]
    assert compile_pattern("kubelet.*error|kubelet.*fatal", timeout=1).cover == ["kubelet"]
    assert compile_pattern("(?i)unauthorized", timeout=1).cover is None  # case folding: no str.find
    assert compile_pattern("x(?i:abcdef)", timeout=1).cover is None
    assert compile_pattern("Unauthorized|TLS handshake", timeout=1).literal
    assert not compile_pattern("Unauthorized|TLS.handshake", timeout=1).literal
    assert not compile_pattern("kubelet.*error", timeout=1).literal


def test_block_matching_handles_lines_spanning_matches():
    user = compile_pattern(r"a[^z]*b", timeout=1)
    assert user.block is not None
    # "a1\na2b": the block match starting on line 0 runs into line 1; only line 1 matches alone.
    assert list(user.matching_lines("a1\na2b\nxx\nab")) == [1, 3]


def test_lookarounds_and_string_anchors_fall_back_to_per_line():
    for pattern in (r"foo(?!\s)", r"\Afoo", r"foo\Z", r"(?>\s*)x", r"x\s*+y"):
        assert compile_pattern(pattern, timeout=1).block is None, pattern
    user = compile_pattern(r"foo(?!\s)", timeout=1)
    assert list(user.matching_lines("foo\nbar foo\nfoo bar")) == [0, 1]


PATTERNS = [r"a[^z]*b", r"^a", r"b$", r"\s+", r"a|b\s", r"(ab)+", r"\bab\b", r"a.*", r"[^a]+$", r"a\s*$",
            r"^$", r"(?s)a.b", r"(?m)^b", r"\W\w", r"a\n?b", r"(a)\1", r"(?i)AB",
            # with literals of 3+ characters: the str.find path
            r"aab", r"ab a|bbb", r"a[^z]*bab", r"(aba|bz )+\s", r"ab\s*$", r"ab\tz|zz ", r"bab"]


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(st.text(alphabet="ab \t\r\u00a0\u2028z", max_size=8), min_size=1, max_size=12),
       pattern=st.sampled_from(PATTERNS))
def test_block_matching_equals_per_line_matching(lines, pattern):
    expected = [i for i, line in enumerate(lines) if regex.search(pattern, line)]
    user = compile_pattern(pattern, timeout=5)
    block = "\n".join(lines)
    assert list(user.matching_lines(block)) == expected
    starts = [sum(len(x) + 1 for x in lines[:i]) for i in expected]
    assert [(s, e) for _, s, e in user.matching_spans(block)] == [(s, s + len(lines[i])) for s, i in
                                                                   zip(starts, expected)]


@settings(max_examples=150, deadline=None)
@given(line=st.text(alphabet="aAbB kKuUlLeEtT:.|", max_size=30),
       pattern=st.sampled_from(["kube|let", "kub.*let", "(?i)KUBE", "(?i)bleta", "ab[ab]a", "tt?aa",
                                        "(kk|ll)+e"]))
def test_literal_filter_never_rejects_a_matching_line(line, pattern):
    if regex.search(pattern, line):
        assert line_may_match(required_literals(pattern), line)
