# Liquidation levels: the estimated map at a time and the heatmap over a window, with realized liquidations
# (metrics/levels.py; the model is the methodology's [levels] section, docs/levels.md).
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import Response

from liqscope.api import _params as p
from liqscope.api._params import End, MethodologyQ, Start
from liqscope.errors import ConfigError
from liqscope.metrics.levels import REALIZED, LevelsHeatmap, LevelsMap, levels_heatmap, liquidation_map

MAX_HEATMAP_DAYS = 31
_HOUR_NS = 3_600_000_000_000

AssetQ = Annotated[str, Query(pattern=r"^[A-Za-z0-9]{1,20}$", description="Base asset, e.g. BTC.")]
RealizedQ = Annotated[Literal[REALIZED], Query(  # type: ignore[valid-type]  # a Literal of the library's names
    description="Realized liquidations overlaid: the counted relation, or the CoinGlass hourly reference series.")]


def data_types() -> list[Any]:
    """Result types of the levels routes (for the OpenAPI document)."""
    return [LevelsMap, LevelsHeatmap]


def register(router: Any, responses: Callable[..., Any], ok: Callable[..., Any], lake: Callable[..., Any]) -> None:
    """Add ``/api/levels`` and ``/api/levels/heatmap`` to ``router``."""

    @router.get("/levels", summary="Estimated liquidation map of one asset at one time (inferred, not measured)",
                responses=responses(LevelsMap))
    def get_levels(request: Request, at: Annotated[str, Query(description="As of this time. " + p.TIME_HELP,
                                                              pattern=p.ISO)],
                   asset: AssetQ = "BTC", methodology: MethodologyQ = "standard",
                   range_pct: Annotated[float, Query(ge=0.5, le=90, description="Buckets within this many % of "
                                                                                "the price.")] = 15.0) -> Response:
        m = p.methodology(methodology)
        at_ns = p.instant("at", at)
        try:
            levels = liquidation_map(lake(request), m, asset, at_ns, range_pct=range_pct)
        except ConfigError as e:  # the lake holds no OI or price of this asset before `at`: say which input
            raise p.bad("asset", str(e)) from e
        return ok(levels, m)

    @router.get("/levels/heatmap", summary="Price x time x USD at risk, hourly, with realized liquidations",
                responses=responses(LevelsHeatmap))
    def get_heatmap(request: Request, start: Start, end: End, asset: AssetQ = "BTC",
                    methodology: MethodologyQ = "standard", realized: RealizedQ = "counted") -> Response:
        s, e = p.window(start, end)
        if e - s > MAX_HEATMAP_DAYS * 24 * _HOUR_NS:
            raise p.bad("end", f"the heatmap may span at most {MAX_HEATMAP_DAYS} days")
        c = p.counted(lake(request), methodology, start, end)
        return ok(levels_heatmap(c, asset, realized=realized), c.methodology)
