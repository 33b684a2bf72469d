"""Vectorized fast path for FUTURES ``liquidation-orders`` pushes (``SPEC.parse_batch``): the mapping in ``fast.toml``.

``venues._vectorized`` runs it over a whole batch; every frame it is not sure of goes down the per-record
path (``wire.decode_frame`` + ``parse.parse_message``, the reference).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from liqscope.events import LiquidationEvent
from liqscope.venues import _vectorized
from liqscope.venues.okx_futures import parse, wire

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = _vectorized.PROBE_RX
_PROBE_DETAIL = wire.Detail(side="sell", posSide="net", bkPx=Decimal(1), sz=Decimal(1),
                            ts=str(_PROBE_RX.ts_ns // 1_000_000))


def probe(key: tuple[str, ...]) -> LiquidationEvent | None:
    """The reference parser's event for one liquidation of dated future ``key[0]`` with valid numbers."""
    (inst_id,) = key
    (event,) = parse.events_of(inst_id, [_PROBE_DETAIL], _PROBE_RX, field="data.instId")
    return event


parse_batch = _vectorized.fast_path(MAPPING, probe)
