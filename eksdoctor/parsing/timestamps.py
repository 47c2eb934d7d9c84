"""Timestamp helpers for the line parsers: every result is a timezone-aware UTC datetime or None.

Syslog-style stamps (journal, klog, cloud-init.log) carry no year; `SyslogClock` supplies it from
the bundle's year and collection time and caches per second, because millions of lines share a
few thousand distinct seconds and building a datetime is the costliest step after the regexes.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

UTC = timezone.utc

MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}

# ISO-8601 / RFC 3339 as written by zap, logrus, CRI, curl headers, bootstrap.sh and cloud-init
# ("2023-11-17T02:16:06+0000", "2021-01-08 14:01:22,324", "...:50.275890680Z", "...:01.123UTC").
ISO_RE = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?\s?(Z|UTC|[+-]\d\d(?::?\d\d)?)?"
)

_CACHE_LIMIT = 4096  # distinct seconds kept; lines are mostly in time order, so recent ones hit


def _offset(tz: str | None) -> timedelta | None:
    if not tz or tz in ("Z", "UTC"):
        return None
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4] or 0)
    return sign * timedelta(hours=hours, minutes=minutes)


def iso_from_match(m: re.Match, base: int = 1) -> datetime | None:
    """Build a UTC datetime from ISO_RE groups starting at group `base`; None if out of range."""
    g = m.groups()[base - 1:base + 7]
    try:
        frac = g[6]
        micro = int((frac + "00000")[:6]) if frac else 0
        dt = datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5]), micro, tzinfo=UTC)
        off = _offset(g[7])
    except (ValueError, OverflowError):
        return None
    return dt - off if off else dt


def parse_iso(text: str) -> datetime | None:
    """Parse an ISO-8601 timestamp at the start of `text` into UTC (naive means UTC)."""
    m = ISO_RE.match(text)
    return iso_from_match(m) if m else None


def from_unix(value: float) -> datetime | None:
    """Unix seconds (zap production encoder "ts") to UTC; None when absurd."""
    try:
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        return None


class SyslogClock:
    """Turns year-less month/day/time stamps into UTC datetimes.

    The year is `year`, except that a month/day more than one day after `ref` (the collection time)
    belongs to the previous year: a bundle collected on Jan 2 holding lines from Dec 30. A date
    that does not exist in the chosen year (Feb 29) falls back to the previous year, or None.
    """

    __slots__ = ("year", "ref_date", "_years", "_days", "seconds", "parts")

    def __init__(self, year: int, ref: datetime | None = None) -> None:
        self.year = year
        if ref is not None:
            try:  # naive ref means UTC
                ref_utc = ref.astimezone(UTC) if ref.tzinfo else ref
                self.ref_date: date | None = ref_utc.date() + timedelta(days=1)
            except OverflowError:
                self.ref_date = date.max
        else:
            self.ref_date = None
        self._years: dict[tuple[int, int], int | None] = {}
        self._days: dict[str, tuple[int, int, int] | None] = {}  # klog "mmdd" -> (y, m, d)
        # syslog stamp text -> datetime (None when not a date)
        self.seconds: dict[str, datetime | None] = {}
        # klog stamp text -> (y, m, d, H, M, S); read directly by the journal hot path
        self.parts: dict[str, tuple[int, int, int, int, int, int] | None] = {}

    def year_for(self, month: int, day: int) -> int | None:
        """The year a (month, day) stamp belongs to, or None when it is not a real date."""
        key = (month, day)
        try:
            return self._years[key]
        except KeyError:
            pass
        found = None
        for year in (self.year, self.year - 1):
            try:
                d = date(year, month, day)
            except (ValueError, OverflowError):
                continue
            if self.ref_date is None or d <= self.ref_date or year != self.year:
                found = year
                break
        self._years[key] = found
        return found

    def at(self, month: int, day: int, hh: int, mm: int, ss: int, micro: int = 0) -> datetime | None:
        year = self.year_for(month, day)
        if year is None:
            return None
        try:
            return datetime(year, month, day, hh, mm, ss, micro, tzinfo=UTC)
        except (ValueError, OverflowError):
            return None

    def syslog(self, stamp: str) -> datetime | None:
        """"Feb 18 12:46:09" (day may be space-padded) -> UTC datetime, cached per distinct stamp."""
        seconds = self.seconds
        try:
            return seconds[stamp]
        except KeyError:
            pass
        month = MONTHS.get(stamp[:3])
        try:
            result = self.at(month, int(stamp[4:6]), int(stamp[7:9]), int(stamp[10:12]),
                             int(stamp[13:15])) if month else None
        except ValueError:
            result = None
        if len(seconds) >= _CACHE_LIMIT:
            seconds.clear()
        seconds[stamp] = result
        return result

    def klog_parts(self, mmdd_time: str) -> tuple[int, int, int, int, int, int] | None:
        """klog "0218 12:46:09" -> (year, month, day, hour, minute, second), or None if not a date.

        Cached per distinct stamp; callers add microseconds with `datetime(*parts, micro, UTC)`,
        which is four times cheaper than `datetime.replace`.
        """
        cache = self.parts
        try:
            return cache[mmdd_time]
        except KeyError:
            pass
        mmdd = mmdd_time[:4]
        try:
            day = self._days[mmdd]
        except KeyError:
            day = self._days[mmdd] = self._klog_day(mmdd)
        parts = None
        if day is not None:
            try:
                hh, mm, ss = int(mmdd_time[5:7]), int(mmdd_time[8:10]), int(mmdd_time[11:13])
            except ValueError:
                hh = 99
            if hh < 24 and mm < 60 and ss < 60:
                parts = (*day, hh, mm, ss)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[mmdd_time] = parts
        return parts

    def _klog_day(self, mmdd: str) -> tuple[int, int, int] | None:
        try:
            month, day = int(mmdd[:2]), int(mmdd[2:4])
        except ValueError:
            return None
        year = self.year_for(month, day) if 1 <= month <= 12 else None
        return (year, month, day) if year is not None else None

    def klog(self, mmdd_time: str, micros: str) -> datetime | None:
        """klog "0218 12:46:09" + ".118312" fraction digits -> UTC datetime."""
        parts = self.klog_parts(mmdd_time)
        if parts is None:
            return None
        micro = int(micros if len(micros) == 6 else (micros + "00000")[:6]) if micros else 0
        return datetime(*parts, micro, UTC)
