"""Bybit v5 linear live stream: ``allLiquidation.{symbol}``, one topic per symbol (no wildcard).

- URL: ``wss://stream.bybit.com/v5/public/linear`` (docs/v5/websocket/wss-authentication.mdx).
- Subscribe: ``{"op": "subscribe", "args": [...]}``, at most 10 topics per request.
- Heartbeat: send ``{"op": "ping"}`` every 20 s (Bybit's recommendation); the reply is an ``op`` frame.
- Every liquidation is pushed (batched per 500 ms), but only for the subscribed symbols: the
  ``SUBSCRIBE`` marker of each transcript lists them.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from liqscope.venues._stream import StreamSpec
from liqscope.venues.bybit_linear.emulate import Bybit

URL = "wss://stream.bybit.com/v5/public/linear"
TOPIC = "allLiquidation"
_PER_REQUEST = 10
# The largest USDT perpetuals by open interest; pass ``symbols`` to capture others.
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "BNBUSDT", "ADAUSDT", "SUIUSDT",
           "LINKUSDT", "AVAXUSDT", "LTCUSDT", "TRXUSDT", "1000PEPEUSDT", "WIFUSDT", "HYPEUSDT", "ENAUSDT",
           "TONUSDT", "DOTUSDT", "NEARUSDT", "BCHUSDT")


class _Probe(msgspec.Struct):
    topic: str | None = None  # data frames carry their topic
    op: str | None = None     # replies to our ops: subscribe, ping


_probe = msgspec.json.Decoder(_Probe).decode


def is_control(raw: bytes) -> bool:
    """True for ``op`` replies (subscribe acks, pongs): frames without a ``topic``."""
    try:
        p = _probe(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False
    return p.topic is None


def subscribe_topics(symbols: Sequence[str]) -> list[str]:
    """``allLiquidation.<SYMBOL>`` topics, 10 per subscribe request."""
    topics = [f"{TOPIC}.{s}" for s in symbols]
    return [msgspec.json.encode({"op": "subscribe", "args": topics[i:i + _PER_REQUEST]}).decode()
            for i in range(0, len(topics), _PER_REQUEST)]


STREAM = StreamSpec(
    venue="bybit_linear",
    url=URL,
    dialect=Bybit,
    subscribe=subscribe_topics,
    symbols=SYMBOLS,
    control=is_control,
    ping='{"op":"ping"}',
    ping_interval_s=20.0,
    # A public collector saw 129 liquidations in 300 s over BTC/ETH/SOL alone (venue-feeds.md, Bybit).
    silence_s=300.0,
    notes="every liquidation of the subscribed symbols, batched per 500 ms; app ping every 20 s",
)
