"""liqscope's own hourly totals beside an external platform's published aggregate (e.g. CoinGlass).

liqscope's side is computed on the venues the platform says it covers (coverage nests), for the same
asset. Where liqscope's narrower total EXCEEDS the platform's wider one, something is wrong on one
side (a double count, a unit error, a different asset definition): such hours are flagged.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from liqscope._time import iso_ns
from liqscope.market import reference_buckets
from liqscope.metrics._counted import Counted, exact

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
    ratio: Decimal | None               # liqscope total / reference total
    exceeds: list[str]                  # "long", "short", "total" where liqscope > reference
    raw_ref: str


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
            ratio=exact(tot / b.total_usd) if b.total_usd else None, exceeds=exceeds, raw_ref=b.raw_ref))
    seen = {b.ts_start for b in buckets}
    return Comparison(provider=provider, series=series, asset=asset.upper(), reference_covers=covers,
                      liqscope_venues=venues, hours=hours, hours_exceeding=[h.hour for h in hours if h.exceeds],
                      liqscope_only_hours=[iso_ns(h) for h in sorted(ours) if h not in seen],
                      methodology=c.meta())
