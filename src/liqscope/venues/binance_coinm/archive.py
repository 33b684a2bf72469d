"""Binance COIN-M archive rows (``data.binance.vision/data/futures/cm/...``) -> the stream's wire struct.

The CSV layout is USD-M's (``binance_usdm.archive``). The stream's COIN-M body also carries the pair
``ps``; the archive has neither symbol nor pair columns, so both come from the file name. Filling
``ps`` keeps the archive struct equal to the stream's, so one liquidation gets one ``event_id``
whichever source it came from.
"""

from __future__ import annotations

import re

import msgspec

from liqscope.venues.binance_usdm import archive as usdm_archive
from liqscope.venues.binance_usdm import wire

split = usdm_archive.split
_PAIR = re.compile(r"^(?P<pair>[A-Z0-9]+USD)_(?:PERP|\d{6})$")


def decode_row(raw: bytes, filename: str) -> wire.ForceOrderBody:
    """One CSV row -> ``ForceOrderBody`` with ``s`` and ``ps`` taken from the file name."""
    body = usdm_archive.decode_row(raw, filename)
    m = _PAIR.match(body.s)
    # A name that is not a COIN-M symbol keeps ps=None; the parser then rejects the symbol by name.
    return msgspec.structs.replace(body, ps=m.group("pair")) if m else body
