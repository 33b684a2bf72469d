"""Pure BitMEX ``liquidation`` table -> ``LiquidationEvent`` (no I/O, no clock).

What counts, and when:

- A liquidation order is entered into the book for the position's full quantity at the bankruptcy
  price (BitMEX support, api-connectors#241: "you will see all of the liquidation orders - even if they
  are immediately filled"). Its ``insert`` row carries ``leavesQty`` = that full quantity: that row is
  the liquidation, one event per ``orderID``.
- ``partial`` rows are the orders still open when we subscribed; they are events too, with the same
  ``event_id`` as their insert, so a reconnect's partial never counts twice.
- ``update`` (``leavesQty`` shrinking while the order works) and ``delete`` (the order left the book:
  filled or cancelled) are skipped: the liquidation was counted at insert. BitMEX does not say which
  of filled or cancelled a delete means, so the quantity is the ORDER quantity, not a filled one.
- The row has no timestamp: ``ts_event`` is our receipt time (``ts_recv``), as Tardis does.
- Quantity is in contracts. XBTUSD is inverse, 1 USD per contract (notional = leavesQty USD); the
  linear USDT contracts are a fixed fraction of a coin (notional = leavesQty x size x price). Any
  other instrument (quanto ETHUSD, dated futures) is quarantined until ``instruments.json`` has it.
"""

from __future__ import annotations

from decimal import Decimal

from liqscope.errors import NotALiquidation, UnexpectedPayload
from liqscope.events import LiquidationEvent, Margining, PositionSide, PriceKind, QtyUnit, Received, mul
from liqscope.venues import _instruments, _tardis
from liqscope.venues.bitmex import wire

VENUE = "bitmex"
_PACKAGE = "liqscope.venues.bitmex"
# A liquidation ORDER sells to close a long and buys to close a short.
CLOSED_POSITION = {"Sell": PositionSide.LONG, "Buy": PositionSide.SHORT}
_SKIPPED_ACTIONS = {
    "update": "update: leavesQty shrinking while the liquidation order works; it was counted at insert",
    "delete": "delete: the liquidation order left the book (filled or cancelled); it was counted at insert",
}


def event(order_id: str, symbol: str, side: str, price: Decimal, quantity: Decimal, ts_ns: int,
          rx: Received) -> LiquidationEvent:
    """One liquidation order, identified by its ``orderID``."""
    liquidated = CLOSED_POSITION.get(side)
    if liquidated is None:
        raise UnexpectedPayload(f"liquidation order side was {side!r}, expected Buy or Sell", field="data.side")
    inst = _instruments.lookup(_PACKAGE, symbol, field="data.symbol")
    if inst.margining is Margining.INVERSE:
        notional = mul(quantity, inst.contract_size)  # a fixed USD amount per contract
    else:
        notional = mul(quantity, inst.contract_size, price)  # a fixed amount of coin per contract
    return LiquidationEvent(
        venue=VENUE,
        market=symbol,
        instrument_kind=inst.instrument_kind,
        base_asset=inst.base_asset,
        quote_asset=inst.quote_asset,
        settle_asset=inst.settle_asset,
        margining=inst.margining,
        liquidated_side=liquidated,
        venue_side=side,
        price=price,
        price_kind=PriceKind.BANKRUPTCY,
        quantity=quantity,
        quantity_unit=QtyUnit.CONTRACTS,
        contract_size=inst.contract_size,
        contract_size_unit=inst.contract_size_unit,
        notional_usd=notional,
        ts_event=ts_ns,
        ts_recv=rx.ts_ns,
        source=rx.source,
        event_id=f"{VENUE}:{order_id}",
        raw_ref=rx.ref,
    )


def _row_event(row: wire.LiquidationRow, rx: Received) -> LiquidationEvent:
    for name in ("symbol", "side", "price", "leavesQty"):
        if getattr(row, name) is None:
            raise UnexpectedPayload(f"a liquidation insert/partial row has no {name}", field=f"data.{name}")
    # The row has no venue time: receipt time stands in for it.
    return event(row.orderID, row.symbol, row.side, row.price, row.leavesQty,  # type: ignore[arg-type]  # no None: above
                 rx.ts_ns, rx)


def parse_message(message: wire.Message, rx: Received) -> list[LiquidationEvent]:
    """Normalize one decoded frame: events for ``insert``/``partial`` rows, a skip for everything else.

    Raises:
        NotALiquidation: ``update``/``delete`` rows, another table, a control message, an empty partial.
        UnexpectedPayload: An unknown action or side, a row missing a field, an unknown instrument.
    """
    if isinstance(message, wire.Control):
        what = message.info or (f"subscribe reply ({message.subscribe})" if message.success is not None else None)
        raise NotALiquidation(f"control message: {what or message.error or 'no table'}")
    if isinstance(message, wire.TableMessage):
        raise NotALiquidation(f"table {message.table!r} is not {wire.TABLE!r}")
    if message.action in _SKIPPED_ACTIONS:
        raise NotALiquidation(_SKIPPED_ACTIONS[message.action])
    if message.action not in ("insert", "partial"):
        raise UnexpectedPayload(f"action {message.action!r}, expected partial/insert/update/delete", field="action")
    if not message.data:
        raise NotALiquidation(f"empty {message.action} (no open liquidation orders)")
    return [_row_event(row, rx) for row in message.data]


def parse_tardis(row: _tardis.TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """A Tardis ``bitmex`` row: the insert's ``leavesQty`` and price, id = ``orderID``, time = receipt time."""
    if not row.id:
        raise UnexpectedPayload("a BitMEX liquidation row needs its orderID in id", field="id")
    side = "Sell" if _tardis.liquidated_side(row) is PositionSide.LONG else "Buy"
    rx_row = _tardis.received(row, rx)
    try:
        return [event(row.id, row.symbol, side, row.price, row.amount, row.timestamp * 1000, rx_row)]
    except UnexpectedPayload as e:
        raise UnexpectedPayload(str(e), field={"data.symbol": "symbol"}.get(e.field or "", e.field)) from None
