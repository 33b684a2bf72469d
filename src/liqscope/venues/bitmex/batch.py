"""Vectorized fast path for ``liquidation`` table inserts and partials (``SPEC.parse_batch``): ``fast.toml``.

``venues._vectorized`` runs it over a whole batch; every frame it is not sure of goes down the per-record
path (``wire.decode_frame`` + ``parse.parse_message``, the reference). The rows carry no time: each event's
is its frame's receipt time, as the reference's. Lines that carry their own receipt time (``_received``,
``ingest --received-at``) are decoded by a wrapper, not the venue's own decode: they never come here.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from liqscope.events import LiquidationEvent
from liqscope.venues import _vectorized
from liqscope.venues.bitmex import parse

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = _vectorized.PROBE_RX


def probe(key: tuple[str, ...]) -> LiquidationEvent | None:
    """The reference parser's event for a liquidation order of symbol ``key[0]`` with valid numbers."""
    (symbol,) = key
    return parse.event("probe", symbol, "Sell", Decimal(1), Decimal(1), _PROBE_RX.ts_ns, _PROBE_RX)


parse_batch = _vectorized.fast_path(MAPPING, probe)
