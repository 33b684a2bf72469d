"""dYdX v4 live stream: the indexer's ``v4_trades`` channel, one subscription per market.

- URL: ``wss://indexer.dydx.trade/v4/ws``; ``{"type":"subscribe","channel":"v4_trades","id":"BTC-USD"}``
  (https://docs.dydx.exchange/api_integration-indexer/indexer_websocket).
- ``subscribed`` carries the market's recent trades (a replay after every reconnect, deduped by trade id)
  and ``channel_data`` the new ones: both are data. The server pings at the protocol level.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from liqscope.venues._stream import StreamSpec
from liqscope.venues.dydx_v4.emulate import Dydx

URL = "wss://indexer.dydx.trade/v4/ws"
MARKETS = ("BTC-USD", "ETH-USD", "SOL-USD", "DOGE-USD", "XRP-USD", "LINK-USD", "AVAX-USD", "SUI-USD")


class _Probe(msgspec.Struct):
    type: str = ""  # connected / subscribed / channel_data / channel_batch_data / error / unsubscribed


_probe = msgspec.json.Decoder(_Probe).decode


def is_control(raw: bytes) -> bool:
    """True for ``connected``, ``error`` and other frames that carry no trades."""
    try:
        return _probe(raw).type not in ("subscribed", "channel_data", "channel_batch_data")
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False


def subscribe(markets: Sequence[str]) -> list[str]:
    """One ``v4_trades`` subscription per market."""
    return [msgspec.json.encode({"type": "subscribe", "channel": "v4_trades", "id": m}).decode() for m in markets]


STREAM = StreamSpec(
    venue="dydx_v4",
    url=URL,
    dialect=Dydx,
    subscribe=subscribe,
    symbols=MARKETS,
    control=is_control,
    silence_s=300.0,  # every trade of the subscribed markets is data
    notes="every fill is a trade (complete); `subscribed` replays recent trades; protocol-level pings",
)
