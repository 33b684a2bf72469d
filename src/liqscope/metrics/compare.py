"""liqscope's own hourly totals beside an external platform's published aggregate (e.g. CoinGlass).

liqscope's side is computed on the venues the platform says it covers (coverage nests), for the same
asset. Where liqscope's narrower total EXCEEDS the platform's wider one, something is wrong on one
side (a double count, a unit error, a different asset definition): such hours are flagged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from liqscope._time import iso_ns
from liqscope.market import reference_buckets, reference_extents
from liqscope.metrics._counted import Counted, exact
from liqscope.metrics._empty import Empty, why_empty

__all__ = ["VENUE_EXCHANGE", "Comparison", "HourComparison", "compare"]

HOUR_NS = 3_600_000_000_000
# liqscope venue -> the exchange name aggregators use.
VENUE_EXCHANGE = {"binance_usdm": "binance", "binance_coinm": "binance", "bybit_linear": "bybit",
                  "okx_swap": "okx", "hyperliquid": "hyperliquid"}


class HourComparison(msgspec.Struct, kw_only=True):
    """One hour: liqscope's long/short/total beside the reference, their ratio, and any excess."""

    hour: str
    hour_ns: int
    long_usd: Decimal
    short_usd: Decimal
    total_usd: Decimal
    reference_long_usd: Decimal
    reference_short_usd: Decimal
    reference_total_usd: Decimal
    ratio: Decimal | None               # liqscope total / reference total; None when either side has nothing
    exceeds: list[str]                  # "long", "short", "total" where liqscope > reference
    raw_ref: str
    # "compared", or "no_coverage": liqscope counted nothing of the asset in this hour (a recorder hole, a venue
    # outside the lake): that is no coverage, never a ratio of 0.
    status: Literal["compared", "no_coverage"] = "compared"


class Comparison(msgspec.Struct, kw_only=True):
    """liqscope vs an external series over [start, end)."""

    provider: str
    series: str
    asset: str
    reference_covers: list[str]
    liqscope_venues: list[str]
    hours: list[HourComparison]
    hours_exceeding: list[str]
    liqscope_only_hours: list[str]      # hours where liqscope counted liquidations but the series has no row
    methodology: dict[str, object]
    no_coverage_hours: list[str] = []   # reference hours where liqscope counted nothing (status no_coverage)
    empty: Empty | None = None          # why there is nothing to compare: no such reference, or no liqscope events


def compare(c: Counted, *, asset: str = "BTC", provider: str = "coinglass",
            series: str = "liquidations_1h") -> Comparison:
    """Compare liqscope's hourly totals of ``asset`` in the counted window with a stored reference series.

    liqscope's side keeps the counted rows of ``asset`` on the venues the reference covers (and the
    methodology counts); hourly totals are aggregates (they include an estimate where it estimates).
    """
    buckets = reference_buckets(c.catalog, c.start_ns, c.end_ns, provider=provider, asset=asset, series=series)
    covers = sorted({x for b in buckets for x in b.covers.split(",")})
    scope = [v for v, ex in VENUE_EXCHANGE.items() if ex in covers]
    with c.connect(("venue", "base_asset", "liquidated_side", "ts_event", "usd")) as con:
        con.execute("DELETE FROM counted WHERE NOT (list_contains($scope, venue) AND base_asset = $asset)",
                    {"scope": scope, "asset": asset.upper()})
        rows = con.execute(
            f"SELECT ts_event // {HOUR_NS} * {HOUR_NS} AS h, coalesce(sum(usd) FILTER (liquidated_side = 'LONG'), 0), "
            f"coalesce(sum(usd) FILTER (liquidated_side = 'SHORT'), 0), sum(usd) FROM counted GROUP BY h").fetchall()
        venues = [r[0] for r in con.execute("SELECT DISTINCT venue FROM counted ORDER BY 1").fetchall()]
    ours = {h: (exact(lo), exact(sh), exact(t)) for h, lo, sh, t in rows}
    zero = (Decimal(0), Decimal(0), Decimal(0))
    hours = []
    for b in buckets:
        lo, sh, tot = ours.get(b.ts_start, zero)
        exceeds = [name for name, a, r in (("long", lo, b.long_usd), ("short", sh, b.short_usd),
                                            ("total", tot, b.total_usd)) if a > r]
        hours.append(HourComparison(
            hour=iso_ns(b.ts_start), hour_ns=b.ts_start, long_usd=lo, short_usd=sh, total_usd=tot,
            reference_long_usd=b.long_usd, reference_short_usd=b.short_usd, reference_total_usd=b.total_usd,
            ratio=exact(tot / b.total_usd) if b.total_usd and b.ts_start in ours else None, exceeds=exceeds,
            raw_ref=b.raw_ref, status="compared" if b.ts_start in ours else "no_coverage"))
    seen = {b.ts_start for b in buckets}
    empty = None
    if not buckets:
        empty = _no_reference(c, provider, series, asset.upper())
    elif not ours:
        empty = why_empty(c, asset=asset)
    return Comparison(provider=provider, series=series, asset=asset.upper(), reference_covers=covers,
                      liqscope_venues=venues, hours=hours, hours_exceeding=[h.hour for h in hours if h.exceeds],
                      liqscope_only_hours=[iso_ns(h) for h in sorted(ours) if h not in seen],
                      methodology=c.meta(), no_coverage_hours=[h.hour for h in hours if h.status == "no_coverage"],
                      empty=empty)


def _no_reference(c: Counted, provider: str, series: str, asset: str) -> Empty:
    stored = reference_extents(c.catalog)
    providers = sorted({p for p, *_ in stored})
    if provider not in providers:
        return Empty(code="unknown_provider", known=providers,
                     reason=f"the lake holds no reference series from {provider!r}; it holds "
                            f"{', '.join(providers) or 'none (liqscope market ingest --format coinglass-...)'}")
    mine = [(a, lo, hi) for p, s, a, lo, hi in stored if p == provider and s == series]
    known = sorted({a for a, _, _ in mine})
    spans = [(lo, hi) for a, lo, hi in mine if a == asset]
    if not spans:
        return Empty(code="asset_not_in_lake", known=known,
                     reason=f"the lake holds no {provider} {series} series for {asset}; it holds {', '.join(known)}")
    lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
    return Empty(code="reference_not_in_window", lake_first_event=iso_ns(lo), lake_last_event=iso_ns(hi),
                 reason=f"the {provider} {series} series for {asset} runs from {iso_ns(lo)} to {iso_ns(hi)}, "
                        f"outside the window {iso_ns(c.start_ns)} → {iso_ns(c.end_ns)}")
