# The dashboard's panels beyond the report: range, reconciliation, cascades, flags, health, funding and
# open interest. Each metric route builds its Counted once (``_params.counted``) and hands it to the
# library. Every module here is part of liqscope: a missing one is an import error, not a missing panel.
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from fastapi import Query, Request
from fastapi.responses import Response

from liqscope import market
from liqscope.api import _params as p
from liqscope.api._params import End, MethodologyQ, Start, VenuesQ
from liqscope.metrics import (
    NOT_COVERED,
    Cascade,
    Flag,
    HealthIndex,
    Range,
    Reconciliation,
    VenueTotals,
    counted,
    detect_cascades,
    health_index,
    ranges,
    reconcile,
    structural_flags,
)

PANELS = ("range", "reconcile", "cascades", "flags", "health", "funding", "oi")


class MethodologyTotal(msgspec.Struct, kw_only=True):
    """One methodology's headline over the window (the range's members); ``covered`` False and ``note``
    "not covered by this methodology" when it counts none of the requested venues (figures are then 0
    and left out of the range)."""

    name: str
    version: int
    fingerprint: str
    total_usd: Decimal
    long_usd: Decimal
    short_usd: Decimal
    events: int
    by_venue: list[VenueTotals]      # an ordered array, largest first
    covered: bool = True
    estimated: bool = False
    note: str | None = None


class RangeView(msgspec.Struct, kw_only=True):
    """The library's Range plus each member methodology's headline, one request for the dashboard."""

    range: Range
    methodologies: list[MethodologyTotal]


_TYPES: dict[str, Any] = {"range": RangeView, "reconcile": Reconciliation, "cascades": list[Cascade],
                          "flags": list[Flag], "health": HealthIndex, "funding": list[market.FundingRate],
                          "oi": list[market.OpenInterest]}


def data_types() -> list[Any]:
    """Result types of the panels (for the OpenAPI document)."""
    return list(_TYPES.values())


MethodologiesQ = Annotated[list[p.MethodologyName] | None,
                           Query(description="Methodologies to compare (repeatable). Default: every built-in.")]
AssetsQ = Annotated[list[str] | None, Query(description="Base assets, e.g. BTC (repeatable).")]


def register(router: Any, responses: Callable[..., Any], ok: Callable[..., Any], lake: Callable[..., Any],
             report: Callable[..., Any]) -> None:
    """Add the panels' routes to ``router``."""

    def count(request: Request, name: str, start: str, end: str, venue: list[str] | None = None) -> Any:
        return p.counted(lake(request), name, start, end, venue)

    @router.get("/range", summary="Each statistic's [min, max] across methodologies",
                responses=responses(RangeView))
    def get_range(request: Request, start: Start, end: End, methodology: MethodologiesQ = None,
                  venue: VenuesQ = None) -> Response:
        cs = [count(request, n, start, end, venue) for n in (methodology or p.METHODOLOGIES)]
        reports = [report(request, c) for c in cs]
        totals = [MethodologyTotal(name=c.name, version=c.version, fingerprint=c.fingerprint,
                                   total_usd=r.total_usd, long_usd=r.long_usd, short_usd=r.short_usd,
                                   events=r.events, by_venue=r.by_venue,
                                   covered=c.coverage.covered, estimated=r.estimated,
                                   note=None if c.coverage.covered else NOT_COVERED)
                  for c, r in zip(cs, reports, strict=True)]
        return ok(RangeView(range=ranges(reports), methodologies=totals), *(c.methodology for c in cs))

    @router.get("/reconcile", summary="total(b) - total(a), attributed to the rules that differ (Shapley)",
                responses=responses(Reconciliation))
    def get_reconcile(request: Request, start: Start, end: End,
                      a: Annotated[p.MethodologyName, Query(description="Reconcile from.")] = "standard",
                      b: Annotated[p.MethodologyName, Query(description="Reconcile to.")] = "every-copy",
                      venue: VenuesQ = None) -> Response:
        ca, cb = count(request, a, start, end, venue), count(request, b, start, end, venue)
        return ok(reconcile(ca, cb), ca.methodology, cb.methodology)

    @router.get("/cascades", summary="Cascades: runs of minutes far above the trailing median",
                responses=responses(list[Cascade]))
    def get_cascades(request: Request, start: Start, end: End, methodology: MethodologyQ = "standard",
                     venue: VenuesQ = None) -> Response:
        c = count(request, methodology, start, end, venue)
        return ok(detect_cascades(c), c.methodology)

    @router.get("/flags", summary="Structural-risk flags with their numbers and thresholds",
                responses=responses(list[Flag]))
    def get_flags(request: Request, start: Start, end: End, methodology: MethodologyQ = "standard",
                  venue: VenuesQ = None) -> Response:
        c = count(request, methodology, start, end, venue)
        return ok(structural_flags(c), c.methodology)

    @router.get("/health", summary="Leverage-health index of one asset at one time",
                responses=responses(HealthIndex))
    def get_health(request: Request, at: Annotated[str, Query(description="As of this time. " + p.TIME_HELP,
                                                              pattern=p.ISO)],
                   methodology: MethodologyQ = "standard",
                   asset: Annotated[str, Query(pattern=r"^[A-Za-z0-9]{1,20}$", description="Base asset.")] = "BTC",
                   ) -> Response:
        m, at_ns = p.methodology(methodology), p.instant("at", at)
        # The anchor [at - 24 h, at]: the index is taken at its last instant (metrics.health).
        c = counted(lake(request), m, at_ns - 86_400_000_000_000, at_ns + 1)
        return ok(health_index(c, asset=asset), m)

    @router.get("/funding", summary="Funding rates (per 8h and annualized where the interval is known)",
                responses=responses(list[market.FundingRate]))
    def get_funding(request: Request, start: Start, end: End, venue: VenuesQ = None,
                    asset: AssetsQ = None) -> Response:
        s, e = p.window(start, end)
        return ok(market.funding_rates(lake(request), s, e, venues=venue, assets=p.names("asset", asset)))

    @router.get("/oi", summary="Open interest as published (single-sided)",
                responses=responses(list[market.OpenInterest]))
    def get_oi(request: Request, start: Start, end: End, venue: VenuesQ = None, asset: AssetsQ = None) -> Response:
        s, e = p.window(start, end)
        return ok(market.open_interest(lake(request), s, e, venues=venue, assets=p.names("asset", asset)))
