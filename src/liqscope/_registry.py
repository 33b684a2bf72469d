"""What a venue declares about itself, and the registry of declared venues.

The registry is read from the ``liqscope.venues`` entry points at call time and cached as an immutable
mapping. This module names no venue module: the entry points say where each venue lives. That is what
lets the layers that must not import venue code (the methodology, the metrics, the store) read what a venue
declares (its id, whether its feed is sampled, its formats): the contracts in pyproject.toml
``[tool.importlinter]``. ``liqscope.venues`` re-exports the public names.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import Any

from liqscope.errors import RegistryError, UnknownName
from liqscope.events import LiquidationEvent, QtyUnit, Received, Source

__all__ = ["BatchPart", "Capability", "Format", "Inferred", "ParseBatch", "SideConvention", "VenueSpec", "get_venue",
           "venues"]


class Capability(enum.StrEnum):
    """A fact about a venue's liquidation feed. Tests check each declaration against fixtures."""

    WS_EVERY_LIQUIDATION = "ws_every_liquidation"  # absent: the stream is throttled / sampled
    FILLED_QUANTITY = "filled_quantity"            # absent: only order quantity is published
    FILL_PRICE = "fill_price"                      # absent: only bankruptcy/order price
    ORDER_PRICE = "order_price"                    # the order/bankruptcy price is published
    EVENT_ID = "event_id"                          # the venue gives a unique id per liquidation
    ACCOUNTS = "accounts"                          # the liquidated account is exposed
    REST_BACKFILL = "rest_backfill"
    ARCHIVE = "archive"


class SideConvention(enum.StrEnum):
    """What the venue's raw side field means."""

    ORDER = "order"        # side of the liquidation order: SELL closes a long
    POSITION = "position"  # side of the liquidated position: Buy/long means a long was liquidated
    TAKER = "taker"        # taker side of a trade, combined with a flag
    FILL_LEG = "fill_leg"  # each user's own fill side (Hyperliquid)


@dataclass(frozen=True, kw_only=True)
class Inferred:
    """A field whose reading liqscope inferred, because the venue does not document it.

    An event is of ``exact`` provenance when no declaration applies to it, else ``inferred`` (docs/standard.md).

    Attributes:
        field: The event field read by inference (``liquidated_side``, ``quantity_unit``).
        why: What was inferred, and from what.
        kind: Only events of this liquidation kind (``"adl"``); ``None``: every event of the venue.
    """

    field: str
    why: str
    kind: str | None = None


@dataclass(frozen=True, kw_only=True)
class Format:
    """An input file format other than JSON lines of raw websocket messages.

    Attributes:
        name: The ``--format`` value.
        split: File bytes + file name -> iterable of ``(line_no, record_bytes)``; header lines are not records.
        decode: One record + file name -> wire struct (the name can carry what the rows do not, e.g. the symbol).
        parse: Wire struct + receipt context -> events.
        source: What kind of source this format is (archive, file, ...).
        repeats_records: The format is known to write every record more than once (Binance's archive writes
            each row twice). An exact repeat of an earlier record in the same file is stored as a record of
            its own whose events are further copies of the same liquidations (same ``event_id``): counting
            rules decide (``identity`` counts one copy, ``every_copy`` all). Declared so that a batch
            committed before repeats were stored (they were dropped then) replays as it was (``verify``).
    """

    name: str
    split: Callable[[bytes, str], Iterable[tuple[int, bytes]]]  # (file bytes, file name)
    decode: Callable[[bytes, str], Any]  # (record bytes, file name)
    parse: Callable[[Any, Received], list[LiquidationEvent]]
    source: str = "archive"
    repeats_records: bool = False
    description: str = ""
    # The venue's columnar fast path, when this format's records are the venue's own records in a file (its
    # decode is the venue's decode with the file name ignored): ``normalize_batch`` runs it as for the venue.
    parse_batch: ParseBatch | None = None


@dataclass(frozen=True, kw_only=True)
class BatchPart:
    """What a venue's columnar fast path made of a batch of raw records (see ``VenueSpec.parse_batch``).

    Attributes:
        table: The rows it built, in record order: every ``EVENT_SCHEMA`` column except ``record_key`` and
            ``synthetic``.
        rows: The record index of each row of ``table``, an Arrow int64 array (``normalize_batch`` counts and
            orders the rows without a Python list of them).
        fallback: Indices of the records it did not take (anything it was not sure of); ``normalize_batch``
            runs those through ``normalize_record``, so their outcome is exactly the per-record one.
        skipped: Index -> reason of the records it proved the per-record path skips (``NotALiquidation``, the
            parser's own words): decoded without error, no duplicate key, no liquidation. Neither in ``rows``
            nor in ``fallback``.
    """

    table: Any  # pa.Table: pyarrow is not imported by the registry
    rows: Any  # pa.Array (int64): pyarrow is not imported by the registry
    fallback: Sequence[int]
    skipped: Mapping[int, str] = field(default_factory=dict)


# (raws, ts_recv, refs, source) -> BatchPart
ParseBatch = Callable[[Sequence[bytes], Sequence[int], Sequence[str], Source], BatchPart]


@dataclass(frozen=True, kw_only=True)
class VenueSpec:
    """A venue, as the registry sees it.

    Attributes:
        id: Venue id, a snake_case market family (``binance_usdm``).
        decode: Raw bytes of one record -> the venue's wire struct (raises ``msgspec`` errors).
        parse: Wire struct + receipt context -> events. Pure: no I/O, no clock.
        capabilities: What the feed gives; see ``Capability``.
        side_convention: What the raw side field means.
        quantity_unit: The unit the venue publishes quantities in.
        sampling: One line on how the feed samples liquidations; ``None`` when it sends every one.
        formats: Input formats ``ingest --format`` accepts for this venue besides ``jsonl``.
        parse_batch: Optional columnar fast path for ``jsonl`` records (``decode`` + ``parse`` over a whole
            batch, straight to Arrow); it must give the same rows as the per-record path for every record it
            takes, and hand back the others.
        positions: Optional reader of a snapshot of account positions with the venue's own liquidation
            prices, (file bytes, ``FileContext``) -> ``PositionSnapshot`` (``_market_types``): the input of a
            measured liquidation map (``liqscope levels measured``). ``None``: the venue publishes none.
        venue_time: False for a timeless venue, whose records carry no time of their own (BitMEX's
            ``liquidation`` table): its ``ts_event`` is the receipt time (the capture's, or an archive's
            own, e.g. Tardis's local timestamp), so a file of its records without receipt times is refused.
        silence_hole_seconds: The silence after which a file ingest of this venue has a hole (an inferred
            coverage gap), calibrated from the venue's real arrival rate; the default of a methodology's
            ``coverage.silence``. ``None``: too little real data to calibrate, no gaps inferred.
        inferred: The fields whose reading is inferred, not documented by the venue (``Inferred``).
    """

    id: str
    decode: Callable[[bytes], Any]
    parse: Callable[[Any, Received], list[LiquidationEvent]]
    capabilities: frozenset[Capability]
    side_convention: SideConvention
    quantity_unit: QtyUnit
    sampling: str | None = None
    formats: Mapping[str, Format] = field(default_factory=dict)
    parse_batch: ParseBatch | None = None
    positions: Callable[[bytes, Any], Any] | None = None  # typed loosely: the registry imports no market types
    venue_time: bool = True
    inferred: tuple[Inferred, ...] = ()
    silence_hole_seconds: int | None = None

    @property
    def sampled(self) -> bool:
        """True when the live feed does not send every liquidation, so totals are floors."""
        return Capability.WS_EVERY_LIQUIDATION not in self.capabilities


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
