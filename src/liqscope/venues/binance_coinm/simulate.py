# The simulator's wire writer for Binance COIN-M (see liqscope.simulate._wire): USD-M's ``!forceOrder@arr``
# frames with the COIN-M pair, over the bundled COIN-M contracts.
from __future__ import annotations

import random

from liqscope.simulate._calibrate import Calibration
from liqscope.simulate._model import Market, Truth
from liqscope.simulate._wire import Frame, contract_markets
from liqscope.venues.binance_usdm import simulate as usdm

SAMPLING = usdm.SAMPLING


def markets(cal: Calibration) -> list[Market]:
    """The bundled COIN-M perpetuals (``<pair>_PERP``) whose base asset has a recorded USDT price."""
    return contract_markets("liqscope.venues.binance_coinm", lambda pair: f"{pair}_PERP", cal)


def write(truths: list[Truth], rng: random.Random) -> list[Frame]:
    """``!forceOrder@arr`` frames, as USD-M's, with the pair (``ps``)."""
    return usdm.write(truths, rng, coinm=True)
