"""Vectorized fast path for ``trades.*`` liquidation pushes (``SPEC.parse_batch``): the mapping in ``fast.toml``.

``venues._vectorized`` runs it over a whole batch. It takes a frame only when it is sure the per-record path
(``wire.decode_frame`` + ``parse.parse_message`` + ``normalize_record``, the reference) would accept it and produce
exactly the same rows; every other frame (ordinary trades among the liquidations, an "MT" flag, options) is
handed back to that path.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from liqscope.events import LiquidationEvent, PositionSide
from liqscope.venues import _vectorized
from liqscope.venues.deribit import parse

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = _vectorized.PROBE_RX


def probe(key: tuple[str, ...]) -> LiquidationEvent | None:
    """The reference parser's event for a liquidation on instrument ``key[0]`` with valid numbers."""
    (name,) = key
    return parse.event("1", name, PositionSide.LONG, Decimal(1), Decimal(1), _PROBE_RX.ts_ns // 1_000_000, _PROBE_RX,
                       direction="sell")


parse_batch = _vectorized.fast_path(MAPPING, probe)
