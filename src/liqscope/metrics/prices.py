"""A price line to lay over the timeline: ingested prices when the lake holds them, else the counted
liquidations' own fill prices, and always the name of the source it used."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Literal

import msgspec

from liqscope._time import iso_ns
from liqscope.errors import ConfigError, UnknownName
from liqscope.market import premiums, prices
from liqscope.metrics._counted import Counted, exact
from liqscope.metrics.timeline import BUCKETS, MAX_BUCKETS

__all__ = ["PricePoint", "PriceSeries", "PriceSource", "price_series"]

PriceSource = Literal["ingested_price", "mark_price", "fill_price", "none"]


class PricePoint(msgspec.Struct, kw_only=True):
    """One bucket [ts, ts + width) of the series: the last observation in it, and its low and high."""

    ts: str
    ts_ns: int
    price: Decimal        # the last observation in the bucket (a close)
    low: Decimal
    high: Decimal
    observations: int


class PriceSeries(msgspec.Struct, kw_only=True):
    """One market's price per bucket over the counted window, and where the prices come from.

    ``source``: ``ingested_price`` (the lake's price table, e.g. spot closes), ``mark_price`` (the lake's
    mark/index observations), ``fill_price`` (the average fill prices of the counted liquidations: no
    price was ingested for the asset in the window) or ``none`` (nothing at all). Buckets without an
    observation have no point: the line is never drawn across a silence.
    """

    asset: str
    source: PriceSource
    detail: str
    venue: str | None
    market: str | None
    bucket: str
    bucket_ns: int
    points: list[PricePoint]
    methodology: dict[str, object]


def _bucketed(obs: list[tuple[int, Decimal]], width: int) -> list[PricePoint]:
    # obs are oldest first: the last one in a bucket is its close.
    out: dict[int, PricePoint] = {}
    for ts, price in obs:
        b = ts // width * width
        p = out.get(b)
        if p is None:
            out[b] = PricePoint(ts=iso_ns(b), ts_ns=b, price=price, low=price, high=price, observations=1)
        else:
            p.price, p.low, p.high, p.observations = price, min(p.low, price), max(p.high, price), p.observations + 1
    return [msgspec.structs.replace(p, price=exact(p.price), low=exact(p.low), high=exact(p.high))
            for p in out.values()]


def _busiest(keys: list[tuple[str, str]]) -> tuple[str, str]:
    # The market with the most observations; ties go to the first in name order.
    counts = Counter(keys)
    return min(counts, key=lambda k: (-counts[k], k))


def price_series(c: Counted, asset: str, *, bucket: str = "1h") -> PriceSeries:
    """The price of ``asset`` per ``bucket`` over the counted window, from the best source the lake has.

    Ingested prices first (the ``price`` table, then mark prices from ``premium``), each from the one
    market with the most observations (and of the ``price`` table, its closes where it has them);
    failing both, the fill prices of the counted liquidations of the asset's busiest market.
    ``source`` and ``detail`` say which was used.

    Args:
        c: The counted relation (its window is the series' span; its rows give the fill prices).
        asset: Base asset, e.g. ``BTC`` (upper-cased).
        bucket: One of the timeline's buckets.

    Raises:
        ConfigError: ``bucket`` is not a timeline bucket, or the window holds more than ``MAX_BUCKETS``.
    """
    if bucket not in BUCKETS:
        raise UnknownName("bucket", bucket, tuple(BUCKETS))
    width, asset = BUCKETS[bucket], asset.upper()
    if -(-(c.end_ns - c.start_ns // width * width) // width) > MAX_BUCKETS:
        raise ConfigError(f"bucket: more than {MAX_BUCKETS:,} buckets of {bucket}; pick a wider bucket")

    def series(source: PriceSource, detail: str, venue: str | None = None, market: str | None = None,
               points: list[PricePoint] | None = None) -> PriceSeries:
        return PriceSeries(asset=asset, source=source, detail=detail, venue=venue, market=market, bucket=bucket,
                           bucket_ns=width, points=points or [], methodology=c.meta())

    # One series of one kind: a close where the source publishes closes (an export may store the hour's
    # high and low beside it, which are not points of the same line).
    ingested = prices(c.catalog, c.start_ns, c.end_ns, assets=[asset])
    if ingested:
        venue, market = _busiest([(p.venue, p.market) for p in ingested])
        same = [p for p in ingested if (p.venue, p.market) == (venue, market)]
        types = Counter(p.price_type for p in same)
        kind = min(types, key=lambda t: (not t.endswith("close"), -types[t], t))
        chosen = [p for p in same if p.price_type == kind]
        kinds = kind
        return series("ingested_price", f"ingested {kinds} prices of {market} on {venue} ({len(chosen)} observations)",
                      venue, market, _bucketed([(p.ts_event, p.price) for p in chosen], width))
    marks = [p for p in premiums(c.catalog, c.start_ns, c.end_ns, assets=[asset]) if p.mark_price is not None]
    if marks:
        venue, market = _busiest([(p.venue, p.market) for p in marks])
        rows = [p for p in marks if (p.venue, p.market) == (venue, market)]
        return series("mark_price", f"ingested mark prices of {market} on {venue} ({len(rows)} observations)",
                      venue, market, _bucketed([(p.ts_event, p.mark_price) for p in rows if p.mark_price is not None],
                                               width))
    with c.connect(("venue", "market", "base_asset", "ts_event", "price", "event_id")) as con:
        top = con.execute("SELECT venue, market, count(*) AS n FROM counted WHERE base_asset = $a GROUP BY ALL "
                          "ORDER BY n DESC, venue, market LIMIT 1", {"a": asset}).fetchone()
        fills = [] if top is None else con.execute(
            "SELECT ts_event, price FROM counted WHERE venue = $v AND market = $m AND price IS NOT NULL "
            "ORDER BY ts_event, event_id", {"v": top[0], "m": top[1]}).fetchall()
    if top is None or not fills:
        return series("none", f"no ingested price and no counted liquidation of {asset} in this window")
    return series("fill_price", f"no price ingested for {asset}: average fill prices of the {len(fills):,} counted "
                  f"liquidations of {top[1]} on {top[0]}", top[0], top[1],
                  _bucketed([(ts, Decimal(p)) for ts, p in fills], width))
