# The extension point: endpoints over metric modules that other issues add (range, reconcile, cascades,
# flags, health, funding, open interest). A panel is "present" when its module imports; its route is
# registered only then, so /api/server and the OpenAPI document list exactly what this tree has.
#
# To wire a new metric: add its module to PANELS, its result type to _TYPES, and a route in _ROUTES.
# The dashboard shows a panel for each name in /api/server's "panels".
from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from fastapi import Query, Request
from fastapi.responses import Response

from liqscope.api import _params as p
from liqscope.api._params import End, MethodologyQ, Start, VenuesQ

PANELS: dict[str, str] = {
    "range": "liqscope.metrics.range",
    "reconcile": "liqscope.metrics.reconcile",
    "cascades": "liqscope.metrics.cascades",
    "flags": "liqscope.metrics.flags",
    "health": "liqscope.metrics.health",
    "funding": "liqscope.market",
    "oi": "liqscope.market",
}

_MODULES: dict[str, Any] = {}
for _name, _module in PANELS.items():
    with contextlib.suppress(ImportError):  # not in this tree yet: the panel is listed as missing
        _MODULES[_name] = importlib.import_module(_module)


def present() -> list[str]:
    """Panels whose metric module exists (and so whose route is registered)."""
    return [n for n in PANELS if n in _MODULES]


def missing() -> list[str]:
    """Panels whose metric module is not in this tree."""
    return [n for n in PANELS if n not in _MODULES]


class MethodologyTotal(msgspec.Struct, kw_only=True):
    """One methodology's headline over the window (the range's members)."""

    name: str
    version: int
    fingerprint: str
    total_usd: Decimal
    long_usd: Decimal
    short_usd: Decimal
    events: int
    by_venue: dict[str, Decimal]


def _types() -> dict[str, Any]:
    t: dict[str, Any] = {}
    if "range" in _MODULES:
        # The library's Range plus each member methodology's headline, one request for the dashboard.
        t["range"] = msgspec.defstruct("RangeView", [("range", _MODULES["range"].Range),
                                                     ("methodologies", list[MethodologyTotal])], kw_only=True)
    if "reconcile" in _MODULES:
        t["reconcile"] = _MODULES["reconcile"].Reconciliation
    m = _MODULES
    if "cascades" in m:
        cascade = m["cascades"].Cascade
        t["cascades"] = list[cascade]  # type: ignore[valid-type]  # the panel's struct, found at run time
    if "flags" in m:
        flag = m["flags"].Flag
        t["flags"] = list[flag]  # type: ignore[valid-type]  # the panel's struct, found at run time
    if "health" in _MODULES:
        t["health"] = _MODULES["health"].HealthIndex
    if "funding" in m:
        rate, oi = m["funding"].FundingRate, m["oi"].OpenInterest
        t["funding"] = list[rate]  # type: ignore[valid-type]  # the panel's struct, found at run time
        t["oi"] = list[oi]  # type: ignore[valid-type]  # the panel's struct, found at run time
    return t


_TYPES = _types()


def data_types() -> list[Any]:
    """Result types of the present panels (for the OpenAPI document)."""
    return list(_TYPES.values())


MethodologiesQ = Annotated[list[p.MethodologyName] | None,
                           Query(description="Methodologies to compare (repeatable). Default: every built-in.")]
AssetsQ = Annotated[list[str] | None, Query(description="Base assets, e.g. BTC (repeatable).")]


