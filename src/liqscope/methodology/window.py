"""Resolve a methodology's window kind against the anchor [start, end) a request gives.

Pure time arithmetic (int ns UTC in and out); an event segment is picked from candidate segments the
caller detected, so this module needs no lake.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

import msgspec

from liqscope._time import iso_ns
from liqscope.errors import ConfigError
from liqscope.methodology.spec import Window

__all__ = ["ResolvedWindow", "Segment", "parse_timezone", "resolve_window"]

_NS = 1_000_000_000
_DAY_NS = 86_400 * _NS
_OFFSET = re.compile(r"^UTC(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$")
TIMEZONE_FORMS = "an IANA name (e.g. Asia/Shanghai, America/New_York) or a fixed offset UTC±H[:MM] (e.g. UTC+8)"


class Segment(Protocol):
    """What an event-segment window needs from a detected cascade."""

    start_ns: int
    end_ns: int
    total_usd: Decimal


class ResolvedWindow(msgspec.Struct, frozen=True, kw_only=True):
    """The [start, end) a window kind resolved to, beside the anchor it was resolved from."""

    kind: str
    start: str
    end: str
    start_ns: int
    end_ns: int
    anchor_start: str
    anchor_end: str
    detail: str


def parse_timezone(name: str) -> dt.tzinfo:
    """``UTC``, ``UTC+8``, ``UTC-05:30`` or an IANA zone name -> tzinfo.

    Raises:
        ConfigError: Neither form; the message shows both valid forms.
    """
    if m := _OFFSET.match(name):
        sign, hours, minutes = m.groups()
        if sign is None:
            return dt.UTC
        delta = dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta > dt.timedelta(hours=14):
            raise ConfigError(f"window.timezone: offset {name!r} is beyond ±14:00; valid values: {TIMEZONE_FORMS}")
        return dt.timezone(delta if sign == "+" else -delta, name)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"window.timezone: unknown time zone {name!r}; valid values: {TIMEZONE_FORMS}") from None


def _ns(t: dt.datetime) -> int:
    delta = t - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * _NS + delta.microseconds * 1_000


def _utc_date(ts_ns: int) -> dt.date:
    return (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ts_ns // 1_000)).date()


def _local_midnight(day: dt.date, tz: dt.tzinfo) -> int:
    return _ns(dt.datetime(day.year, day.month, day.day, tzinfo=tz))


def resolve_window(window: Window, start_ns: int, end_ns: int,
                   segments: Sequence[Segment] | None = None) -> ResolvedWindow:
    """The [start, end) that ``window`` selects for the anchor [start_ns, end_ns).

    Args:
        window: The methodology's window rules.
        start_ns: Anchor start, inclusive, ns UTC.
        end_ns: Anchor end, exclusive.
        segments: For ``event_segment``: the cascades detected inside the anchor, any order. None found
            resolves to an empty window at the anchor start.

    Raises:
        ConfigError: The anchor is empty, the time zone is unknown, or an event segment was asked for
            without candidate segments.
    """
    if end_ns <= start_ns:
        raise ConfigError(f"window: end {iso_ns(end_ns)} is not after start {iso_ns(start_ns)}")
    kind = window.kind
    if kind == "fixed":
        lo, hi, detail = start_ns, end_ns, "the requested window"
    elif kind == "calendar_day":
        tz = parse_timezone(window.timezone)
        first, last = _utc_date(start_ns), _utc_date(end_ns - 1)
        lo, hi = _local_midnight(first, tz), _local_midnight(last + dt.timedelta(days=1), tz)
        days = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
        detail = f"calendar day {days} in {window.timezone}"
    elif kind == "rolling":
        lo, hi = end_ns - window.hours * 3_600 * _NS, end_ns
        detail = f"{window.hours} h ending at the anchor end"
    else:
        if segments is None:
            raise ConfigError("window.kind 'event_segment' needs the cascades detected in the anchor")
        lo, hi, detail = _pick(window, segments, start_ns)
    return ResolvedWindow(kind=kind, start=iso_ns(lo), end=iso_ns(hi), start_ns=lo, end_ns=hi,
                          anchor_start=iso_ns(start_ns), anchor_end=iso_ns(end_ns), detail=detail)


def _pick(window: Window, segments: Sequence[Segment], anchor_ns: int) -> tuple[int, int, str]:
    if not segments:
        return anchor_ns, anchor_ns, "no cascade detected in the anchor: empty window"
    ordered = sorted(segments, key=lambda s: (s.start_ns, s.end_ns))
    if window.segment == "first":
        s = ordered[0]
    elif window.segment == "last":
        s = ordered[-1]
    else:
        s = max(ordered, key=lambda s: (s.total_usd, -s.start_ns))
    return s.start_ns, s.end_ns, f"{window.segment} of {len(ordered)} detected cascade(s)"
