"""Vectorized fast path for ``liquidation-orders`` pushes (``SPEC.parse_batch``): the mapping declared in ``fast.toml``.

``venues._vectorized`` runs it over a whole batch. It takes a frame only when it is sure the per-record path
(``wire.decode_frame`` + ``parse.parse_message`` + ``normalize_record``, the reference) would accept it and
produce exactly the same rows; every other frame is handed back to that path.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from liqscope.events import LiquidationEvent
from liqscope.venues import _vectorized
from liqscope.venues.okx_swap import parse, wire

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = _vectorized.PROBE_RX
_PROBE_DETAIL = wire.Detail(side="sell", posSide="net", bkPx=Decimal(1), sz=Decimal(1),
                            ts=str(_PROBE_RX.ts_ns // 1_000_000))


def probe(key: tuple[str, ...]) -> LiquidationEvent | None:
    """The reference parser's event for one liquidation of instrument ``key[0]`` with valid numbers."""
    (inst_id,) = key
    orders = wire.LiquidationOrders(instId=inst_id, instType="SWAP", details=[_PROBE_DETAIL])
    (event,) = parse.parse_orders(orders, _PROBE_RX)
    return event


parse_batch = _vectorized.fast_path(MAPPING, probe)
