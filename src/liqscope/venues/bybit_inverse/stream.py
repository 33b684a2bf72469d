"""Bybit v5 inverse live stream: ``allLiquidation.{symbol}`` on ``wss://stream.bybit.com/v5/public/inverse``.

Same protocol as linear (docs/v5/websocket/wss-authentication.mdx): per-symbol topics, 10 per subscribe
request, ``{"op": "ping"}`` every 20 s.
"""

from __future__ import annotations

from liqscope.venues._stream import StreamSpec
from liqscope.venues.bybit_linear.emulate import Bybit
from liqscope.venues.bybit_linear.stream import is_control, subscribe_topics

URL = "wss://stream.bybit.com/v5/public/inverse"
# Inverse perpetuals (1-USD contracts); pass ``symbols`` for others, or dated ones (BTCUSDH25).
SYMBOLS = ("BTCUSD", "ETHUSD", "XRPUSD", "SOLUSD", "EOSUSD", "DOTUSD", "ADAUSD", "LTCUSD", "MANAUSD")

STREAM = StreamSpec(
    venue="bybit_inverse",
    url=URL,
    dialect=Bybit,
    subscribe=subscribe_topics,
    symbols=SYMBOLS,
    control=is_control,
    ping='{"op":"ping"}',
    ping_interval_s=20.0,
    silence_s=900.0,  # inverse contracts see far fewer liquidations than linear ones
    notes="every liquidation of the subscribed symbols, batched per 500 ms; quantities are USD contracts",
)
