# Instrument metadata (contract sizes) from each venue's public REST endpoint when online; the bundled
# snapshot (liqscope/venues/<id>/instruments.json) when not. A refreshed table is written next to the lake
# (DATA_DIR/instruments/<venue>.json, same schema as the bundled file) so a run records what it used.
#
# Parsers stay pure and still read the bundled snapshot: the refreshed table is for comparison and for
# updating the bundled file; wiring it into parsing is a change to venues/_instruments.py.
from __future__ import annotations

import datetime as dt
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path

import msgspec

from liqscope.events import InstrumentKind, Margining, QtyUnit
from liqscope.venues import _instruments
from liqscope.venues._instruments import Instrument, InstrumentFile

__all__ = ["INSTRUMENT_ENDPOINTS", "InstrumentsOrigin", "refresh_instruments"]


class InstrumentsOrigin(msgspec.Struct, kw_only=True):
    """Where a venue's instrument table came from this time."""

    venue: str
    origin: str                # "rest" or "bundled"
    source: str                # the URL fetched, or the bundled file's own source note
    instruments: int
    version: str
    error: str | None = None   # why REST was not used
    path: str | None = None    # where the refreshed table was written


def _okx(payload: bytes) -> dict[str, Instrument]:
    # GET /api/v5/public/instruments?instType=SWAP: ctType linear|inverse; ctVal in the base coin (linear)
    # or in USD (inverse); instFamily "BTC-USDT" names base and quote.
    body = msgspec.json.decode(payload)
    if body.get("code") not in ("0", 0):
        raise ValueError(f"OKX error code {body.get('code')!r}: {body.get('msg')!r}")
    out = {}
    for row in body["data"]:
        base, quote = str(row.get("instFamily") or row["uly"]).split("-", 1)
        linear = row["ctType"] == "linear"
        out[row["instId"]] = Instrument(
            base_asset=base, quote_asset=quote, settle_asset=row["settleCcy"],
            margining=Margining.LINEAR if linear else Margining.INVERSE,
            instrument_kind=InstrumentKind.PERPETUAL if row.get("instType", "SWAP") == "SWAP"
            else InstrumentKind.DATED_FUTURE,
            contract_size=Decimal(row["ctVal"]), contract_size_unit=QtyUnit.BASE if linear else QtyUnit.QUOTE)
    return out


def _binance_coinm(payload: bytes) -> dict[str, Instrument]:
    # GET /dapi/v1/exchangeInfo: symbols[] with pair, contractSize (USD per contract), base/quote/marginAsset.
    # The bundled table is keyed by pair: every contract of a pair has the same face value.
    out = {}
    for row in msgspec.json.decode(payload)["symbols"]:
        out[row["pair"]] = Instrument(
            base_asset=row["baseAsset"], quote_asset=row["quoteAsset"], settle_asset=row["marginAsset"],
            margining=Margining.INVERSE, instrument_kind=InstrumentKind.PERPETUAL,
            contract_size=Decimal(str(row["contractSize"])), contract_size_unit=QtyUnit.QUOTE)
    return out


# Venue id -> (public REST URL, response -> instruments). Venues not listed have no contract table.
INSTRUMENT_ENDPOINTS: dict[str, tuple[str, Callable[[bytes], dict[str, Instrument]]]] = {
    "okx_swap": ("https://www.okx.com/api/v5/public/instruments?instType=SWAP", _okx),
    "binance_coinm": ("https://dapi.binance.com/dapi/v1/exchangeInfo", _binance_coinm),
}


def _bundled(venue: str) -> InstrumentFile:
    return _instruments.load(f"liqscope.venues.{venue}")


def refresh_instruments(venue: str, data_dir: Path | None = None, *, url: str | None = None,
                        timeout_s: float = 5.0) -> tuple[InstrumentFile, InstrumentsOrigin]:
    """Fetch ``venue``'s instrument table from its REST endpoint; fall back to the bundled snapshot.

    Never raises for network or payload problems: the fallback is the answer, and ``origin.error`` says
    why it was needed.

    Args:
        venue: A venue with an entry in ``INSTRUMENT_ENDPOINTS``.
        data_dir: Where to write the refreshed table (``<data_dir>/instruments/<venue>.json``); None: nowhere.
        url: Endpoint override (a mirror, a proxy, a test server).
        timeout_s: Seconds to wait for the endpoint.

    Raises:
        KeyError: The venue has no instrument endpoint.
    """
    default_url, convert = INSTRUMENT_ENDPOINTS[venue]
    url = url or default_url
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            payload = resp.read()
        instruments = convert(payload)
        if not instruments:
            raise ValueError("the response lists no instruments")
    except (OSError, urllib.error.URLError, ValueError, KeyError, TypeError, InvalidOperation,
            msgspec.DecodeError) as e:
        table = _bundled(venue)
        return table, InstrumentsOrigin(venue=venue, origin="bundled", source=table.source,
                                        instruments=len(table.instruments), version=table.version,
                                        error=f"{type(e).__name__}: {e}")
    now = dt.datetime.now(dt.UTC)
    table = InstrumentFile(venue=venue, version=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                           source=f"GET {url} at {now.isoformat(timespec='seconds')}",
                           instruments=dict(sorted(instruments.items())))
    path = _write(Path(data_dir), table) if data_dir is not None else None
    return table, InstrumentsOrigin(venue=venue, origin="rest", source=url, instruments=len(instruments),
                                    version=table.version, path=str(path) if path else None)


def _write(data_dir: Path, table: InstrumentFile) -> Path:
    path = data_dir / "instruments" / f"{table.venue}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(msgspec.json.format(msgspec.json.encode(table), indent=2))
    os.replace(tmp, path)
    return path

