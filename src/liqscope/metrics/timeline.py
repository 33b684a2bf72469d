"""Liquidated notional per time bucket, split by the side of the liquidated position."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, get_args

import msgspec

from liqscope._time import iso_ns
from liqscope.errors import ConfigError, UnknownName
from liqscope.metrics._counted import Counted, exact
from liqscope.metrics.gaps import CoverageGap, VenueObserved, coverage_gaps

__all__ = ["BUCKETS", "MAX_BUCKETS", "Bucket", "Timeline", "TimelineBucket", "timeline"]

Bucket = Literal["1m", "5m", "15m", "1h", "4h", "1d"]
BUCKETS: dict[str, int] = {
    "1m": 60 * 10**9, "5m": 300 * 10**9, "15m": 900 * 10**9,
    "1h": 3_600 * 10**9, "4h": 14_400 * 10**9, "1d": 86_400 * 10**9,
}
MAX_BUCKETS = 10_000
_ZERO = Decimal(0)


class TimelineBucket(msgspec.Struct, kw_only=True):
    """One bucket [ts, ts + width): notional and events of long, short and side-less liquidations."""

    ts: str
    ts_ns: int
    long_usd: Decimal = _ZERO
    short_usd: Decimal = _ZERO
    unknown_side_usd: Decimal = _ZERO
    total_usd: Decimal = _ZERO
    long_events: int = 0
    short_events: int = 0
    unknown_side_events: int = 0
    events: int = 0
    estimated: bool = False   # the USD figures include the throttle-adjusted estimate


class Timeline(msgspec.Struct, kw_only=True):
    """Every bucket of the counted window [start, end), empty ones included, aligned to the epoch (UTC).

    The buckets sum to the report's total under the same methodology (estimate included, when it
    estimates; ``estimated`` marks such figures).
    """

    start: str
    end: str
    bucket: str
    bucket_ns: int
    buckets: list[TimelineBucket]
    total_usd: Decimal
    events: int
    peak: TimelineBucket | None
    methodology: dict[str, object]
    estimated: bool = False
    gaps: list[CoverageGap] = []          # the window's holes, to shade (same as the report's coverage.gaps)
    observed: list[VenueObserved] = []    # share of the window each venue was observed


def timeline(c: Counted, *, bucket: str = "1h") -> Timeline:
    """Counted notional per ``bucket`` over the counted window.

    Args:
        c: The counted relation (its resolved window is the timeline's span).
        bucket: One of ``BUCKETS`` (``1m`` … ``1d``).

    Raises:
        UnknownName: ``bucket`` is not one of ``BUCKETS``.
        ConfigError: The window holds more than ``MAX_BUCKETS`` buckets.
    """
    if bucket not in BUCKETS:
        raise UnknownName("bucket", bucket, get_args(Bucket))
    width = BUCKETS[bucket]
    start_ns, end_ns = c.start_ns, c.end_ns
    first = start_ns // width * width
    count = -(-(end_ns - first) // width)
    if count > MAX_BUCKETS:
        raise ConfigError(f"bucket: {count:,} buckets of {bucket} exceed {MAX_BUCKETS:,}; "
                          f"pick a wider bucket (valid values: {', '.join(BUCKETS)}) or a shorter window")
    with c.connect(("ts_event", "liquidated_side", "usd", "usd_floor", "n")) as con:
        rows = con.execute("SELECT ts_event // $width * $width AS b, liquidated_side, sum(usd), sum(n), "
                           "sum(usd) - sum(usd_floor) FROM counted GROUP BY ALL ORDER BY b",
                           {"width": width}).fetchall()
    out = [TimelineBucket(ts=iso_ns(first + i * width), ts_ns=first + i * width) for i in range(max(count, 0))]
    for b, side, usd, n, hidden in rows:
        t = out[(b - first) // width]
        usd = exact(usd)
        t.estimated = t.estimated or bool(hidden)
        if side == "LONG":
            t.long_usd += usd
            t.long_events += n
        elif side == "SHORT":
            t.short_usd += usd
            t.short_events += n
        else:
            t.unknown_side_usd += usd
            t.unknown_side_events += n
        t.total_usd += usd
        t.events += n
    for t in out:
        if t.events:
            t.long_usd, t.short_usd = exact(t.long_usd), exact(t.short_usd)
            t.unknown_side_usd, t.total_usd = exact(t.unknown_side_usd), exact(t.total_usd)
    peak = max((t for t in out if t.events), key=lambda t: t.total_usd, default=None)
    holes = coverage_gaps(c)
    return Timeline(start=iso_ns(start_ns), end=iso_ns(end_ns), bucket=bucket, bucket_ns=width, buckets=out,
                    total_usd=exact(sum((t.total_usd for t in out), _ZERO)), events=sum(t.events for t in out),
                    peak=peak, methodology=c.meta(), estimated=any(t.estimated for t in out), gaps=holes.gaps,
                    observed=holes.observed)
