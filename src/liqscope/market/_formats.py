"""Input formats for market data: each venue's ``market.py`` declares its own (``FORMATS``); the CSV
importers of third-party exports live in ``liqscope.market._csv``. No central list of venues."""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Mapping
from importlib.metadata import entry_points
from types import MappingProxyType, ModuleType

from liqscope._market_types import FileContext, MarketFormat, Parsed, json_document, json_lines
from liqscope._registry import venues
from liqscope.errors import UnknownName

__all__ = ["FileContext", "MarketFormat", "Parsed", "funding_schedules", "get_format", "json_document", "json_lines",
           "market_formats"]

# The reader types and helpers live in liqscope._market_types (venues build their FORMATS from them); they
# are re-exported here and by liqscope.market.


@functools.cache
def _market_modules() -> Mapping[str, ModuleType]:
    # Each registered venue's market.py, by venue id (a venue without market data has none).
    registered = venues()
    found = {}
    for ep in entry_points(group="liqscope.venues"):
        vid, package = ep.name, ep.module
        if vid not in registered:
            continue
        if importlib.util.find_spec(f"{package}.market") is None:
            continue
        found[vid] = importlib.import_module(f"{package}.market")
    return MappingProxyType(found)


@functools.cache
def funding_schedules() -> Mapping[str, tuple[tuple[int, int], ...]]:
    """Each venue's documented default funding schedule (its ``market.py`` ``FUNDING_SCHEDULE``): ``(from ns,
    hours)`` pairs, latest first. A venue that declares none has no default."""
    return MappingProxyType({vid: module.FUNDING_SCHEDULE for vid, module in _market_modules().items()
                             if hasattr(module, "FUNDING_SCHEDULE")})


@functools.cache
def market_formats() -> Mapping[str, MarketFormat]:
    """Every market-data format: each registered venue's ``market.py`` ``FORMATS`` plus the CSV importers."""
    from liqscope.market import _csv

    found: dict[str, MarketFormat] = dict(_csv.FORMATS)
    for vid, module in _market_modules().items():
        for name, fmt in getattr(module, "FORMATS", {}).items():
            if fmt.venue != vid or name in found:
                raise UnknownName(f"market format of {vid} (duplicate or wrong venue)", name, found)
            found[name] = fmt
    return MappingProxyType(dict(sorted(found.items())))


def get_format(name: str) -> MarketFormat:
    """One market format by name.

    Raises:
        UnknownName: Not a known format; the message lists every valid one.
    """
    formats = market_formats()
    if name not in formats:
        raise UnknownName("market format", name, formats)
    return formats[name]
