"""BitMEX contract sizes from ``GET /api/v1/instrument/active`` (pure)."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from liqscope.events import InstrumentKind, Margining, QtyUnit
from liqscope.venues._instruments import Instrument, InstrumentFile

__all__ = ["URL", "BitmexInstrument", "parse_instruments"]

URL = "https://www.bitmex.com/api/v1/instrument/active"
PERPETUAL_TYP = "FFWCSX"          # BitMEX's instrument type code of perpetual swaps
ASSET = {"XBT": "BTC", "XBt": "BTC", "USDt": "USDT"}  # XBT is BTC; XBt/USDt are satoshi/micro-USDT units


class BitmexInstrument(msgspec.Struct, frozen=True):
    symbol: str
    rootSymbol: str
    typ: str
    quoteCurrency: str
    settlCurrency: str
    isQuanto: bool
    isInverse: bool
    multiplier: Decimal | None = None                    # inverse: -1e8 (satoshi per contract at price 1)
    underlyingToSettleMultiplier: Decimal | None = None  # inverse: satoshi per coin
    underlyingToPositionMultiplier: Decimal | None = None  # linear: contracts per base coin


def _asset(name: str) -> str:
    return ASSET.get(name, name.upper())


def _instrument(row: BitmexInstrument) -> Instrument | None:
    if row.typ != PERPETUAL_TYP or row.isQuanto:
        return None  # quantos need a second price, dated futures are not bundled either: quarantined
    if row.isInverse:
        if not row.multiplier or not row.underlyingToSettleMultiplier:
            return None
        size, unit, margining = row.multiplier / row.underlyingToSettleMultiplier, QtyUnit.QUOTE, Margining.INVERSE
    else:
        if not row.underlyingToPositionMultiplier:
            return None
        size, unit, margining = 1 / row.underlyingToPositionMultiplier, QtyUnit.BASE, Margining.LINEAR
    return Instrument(base_asset=_asset(row.rootSymbol), quote_asset=_asset(row.quoteCurrency),
                      settle_asset=_asset(row.settlCurrency), margining=margining,
                      instrument_kind=InstrumentKind.PERPETUAL, contract_size=size.normalize(),
                      contract_size_unit=unit)


def parse_instruments(payload: bytes, *, version: str, source: str) -> InstrumentFile:
    """The table keyed by symbol, perpetual non-quanto contracts only (the others stay quarantined).

    Accepts the endpoint's array or a single instrument object.

    Raises:
        msgspec.DecodeError: Not instrument records.
    """
    rows = msgspec.json.decode(payload, type=list[BitmexInstrument] | BitmexInstrument)
    out = {}
    for row in rows if isinstance(rows, list) else [rows]:
        inst = _instrument(row)
        if inst is not None:
            out[row.symbol] = inst
    return InstrumentFile(venue="bitmex", version=version, source=source, instruments=dict(sorted(out.items())))
