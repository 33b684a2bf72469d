# UTC-only time helpers: ISO strings at the boundary, integer ns inside. No naive datetimes.
from __future__ import annotations

import datetime as dt

from liqscope.errors import ConfigError

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def parse_iso_ns(text: str, *, what: str = "time") -> int:
    """Parse an ISO-8601 time to ns UTC. A value without an offset is rejected, except a bare date
    (``2025-12-27``), which means midnight UTC."""
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
    delta = t - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def iso_ns(ts_ns: int) -> str:
    """ns UTC -> ``2025-12-27T21:38:55.123Z`` (millisecond precision, always UTC)."""
    t = _EPOCH + dt.timedelta(microseconds=ts_ns // 1_000)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
