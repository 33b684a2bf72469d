# Small views over the registry and the methodology presets: what /api/venues and /api/methodologies return.
from __future__ import annotations

from typing import Any

import msgspec

from liqscope.methodology import Methodology
from liqscope.store import RawRecord
from liqscope.venues import VenueSpec


class VenueInfo(msgspec.Struct, kw_only=True):
    """A registered venue: what its side field means, its units, how its feed samples, its formats."""

    id: str
    capabilities: list[str]
    side_convention: str
    quantity_unit: str
    sampled: bool
    sampling: str | None
    formats: list[str]


class MethodologyInfo(msgspec.Struct, kw_only=True):
    """A methodology: name, version, fingerprint, description and (when shown alone) its rules."""

    name: str
    version: int
    fingerprint: str
    description: str
    rules: dict[str, object] | None = None


def venue_info(s: VenueSpec) -> VenueInfo:
    return VenueInfo(id=s.id, capabilities=sorted(s.capabilities), side_convention=str(s.side_convention),
                     quantity_unit=str(s.quantity_unit), sampled=s.sampled, sampling=s.sampling,
                     formats=["jsonl", *sorted(s.formats)])


def methodology_info(m: Methodology, *, rules: bool = False) -> MethodologyInfo:
    return MethodologyInfo(name=m.name, version=m.version, fingerprint=m.fingerprint(), description=m.description,
                           rules=m.rules() if rules else None)


class Endpoint(msgspec.Struct, kw_only=True):
    path: str
    summary: str


class ServerInfo(msgspec.Struct, kw_only=True):
    """What this server offers: endpoints, the optional panels present, closed sets and limits."""

    liqscope: str
    endpoints: list[Endpoint]
    panels: list[str]
    missing_panels: list[str]
    venues: list[str]
    methodologies: list[str]
    default_methodology: str
    buckets: list[str]
    max_window_days: int
    min_time: str
    max_time: str
    max_page: int
    max_largest: int
    live_poll_seconds: float


class RawView(msgspec.Struct, kw_only=True):
    """One kept raw record: its bytes as text, decoded when JSON, and the batches that read its input."""

    ref: str
    sha256: str
    line: int
    raw: str
    decoded: Any
    batches: list[dict[str, str]]



def raw_view(rec: RawRecord) -> RawView:
    """The API view of a ``RawRecord``."""
    return RawView(ref=rec.ref, sha256=rec.sha256, line=rec.line, raw=rec.raw.decode("utf-8", "replace"),
                   decoded=rec.decoded(), batches=rec.batches)
