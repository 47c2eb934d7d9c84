"""Property tests: the parsers never raise, and give exactly one well-formed LogLine per input line."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from eksdoctor.models import LEVELS, LogLine
from eksdoctor.parsing import parse_lines, parse_text

from test_spec_examples import CASES  # noqa: E402  (same folder; pytest puts it on sys.path)

KNOWN_PATHS = sorted({c[0] for c in CASES} | {
    "var_log/messages", "networking/curl_api_server.txt", "ipamd/metrics.json", "kernel/dmesg.human.current",
    "var_log/kube-proxy.log", "system/services.txt", "var_log/x/y/0.log", "nodeadm/nodeadm-run.log",
    "system/kubelet/kubelet-service.csv",
})
SEEDS = [c[1] for c in CASES] + ["-- No entries --", "# TYPE a gauge", 'a{b="c"} 1',
                                 "curling https://x (1 of 5) 2024-06-06T19:40:01.123UTC",
                                 '"11/27/2024 9:50:01 PM","1","Error","E1127 21:50:01.123456    4312 a.go:9] ""x"" err=""y""']

# Near-valid lines: a real line with a random cut and random text spliced in, to reach deep branches.
mutated = st.builds(
    lambda seed, i, j, junk: seed[:i] + junk + seed[j:],
    st.sampled_from(SEEDS), st.integers(0, 300), st.integers(0, 300),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20),
)
any_text = st.text(max_size=200)
line_text = st.one_of(any_text, mutated)
paths = st.one_of(st.sampled_from(KNOWN_PATHS), st.text(max_size=40))
years = st.integers(min_value=1, max_value=9998)
refs = st.one_of(st.none(), st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 1, 1),
                                         timezones=st.just(timezone.utc)))


def check(line: LogLine, lineno: int) -> None:
    assert isinstance(line, LogLine)
    assert line.lineno == lineno
    assert line.ts is None or line.ts.utcoffset().total_seconds() == 0
    assert line.level is None or line.level in LEVELS
    assert isinstance(line.message, str) and isinstance(line.source, str) and line.source
    assert line.fields is None or isinstance(line.fields, dict)


@settings(max_examples=300, deadline=None)
@given(paths, st.lists(line_text, max_size=8), years, refs)
def test_parse_lines_never_raises(path, texts, year, ref):
    numbered = [(n * 3 + 1, t) for n, t in enumerate(texts)]  # arbitrary, increasing line numbers
    got = list(parse_lines(path, numbered, year=year, ref=ref))
    assert len(got) == len(numbered)
    for line, (lineno, _) in zip(got, numbered):
        check(line, lineno)


@settings(max_examples=300, deadline=None)
@given(st.lists(line_text, max_size=8), years, refs)
def test_parse_text_never_raises(texts, year, ref):
    texts = [t.replace("\n", " ") for t in texts]
    got = parse_text("".join(t + "\n" for t in texts), year=year, ref=ref)
    assert len(got) == len(texts)
    for n, line in enumerate(got, start=1):
        check(line, n)
        assert line.raw == texts[n - 1].rstrip("\r")


@settings(max_examples=300, deadline=None)
@given(paths, st.lists(line_text, max_size=8), years, refs)
def test_line_parsers_need_no_safety_net(path, texts, year, ref):
    """parse_lines/parse_text swallow a parser bug on one line; here the parsers run without that net,
    so any exception they raise on odd input fails the test instead of hiding."""
    from eksdoctor.parsing.context import FileContext
    from eksdoctor.parsing.files import line_parser
    from eksdoctor.parsing.kinds import file_kind, source_for_path
    from eksdoctor.parsing.sniff import sniff_line
    from eksdoctor.parsing.timestamps import SyslogClock

    ctx = FileContext(path, source_for_path(path), SyslogClock(year, ref),
                      boot_time=ref)
    parse = line_parser(file_kind(path), ctx)
    for n, text in enumerate(texts, start=1):
        text = text.replace("\n", " ").replace("\r", " ")
        check(parse(n, text), n)
        check(sniff_line(ctx, n, text), n)
