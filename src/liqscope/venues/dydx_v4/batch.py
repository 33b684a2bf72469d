"""Vectorized fast path for ``v4_trades`` pushes (``SPEC.parse_batch``): the mapping in ``fast.toml``.

``venues._vectorized`` runs it over a whole batch; every frame it is not sure of goes down the per-record
path (``wire.decode_frame`` + ``parse.parse_message``, the reference). A push mixes trade types: LIMIT trades
give no row, and a push with no LIQUIDATED or DELEVERAGED trade goes down the reference path (a skip there).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from liqscope.events import LiquidationEvent, LiquidationKind
from liqscope.venues import _vectorized
from liqscope.venues.dydx_v4 import parse

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = _vectorized.PROBE_RX


def probe(key: tuple[str, ...]) -> LiquidationEvent | None:
    """The reference parser's event for a liquidation trade on market ``key[0]`` with valid numbers."""
    (market,) = key
    return parse.event("probe", market, "SELL", Decimal(1), Decimal(1), _PROBE_RX.ts_ns, LiquidationKind.MARKET,
                       _PROBE_RX)


parse_batch = _vectorized.fast_path(MAPPING, probe)
