"""Funding-interval resolution and per-8h / annualized normalization (pure functions).

A rate is only ever scaled by an interval we can stand behind: stated by the venue, inferred from the
venue's own settlement timestamps, or the venue's documented schedule for that time. Otherwise
``rate_8h`` and ``annualized`` stay ``None``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

import msgspec

from liqscope._market_types import FundingRate, IntervalSource
from liqscope.market._formats import funding_schedules

__all__ = ["ALLOWED_HOURS", "infer_intervals", "normalize", "resolve_intervals", "venue_default_hours"]

HOUR_NS = 3_600_000_000_000
ALLOWED_HOURS = (1, 2, 4, 6, 8)          # every interval any supported venue has used
_SNAP_NS = 5 * 60 * 1_000_000_000        # settlement timestamps jitter by ms; 5 minutes is generous
_EIGHT = Decimal(8)
_YEAR_HOURS = Decimal(8760)


def venue_default_hours(venue: str, ts_ns: int) -> int | None:
    """The venue's documented default funding interval at ``ts_ns`` (its ``market.py`` ``FUNDING_SCHEDULE``), or
    ``None`` if it has none."""
    for start, hours in funding_schedules().get(venue, ()):
        if ts_ns >= start:
            return hours
    return None


def normalize(rate: FundingRate, hours: int | None, source: IntervalSource) -> FundingRate:
    """Return ``rate`` with its interval set and ``rate_8h`` / ``annualized`` derived from it."""
    if hours is None:
        return msgspec.structs.replace(rate, interval_hours=None, interval_source="unknown", rate_8h=None,
                                       annualized=None)
    h = Decimal(hours)
    return msgspec.structs.replace(rate, interval_hours=hours, interval_source=source,
                                   rate_8h=rate.rate * _EIGHT / h, annualized=rate.rate * _YEAR_HOURS / h)


def _snap(gap_ns: int) -> int | None:
    hours, rest = divmod(gap_ns + _SNAP_NS, HOUR_NS)
    return hours if rest <= 2 * _SNAP_NS and hours >= 1 else None


def infer_intervals(times_ns: list[int]) -> list[int | None]:
    """Infer each settlement's interval from sorted settlement times of ONE market.

    A rate settled at ``t`` covers ``[t - interval, t)``, so the interval is the gap to the previous
    settlement, snapped to whole hours. A gap that is a whole multiple (≥ 2) of the interval before it,
    when the gap after it is that same interval again (or there is none), is a hole in the data
    (missing rows), not a longer interval: the interval is then the one before it. The first settlement
    takes the interval of the second. Gaps that are not whole hours, or not an allowed interval, give
    ``None``.
    """
    n = len(times_ns)
    gaps = [_snap(times_ns[i] - times_ns[i - 1]) for i in range(1, n)]
    out: list[int | None] = [None] * n
    for i in range(1, n):
        gap = gaps[i - 1]
        prev = out[i - 1]
        nxt = gaps[i] if i < len(gaps) else None
        if gap is not None and prev is not None and gap > prev and gap % prev == 0 and nxt in (prev, None):
            gap = prev                      # rows missing inside an unchanged schedule
        out[i] = gap if gap in ALLOWED_HOURS else None
        if i == 1:
            out[0] = out[1]
    if n == 1:
        out[0] = None
    return out


def resolve_intervals(rates: Iterable[FundingRate],
                      known: Mapping[tuple[str, str], int] | None = None) -> list[FundingRate]:
    """Give every rate an interval: stated, else inferred from realized series, else known, else default.

    Args:
        rates: Parsed rates (a stated ``interval_hours`` is kept as is).
        known: Intervals known from elsewhere (Binance ``fundingInfo``), by (venue, market).
    """
    rates = list(rates)
    known = known or {}
    inferred: dict[int, int | None] = {}
    series: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(rates):
        if r.kind == "realized" and r.interval_source != "stated":
            series[(r.venue, r.market)].append(i)
    for idx in series.values():
        idx.sort(key=lambda i: rates[i].ts_event)
        for i, hours in zip(idx, infer_intervals([rates[i].ts_event for i in idx]), strict=True):
            inferred[i] = hours
    out = []
    for i, r in enumerate(rates):
        if r.interval_source == "stated" and r.interval_hours:
            out.append(normalize(r, r.interval_hours, "stated"))
        elif inferred.get(i) is not None:
            out.append(normalize(r, inferred[i], "inferred"))
        elif (r.venue, r.market) in known:
            out.append(normalize(r, known[(r.venue, r.market)], "stated"))
        else:
            out.append(normalize(r, venue_default_hours(r.venue, r.ts_event), "venue_default"))
    return out
