"""Ranges: each statistic's [min, max] across the reports of several methodologies."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from liqscope.metrics._counted import NOT_COVERED
from liqscope.metrics.report import Report, SideTotals

__all__ = ["AssetRange", "Range", "StatRange", "VenueRange", "ranges"]

_ZERO = Decimal(0)
_FIELDS = ("total_usd", "long_usd", "short_usd")


class StatRange(msgspec.Struct, kw_only=True):
    """[min, max] of the total, long and short notional of one slice."""

    total_usd: tuple[Decimal, Decimal]
    long_usd: tuple[Decimal, Decimal]
    short_usd: tuple[Decimal, Decimal]


class AssetRange(StatRange, kw_only=True):
    """The [min, max] of one asset: a row of ``Range.by_asset``."""

    asset: str

    @property
    def name(self) -> str:
        """The row's key (the asset)."""
        return self.asset


class VenueRange(StatRange, kw_only=True):
    """The [min, max] of one venue: a row of ``Range.by_venue``."""

    venue: str

    @property
    def name(self) -> str:
        """The row's key (the venue)."""
        return self.venue


class Range(msgspec.Struct, kw_only=True):
    """Each statistic's [min, max] across methodologies, and which methodologies were compared.

    A slice (asset, venue) that a methodology does not count is 0 under it, so its minimum is 0. A
    methodology that covers none of the requested venues has no figure: it is listed in
    ``methodologies`` with ``note`` "not covered by this methodology" and left out of every [min, max].
    """

    methodologies: list[dict[str, object]]
    total_usd: tuple[Decimal, Decimal]
    long_usd: tuple[Decimal, Decimal]
    short_usd: tuple[Decimal, Decimal]
    by_asset: list[AssetRange]   # ordered arrays, largest maximum first (then by name)
    by_venue: list[VenueRange]


def _span(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    return (min(values), max(values)) if values else (_ZERO, _ZERO)


_R = TypeVar("_R", AssetRange, VenueRange)


def _slices(reports: Sequence[Report], row: type[_R]) -> list[_R]:
    dim = "asset" if row is AssetRange else "venue"
    rows = [{t.name: t for t in getattr(r, f"by_{dim}")} for r in reports]
    out: dict[str, _R] = {}
    for key in {k for r in rows for k in r}:
        parts = [r.get(key, SideTotals()) for r in rows]
        fields: dict[str, Any] = {dim: key, **{f: _span([getattr(p, f) for p in parts]) for f in _FIELDS}}
        out[key] = row(**fields)
    return sorted(out.values(), key=lambda r: (-r.total_usd[1], r.name))


def ranges(reports: Sequence[Report]) -> Range:
    """The range of every statistic (total, long, short, per asset, per venue) across ``reports``.

    Raises:
        ValueError: No reports.
    """
    if not reports:
        raise ValueError("ranges() needs at least one report")
    members = [{**r.methodology, "covered": r.coverage.covered,
                "note": None if r.coverage.covered else NOT_COVERED} for r in reports]
    counted = [r for r in reports if r.coverage.covered]
    return Range(methodologies=members, **{f: _span([getattr(r, f) for r in counted]) for f in _FIELDS},
                 by_asset=_slices(counted, AssetRange), by_venue=_slices(counted, VenueRange))
