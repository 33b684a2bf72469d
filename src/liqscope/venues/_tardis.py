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
# is built from fields Tardis keeps (Bybit). Each venue's mapper lives in the venue's own parse.py;
# the four venues that predate this format have theirs here, importing the venue lazily (its package
# imports this module to register the format).
from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from decimal import Decimal

import msgspec

from liqscope._registry import Format
from liqscope.errors import InputUnreadable, UnexpectedPayload
from liqscope.events import (
    InstrumentKind,
    LiquidationEvent,
    Margining,
    PositionSide,
    PriceKind,
    QtyUnit,
    Received,
    mul,
)
from liqscope.venues._symbols import split_concatenated, split_multiplier

FORMAT = "tardis-csv"
HEADER = ("exchange", "symbol", "timestamp", "local_timestamp", "id", "side", "price", "amount")
_HEADER_LINE = ",".join(HEADER).encode()
# Tardis exchange name -> our venue id(s). Bybit's one Tardis exchange covers linear and inverse.
VENUE_OF_EXCHANGE: dict[str, tuple[str, ...]] = {
    "binance-futures": ("binance_usdm",),
    "binance-delivery": ("binance_coinm",),
    "bybit": ("bybit_linear", "bybit_inverse"),
    "okex-swap": ("okx_swap",),
    "okex-futures": ("okx_futures",),
    "bitmex": ("bitmex",),
    "deribit": ("deribit",),
    "dydx-v4": ("dydx_v4",),
    "bitget-futures": ("bitget_futures",),
    "cryptofacilities": ("kraken_futures",),
}
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


def split(data: bytes, filename: str) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_no, row bytes)`` for every data row (1-based; the header line is checked and skipped).

    Raises:
        InputUnreadable: The file does not start with the ``liquidations`` header.
    """
    lines = data.splitlines()
    if lines and lines[0].strip() != _HEADER_LINE:
        raise InputUnreadable(f"{filename or 'input'}: line 1 is {lines[0][:120]!r}; a Tardis liquidations CSV "
                              f"starts with {_HEADER_LINE.decode()!r}")
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


def _check_exchange(row: TardisLiquidation, venue: str) -> None:
    homes = VENUE_OF_EXCHANGE.get(row.exchange)
    if homes is not None and venue in homes:
        return
    where = f"belongs to venue {' or '.join(homes)}" if homes else "is not an exchange liqscope maps"
    raise UnexpectedPayload(f"Tardis exchange {row.exchange!r} {where}, not {venue}", field="exchange")


def tardis_format(venue: str, to_events: Callable[[TardisLiquidation, Received], list[LiquidationEvent]]) -> Format:
    """The ``tardis-csv`` Format of one venue: shared reader, exchange check, then the venue's mapper."""

    def parse(row: TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
        _check_exchange(row, venue)
        return to_events(row, rx)

    return Format(name=FORMAT, split=split, decode=decode_row, parse=parse,
                  description="Tardis.dev liquidations CSV (side = order side, amount in venue units, times in µs)")


# --- mappers of the venues that predate this format --------------------------------------------------


def binance_usdm_events(row: TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """Binance USD-M: Tardis amount = ``z`` (base coin), price = ``ap``, side = ``S``, time = ``T``."""
    side = liquidated_side(row)
    base, quote, dated = split_concatenated(row.symbol, field="symbol")
    asset, multiplier = split_multiplier(base)
    ms = ts_ms(row)
    venue = "binance_usdm"
    return [LiquidationEvent(
        venue=venue, market=row.symbol,
        instrument_kind=InstrumentKind.DATED_FUTURE if dated else InstrumentKind.PERPETUAL,
        base_asset=asset, quote_asset=quote, settle_asset=quote, margining=Margining.LINEAR,
        liquidated_side=side, price=row.price, price_kind=PriceKind.AVERAGE_FILL,
        quantity=row.amount,
        quantity_unit=QtyUnit.CONTRACTS if multiplier else QtyUnit.BASE,
        contract_size=multiplier, contract_size_unit=QtyUnit.BASE if multiplier else None,
        notional_usd=mul(row.amount, row.price),
        ts_event=ms * 1_000_000, ts_recv=row.local_timestamp * 1000, source=rx.source,
        event_id=f"{venue}:{row.symbol}:{ms}:{digest(row.side, row.amount, row.price)}", raw_ref=rx.ref,
    )]


def binance_coinm_events(row: TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """Binance COIN-M: amount = ``z`` CONTRACTS of a fixed USD face value, so notional = z x contract size."""
    from liqscope.venues import _instruments
    from liqscope.venues.binance_coinm.parse import split_symbol

    side = liquidated_side(row)
    try:
        pair, kind = split_symbol(row.symbol)
    except UnexpectedPayload as e:
        raise UnexpectedPayload(str(e), field="symbol") from None
    inst = _instruments.lookup("liqscope.venues.binance_coinm", pair, field="symbol")
    ms = ts_ms(row)
    venue = "binance_coinm"
    return [LiquidationEvent(
        venue=venue, market=row.symbol, instrument_kind=kind,
        base_asset=inst.base_asset, quote_asset=inst.quote_asset, settle_asset=inst.settle_asset,
        margining=inst.margining, liquidated_side=side, price=row.price, price_kind=PriceKind.AVERAGE_FILL,
        quantity=row.amount, quantity_unit=QtyUnit.CONTRACTS,
        contract_size=inst.contract_size, contract_size_unit=inst.contract_size_unit,
        notional_usd=mul(row.amount, inst.contract_size),
        ts_event=ms * 1_000_000, ts_recv=row.local_timestamp * 1000, source=rx.source,
        event_id=f"{venue}:{row.symbol}:{ms}:{digest(row.side, row.amount, row.price)}", raw_ref=rx.ref,
    )]


def bybit_linear_events(row: TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """Bybit linear: Tardis inverts ``S`` (Buy = long liquidated -> "sell"), amount = ``v``, price = ``p``.

    The row is turned back into the ``allLiquidation`` item it came from and parsed by bybit_linear, so
    a liquidation seen both ways gets one ``event_id`` (when both print the numbers alike).
    """
    from liqscope.venues.bybit_linear import parse, wire

    position_side = "Buy" if liquidated_side(row) is PositionSide.LONG else "Sell"
    item = wire.AllLiquidationItem(T=ts_ms(row), s=row.symbol, S=position_side, v=row.amount, p=row.price)
    frame = wire.Frame(topic=f"allLiquidation.{row.symbol}", data=[item])
    return parse.parse_frame(frame, received(row, rx))


def okx_swap_events(row: TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """OKX swaps: amount = ``sz`` CONTRACTS (x ctVal), price = ``bkPx``, side = ``side`` (order side).

    Tardis keeps no ``posSide``, so the detail is rebuilt with an empty one: its ``event_id`` differs
    from the stream's for the same liquidation.
    """
    from liqscope.venues.okx_swap import parse, wire

    detail = wire.Detail(side=row.side, posSide="", bkPx=row.price, sz=row.amount, ts=str(ts_ms(row)))
    orders = wire.LiquidationOrders(instId=row.symbol, instType="SWAP", details=[detail])
    return parse.parse_orders(orders, received(row, rx))
