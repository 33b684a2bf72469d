# The simulator's wire writer for Binance USD-M (see liqscope.simulate._wire): ``!forceOrder@arr`` frames,
# sampled as Binance documents. Binance COIN-M writes the same frames (``write(..., coinm=True)``).
from __future__ import annotations

import random
from decimal import Decimal

from liqscope.simulate._calibrate import Calibration
from liqscope.simulate._model import Market, Truth
from liqscope.simulate._wire import MS, Frame, latest_per_window, linear_symbols

SAMPLING = "latest liquidation per symbol per 1000 ms window (epoch-aligned), as Binance documents"


def markets(cal: Calibration) -> list[Market]:
    """The USD-M perpetuals of the recordings."""
    return linear_symbols(cal)


def write(truths: list[Truth], rng: random.Random, *, coinm: bool = False) -> list[Frame]:
    """``!forceOrder@arr`` frames: one per symbol per second, the latest liquidation of that second."""
    frames = []
    for t in latest_per_window(truths, 1000 * MS):
        ms = t.ts_event // MS
        event_ms = ms + rng.randint(1, 8)
        last = t.quantity if rng.random() < 0.7 else _part(t.quantity, rng)
        pair = f'"ps":"{t.market.split("_", 1)[0]}",' if coinm else ""
        line = (f'{{"e":"forceOrder","E":{event_ms},"o":{{"s":"{t.market}",{pair}"S":"'
                f'{"SELL" if t.side == "LONG" else "BUY"}","o":"LIMIT","f":"IOC","q":"{t.quantity}",'
                f'"p":"{t.order_price}","ap":"{t.price}","X":"FILLED","l":"{last}","z":"{t.quantity}","T":{ms}}}}}')
        frames.append((event_ms * MS, line.encode(), [t]))
    return frames


def _part(quantity: str, rng: random.Random) -> str:
    decimals = len(quantity.split(".", 1)[1]) if "." in quantity else 0
    step = Decimal(1).scaleb(-decimals)
    part = (Decimal(quantity) * Decimal(rng.uniform(0.05, 1.0))).quantize(step)
    return str(max(part, step))
