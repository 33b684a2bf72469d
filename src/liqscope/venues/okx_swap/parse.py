"""Pure OKX ``liquidation-orders`` (instType SWAP) -> ``LiquidationEvent`` (no I/O, no clock).

- One event per ``data[].details[]`` element.
- ``side`` is the liquidation ORDER's side: ``sell`` closes a LONG, ``buy`` a SHORT. ``posSide`` is
  ``net`` for one-way accounts, so it is only cross-checked, never relied on.
- ``sz`` counts CONTRACTS; one contract is ``ctVal`` from ``instruments.json``. Linear
  (``BTC-USDT-SWAP``, ctVal in the base coin): USD notional = sz * ctVal * bkPx (USDT at par).
  Inverse (``BTC-USD-SWAP``, ctVal in USD): USD notional = sz * ctVal.
- Only the bankruptcy price ``bkPx`` is published; there is no fill price.
- OKX sends no id, and replays recent liquidations after every subscribe, so the identity is a hash of
  the whole detail: the same liquidation seen again yields the same ``event_id``.

History: the v3 ``swap/liquidation`` table (2019-2021, in Tardis archives; OKX retired v3 in 2022) is
parsed too (``v3_events``, shared with okx_futures): ``type`` "3" closed a LONG, "4" a SHORT (the
position, as Tardis maps it: "3" -> order side sell); ``size`` counts the same contracts (x ctVal);
``price`` is the order's price; ``created_at`` is the venue time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import NoReturn

from liqscope._time import utc_stamp_ns
from liqscope.errors import NotALiquidation, Reason, UnexpectedPayload
from liqscope.events import LiquidationEvent, Margining, PositionSide, PriceKind, QtyUnit, Received, mul
from liqscope.venues import _instruments, _tardis
from liqscope.venues.okx_swap import wire

VENUE = "okx_swap"
_PACKAGE = "liqscope.venues.okx_swap"
# A liquidation ORDER sells to close a long and buys to close a short.
CLOSED_POSITION = {"sell": PositionSide.LONG, "buy": PositionSide.SHORT}
# posSide in hedge mode names the position itself; "net" (one-way mode) says nothing.
_HEDGE_POSITION = {"long": PositionSide.LONG, "short": PositionSide.SHORT}
# v3 liquidation ``type``: what the liquidation order closed (OKX v3 order types 3 "close long", 4 "close
# short"; Tardis's v3 mapper: type "3" -> order side sell, i.e. a LONG liquidated).
V3_CLOSED_POSITION = {"3": PositionSide.LONG, "4": PositionSide.SHORT}
# Where the other instTypes of the same channel belong.
_OTHER_VENUE = {"FUTURES": "okx_futures"}


def _check_inst_type(inst_type: str | None, *, field: str) -> None:
    if inst_type == "SWAP":
        return
    home = _OTHER_VENUE.get(inst_type or "")
    where = f"belongs to venue {home}" if home else "is not a perpetual swap"
    raise UnexpectedPayload(f"instType {inst_type} {where}; okx_swap parses instType SWAP only", field=field)


def closed_side(detail: wire.Detail) -> PositionSide:
    """The liquidated position, from the liquidation order's side (cross-checked with ``posSide``).

    Raises:
        UnexpectedPayload: ``side`` is not buy/sell, or a hedge-mode ``posSide`` contradicts it.
    """
    side = CLOSED_POSITION.get(detail.side)
    if side is None:
        raise UnexpectedPayload(f"liquidation order side was {detail.side!r}, expected buy or sell",
                                field="details.side")
    hedge = _HEDGE_POSITION.get(detail.posSide)
    if hedge is not None and hedge is not side:
        raise UnexpectedPayload(f"posSide {detail.posSide!r} contradicts order side {detail.side!r} "
                                f"(a {detail.side} order closes a {side.value} position)",
                                field="details.posSide")
    return side


def identity(inst_id: str, detail: wire.Detail, venue: str = VENUE) -> str:
    """OKX sends no id: the liquidation's identity is (instId, ts, side, posSide, sz, bkPx)."""
    parts = (inst_id, detail.ts, detail.side, detail.posSide, detail.sz, detail.bkPx)
    canon = "|".join(str(v) for v in parts)
    digest = hashlib.blake2b(canon.encode(), digest_size=10).hexdigest()
    return f"{venue}:{inst_id}:{detail.ts}:{digest}"


