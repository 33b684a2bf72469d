"""Vectorized fast path for ``liquidation`` table inserts and partials (``SPEC.parse_batch``): ``fast.toml``.

``venues._vectorized`` runs it over a whole batch; every frame it is not sure of goes down the per-record
path (``wire.decode_frame`` + ``parse.parse_message``, the reference). The rows carry no time: each event's
is its frame's receipt time, as the reference's. Lines that carry their own receipt time (``_received``,
``ingest --received-at``) are decoded by a wrapper, not the venue's own decode: they never come here.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from liqscope._registry import BatchPart
from liqscope.events import LiquidationEvent, Received, Source
from liqscope.venues import _vectorized
from liqscope.venues.bitmex import parse

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = Received(ts_ns=1_700_000_000_000_000_000, ref="probe")


def probe(key: tuple[str, ...]) -> LiquidationEvent | None:
    """The reference parser's event for a liquidation order of symbol ``key[0]`` with valid numbers."""
    (symbol,) = key
    return parse.event("probe", symbol, "Sell", Decimal(1), Decimal(1), _PROBE_RX.ts_ns, _PROBE_RX)


def parse_batch(raws: Sequence[bytes], ts_recv: Sequence[int], refs: Sequence[str], source: Source) -> BatchPart:
    """Normalize the liquidation inserts and partials of a batch in columns; hand back every frame it is not sure of.

    Args:
        raws: Raw records (one JSON message each).
        ts_recv: Receipt time of each record (ns).
        refs: Raw reference of each record.
        source: How the records reached us.
    """
    return _vectorized.run(MAPPING, raws, ts_recv, refs, source, probe)
