"""The venue registry, read from the ``liqscope.venues`` entry points at call time."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib.metadata import entry_points
from types import MappingProxyType

from liqscope.errors import RegistryError, UnknownName
from liqscope.venues._spec import Capability, Format, SideConvention, VenueSpec

__all__ = ["Capability", "Format", "SideConvention", "VenueSpec", "get_venue", "venues"]


@functools.cache
def venues() -> Mapping[str, VenueSpec]:
    """Return every registered venue, by id (an immutable, sorted mapping)."""
    specs = {ep.name: ep.load() for ep in entry_points(group="liqscope.venues")}
    for name, spec in specs.items():
        if spec.id != name:
            raise RegistryError(f"entry point {name!r} loads a spec whose id was {spec.id!r}")
    return MappingProxyType(dict(sorted(specs.items())))


def get_venue(venue_id: str) -> VenueSpec:
    """Return one venue's spec.

    Raises:
        UnknownName: The id is not registered; the message lists the valid ids.
    """
    registry = venues()
    try:
        return registry[venue_id]
    except KeyError:
        raise UnknownName("venue", venue_id, registry) from None
