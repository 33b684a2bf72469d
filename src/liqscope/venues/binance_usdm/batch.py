"""Vectorized fast path for ``forceOrder`` frames (``SPEC.parse_batch``): the mapping declared in ``fast.toml``.

``venues._vectorized`` runs it over a whole batch. It takes a frame only when it is sure the per-record path
(``wire.decode_frame`` + ``parse.parse_force_order`` + ``normalize_record``, the reference) would accept it
and produce exactly the same row; every other frame is handed back to that path.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from liqscope.events import LiquidationEvent
from liqscope.venues import _vectorized
from liqscope.venues.binance_usdm import parse, wire

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = _vectorized.PROBE_RX
_ONE = Decimal(1)


def probe(key: tuple[str, ...]) -> LiquidationEvent | None:
    """The reference parser's event for a frame of symbol ``key[0]`` and valid numbers (its instrument columns)."""
    (symbol,) = key
    body = wire.ForceOrderBody(s=symbol, S="SELL", o="LIMIT", f="IOC", q=_ONE, p=_ONE, ap=_ONE, X="FILLED", l=_ONE,
                               z=_ONE, T=_PROBE_RX.ts_ns // 1_000_000)
    (event,) = parse.parse_body(body, _PROBE_RX)
    return event


parse_batch = _vectorized.fast_path(MAPPING, probe)
