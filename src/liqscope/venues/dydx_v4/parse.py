"""Pure dYdX v4 ``v4_trades`` -> ``LiquidationEvent`` (no I/O, no clock).

- ``LIQUIDATED`` trades are liquidations. The protocol's liquidation order is always the taker and
  its side is the trade's ``side``: SELL closes a LONG, BUY closes a SHORT. One liquidation can fill
  against several makers: one trade, one event each, every one with its own ``id``.
- ``DELEVERAGED`` trades close an insolvent position against an offsetting one: normalized with kind
  ADL (not counted as a liquidation under ``standard``), read with the same taker rule. That the
  deleveraged account is the taker of the public trade is inferred, not documented.
- ``LIMIT`` trades in the same message are not liquidations.
- ``size`` is in the base asset, ``price`` in USD (positions settle in USDC, valued at par).
- ``subscribed`` messages replay recent trades; their ids repeat, so they count once.
"""

from __future__ import annotations

from decimal import Decimal

from liqscope._time import parse_iso_ns
from liqscope.errors import ConfigError, NotALiquidation, UnexpectedPayload
from liqscope.events import (
    InstrumentKind,
    LiquidationEvent,
    LiquidationKind,
    Margining,
    PositionSide,
    PriceKind,
    QtyUnit,
    Received,
    mul,
)
from liqscope.venues import _tardis
from liqscope.venues.dydx_v4 import wire

VENUE = "dydx_v4"
SETTLE = "USDC"
# The liquidation order is the taker: its side closes the opposite position.
TAKER_CLOSES = {"SELL": PositionSide.LONG, "BUY": PositionSide.SHORT}
KIND_OF_TYPE = {"LIQUIDATED": LiquidationKind.MARKET, "DELEVERAGED": LiquidationKind.ADL}


def event(trade_id: str, market: str, side: str, size: Decimal, price: Decimal, ts_ns: int, kind: LiquidationKind,
          rx: Received, *, fields: tuple[str, str] = ("id", "contents.trades.side")) -> LiquidationEvent:
    """One liquidation trade of a ``<BASE>-USD`` market."""
    market_field, side_field = fields
    base, dash, quote = market.partition("-")
    if not dash or not base or quote != "USD":
        raise UnexpectedPayload(f"market {market!r} is not <BASE>-USD", field=market_field)
    liquidated = TAKER_CLOSES.get(side)
    if liquidated is None:
        raise UnexpectedPayload(f"taker side was {side!r}, expected BUY or SELL", field=side_field)
    return LiquidationEvent(
        venue=VENUE,
        market=market,
        instrument_kind=InstrumentKind.PERPETUAL,
        base_asset=base,
        quote_asset="USD",
        settle_asset=SETTLE,
        margining=Margining.LINEAR,
        liquidated_side=liquidated,
        venue_side=side,
        price=price,
        price_kind=PriceKind.AVERAGE_FILL,
        quantity=size,
        quantity_unit=QtyUnit.BASE,
        notional_usd=mul(size, price),
        ts_event=ts_ns,
        ts_recv=rx.ts_ns,
        source=rx.source,
        event_id=f"{VENUE}:{market}:{trade_id}",
        raw_ref=rx.ref,
        liquidation_kind=kind,
    )


def _created_ns(text: str) -> int:
    try:
        return parse_iso_ns(text, what="createdAt")
    except ConfigError as e:
        raise UnexpectedPayload(str(e), field="contents.trades.createdAt") from None


def parse_message(message: wire.TradesMessage | wire.Message, rx: Received) -> list[LiquidationEvent]:
    """Normalize one frame: one event per LIQUIDATED (and, as ADL, DELEVERAGED) trade.

    Raises:
        NotALiquidation: A connected/error message, another channel, or trades with no liquidation.
        UnexpectedPayload: An unknown trade type or side, a bad market or time.
    """
    if isinstance(message, wire.Message):
        what = f"channel {message.channel!r}" if message.channel else "no channel"
        raise NotALiquidation(f"{message.type!r} message ({what}){': ' + message.message if message.message else ''}")
    events = []
    count = 0
    for batch in message.batches:
        for trade in batch.trades:
            count += 1
            if trade.type == "LIMIT":
                continue
            kind = KIND_OF_TYPE.get(trade.type)
            if kind is None:
                raise UnexpectedPayload(f"trade type {trade.type!r}, expected LIMIT, LIQUIDATED or DELEVERAGED",
                                        field="contents.trades.type")
            events.append(event(trade.id, message.market, trade.side, trade.size, trade.price,
                                _created_ns(trade.createdAt), kind, rx))
    if not events:
        raise NotALiquidation(f"{count} trade(s) on {message.market}, none liquidated")
    return events


def parse_tardis(row: _tardis.TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """A Tardis ``dydx-v4`` row (LIQUIDATED trades only): id = trade id, amount = size, side = taker side."""
    if not row.id:
        raise UnexpectedPayload("a dYdX liquidation row needs its trade id in id", field="id")
    side = "SELL" if _tardis.liquidated_side(row) is PositionSide.LONG else "BUY"
    return [event(row.id, row.symbol, side, row.amount, row.price, row.timestamp * 1000, LiquidationKind.MARKET,
                  _tardis.received(row, rx), fields=("symbol", "side"))]
