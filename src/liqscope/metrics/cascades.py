"""Cascades ("waterfalls") as objects: runs of minutes whose liquidated notional far exceeds the norm.

Rule (the thresholds are ``methodology.cascades``, part of the fingerprint):

1. Per-minute notional of the counted liquidations (the methodology's coverage, dedupe, valuation and
   estimation: a minute's notional is an aggregate), over the counted window and the week before it.
2. A minute's baseline is the MEDIAN notional of the previous ``baseline_minutes`` minutes *that have
   at least one liquidation* (looking back up to 7 days). A minute without any is treated as not
   observed: the lake cannot tell a quiet minute from a recorder that was off, and counting recorder
   gaps as zeros would make every minute after a gap "hot". A minute is scored only once at least a
   quarter of ``baseline_minutes`` such minutes precede it (the warm-up).
3. A minute is hot when its notional > ``k`` × its baseline.
4. Hot minutes at most ``merge_gap_minutes`` apart (start to start) form one cascade, which runs from
   its first hot minute to the end of its last; everything counted inside is the cascade's.
5. Cascades totalling less than ``min_total_usd`` are dropped.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from decimal import Decimal

import msgspec

from liqscope._time import iso_ns
from liqscope.metrics._counted import Counted, exact
from liqscope.metrics.report import LARGEST_SQL, Largest, largest_rows

__all__ = ["LOOKBACK_NS", "Cascade", "cascade_minutes", "detect_cascades"]

MINUTE_NS = 60_000_000_000
LOOKBACK_NS = 7 * 24 * 60 * MINUTE_NS


class Cascade(msgspec.Struct, kw_only=True):
    """One detected cascade. ``[start_ns, end_ns)`` can serve as an "event segment" window."""

    start_ns: int
    end_ns: int
    start: str
    end: str
    peak_minute_ns: int
    peak_minute: str
    peak_usd: Decimal
    baseline_usd: Decimal          # the baseline (trailing median) of the first hot minute
    total_usd: Decimal
    long_usd: Decimal
    short_usd: Decimal
    long_share: Decimal | None     # long / (long + short); None when no event states a side
    events: int
    hot_minutes: int
    venues: list[str]
    assets: list[str]
    largest_event: Largest


def warmup_minutes(baseline_minutes: int) -> int:
    """Observed minutes needed before a minute is scored: a quarter of the baseline, at least 1."""
    return max(1, math.ceil(baseline_minutes / 4))


def cascade_minutes(c: Counted) -> list[tuple[int, Decimal, Decimal | None, bool]]:
    """Every observed minute of the counted window: (minute ns, notional, baseline or None, hot)."""
    rule = c.methodology.cascades
    history = c.span(c.start_ns - LOOKBACK_NS, c.end_ns, "the window and the week before it (cascade baselines)")
    with history.connect(("ts_event", "usd")) as con:
        rows = con.execute(f"SELECT ts_event // {MINUTE_NS} * {MINUTE_NS} AS m, sum(usd) FROM counted "
                           "GROUP BY m ORDER BY m").fetchall()
    trailing: deque[Decimal] = deque(maxlen=rule.baseline_minutes)
    need = warmup_minutes(rule.baseline_minutes)
    out = []
    for minute, usd in rows:
        usd = exact(usd)
        baseline = Decimal(statistics.median(trailing)) if len(trailing) >= need else None
        if minute >= c.start_ns:
            out.append((minute, usd, baseline, baseline is not None and usd > rule.k * baseline))
        trailing.append(usd)
    return out


def detect_cascades(c: Counted) -> list[Cascade]:
    """Detect cascades in the counted window (see the module docstring)."""
    rule = c.methodology.cascades
    minutes = cascade_minutes(c)
    groups: list[list[tuple[int, Decimal, Decimal | None, bool]]] = []
    for m in (m for m in minutes if m[3]):
        if groups and m[0] - groups[-1][-1][0] <= rule.merge_gap_minutes * MINUTE_NS:
            groups[-1].append(m)
        else:
            groups.append([m])
    if not groups:
        return []
    out = []
    with c.connect() as con:
        for g in groups:
            c0, c1 = g[0][0], g[-1][0] + MINUTE_NS
            b = {"a": c0, "b": c1}
            total, long_, short, n = con.execute(
                "SELECT coalesce(sum(usd), 0), coalesce(sum(usd) FILTER (liquidated_side = 'LONG'), 0), "
                "coalesce(sum(usd) FILTER (liquidated_side = 'SHORT'), 0), coalesce(sum(n), 0) FROM counted "
                "WHERE ts_event >= $a AND ts_event < $b", b).fetchone()
            total, long_, short = exact(total), exact(long_), exact(short)
            if total < rule.min_total_usd:
                continue
            venues = [r[0] for r in con.execute("SELECT DISTINCT venue FROM counted WHERE ts_event >= $a AND "
                                                "ts_event < $b ORDER BY 1", b).fetchall()]
            assets = [r[0] for r in con.execute(
                "SELECT base_asset FROM counted WHERE ts_event >= $a AND ts_event < $b GROUP BY 1 "
                "ORDER BY sum(usd) DESC, 1", b).fetchall()]
            (largest,) = largest_rows(con.execute(LARGEST_SQL, {"n": 1, "lo": c0, "hi": c1}).fetchall())
            peak = max(g, key=lambda m: (m[1], -m[0]))
            sided = long_ + short
            out.append(Cascade(
                start_ns=c0, end_ns=c1, start=iso_ns(c0), end=iso_ns(c1), peak_minute_ns=peak[0],
                peak_minute=iso_ns(peak[0]), peak_usd=peak[1], baseline_usd=g[0][2] or Decimal(0), total_usd=total,
                long_usd=long_, short_usd=short, long_share=exact(long_ / sided) if sided else None, events=n,
                hot_minutes=len(g), venues=venues, assets=assets, largest_event=largest))
    return out
