"""The venues: one folder per venue, each registered by one ``liqscope.venues`` entry point.

The registry and the types a venue declares itself with live in ``liqscope._registry``, which names no
venue module, so that layers above the venues can read the declarations without importing venue code.
"""

from liqscope._registry import Capability, Format, Inferred, SideConvention, VenueSpec, get_venue, venues

__all__ = ["Capability", "Format", "Inferred", "SideConvention", "VenueSpec", "get_venue", "venues"]
