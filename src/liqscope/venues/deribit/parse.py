"""Pure Deribit liquidation trades -> ``LiquidationEvent`` (no I/O, no clock).

A trade is a liquidation when it carries ``liquidation``: "M" (the maker was liquidated), "T" (the
taker was) or "MT" (BOTH were: two positions closed in one trade, so two events, one per side).
``direction`` is the TAKER's: a taker sell closes a LONG, and the maker, on the other side of the same
trade, bought, so a liquidated maker was SHORT. Plain trades in the same push are not liquidations.

Units (Deribit docs): "For perpetual and inverse futures the amount is in USD units. For options and
linear futures it is the underlying base currency coin." Inverse (``BTC-PERPETUAL``, ``BTC-27DEC24``):
quantity = amount USD, notional = amount. Linear (``BTC_USDC-PERPETUAL``): quantity = amount coin,
notional = amount x price. Options, spot and combos are quarantined: not perpetuals or futures.

Identity: ``trade_id`` is unique per currency; with the instrument and the liquidated side it names
each event (the two events of an MT trade differ by side), and a Tardis row of the same trade maps to
the same id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from liqscope.errors import NotALiquidation, UnexpectedPayload
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
from liqscope.venues import _tardis
from liqscope.venues.deribit import wire

VENUE = "deribit"
# The taker's own trade closes this position when the taker is the one liquidated.
TAKER_CLOSES = {"sell": PositionSide.LONG, "buy": PositionSide.SHORT}
_OPPOSITE = {PositionSide.LONG: PositionSide.SHORT, PositionSide.SHORT: PositionSide.LONG}
# BTC-PERPETUAL, BTC-27DEC24 (inverse); BTC_USDC-PERPETUAL, ETH_USDC-28MAR25 (linear).
_FUTURE = re.compile(r"^(?P<base>[A-Z0-9]+)(?:_(?P<quote>[A-Z]+))?-(?P<expiry>PERPETUAL|\d{1,2}[A-Z]{3}\d{2})$")
_ROLES = {"T": ("taker",), "M": ("maker",), "MT": ("taker", "maker")}


@dataclass(frozen=True)
class Instrument:
    """What the instrument name says: base, quote, margining and kind."""

    base: str
    quote: str
    margining: Margining
    kind: InstrumentKind


def instrument(name: str, *, field: str) -> Instrument:
    """Read a future/perpetual name; quarantine options, spot and combos.

    Raises:
        UnexpectedPayload: The name is not ``<COIN>[_<QUOTE>]-PERPETUAL`` or ``...-<DDMMMYY>``.
    """
    m = _FUTURE.match(name)
    if m is None:
        raise UnexpectedPayload(f"instrument {name!r} is not a perpetual or a future (options, spot and combos are "
                                "not normalized)", field=field)
    kind = InstrumentKind.PERPETUAL if m.group("expiry") == "PERPETUAL" else InstrumentKind.DATED_FUTURE
    if m.group("quote"):
        return Instrument(m.group("base"), m.group("quote"), Margining.LINEAR, kind)
    return Instrument(m.group("base"), "USD", Margining.INVERSE, kind)


def liquidated_sides(direction: str, flag: str) -> list[PositionSide]:
    """The liquidated position(s) of one trade, from the taker's direction and the M/T/MT flag.

    Raises:
        UnexpectedPayload: An unknown direction or flag.
    """
    taker = TAKER_CLOSES.get(direction)
    if taker is None:
        raise UnexpectedPayload(f"direction was {direction!r}, expected buy or sell", field="params.data.direction")
    roles = _ROLES.get(flag)
    if roles is None:
        raise UnexpectedPayload(f"liquidation was {flag!r}, expected M, T or MT", field="params.data.liquidation")
    return [taker if role == "taker" else _OPPOSITE[taker] for role in roles]


def event(trade_id: str, name: str, side: PositionSide, price: Decimal, amount: Decimal, ts_ms: int, rx: Received,
          *, field: str = "params.data.instrument_name", direction: str | None = None) -> LiquidationEvent:
    """One liquidated position of one trade."""
    inst = instrument(name, field=field)
    inverse = inst.margining is Margining.INVERSE
    return LiquidationEvent(
        venue=VENUE,
        market=name,
        instrument_kind=inst.kind,
        base_asset=inst.base,
        quote_asset=inst.quote,
        settle_asset=inst.base if inverse else inst.quote,
        margining=inst.margining,
        liquidated_side=side,
        # The taker's direction as sent (both events of an MT trade carry it); a Tardis row has none.
        venue_side=direction,
        price=price,
        price_kind=PriceKind.AVERAGE_FILL,
        quantity=amount,
        quantity_unit=QtyUnit.QUOTE if inverse else QtyUnit.BASE,
        notional_usd=amount if inverse else mul(amount, price),
        ts_event=ts_ms * 1_000_000,
        ts_recv=rx.ts_ns,
        source=rx.source,
        event_id=f"{VENUE}:{name}:{trade_id}:{side.value}",
        raw_ref=rx.ref,
    )


def parse_message(message: wire.TradesPush | wire.Envelope, rx: Received) -> list[LiquidationEvent]:
    """Normalize one frame: one event per liquidated side of every liquidation trade in it.

    Raises:
        NotALiquidation: A reply, heartbeat, other channel, or a trades push without liquidation trades.
        UnexpectedPayload: An unknown flag or direction, or an option/spot/combo liquidation.
    """
    if isinstance(message, wire.Envelope):
        if message.error:
            raise NotALiquidation(f"error reply to request {message.id}")
        if message.method == "heartbeat":
            raise NotALiquidation("heartbeat")
        if message.method is None:
            raise NotALiquidation(f"reply to request {message.id}")
        channel = message.params.channel if message.params else None
        raise NotALiquidation(f"{message.method} on channel {channel!r}, not trades.*")
    events = []
    for trade in message.trades:
        if trade.liquidation is None:
            continue
        for side in liquidated_sides(trade.direction, trade.liquidation):
            events.append(event(trade.trade_id, trade.instrument_name, side, trade.price, trade.amount,
                                trade.timestamp, rx, direction=trade.direction))
    if not events:
        raise NotALiquidation(f"{len(message.trades)} trade(s) on {message.channel}, none a liquidation")
    return events


def parse_tardis(row: _tardis.TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """A Tardis ``deribit`` row: amount, price and trade id as sent; side = the liquidated position's closing
    order. Tardis writes one row per trade, so an MT trade arrives with one side only (the maker's)."""
    if not row.id:
        raise UnexpectedPayload("a Deribit liquidation row needs its trade_id in id", field="id")
    return [event(row.id, row.symbol, _tardis.liquidated_side(row), row.price, row.amount, _tardis.ts_ms(row),
                  _tardis.received(row, rx), field="symbol")]
