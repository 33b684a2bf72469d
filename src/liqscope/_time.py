# UTC-only time helpers: ISO strings at the boundary, integer ns inside. No naive datetimes.
from __future__ import annotations

import datetime as dt
import re

from liqscope.errors import ConfigError

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# Every time liqscope parses lies in this range, both ends included. The start is the day of Bitcoin's
# genesis block (no crypto liquidation happened before it); the end leaves a wide margin below the largest
# int64 nanosecond time (2262-04-11), so a window end plus any padding still fits the lake's ns columns.
# Outside it a time is refused with a ConfigError naming the range (the API answers 400, the CLI one line).
MIN_TIME = "2009-01-03T00:00:00Z"
MAX_TIME = "2100-01-01T00:00:00Z"
TIME_RANGE = f"{MIN_TIME} .. {MAX_TIME}"


def _ns(t: dt.datetime) -> int:
    delta = t - _EPOCH  # raises OverflowError when the offset moves t out of datetime's years 1..9999
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


MIN_NS = _ns(dt.datetime(2009, 1, 3, tzinfo=dt.UTC))
MAX_NS = _ns(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))


def parse_iso_ns(text: str, *, what: str = "time") -> int:
    """Parse an ISO-8601 time to ns UTC. A value without an offset is rejected, except a bare date
    (``2025-12-27``), which means midnight UTC. A time outside ``TIME_RANGE`` is rejected too."""
    s = text.strip()
    try:
        if len(s) == 10:
            d = dt.date.fromisoformat(s)
            t = dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC)
        else:
            t = dt.datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{what}: {text!r} is not an ISO-8601 time (e.g. 2025-12-27T14:00:00Z)") from None
    if t.tzinfo is None:
        raise ConfigError(f"{what}: {text!r} has no UTC offset; add Z or +00:00 (liqscope never guesses a zone)")
    try:
        ns = _ns(t)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 is in year 0 in UTC
        ns = None
    if ns is None or not MIN_NS <= ns <= MAX_NS:
        raise ConfigError(f"{what}: {text!r} is outside the valid time range {TIME_RANGE}")
    return ns


_UTC_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(?:Z|\+00:00)")


def utc_stamp_ns(text: str) -> int:
    """A record's UTC time stamp -> ns, exact to the nanosecond: ``2020-12-18T00:30:58.5590000Z``.

    For times inside records (venue frames, archive lines), not for user input (``parse_iso_ns``): only
    ``Z`` or ``+00:00`` is accepted, with 0 to 9 fractional digits (datetime keeps 6; Tardis writes 7).

    Raises:
        ValueError: Not such a stamp, or outside ``TIME_RANGE``.
    """
    m = _UTC_STAMP.fullmatch(text)
    if m is None:
        raise ValueError(f"{text[:40]!r} is not a UTC time stamp like 2020-12-18T00:30:58.559Z")
    whole = dt.datetime.fromisoformat(m.group(1)).replace(tzinfo=dt.UTC)  # ValueError: no such date
    ns = _ns(whole) + int((m.group(2) or "").ljust(9, "0"))
    if not MIN_NS <= ns <= MAX_NS:
        raise ValueError(f"{text!r} is outside the valid time range {TIME_RANGE}")
    return ns


def iso_ns(ts_ns: int) -> str:
    """ns UTC -> ``2025-12-27T21:38:55.123Z`` (millisecond precision, always UTC)."""
    t = _EPOCH + dt.timedelta(microseconds=ts_ns // 1_000)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
