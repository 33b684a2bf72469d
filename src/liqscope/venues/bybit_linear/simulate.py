# The simulator's wire writer for Bybit linear (see liqscope.simulate._wire): ``allLiquidation`` pushes.
from __future__ import annotations

import random
from collections import defaultdict

from liqscope.simulate._calibrate import Calibration
from liqscope.simulate._model import Market, Truth
from liqscope.simulate._wire import MS, Frame, linear_symbols

SAMPLING = None  # every liquidation


def markets(cal: Calibration) -> list[Market]:
    """The USD-M perpetuals of the recordings (Bybit lists the same symbols)."""
    return linear_symbols(cal)


def write(truths: list[Truth], rng: random.Random) -> list[Frame]:
    """``allLiquidation.{symbol}`` pushes: every liquidation, batched per symbol per 500 ms."""
    batches: dict[tuple[str, int], list[Truth]] = defaultdict(list)
    for t in truths:
        batches[(t.market, t.ts_event // (500 * MS))].append(t)
    frames = []
    for (symbol, window), batch in batches.items():
        push_ms = (window + 1) * 500 + rng.randint(5, 120)
        items = ",".join(f'{{"T":{t.ts_event // MS},"s":"{symbol}","S":"{"Buy" if t.side == "LONG" else "Sell"}",'
                         f'"v":"{t.quantity}","p":"{t.price}"}}' for t in batch)
        line = f'{{"topic":"allLiquidation.{symbol}","type":"snapshot","ts":{push_ms},"data":[{items}]}}'
        frames.append((push_ms * MS, line.encode(), batch))
    return frames
