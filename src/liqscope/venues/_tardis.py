# Tardis.dev ``liquidations`` CSV (format ``tardis-csv``): one shared reader, one small mapper per venue.
#
# Columns (https://docs.tardis.dev/downloadable-csv-files/data-types#liquidations):
#   exchange,symbol,timestamp,local_timestamp,id,side,price,amount
# - timestamp / local_timestamp: MICROseconds since the epoch, UTC (venue time / Tardis receipt time).
# - side: the liquidation ORDER side, whatever the venue sends: "buy" = a SHORT was liquidated,
#   "sell" = a LONG was liquidated ("unknown" exists in the schema and is quarantined).
# - amount: in the venue's own unit, never converted by Tardis: OKX and Binance COIN-M count contracts,
#   Bybit inverse and Deribit perpetuals count USD.
# - id: the venue's id where it has one (Deribit trade_id, BitMEX orderID, ...), empty otherwise.
#
# Tardis keeps fewer fields than the stream (no Binance q/p/l/X, no OKX posSide), so a row's event_id
# equals the stream's only where the venue gives an id (BitMEX, Deribit, dYdX, Kraken) or the identity
# is built from fields Tardis keeps (Bybit). Each venue's mapper lives in the venue's own parse.py, and the
# venue names its Tardis exchange id when it registers the format (``tardis_format``): Bybit's one Tardis
# exchange ("bybit") covers linear and inverse.
from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import msgspec

from liqscope._cadence import Cadence, Point, check
from liqscope._registry import Format
from liqscope.errors import InputUnreadable, UnexpectedPayload
from liqscope.events import (
    LiquidationEvent,
    PositionSide,
    Received,
)

FORMAT = "tardis-csv"
HEADER = ("exchange", "symbol", "timestamp", "local_timestamp", "id", "side", "price", "amount")
_HEADER_LINE = ",".join(HEADER).encode()
# Tardis "side" is the liquidation order's side.
LIQUIDATED = {"sell": PositionSide.LONG, "buy": PositionSide.SHORT}


class TardisLiquidation(msgspec.Struct, frozen=True):
    """One ``liquidations`` CSV row. Column names are Tardis's."""

    exchange: str          # Tardis exchange id, e.g. "binance-futures", "okex-swap", "cryptofacilities"
    symbol: str            # the venue's own symbol, upper case (BTCUSDT, BTC-USDT-SWAP, XBTUSD, PI_XBTUSD)
    timestamp: int         # venue time, MICROseconds since the epoch (BitMEX: = local_timestamp, it sends none)
    local_timestamp: int   # when Tardis received the message, MICROseconds since the epoch
    id: str                # venue id of the liquidation/trade/order, "" when the venue has none
    side: str              # liquidation ORDER side: "sell" = long liquidated, "buy" = short liquidated
    price: Decimal         # the venue's price (Binance ap, Bybit/OKX bankruptcy price, trade price, ...)
    amount: Decimal        # in venue units: base coin, contracts (OKX, Binance COIN-M) or USD (inverse)


_CADENCE = Cadence(fmt=FORMAT, unit="epoch microseconds")  # events: no spacing; the unit is checked


def _first_times(lines: list[bytes]) -> list[Point]:
    # The unit is a property of the file: the first data row with integer times decides it (both columns).
    for line_no, line in enumerate(lines[1:], start=2):
        cells = line.split(b",")
        if len(cells) != len(HEADER):
            continue
        stamps = [(name, cells[HEADER.index(name)].strip()) for name in ("timestamp", "local_timestamp")]
        if all(v.isdigit() and len(v) < 25 for _, v in stamps):
            return [Point(line_no, "", int(v) * 1000, f"{name} {v.decode()}") for name, v in stamps]
    return []


