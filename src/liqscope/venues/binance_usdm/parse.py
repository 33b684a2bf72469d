"""Pure Binance ``forceOrder`` -> ``LiquidationEvent`` (no I/O, no clock)."""

from __future__ import annotations

import hashlib
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
from liqscope.venues._symbols import split_concatenated, split_multiplier
from liqscope.venues.binance_usdm import wire

# A liquidation ORDER sells to close a long and buys to close a short.
CLOSED_POSITION = {"SELL": PositionSide.LONG, "BUY": PositionSide.SHORT}
VENUE = "binance_usdm"


def body_of(frame: wire.Frame) -> wire.ForceOrderBody:
    """The ``o`` object of a wrapped or unwrapped frame; acks and other messages are skipped."""
    if frame.data is not None:
        if frame.data.e != "forceOrder":
            raise NotALiquidation(f"event type {frame.data.e!r}")
        return frame.data.o
    if frame.o is not None:
        if frame.e not in (None, "forceOrder"):
            raise NotALiquidation(f"event type {frame.e!r}")
        return frame.o
    # A frame that says it is a forceOrder but carries no body is broken, not an ack.
    if frame.e == "forceOrder":
        raise UnexpectedPayload("forceOrder event without its o object", field="o")
    if (frame.stream or "").endswith(("@forceOrder", "forceOrder@arr")):
        raise UnexpectedPayload(f"stream {frame.stream!r} message without its data object", field="data")
    raise NotALiquidation("no forceOrder body (subscription ack or control message)")


def order_price(body: wire.ForceOrderBody) -> Decimal:
    """The order (bankruptcy-side limit) price ``p``.

    Raises:
        UnexpectedPayload: ``p`` is not a finite number > 0 (real frames always carry one).
    """
    if not body.p.is_finite() or body.p <= 0:
        raise UnexpectedPayload(f"order price p must be a finite number > 0, got {body.p}", field="o.p")
    return body.p


def closed_side(body: wire.ForceOrderBody) -> PositionSide:
    """The liquidated position, from the liquidation order's side."""
    side = CLOSED_POSITION.get(body.S)
    if side is None:
        raise UnexpectedPayload(f"forceOrder side was {body.S!r}, expected BUY or SELL", field="o.S")
    return side


def identity(venue: str, body: wire.ForceOrderBody) -> str:
    """Binance sends no id: the liquidation's identity is the whole ``o`` object."""
    canon = "|".join(
        str(v) for v in (body.s, body.S, body.o, body.f, body.q, body.p, body.ap, body.X, body.l, body.z,
                         body.T, body.ps)
    )
    digest = hashlib.blake2b(canon.encode(), digest_size=10).hexdigest()
    return f"{venue}:{body.s}:{body.T}:{digest}"


def parse_body(body: wire.ForceOrderBody, rx: Received) -> list[LiquidationEvent]:
    """Normalize one USD-M ``o`` object (from the stream or the archive)."""
    side = closed_side(body)
    base, quote, dated = split_concatenated(body.s, field="o.s")
    asset, multiplier = split_multiplier(base)
    return [
        LiquidationEvent(
            venue=VENUE,
            market=body.s,
            instrument_kind=InstrumentKind.DATED_FUTURE if dated else InstrumentKind.PERPETUAL,
            base_asset=asset,
            quote_asset=quote,
            settle_asset=quote,
            margining=Margining.LINEAR,
            liquidated_side=side,
            venue_side=body.S,
            price=body.ap,
            price_kind=PriceKind.AVERAGE_FILL,
            order_price=order_price(body),
            quantity=body.z,
            # 1000PEPEUSDT trades in lots of 1000 PEPE: a contract of 1000 base units.
            quantity_unit=QtyUnit.CONTRACTS if multiplier else QtyUnit.BASE,
            contract_size=multiplier,
            contract_size_unit=QtyUnit.BASE if multiplier else None,
            notional_usd=mul(body.z, body.ap),
            notional_order_usd=mul(body.z, body.p),
            ts_event=body.T * 1_000_000,
            ts_recv=rx.ts_ns,
            source=rx.source,
            event_id=identity(VENUE, body),
            raw_ref=rx.ref,
        )
    ]


def parse_force_order(frame: wire.Frame, rx: Received) -> list[LiquidationEvent]:
    """Normalize one ``forceOrder`` stream message, wrapped or not."""
    return parse_body(body_of(frame), rx)


def parse_tardis(row: _tardis.TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """Binance USD-M: Tardis amount = ``z`` (base coin), price = ``ap``, side = ``S``, time = ``T``."""
    side = _tardis.liquidated_side(row)
    base, quote, dated = split_concatenated(row.symbol, field="symbol")
    asset, multiplier = split_multiplier(base)
    ms = _tardis.ts_ms(row)
    venue = "binance_usdm"
    return [LiquidationEvent(
        venue=venue, market=row.symbol,
        instrument_kind=InstrumentKind.DATED_FUTURE if dated else InstrumentKind.PERPETUAL,
        base_asset=asset, quote_asset=quote, settle_asset=quote, margining=Margining.LINEAR,
        liquidated_side=side, venue_side=row.side.upper(), price=row.price, price_kind=PriceKind.AVERAGE_FILL,
        quantity=row.amount,
        quantity_unit=QtyUnit.CONTRACTS if multiplier else QtyUnit.BASE,
        contract_size=multiplier, contract_size_unit=QtyUnit.BASE if multiplier else None,
        notional_usd=mul(row.amount, row.price),
        ts_event=ms * 1_000_000, ts_recv=row.local_timestamp * 1000, source=rx.source,
        event_id=f"{venue}:{row.symbol}:{ms}:{_tardis.digest(row.side, row.amount, row.price)}", raw_ref=rx.ref,
    )]
