"""Read market data back: series, the latest value per market at a time, OI-weighted funding."""

from __future__ import annotations

import decimal
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import msgspec

from liqscope._market_types import FundingRate, OpenInterest, Premium, Price, ReferenceBucket
from liqscope.market._store import BY_NAME, exact, relation, rows_as
from liqscope.store import Catalog

__all__ = ["OIWeightedFunding", "funding_rates", "latest_funding", "latest_open_interest", "latest_premium",
           "oi_weighted_funding", "open_interest", "premiums", "prices", "reference_buckets", "reference_extents"]

DAY_NS = 86_400_000_000_000
_CTX = decimal.Context(prec=40)


def _filters(venues: Iterable[str] | None, assets: Iterable[str] | None) -> tuple[str, dict[str, object]]:
    return ("(len($venues) = 0 OR list_contains($venues, venue)) AND "
            "(len($assets) = 0 OR list_contains($assets, base_asset))",
            {"venues": sorted(venues or []), "assets": sorted(a.upper() for a in assets or [])})


def _series(catalog: Catalog, table: str, start_ns: int, end_ns: int, venues: Iterable[str] | None,
            assets: Iterable[str] | None, extra: str = "", params: dict[str, object] | None = None) -> list:
    t = BY_NAME[table]
    if not catalog.table_files(t.name, None, start_ns, end_ns):
        return []  # nothing stored for this window: skip opening a database connection
    cond, p = _filters(venues, assets)
    sql = (f"SELECT * FROM {relation(catalog, t, None, start_ns, end_ns)} WHERE ts_event >= $start AND "
           f"ts_event < $end AND {cond} {extra} ORDER BY ts_event, venue, market")
    con = catalog.connect()
    try:
        return rows_as(t, con.execute(sql, {"start": start_ns, "end": end_ns, **p, **(params or {})}))
    finally:
        con.close()


def funding_rates(catalog: Catalog, start_ns: int, end_ns: int, *, venues: Iterable[str] | None = None,
                  assets: Iterable[str] | None = None, kind: str | None = None) -> list[FundingRate]:
    """Funding rates with ``ts_event`` in [start, end), oldest first (optionally one ``kind``)."""
    extra = "AND kind = $kind" if kind else ""
    return _series(catalog, "funding", start_ns, end_ns, venues, assets, extra, {"kind": kind} if kind else None)


def open_interest(catalog: Catalog, start_ns: int, end_ns: int, *, venues: Iterable[str] | None = None,
                  assets: Iterable[str] | None = None) -> list[OpenInterest]:
    """Open-interest observations in [start, end), oldest first, as stored (USD may be missing)."""
    return _series(catalog, "open_interest", start_ns, end_ns, venues, assets)


def prices(catalog: Catalog, start_ns: int, end_ns: int, *, venues: Iterable[str] | None = None,
           assets: Iterable[str] | None = None) -> list[Price]:
    """Reference prices (closes, highs, lows: ``price_type``) in [start, end), oldest first."""
    return _series(catalog, "price", start_ns, end_ns, venues, assets)


def premiums(catalog: Catalog, start_ns: int, end_ns: int, *, venues: Iterable[str] | None = None,
             assets: Iterable[str] | None = None) -> list[Premium]:
    """Mark/index premium observations in [start, end), oldest first."""
    return _series(catalog, "premium", start_ns, end_ns, venues, assets)


def _latest(catalog: Catalog, table: str, at_ns: int, lookback_ns: int, venues: Iterable[str] | None,
            assets: Iterable[str] | None, extra: str = "") -> list:
    t = BY_NAME[table]
    if not catalog.table_files(t.name, None, at_ns - lookback_ns, at_ns + 1):
        return []  # nothing stored for this window: skip opening a database connection
    cond, p = _filters(venues, assets)
    sql = (f"SELECT * FROM {relation(catalog, t, None, at_ns - lookback_ns, at_ns + 1)} WHERE ts_event <= $at "
           f"AND ts_event > $since AND {cond} {extra} "
           "QUALIFY row_number() OVER (PARTITION BY venue, market ORDER BY ts_event DESC, "
           "provider = 'venue' DESC) = 1 ORDER BY base_asset, venue, market")
    con = catalog.connect()
    try:
        return rows_as(t, con.execute(sql, {"at": at_ns, "since": at_ns - lookback_ns, **p}))
    finally:
        con.close()


def latest_funding(catalog: Catalog, at_ns: int, *, lookback_ns: int = 3 * DAY_NS,
                   venues: Iterable[str] | None = None, assets: Iterable[str] | None = None) -> list[FundingRate]:
    """The most recent funding rate of every market at ``at_ns`` (looking back ``lookback_ns``)."""
    return _latest(catalog, "funding", at_ns, lookback_ns, venues, assets)


def latest_premium(catalog: Catalog, at_ns: int, *, lookback_ns: int = DAY_NS,
                   venues: Iterable[str] | None = None, assets: Iterable[str] | None = None) -> list[Premium]:
    """The most recent mark/index premium of every market at ``at_ns``."""
    return _latest(catalog, "premium", at_ns, lookback_ns, venues, assets)


