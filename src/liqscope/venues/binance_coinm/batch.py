"""Vectorized fast path for COIN-M ``forceOrder`` frames (``SPEC.parse_batch``): the mapping in ``fast.toml``.

``venues._vectorized`` runs it over a whole batch; every frame it is not sure of goes down the per-record
path (``parse.parse_force_order``, the reference).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from liqscope.events import LiquidationEvent
from liqscope.venues import _vectorized
from liqscope.venues.binance_coinm import parse
from liqscope.venues.binance_usdm import wire

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = _vectorized.PROBE_RX
_ONE = Decimal(1)


def probe(key: tuple[str, ...]) -> LiquidationEvent | None:
    """The reference parser's event for a frame of symbol and pair ``key`` and valid numbers."""
    symbol, pair = key
    body = wire.ForceOrderBody(s=symbol, ps=pair, S="SELL", o="LIMIT", f="IOC", q=_ONE, p=_ONE, ap=_ONE, X="FILLED",
                               l=_ONE, z=_ONE, T=_PROBE_RX.ts_ns // 1_000_000)
    (event,) = parse.parse_body(body, _PROBE_RX)
    return event


parse_batch = _vectorized.fast_path(MAPPING, probe)