def ts_ns(ts: str) -> int:
    """OKX ``ts`` (epoch ms as a decimal string) -> ns; anything else is an UnexpectedPayload."""
    # Bounded length: int() refuses 4,300+ digit strings with ValueError (a crash, not a quarantine).
    if not ts.isascii() or not ts.isdigit() or len(ts) > 19:
        raise UnexpectedPayload(f"ts {ts!r} is not integer epoch ms", field="details.ts")
    return int(ts) * 1_000_000


def parse_orders(orders: wire.LiquidationOrders, rx: Received) -> list[LiquidationEvent]:
    """Normalize one ``data`` element: one event per liquidation detail."""
    _check_inst_type(orders.instType, field="data.instType")
    inst = _instruments.lookup(_PACKAGE, orders.instId, field="data.instId")
    return detail_events(VENUE, orders.instId, inst, orders.details, rx)


def _event(venue: str, inst_id: str, inst: _instruments.Instrument, *, side: PositionSide, price: Decimal,
           price_kind: PriceKind, contracts: Decimal, ts_event: int, event_id: str,
           rx: Received, venue_side: str | None) -> LiquidationEvent:
    # Contracts: linear ctVal is base coin (notional = sz x ctVal x price), inverse ctVal a fixed USD
    # amount (notional = sz x ctVal), whichever API version sent them.
    if inst.margining is Margining.INVERSE:
        notional = mul(contracts, inst.contract_size)
    else:
        notional = mul(contracts, inst.contract_size, price)
    return LiquidationEvent(
        venue=venue,
        market=inst_id,
        instrument_kind=inst.instrument_kind,
        base_asset=inst.base_asset,
        quote_asset=inst.quote_asset,
        settle_asset=inst.settle_asset,
        margining=inst.margining,
        liquidated_side=side,
        venue_side=venue_side,
        price=price,
        price_kind=price_kind,
        quantity=contracts,
        quantity_unit=QtyUnit.CONTRACTS,
        contract_size=inst.contract_size,
        contract_size_unit=inst.contract_size_unit,
        notional_usd=notional,
        ts_event=ts_event,
        ts_recv=rx.ts_ns,
        source=rx.source,
        event_id=event_id,
        raw_ref=rx.ref,
    )


def detail_events(venue: str, inst_id: str, inst: _instruments.Instrument, details: list[wire.Detail],
                  rx: Received) -> list[LiquidationEvent]:
    """Events of one instrument's ``details`` (shared by okx_swap and okx_futures).

    ``sz`` is in contracts: linear ``ctVal`` is base coin (notional = sz x ctVal x bkPx), inverse
    ``ctVal`` is a fixed USD amount (notional = sz x ctVal).
    """
    return [_event(venue, inst_id, inst, side=closed_side(d), price=d.bkPx, price_kind=PriceKind.BANKRUPTCY,
                   contracts=d.sz, ts_event=ts_ns(d.ts), event_id=identity(inst_id, d, venue), rx=rx,
                   venue_side=d.side)
            for d in details]


def v3_identity(row: wire.V3Liquidation, venue: str) -> str:
    """v3 sends no id either: (instrument_id, created_at, type, size, price, loss)."""
    parts = (row.instrument_id, row.created_at, row.type, row.size, row.price, row.loss)
    digest = hashlib.blake2b("|".join(str(v) for v in parts).encode(), digest_size=10).hexdigest()
    return f"{venue}:{row.instrument_id}:v3:{row.created_at}:{digest}"