def latest_open_interest(catalog: Catalog, at_ns: int, *, lookback_ns: int = DAY_NS,
                         venues: Iterable[str] | None = None,
                         assets: Iterable[str] | None = None) -> list[OpenInterest]:
    """The most recent open interest of every market at ``at_ns``, valued in USD.

    Where the venue gave no USD value, it is the base amount (or lots, for 1000x symbols) at the latest
    mark price of the same market within the lookback, and ``method`` says so. Without a mark price the
    USD value stays ``None``: never a guess.
    """
    ois = _latest(catalog, "open_interest", at_ns, lookback_ns, venues, assets)
    marks = {(p.venue, p.market): p for p in latest_premium(catalog, at_ns, lookback_ns=lookback_ns, venues=venues,
                                                            assets=assets) if p.mark_price}
    out = []
    for oi in ois:
        mark = marks.get((oi.venue, oi.market))
        if oi.oi_usd is None and mark is not None and mark.mark_price is not None:
            amount = oi.oi_contracts if oi.oi_contracts is not None else oi.oi_base
            if amount is not None:
                usd = exact(_CTX.multiply(amount, mark.mark_price))
                oi = msgspec.structs.replace(oi, oi_usd=usd, method=f"{oi.method}; USD at mark {mark.mark_price} "
                                                                     f"(ts {mark.ts_event})")
        out.append(oi)
    return out


class WeightedComponent(msgspec.Struct, kw_only=True):
    """One market's part in an OI-weighted funding figure."""

    venue: str
    market: str
    rate_8h: Decimal
    oi_usd: Decimal
    weight: Decimal
    funding_ts: int
    interval_source: str


class OIWeightedFunding(msgspec.Struct, kw_only=True):
    """Σ rate_8h × OI_usd / Σ OI_usd over the markets of one asset that have both, at one time."""

    asset: str
    at_ns: int
    rate_8h: Decimal | None
    annualized: Decimal | None
    oi_usd: Decimal
    components: list[WeightedComponent]
    excluded: list[str]           # "venue:market (reason)" for markets with funding but no usable weight


def oi_weighted_funding(catalog: Catalog, at_ns: int, *, assets: Iterable[str] | None = None,
                        venues: Iterable[str] | None = None, lookback_ns: int = DAY_NS) -> list[OIWeightedFunding]:
    """OI-weighted funding per asset across venues at ``at_ns`` (per 8 h and annualized)."""
    funding = latest_funding(catalog, at_ns, lookback_ns=lookback_ns, venues=venues, assets=assets)
    ois = {(o.venue, o.market): o for o in latest_open_interest(catalog, at_ns, lookback_ns=lookback_ns,
                                                                 venues=venues, assets=assets)}
    by_asset: dict[str, list[FundingRate]] = defaultdict(list)
    for f in funding:
        by_asset[f.base_asset].append(f)
    out = []
    for asset, rates in sorted(by_asset.items()):
        comps: list[tuple[FundingRate, Decimal, Decimal]] = []  # (funding, its rate_8h, OI in USD)
        excluded: list[str] = []
        for f in rates:
            oi = ois.get((f.venue, f.market))
            if f.rate_8h is None:
                excluded.append(f"{f.venue}:{f.market} (funding interval unknown)")
            elif oi is None or not oi.oi_usd:
                excluded.append(f"{f.venue}:{f.market} (no open interest in USD)")
            else:
                comps.append((f, f.rate_8h, oi.oi_usd))
        total = sum((usd for _, _, usd in comps), Decimal(0))
        parts = [WeightedComponent(venue=f.venue, market=f.market, rate_8h=r8, oi_usd=usd,
                                   weight=exact(_CTX.divide(usd, total)) if total else Decimal(0),
                                   funding_ts=f.ts_event, interval_source=f.interval_source) for f, r8, usd in comps]
        rate = exact(_CTX.divide(sum((_CTX.multiply(r8, usd) for _, r8, usd in comps), Decimal(0)), total)
                     ) if total else None
        out.append(OIWeightedFunding(asset=asset, at_ns=at_ns, rate_8h=rate,
                                     annualized=exact(rate * 1095) if rate is not None else None,
                                     oi_usd=total, components=parts, excluded=excluded))
    return out


def reference_buckets(catalog: Catalog, start_ns: int, end_ns: int, *, provider: str = "coinglass",
                      asset: str = "BTC", series: str = "liquidations_1h") -> list[ReferenceBucket]:
    """An external platform's buckets that start in [start, end), oldest first."""
    t = BY_NAME["reference"]
    sql = (f"SELECT * FROM {relation(catalog, t, [provider], start_ns, end_ns)} WHERE ts_start >= $start AND "
           "ts_start < $end AND asset = $asset AND series = $series ORDER BY ts_start")
    con = catalog.connect()
    try:
        return rows_as(t, con.execute(sql, {"start": start_ns, "end": end_ns, "asset": asset.upper(),
                                            "series": series}))
    finally:
        con.close()


def reference_extents(catalog: Catalog) -> list[tuple[str, str, str, int, int]]:
    """Every stored reference series as (provider, series, asset, first bucket start, last bucket start)."""
    t = BY_NAME["reference"]
    if not catalog.table_files(t.name):
        return []
    con = catalog.connect()
    try:
        return [tuple(r) for r in con.execute(
            f"SELECT provider, series, asset, min(ts_start), max(ts_start) FROM {relation(catalog, t)} "
            "GROUP BY ALL ORDER BY ALL").fetchall()]
    finally:
        con.close()
