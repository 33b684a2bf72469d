"""Binance COIN-M live stream: the all-market ``!forceOrder@arr`` stream on ``dstream``, in the URL.

Same protocol as USDⓈ-M (https://developers.binance.com/docs/derivatives/coin-margined-futures/
websocket-market-streams/All-Market-Liquidation-Order-Streams); base ``wss://dstream.binance.com``.
"""

from __future__ import annotations

from liqscope.venues._stream import StreamSpec
from liqscope.venues.binance_usdm.emulate import Binance
from liqscope.venues.binance_usdm.stream import is_control, subscribe_none

URL = "wss://dstream.binance.com/ws/!forceOrder@arr"

STREAM = StreamSpec(
    venue="binance_coinm",
    url=URL,
    dialect=Binance,
    subscribe=subscribe_none,
    control=is_control,
    # COIN-M has far fewer liquidations than USDⓈ-M: a quiet quarter hour is plausible.
    silence_s=900.0,
    notes="1 liquidation per symbol per 1000 ms (sampled); server pings every 3 min; 24 h connection limit",
)
