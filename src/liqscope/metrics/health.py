"""The leverage-health index: a published, versioned formula (docs/market-structure.md, "Leverage-health
index"). Revising the formula means a new ``HEALTH_INDEX_VERSION``, never a silent change.

lhi-2, for one asset at time t (hourly grid):

- funding       = OI-weighted funding per 8 h across venues (latest rate and OI USD per market, ≤ 1 day old)
- premium       = OI-weighted mark/index premium ((mark − index)/index; the venue's premium index where
                  no mark/index pair is published), markets without OI weight equally
- oi_change     = total OI USD now / 24 h ago − 1
- liq_imbalance = (long − short) / (long + short) of counted liquidations in (t − 24 h, t]

t is the last instant of the counted window (its end, exclusive, minus 1 ns): ``liqscope health --at T``
counts the anchor [T − 24 h, T] under the methodology, and the history under the same rules.

Each component's value at t is ranked against its own hourly values over the previous 30 days:
percentile = (count below + ½ count equal) / count. A component is *used* when it has a value at t and
at least ``MIN_HISTORY`` (360, half the 30 days) hourly history points. The index is computable when at
least ``MIN_COMPONENTS`` (2 of the 4) are used: it is then 100 × the mean percentile of the used
components (equal weights, each ``1/used``), and its headline names them with their weights. Below that
it is *not computable* (``index`` None) and ``reason`` says which components are missing and why; it is
never computed from fewer. High = leverage building on the long side (crowded, expensive, growing, longs
being liquidated).

lhi-1 (superseded) needed only 24 history points and one component: it printed "98.0 / 100" from a
liquidation imbalance alone, over 25 hours of history.
"""

from __future__ import annotations

import bisect
import decimal
from collections import defaultdict
from decimal import Decimal

import msgspec

from liqscope._time import iso_ns
from liqscope.market._store import BY_NAME, relation
from liqscope.metrics._counted import Counted, exact
from liqscope.store import Catalog

__all__ = ["HEALTH_INDEX_VERSION", "MIN_COMPONENTS", "MIN_HISTORY", "HealthComponent", "HealthIndex", "health_index",
           "percentile_rank"]

HEALTH_INDEX_VERSION = "lhi-2"
HOUR_NS = 3_600_000_000_000
DAY_NS = 24 * HOUR_NS
HISTORY_HOURS = 30 * 24
MIN_HISTORY = HISTORY_HOURS // 2     # a component needs half of its 30 days of hourly history ...
MIN_COMPONENTS = 2                   # ... and the index at least 2 of its 4 components
STALE_NS = DAY_NS
_CTX = decimal.Context(prec=40)
COMPONENTS = ("funding", "premium", "oi_change", "liq_imbalance")


class HealthComponent(msgspec.Struct, kw_only=True):
    """One component: its current value, percentile vs its trailing history, the history size, and its
    weight in the index (None when it is not used; ``note`` says why)."""

    name: str
    value: Decimal | None
    percentile: Decimal | None
    history_points: int
    note: str = ""
    weight: Decimal | None = None


class HealthIndex(msgspec.Struct, kw_only=True):
    """The index (0–100) and what it rests on: the components used, their weights, the rest and why.

    ``index`` is None (``computable`` False) when fewer than ``MIN_COMPONENTS`` components have a value
    and ``MIN_HISTORY`` history points; ``reason`` then says what is missing. ``headline`` is the one
    line every face prints.
    """

    version: str
    asset: str
    at: str
    at_ns: int
    index: Decimal | None
    components: list[HealthComponent]
    missing: list[str]
    methodology: dict[str, object]
    computable: bool = False
    used: list[str] = []
    reason: str | None = None
    headline: str = ""
    min_components: int = MIN_COMPONENTS
    min_history: int = MIN_HISTORY


def _fraction(w: Decimal) -> str:
    n = round(1 / w) if w else 0
    return f"1/{n}" if n > 1 else "1"


def percentile_rank(value: Decimal, history: list[Decimal]) -> Decimal:
    """Mid-rank percentile of ``value`` in ``history``: (below + ½ equal) / n."""
    s = sorted(history)
    below = bisect.bisect_left(s, value)
    equal = bisect.bisect_right(s, value) - below
    return exact(_CTX.divide(Decimal(below) + Decimal(equal) / 2, Decimal(len(s))))


def _asof(series: dict[tuple[str, str], tuple[list[int], list[Decimal]]], t: int
          ) -> dict[tuple[str, str], Decimal]:
    out = {}
    for key, (ts, vals) in series.items():
        i = bisect.bisect_right(ts, t) - 1
        if i >= 0 and t - ts[i] <= STALE_NS:
            out[key] = vals[i]
    return out


def _load(catalog: Catalog, table: str, column: str, asset: str, lo: int, hi: int,
          where: str = "") -> dict[tuple[str, str], tuple[list[int], list[Decimal]]]:
    sql = (f"SELECT venue, market, ts_event, {column} FROM {relation(catalog, BY_NAME[table], None, lo, hi)} "
           f"WHERE base_asset = $asset AND ts_event >= $lo AND ts_event <= $hi AND {column} IS NOT NULL {where} "
           "ORDER BY ts_event")
    con = catalog.connect()
    try:
        rows = con.execute(sql, {"asset": asset, "lo": lo, "hi": hi}).fetchall()
    finally:
        con.close()
    out: dict[tuple[str, str], tuple[list[int], list[Decimal]]] = defaultdict(lambda: ([], []))
    for v, m, t, x in rows:
        out[(v, m)][0].append(t)
        out[(v, m)][1].append(Decimal(x))
    return dict(out)


