# The simulator's wire writer for OKX swaps (see liqscope.simulate._wire): ``liquidation-orders`` pushes.
from __future__ import annotations

import random

from liqscope.simulate._calibrate import Calibration
from liqscope.simulate._model import Market, Truth
from liqscope.simulate._wire import MS, Frame, contract_markets, latest_per_window

SAMPLING = "latest liquidation per contract per 1000 ms window (epoch-aligned), as OKX's older docs state"


def markets(cal: Calibration) -> list[Market]:
    """The bundled swaps whose base asset has a recorded USDT price."""
    return contract_markets("liqscope.venues.okx_swap", lambda inst_id: inst_id, cal)


def write(truths: list[Truth], rng: random.Random) -> list[Frame]:
    """``liquidation-orders`` (instType SWAP) pushes: one order per contract per second."""
    frames = []
    for t in latest_per_window(truths, 1000 * MS):
        ms = t.ts_event // MS
        family = t.market.removesuffix("-SWAP")
        pos_side = "net" if rng.random() < 0.5 else t.side.lower()
        detail = (f'{{"bkLoss":"0","bkPx":"{t.price}","ccy":"","posSide":"{pos_side}",'
                  f'"side":"{"sell" if t.side == "LONG" else "buy"}","sz":"{t.quantity}","ts":"{ms}"}}')
        line = (f'{{"arg":{{"channel":"liquidation-orders","instType":"SWAP"}},"data":[{{"details":[{detail}],'
                f'"instFamily":"{family}","instId":"{t.market}","instType":"SWAP","uly":"{family}"}}]}}')
        frames.append(((ms + rng.randint(20, 200)) * MS, line.encode(), [t]))
    return frames
