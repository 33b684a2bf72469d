"""Vectorized fast path for ``v4_trades`` pushes (``SPEC.parse_batch``): the mapping in ``fast.toml``.

``venues._vectorized`` runs it over a whole batch; every frame it is not sure of goes down the per-record
path (``wire.decode_frame`` + ``parse.parse_message``, the reference). A push mixes trade types: LIMIT trades
give no row, and a push with no LIQUIDATED or DELEVERAGED trade goes down the reference path (a skip there).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from liqscope._registry import BatchPart
from liqscope.events import LiquidationEvent, LiquidationKind, Received, Source
from liqscope.venues import _vectorized
from liqscope.venues.dydx_v4 import parse

MAPPING = _vectorized.load(Path(__file__).with_name("fast.toml"))
_PROBE_RX = Received(ts_ns=1_700_000_000_000_000_000, ref="probe")


def probe(key: tuple[str, ...]) -> LiquidationEvent | None:
    """The reference parser's event for a liquidation trade on market ``key[0]`` with valid numbers."""
    (market,) = key
    return parse.event("probe", market, "SELL", Decimal(1), Decimal(1), _PROBE_RX.ts_ns, LiquidationKind.MARKET,
                       _PROBE_RX)


def parse_batch(raws: Sequence[bytes], ts_recv: Sequence[int], refs: Sequence[str], source: Source) -> BatchPart:
    """Normalize the ``v4_trades`` pushes of a batch in columns; hand back every frame it is not sure of.

    Args:
        raws: Raw records (one JSON message each).
        ts_recv: Receipt time of each record (ns).
        refs: Raw reference of each record.
        source: How the records reached us.
    """
    return _vectorized.run(MAPPING, raws, ts_recv, refs, source, probe)