def _weighted(values: dict[tuple[str, str], Decimal], weights: dict[tuple[str, str], Decimal]) -> Decimal | None:
    common = [k for k in values if weights.get(k)]
    if common:
        total = sum((weights[k] for k in common), Decimal(0))
        return exact(_CTX.divide(sum((_CTX.multiply(values[k], weights[k]) for k in common), Decimal(0)), total))
    if values:
        return exact(_CTX.divide(sum(values.values(), Decimal(0)), Decimal(len(values))))
    return None


def health_index(c: Counted, *, asset: str = "BTC") -> HealthIndex:
    """Compute leverage-health index ``HEALTH_INDEX_VERSION`` for ``asset`` at the counted window's last
    instant (see the module doc); the liquidation component reads the same rules over 30 days before."""
    catalog, at_ns = c.catalog, c.end_ns - 1
    asset = asset.upper()
    grid = [at_ns - h * HOUR_NS for h in range(HISTORY_HOURS, -1, -1)]     # history ..., now
    lo = grid[0] - 2 * DAY_NS
    funding = _load(catalog, "funding", "rate_8h", asset, lo, at_ns)
    oi = _load(catalog, "open_interest", "oi_usd", asset, lo, at_ns)
    prem = _load(catalog, "premium", "coalesce(premium, premium_index)", asset, lo, at_ns)
    with c.span(lo, at_ns + 1, "30 days of history (health index)").connect(
            ("ts_event", "base_asset", "liquidated_side", "usd")) as con:
        liq = con.execute("SELECT ts_event, liquidated_side, usd FROM counted WHERE base_asset = $asset "
                          "AND liquidated_side IS NOT NULL ORDER BY ts_event", {"asset": asset}).fetchall()
    liq_ts = [r[0] for r in liq]
    signed = [Decimal(r[2]) if r[1] == "LONG" else -Decimal(r[2]) for r in liq]
    absolute = [Decimal(r[2]) for r in liq]
    cum_s, cum_a = [Decimal(0)], [Decimal(0)]
    for s, a in zip(signed, absolute, strict=True):
        cum_s.append(cum_s[-1] + s)
        cum_a.append(cum_a[-1] + a)

    def at(t: int) -> dict[str, Decimal | None]:
        w = _asof(oi, t)
        w_prev = _asof(oi, t - DAY_NS)
        keys = set(w) & set(w_prev)
        oi_now = sum((w[k] for k in keys), Decimal(0))
        oi_then = sum((w_prev[k] for k in keys), Decimal(0))
        i, j = bisect.bisect_right(liq_ts, t - DAY_NS), bisect.bisect_right(liq_ts, t)
        gross = cum_a[j] - cum_a[i]
        return {
            "funding": _weighted(_asof(funding, t), w),
            "premium": _weighted(_asof(prem, t), w),
            "oi_change": exact(_CTX.divide(oi_now, oi_then) - 1) if oi_then else None,
            "liq_imbalance": exact(_CTX.divide(cum_s[j] - cum_s[i], gross)) if gross else None,
        }

    points = [at(t) for t in grid]
    now = points[-1]
    comps, missing = [], []
    for name in COMPONENTS:
        hist = [v for p in points[:-1] if (v := p[name]) is not None]
        value = now[name]
        if value is None or len(hist) < MIN_HISTORY:
            missing.append(name)
            note = ("no value at t" if value is None
                    else f"only {len(hist)} hourly history points (needs {MIN_HISTORY})")
            comps.append(HealthComponent(name=name, value=value, percentile=None, history_points=len(hist), note=note))
        else:
            comps.append(HealthComponent(name=name, value=value, percentile=percentile_rank(value, hist),
                                         history_points=len(hist)))
    used = [x for x in comps if x.percentile is not None]
    names = [x.name for x in used]
    head = f"{asset} leverage-health index {HEALTH_INDEX_VERSION} at {iso_ns(at_ns)}: "
    if len(used) < MIN_COMPONENTS:
        why = "; ".join(f"{x.name}: {x.note}" for x in comps if x.percentile is None)
        reason = (f"{len(used)} of {len(COMPONENTS)} components usable ({', '.join(names) or 'none'}), "
                  f"needs at least {MIN_COMPONENTS} with a value at t and {MIN_HISTORY} hourly history points "
                  f"- {why}")
        return HealthIndex(version=HEALTH_INDEX_VERSION, asset=asset, at=iso_ns(at_ns), at_ns=at_ns, index=None,
                           components=comps, missing=missing, methodology=c.meta(), computable=False, used=names,
                           reason=reason, headline=f"{head}not computable: {reason}")
    weight = exact(_CTX.divide(Decimal(1), Decimal(len(used))))
    for x in used:
        x.weight = weight
    index = exact(_CTX.divide(100 * sum((x.percentile for x in used if x.percentile is not None), Decimal(0)),
                              Decimal(len(used))))
    parts = ", ".join(f"{x.name} {_fraction(weight)}" for x in used)
    rest = f"; not used: {', '.join(missing)}" if missing else ""
    return HealthIndex(version=HEALTH_INDEX_VERSION, asset=asset, at=iso_ns(at_ns), at_ns=at_ns, index=index,
                       components=comps, missing=missing, methodology=c.meta(), computable=True, used=names,
                       headline=f"{head}{index:.1f} / 100 from {parts} (equal weights){rest}")