def split(data: bytes, filename: str) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_no, row bytes)`` for every data row (1-based; the header line is checked and skipped).

    Raises:
        InputUnreadable: The file does not start with the ``liquidations`` header, or its times are not
            epoch microseconds.
    """
    lines = data.splitlines()
    if lines and lines[0].strip() != _HEADER_LINE:
        raise InputUnreadable(f"{filename or 'input'}: line 1 is {lines[0][:120]!r}; a Tardis liquidations CSV "
                              f"starts with {_HEADER_LINE.decode()!r}")
    if (why := check(_first_times(lines), _CADENCE)) is not None:
        raise InputUnreadable(f"{filename or 'input'}: does not match --format {FORMAT}: {why}. Nothing was imported")
    for line_no, line in enumerate(lines[1:], start=2):
        if line.strip():
            yield line_no, line


def decode_row(raw: bytes, filename: str = "") -> TardisLiquidation:
    """One CSV row -> ``TardisLiquidation``; a bad cell names its column as ``field``."""
    try:
        (cells,) = list(csv.reader([raw.decode("utf-8")]))
    except (UnicodeDecodeError, ValueError, csv.Error) as e:
        raise UnexpectedPayload(f"unreadable CSV row: {e}", field="row") from None
    if len(cells) != len(HEADER):
        raise UnexpectedPayload(f"expected {len(HEADER)} columns ({','.join(HEADER)}), got {len(cells)}",
                                field="row")
    record: dict[str, object] = dict(zip(HEADER, cells, strict=True))
    for column in ("timestamp", "local_timestamp"):
        text = cells[HEADER.index(column)]
        if not text.isascii() or not text.isdigit():
            raise UnexpectedPayload(f"{column} {text!r} is not integer epoch microseconds", field=column)
        record[column] = int(text)
    try:
        return msgspec.convert(record, TardisLiquidation)
    except msgspec.ValidationError as e:
        column = str(e).rsplit("`$.", 1)[-1].rstrip("`")
        raise UnexpectedPayload(str(e), field=column if column in HEADER else "row") from None


def liquidated_side(row: TardisLiquidation) -> PositionSide:
    """The liquidated position: Tardis's side is the liquidation order's side."""
    side = LIQUIDATED.get(row.side)
    if side is None:
        raise UnexpectedPayload(f"side was {row.side!r}, expected buy or sell", field="side")
    return side


def ts_ms(row: TardisLiquidation) -> int:
    """The venue time in whole ms, for venues that send ms (a sub-ms value is a unit error)."""
    if row.timestamp % 1000:
        raise UnexpectedPayload(f"timestamp {row.timestamp} has sub-millisecond digits; this venue sends ms",
                                field="timestamp")
    return row.timestamp // 1000


def received(row: TardisLiquidation, rx: Received) -> Received:
    """The receipt context of a row: Tardis's own receipt time (``local_timestamp``), not our read time."""
    return Received(ts_ns=row.local_timestamp * 1000, ref=rx.ref, source=rx.source)


def digest(*parts: object) -> str:
    """A short stable hash of an identity tuple."""
    return hashlib.blake2b("|".join(str(p) for p in parts).encode(), digest_size=10).hexdigest()


@dataclass(frozen=True, kw_only=True)
class TardisFormat(Format):
    """The ``tardis-csv`` Format of one venue, with the Tardis exchange id its rows carry."""

    exchange: str


def _homes(exchange: str) -> list[str]:
    # The venues whose tardis-csv format reads this Tardis exchange, from the registry (only on a mismatch).
    from liqscope._registry import venues

    return [vid for vid, spec in venues().items()
            if isinstance(fmt := spec.formats.get(FORMAT), TardisFormat) and fmt.exchange == exchange]


def _check_exchange(row: TardisLiquidation, venue: str, exchange: str) -> None:
    if row.exchange == exchange:
        return
    homes = _homes(row.exchange)
    where = f"belongs to venue {' or '.join(homes)}" if homes else "is not an exchange liqscope maps"
    raise UnexpectedPayload(f"Tardis exchange {row.exchange!r} {where}, not {venue}", field="exchange")


def tardis_format(venue: str, exchange: str,
                  to_events: Callable[[TardisLiquidation, Received], list[LiquidationEvent]]) -> TardisFormat:
    """The ``tardis-csv`` Format of one venue: shared reader, exchange check, then the venue's mapper.

    Args:
        venue: The venue id.
        exchange: The Tardis exchange id of the venue's rows ("binance-futures", "okex-swap", ...).
        to_events: The venue's mapper, one row -> events.
    """

    def parse(row: TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
        _check_exchange(row, venue, exchange)
        return to_events(row, rx)

    return TardisFormat(exchange=exchange, name=FORMAT, split=split, decode=decode_row, parse=parse,
                  description="Tardis.dev liquidations CSV (side = order side, amount in venue units, times in µs)")
