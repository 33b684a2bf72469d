"""OKX perpetual swaps' contract table from ``GET /api/v5/public/instruments?instType=SWAP`` (pure)."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from liqscope.events import InstrumentKind, Margining, QtyUnit
from liqscope.venues._instruments import Instrument, InstrumentFile

__all__ = ["URL", "OkxInstrument", "OkxInstruments", "okx_instrument", "parse_instruments"]

URL = "https://www.okx.com/api/v5/public/instruments?instType=SWAP"


class OkxInstrument(msgspec.Struct, frozen=True):
    instId: str
    instType: str       # SWAP | FUTURES (the query asked for one)
    ctType: str         # linear | inverse
    ctVal: Decimal      # contract value: base coin (linear) or USD (inverse)
    settleCcy: str
    instFamily: str = ""  # "BTC-USDT": base-quote
    uly: str = ""         # older name of instFamily


class OkxInstruments(msgspec.Struct, frozen=True):
    code: str           # "0" on success
    msg: str = ""
    data: list[OkxInstrument] = []


def okx_instrument(row: OkxInstrument, kind: InstrumentKind) -> Instrument:
    """One OKX instrument record as our table entry (shared with okx_futures).

    Raises:
        ValueError: Unknown ``ctType`` or a family that does not name base and quote.
    """
    if row.ctType not in ("linear", "inverse"):
        raise ValueError(f"{row.instId}: ctType {row.ctType!r}, expected linear or inverse")
    base, sep, quote = (row.instFamily or row.uly).partition("-")
    if not sep:
        raise ValueError(f"{row.instId}: instFamily {row.instFamily!r} does not name base and quote")
    linear = row.ctType == "linear"
    return Instrument(base_asset=base, quote_asset=quote, settle_asset=row.settleCcy,
                      margining=Margining.LINEAR if linear else Margining.INVERSE, instrument_kind=kind,
                      contract_size=row.ctVal, contract_size_unit=QtyUnit.BASE if linear else QtyUnit.QUOTE)


def decode(payload: bytes) -> OkxInstruments:
    """Decode an OKX instruments response.

    Raises:
        ValueError: OKX answered an error code.
        msgspec.DecodeError: Not such a response (names the field).
    """
    body = msgspec.json.decode(payload, type=OkxInstruments)
    if body.code != "0":
        raise ValueError(f"OKX error code {body.code!r}: {body.msg!r}")
    return body


def parse_instruments(payload: bytes, *, version: str, source: str) -> InstrumentFile:
    """The swap contract table (keyed by ``instId``) of one instruments response.

    Raises:
        ValueError: OKX answered an error, or a record is not a swap.
        msgspec.DecodeError: Not an instruments response.
    """
    out = {}
    for row in decode(payload).data:
        if row.instType != "SWAP":
            raise ValueError(f"{row.instId}: instType {row.instType!r} is not SWAP")
        out[row.instId] = okx_instrument(row, InstrumentKind.PERPETUAL)
    return InstrumentFile(venue="okx_swap", version=version, source=source, instruments=dict(sorted(out.items())))