def v3_events(venue: str, inst_type: str, message: wire.V3Push, rx: Received,
              instrument: Callable[[str], _instruments.Instrument]) -> list[LiquidationEvent]:
    """Events of a v3 ``swap/liquidation`` / ``futures/liquidation`` frame (shared with okx_futures).

    Args:
        venue: The venue parsing it.
        inst_type: The instType that venue holds (SWAP / FUTURES): the other table is refused.
        message: The decoded frame.
        rx: The receipt context.
        instrument: instrument_id -> its contract table entry (raises UnknownInstrument).

    Raises:
        NotALiquidation: An empty table frame.
        UnexpectedPayload: The other venue's table, an unknown ``type``, a bad ``created_at``.
    """
    held = wire.V3_TABLES[message.table]
    if held != inst_type:
        home = {"SWAP": "okx_swap", "FUTURES": "okx_futures"}[held]
        raise UnexpectedPayload(f"OKX v3 table {message.table!r} belongs to venue {home}; {venue} reads "
                                f"instType {inst_type} only", field="table")
    if not message.data:
        raise NotALiquidation(f"empty v3 {message.table!r} frame")
    events = []
    for row in message.data:
        side = V3_CLOSED_POSITION.get(row.type)
        if side is None:
            raise UnexpectedPayload(f"v3 liquidation type was {row.type!r}, expected 3 (close long) or 4 "
                                    "(close short)", field="data.type", code=Reason.UNKNOWN_VALUE)
        try:
            ts = utc_stamp_ns(row.created_at)
        except ValueError as e:
            raise UnexpectedPayload(f"created_at: {e}", field="data.created_at", code=Reason.BAD_TIMESTAMP) from None
        events.append(_event(venue, row.instrument_id, instrument(row.instrument_id), side=side, price=row.price,
                             price_kind=PriceKind.ORDER, contracts=row.size, ts_event=ts,
                             event_id=v3_identity(row, venue), rx=rx,
                             venue_side=None))  # v3 has no side field: `type` 3/4 names the closed position
    return events


def _skip_or_reject(envelope: wire.Envelope) -> NoReturn:
    if envelope.table is not None:
        raise NotALiquidation(f"OKX v3 table {envelope.table!r} carries no liquidations")
    if envelope.event == "error":
        raise NotALiquidation(f"error event, code {envelope.code}: {envelope.msg}")
    if envelope.event is not None:
        channel = envelope.arg.channel if envelope.arg else None
        raise NotALiquidation(f"{envelope.event!r} event (channel {channel!r}): an ack or notice, no data")
    channel = envelope.arg.channel if envelope.arg else None
    if channel == "liquidations":
        raise UnexpectedPayload(
            "the retired per-instrument 'liquidations' channel (now 'liquidation-orders'): its frames "
            "carry no instType and are not parsed", field="arg.channel")
    raise NotALiquidation(f"channel {channel!r} is not {wire.CHANNEL!r}")


def parse_message(message: wire.Message, rx: Received) -> list[LiquidationEvent]:
    """Normalize one decoded websocket frame.

    Raises:
        NotALiquidation: ``pong``, an ``event`` frame (ack, error, notice) or another channel.
        UnexpectedPayload: a non-SWAP instType (or the v3 futures table), an unknown instrument, a
            contradictory side, or the retired per-instrument "liquidations" channel.
    """
    if isinstance(message, wire.Pong):
        raise NotALiquidation("pong: the reply to a ping keepalive")
    if isinstance(message, wire.V3Push):
        return v3_events(VENUE, "SWAP", message, rx, _swap_instrument)
    if not isinstance(message, wire.LiquidationOrdersPush):
        _skip_or_reject(message)
    _check_inst_type(message.arg.instType, field="arg.instType")
    return [event for orders in message.data for event in parse_orders(orders, rx)]


def _swap_instrument(inst_id: str) -> _instruments.Instrument:
    return _instruments.lookup(_PACKAGE, inst_id, field="data.instrument_id")


def parse_tardis(row: _tardis.TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """OKX swaps: amount = ``sz`` CONTRACTS (x ctVal), price = ``bkPx``, side = ``side`` (order side).

    Tardis keeps no ``posSide``, so the detail is rebuilt with an empty one: its ``event_id`` differs
    from the stream's for the same liquidation.
    """
    detail = wire.Detail(side=row.side, posSide="", bkPx=row.price, sz=row.amount, ts=str(_tardis.ts_ms(row)))
    orders = wire.LiquidationOrders(instId=row.symbol, instType="SWAP", details=[detail])
    return parse_orders(orders, _tardis.received(row, rx))
