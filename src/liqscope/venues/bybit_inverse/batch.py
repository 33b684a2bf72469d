"""Vectorized fast path for inverse-stream liquidation frames (``SPEC.parse_batch``): the mapping in ``fast.toml``.

``venues._vectorized`` runs it over a whole batch. It takes a frame only when it is sure the per-record path
(``wire.decode_frame`` + ``parse.parse_frame`` + ``normalize_record``, the reference) would accept it and produce
exactly the same rows; every other frame is handed back to that path.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from liqscope.events import LiquidationEvent
from liqscope.venues import _vectorized
from liqscope.venues.bybit_inverse import parse

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = _vectorized.PROBE_RX


def probe(key: tuple[str, ...]) -> LiquidationEvent | None:
    """The reference parser's event for a liquidation of symbol ``key[0]`` with valid numbers (its instrument)."""
    (symbol,) = key
    return parse._event(symbol, _PROBE_RX.ts_ns // 1_000_000, "Buy", Decimal(1), Decimal(1), _PROBE_RX,
                        ("data.s", "data.S"))


parse_batch = _vectorized.fast_path(MAPPING, probe)