def register(router: Any, responses: Callable[..., Any], ok: Callable[..., Any], lake: Callable[..., Any],
             report: Callable[..., Any]) -> None:
    """Add a route for each present panel to ``router``."""
    from liqscope.methodology import load

    if "range" in _MODULES:
        @router.get("/range", summary="Each statistic's [min, max] across methodologies",
                    responses=responses(_TYPES["range"]))
        def get_range(request: Request, start: Start, end: End, methodology: MethodologiesQ = None,
                      venue: VenuesQ = None) -> Response:
            ms = [p.methodology(n, venue) for n in (methodology or p.METHODOLOGIES)]
            s, e = p.window(start, end)
            reports = [report(request, m, s, e) for m in ms]
            totals = [MethodologyTotal(name=m.name, version=m.version, fingerprint=m.fingerprint(),
                                       total_usd=r.total_usd, long_usd=r.long_usd, short_usd=r.short_usd,
                                       events=r.events,
                                       by_venue={v: t.total_usd for v, t in r.by_venue.items()})
                      for m, r in zip(ms, reports, strict=True)]
            return ok(_TYPES["range"](range=_MODULES["range"].ranges(reports), methodologies=totals), *ms)

    if "reconcile" in _MODULES:
        @router.get("/reconcile", summary="total(b) - total(a), attributed to the rules that differ (Shapley)",
                    responses=responses(_TYPES["reconcile"]))
        def get_reconcile(request: Request, start: Start, end: End,
                          a: Annotated[p.MethodologyName, Query(description="Reconcile from.")] = "standard",
                          b: Annotated[p.MethodologyName, Query(description="Reconcile to.")] = "every-copy",
                          ) -> Response:
            ma, mb = load(a), load(b)
            s, e = p.window(start, end)
            return ok(_MODULES["reconcile"].reconcile(lake(request), ma, mb, s, e), ma, mb)

    if "cascades" in _MODULES:
        @router.get("/cascades", summary="Cascades: runs of minutes far above the trailing median",
                    responses=responses(_TYPES["cascades"]))
        def get_cascades(request: Request, start: Start, end: End, methodology: MethodologyQ = "standard",
                         venue: VenuesQ = None) -> Response:
            m, (s, e) = p.methodology(methodology, venue), p.window(start, end)
            return ok(_MODULES["cascades"].detect_cascades(lake(request), m, s, e), m)

    if "flags" in _MODULES:
        @router.get("/flags", summary="Structural-risk flags with their numbers and thresholds",
                    responses=responses(_TYPES["flags"]))
        def get_flags(request: Request, start: Start, end: End, methodology: MethodologyQ = "standard",
                      venue: VenuesQ = None) -> Response:
            m, (s, e) = p.methodology(methodology, venue), p.window(start, end)
            return ok(_MODULES["flags"].structural_flags(lake(request), m, s, e), m)

    if "health" in _MODULES:
        @router.get("/health", summary="Leverage-health index of one asset at one time",
                    responses=responses(_TYPES["health"]))
        def get_health(request: Request, at: Annotated[str, Query(description="As of this time. " + p.TIME_HELP,
                                                                  pattern=p.ISO)],
                       methodology: MethodologyQ = "standard",
                       asset: Annotated[str, Query(pattern=r"^[A-Za-z0-9]{1,20}$", description="Base asset.")] = "BTC",
                       ) -> Response:
            m, at_ns = p.methodology(methodology), p.instant("at", at)
            return ok(_MODULES["health"].health_index(lake(request), m, at_ns, asset=asset), m)

    if "funding" in _MODULES:
        @router.get("/funding", summary="Funding rates (per 8h and annualized where the interval is known)",
                    responses=responses(_TYPES["funding"]))
        def get_funding(request: Request, start: Start, end: End, venue: VenuesQ = None,
                        asset: AssetsQ = None) -> Response:
            s, e = p.window(start, end)
            rates = _MODULES["funding"].funding_rates(lake(request), s, e, venues=venue, assets=p.names("asset", asset))
            return ok(rates)

        @router.get("/oi", summary="Open interest as published (single-sided)", responses=responses(_TYPES["oi"]))
        def get_oi(request: Request, start: Start, end: End, venue: VenuesQ = None, asset: AssetsQ = None) -> Response:
            s, e = p.window(start, end)
            return ok(_MODULES["oi"].open_interest(lake(request), s, e, venues=venue,
                                                   assets=p.names("asset", asset)))
