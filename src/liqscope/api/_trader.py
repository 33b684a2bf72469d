# The views traders expect (CoinGlass's 1h/4h/12h/24h tiles and tables, a price line on the timeline), each
# built from the counted relation: one Counted per timeframe, its report, nothing computed a second way.
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from fastapi import Query, Request
from fastapi.responses import Response

from liqscope._time import iso_ns
from liqscope.api import _params as p
from liqscope.api._params import End, MethodologyQ, Start, VenuesQ
from liqscope.errors import ConfigError
from liqscope.methodology import ResolvedWindow
from liqscope.metrics import NOT_COVERED, PriceSeries, price_series
from liqscope.metrics.report import AssetTotals, Largest, VenueTotals

TIMEFRAMES: tuple[tuple[str, int], ...] = (("1h", 3_600), ("4h", 14_400), ("12h", 43_200), ("24h", 86_400))


class Timeframe(msgspec.Struct, kw_only=True):
    """One timeframe ending at the overview's ``end``: the report of [end - seconds, end) under the
    methodology (``window``: what its window kind resolved that anchor to), with its rankings and its
    largest single liquidation."""

    label: str
    seconds: int
    window: ResolvedWindow
    total_usd: Decimal
    long_usd: Decimal
    short_usd: Decimal
    unknown_side_usd: Decimal
    events: int
    long_events: int
    short_events: int
    estimated: bool
    largest: Largest | None
    by_asset: list[AssetTotals]
    by_venue: list[VenueTotals]
    covered: bool = True
    note: str | None = None


class Overview(msgspec.Struct, kw_only=True):
    """The 1h, 4h, 12h and 24h timeframes ending at ``end``, under one methodology."""

    end: str
    end_ns: int
    timeframes: list[Timeframe]


def data_types() -> list[Any]:
    """Result types of these routes (for the OpenAPI document)."""
    return [Overview, PriceSeries]


def register(router: Any, responses: Callable[..., Any], ok: Callable[..., Any], lake: Callable[..., Any],
             report: Callable[..., Any]) -> None:
    """Add the overview and price routes to ``router``."""

    @router.get("/overview", summary="Totals, long/short, rankings and the largest liquidation over the last "
                "1h, 4h, 12h and 24h before end", responses=responses(Overview))
    def get_overview(request: Request, end: End, methodology: MethodologyQ = "standard",
                     venue: VenuesQ = None) -> Response:
        end_ns = p.instant("end", end)
        frames, m = [], None
        for label, seconds in TIMEFRAMES:
            start = iso_ns(end_ns - seconds * 1_000_000_000)
            c = p.counted(lake(request), methodology, start, end, venue)
            r, m = report(request, c, 1), c.methodology
            frames.append(Timeframe(
                label=label, seconds=seconds, window=c.window, total_usd=r.total_usd, long_usd=r.long_usd,
                short_usd=r.short_usd, unknown_side_usd=r.unknown_side_usd, events=r.events,
                long_events=r.long_events, short_events=r.short_events, estimated=r.estimated,
                largest=r.largest[0] if r.largest else None, by_asset=r.by_asset, by_venue=r.by_venue,
                covered=c.coverage.covered, note=None if c.coverage.covered else NOT_COVERED))
        return ok(Overview(end=iso_ns(end_ns), end_ns=end_ns, timeframes=frames), m)

    @router.get("/prices", summary="One asset's price per bucket: ingested prices, else the liquidations' fill "
                "prices (the source is named)", responses=responses(PriceSeries))
    def get_prices(request: Request, start: Start, end: End,
                   asset: Annotated[str, Query(pattern=r"^[^\s]{1,64}$", description="Base asset, e.g. BTC.")],
                   methodology: MethodologyQ = "standard", venue: VenuesQ = None,
                   bucket: Annotated[p.BucketName,  # type: ignore[valid-type]  # a Literal built at import (_params)
                                     Query(description="Bucket width (UTC-aligned).")] = "1h",
                   ) -> Response:
        c = p.counted(lake(request), methodology, start, end, venue)
        try:
            return ok(price_series(c, p.names("asset", [asset])[0], bucket=bucket), c.methodology)
        except ConfigError as err:
            raise p.bad("bucket", str(err).removeprefix("bucket: ")) from None
