"""Gate USDT-settled perpetuals' contract sizes from ``GET /api/v4/futures/usdt/contracts`` (pure)."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from liqscope.events import InstrumentKind, Margining, QtyUnit
from liqscope.venues._instruments import Instrument, InstrumentFile

__all__ = ["URL", "GateContract", "parse_instruments"]

URL = "https://api.gateio.ws/api/v4/futures/usdt/contracts"


class GateContract(msgspec.Struct, frozen=True):
    name: str                   # BTC_USDT: base_quote
    quanto_multiplier: Decimal  # base coin per contract; "0" on coin-settled contracts (not listed here)
    type: str = "direct"        # direct (linear) | inverse


def parse_instruments(payload: bytes, *, version: str, source: str) -> InstrumentFile:
    """The table keyed by contract name; contracts without a multiplier are left out (quarantined, as bundled).

    Raises:
        msgspec.DecodeError: Not a contracts list.
    """
    out = {}
    for row in msgspec.json.decode(payload, type=list[GateContract]):
        base, sep, quote = row.name.partition("_")
        if not sep or row.type != "direct" or row.quanto_multiplier <= 0:
            continue
        out[row.name] = Instrument(base_asset=base, quote_asset=quote, settle_asset="USDT",
                                   margining=Margining.LINEAR, instrument_kind=InstrumentKind.PERPETUAL,
                                   contract_size=row.quanto_multiplier, contract_size_unit=QtyUnit.BASE)
    return InstrumentFile(venue="gate_futures", version=version, source=source,
                          instruments=dict(sorted(out.items())))
