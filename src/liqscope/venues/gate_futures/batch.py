"""Vectorized fast path for ``futures.public_liquidates`` updates (``SPEC.parse_batch``): ``fast.toml``.

``venues._vectorized`` runs it over a whole batch; every frame it is not sure of goes down the per-record
path (``wire.decode_frame`` + ``parse.parse_message``, the reference).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from liqscope.events import LiquidationEvent
from liqscope.venues import _vectorized
from liqscope.venues.gate_futures import parse, wire

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = _vectorized.PROBE_RX


def probe(key: tuple[str, ...]) -> LiquidationEvent | None:
    """The reference parser's event for a liquidation order of contract ``key[0]`` with valid numbers."""
    (contract,) = key
    order = wire.LiquidateOrder(price=Decimal(1), size=Decimal(-1), time_ms=_PROBE_RX.ts_ns // 1_000_000,
                                contract=contract)
    return parse.event(order, _PROBE_RX)


parse_batch = _vectorized.fast_path(MAPPING, probe)
