"""Vectorized fast path for ``liquidation`` pushes (``SPEC.parse_batch``): the mapping declared in ``fast.toml``.

``venues._vectorized`` runs it over a whole batch. It takes a frame only when it is sure the per-record path
(``wire.decode_frame`` + ``parse.parse_message`` + ``normalize_record``, the reference) would accept it and produce
exactly the same rows; every other frame is handed back to that path.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from liqscope.events import LiquidationEvent
from liqscope.venues import _vectorized
from liqscope.venues.bitget_futures import parse

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = _vectorized.PROBE_RX


def probe(key: tuple[str, ...]) -> LiquidationEvent | None:
    """The reference parser's event for a liquidation of ``key`` = (instType, symbol) with valid numbers."""
    inst_type, symbol = key
    return parse.event(symbol, "buy", Decimal(1), Decimal(1), _PROBE_RX.ts_ns // 1_000_000, inst_type, _PROBE_RX)


parse_batch = _vectorized.fast_path(MAPPING, probe)
