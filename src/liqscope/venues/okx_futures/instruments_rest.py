"""OKX dated futures' contract table from ``GET /api/v5/public/instruments?instType=FUTURES`` (pure)."""

from __future__ import annotations

from liqscope.events import InstrumentKind
from liqscope.venues._instruments import Instrument, InstrumentFile
from liqscope.venues.okx_swap.instruments_rest import decode, okx_instrument

__all__ = ["URL", "parse_instruments"]

URL = "https://www.okx.com/api/v5/public/instruments?instType=FUTURES"


def parse_instruments(payload: bytes, *, version: str, source: str) -> InstrumentFile:
    """The table keyed by instrument family (``BTC-USD``): every expiry of a family has one ctVal.

    Raises:
        ValueError: OKX answered an error, a record is not a future, or two expiries of one family
            disagree on the contract (then neither is guessed).
        msgspec.DecodeError: Not an instruments response.
    """
    out: dict[str, Instrument] = {}
    for row in decode(payload).data:
        if row.instType != "FUTURES":
            raise ValueError(f"{row.instId}: instType {row.instType!r} is not FUTURES")
        family = row.instFamily or row.uly
        inst = okx_instrument(row, InstrumentKind.DATED_FUTURE)
        if out.setdefault(family, inst) != inst:
            raise ValueError(f"{row.instId}: family {family} has two different contracts ({out[family]} / {inst})")
    return InstrumentFile(venue="okx_futures", version=version, source=source,
                          instruments=dict(sorted(out.items())))
