"""Pure Gate ``futures.public_liquidates`` -> ``LiquidationEvent`` (no I/O, no clock).

- Side: the sign of ``size``. A liquidation order that SELLS (negative size) closes a LONG; a
  positive size buys and closes a SHORT. A zero size is quarantined.
- Quantity: |size| CONTRACTS of ``quanto_multiplier`` base coin each (``instruments.json``), so the
  notional is |size| x multiplier x price (USDT at par). ``price`` is the order price.
- Sampling: Gate pushes "up to one liquidate order data every 1 second" per contract: a floor.
- Identity: none sent; a liquidation is known by (contract, time_ms, size, price).
"""

from __future__ import annotations

from liqscope.errors import NotALiquidation, UnexpectedPayload
from liqscope.events import LiquidationEvent, PositionSide, PriceKind, QtyUnit, Received, mul
from liqscope.venues import _instruments, _tardis
from liqscope.venues.gate_futures import wire

VENUE = "gate_futures"
_PACKAGE = "liqscope.venues.gate_futures"


def event(order: wire.LiquidateOrder, rx: Received) -> LiquidationEvent:
    """One liquidation order."""
    if order.size == 0 or not order.size.is_finite():
        raise UnexpectedPayload(f"size {order.size} carries no side (it must be signed and non-zero)",
                                field="result.size")
    liquidated = PositionSide.LONG if order.size < 0 else PositionSide.SHORT
    inst = _instruments.lookup(_PACKAGE, order.contract, field="result.contract")
    contracts = abs(order.size)
    return LiquidationEvent(
        venue=VENUE,
        market=order.contract,
        instrument_kind=inst.instrument_kind,
        base_asset=inst.base_asset,
        quote_asset=inst.quote_asset,
        settle_asset=inst.settle_asset,
        margining=inst.margining,
        liquidated_side=liquidated,
        # Gate has no side field: the sign of size is the side (negative = a sell order).
        venue_side="sell" if order.size < 0 else "buy",
        price=order.price,
        price_kind=PriceKind.ORDER,
        quantity=contracts,
        quantity_unit=QtyUnit.CONTRACTS,
        contract_size=inst.contract_size,
        contract_size_unit=inst.contract_size_unit,
        notional_usd=mul(contracts, inst.contract_size, order.price),
        ts_event=order.time_ms * 1_000_000,
        ts_recv=rx.ts_ns,
        source=rx.source,
        event_id=f"{VENUE}:{order.contract}:{order.time_ms}:{_tardis.digest(order.size, order.price)}",
        raw_ref=rx.ref,
    )


def parse_message(message: wire.LiquidatesUpdate | wire.Message, rx: Received) -> list[LiquidationEvent]:
    """Normalize one frame: one event per liquidation order of an update.

    Raises:
        NotALiquidation: A subscribe/unsubscribe reply, another channel, an empty update.
        UnexpectedPayload: A zero size, an unknown contract.
    """
    if isinstance(message, wire.Message):
        if message.error:
            raise NotALiquidation(f"error reply on channel {message.channel!r}")
        raise NotALiquidation(f"{message.event!r} on channel {message.channel!r}: no liquidation orders")
    if not message.orders:
        raise NotALiquidation("empty liquidates update")
    return [event(order, rx) for order in message.orders]
