"""Binance COIN-M contract sizes from ``GET /dapi/v1/exchangeInfo`` (pure)."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from liqscope.events import InstrumentKind, Margining, QtyUnit
from liqscope.venues._instruments import Instrument, InstrumentFile

__all__ = ["URL", "ExchangeInfo", "ExchangeInfoSymbol", "parse_instruments"]

URL = "https://dapi.binance.com/dapi/v1/exchangeInfo"


class ExchangeInfoSymbol(msgspec.Struct, frozen=True):
    symbol: str            # BTCUSD_PERP, BTCUSD_260925
    pair: str              # BTCUSD: every contract of a pair has the same face value
    contractSize: Decimal  # USD per contract (an integer in the JSON; Decimal keeps it exact)
    baseAsset: str
    quoteAsset: str
    marginAsset: str


class ExchangeInfo(msgspec.Struct, frozen=True):
    symbols: list[ExchangeInfoSymbol]


def parse_instruments(payload: bytes, *, version: str, source: str) -> InstrumentFile:
    """The table keyed by pair (the bundled file's key; the parser takes perpetual/dated from the symbol).

    Raises:
        ValueError: Two contracts of one pair disagree on the contract size (neither is guessed).
        msgspec.DecodeError: Not an exchangeInfo response.
    """
    out: dict[str, Instrument] = {}
    for row in msgspec.json.decode(payload, type=ExchangeInfo).symbols:
        inst = Instrument(base_asset=row.baseAsset, quote_asset=row.quoteAsset, settle_asset=row.marginAsset,
                          margining=Margining.INVERSE, instrument_kind=InstrumentKind.PERPETUAL,
                          contract_size=row.contractSize, contract_size_unit=QtyUnit.QUOTE)
        if out.setdefault(row.pair, inst) != inst:
            raise ValueError(f"{row.symbol}: pair {row.pair} has two contract sizes "
                             f"({out[row.pair].contract_size} / {row.contractSize})")
    return InstrumentFile(venue="binance_coinm", version=version, source=source,
                          instruments=dict(sorted(out.items())))
