"""Vectorized fast path for ``trade`` liquidation messages (``SPEC.parse_batch``): the mapping in ``fast.toml``.

``venues._vectorized`` runs it over a whole batch. It takes a frame only when it is sure the per-record path
(``wire.decode_frame`` + ``parse.parse_message`` + ``normalize_record``, the reference) would accept it and produce
exactly the same rows; every other frame is handed back to that path.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from liqscope.events import LiquidationEvent
from liqscope.venues import _vectorized
from liqscope.venues.kraken_futures import parse

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = _vectorized.PROBE_RX


def probe(key: tuple[str, ...]) -> LiquidationEvent | None:
    """The reference parser's event for a liquidation of product ``key[0]`` with valid numbers.

    None for a product the reference would rewrite (it upper-cases ``pi_xbtusd``): the fast path copies the
    product into the market and the id as sent, so it takes only products already written as the reference writes
    them.
    """
    (product,) = key
    event = parse.event("probe", product, "sell", Decimal(1), Decimal(1), _PROBE_RX.ts_ns // 1_000_000, _PROBE_RX)
    return event if event.market == product else None


parse_batch = _vectorized.fast_path(MAPPING, probe)
