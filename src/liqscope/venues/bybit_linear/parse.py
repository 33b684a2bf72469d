"""Pure Bybit linear liquidation frames -> ``LiquidationEvent`` (no I/O, no clock).

Bybit's side is the liquidated POSITION ("Buy" = a long was liquidated), the opposite reading of
Binance's order side. The price is the bankruptcy price; Bybit publishes no fill price, so the notional
is ``v x p`` at that price.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
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
from liqscope.venues.bybit_linear import wire

VENUE = "bybit_linear"
# Builds one event from (symbol, ts_ms, position side, size, price, rx, (symbol field, side field)).
EventBuilder = Callable[[str, int, str, Decimal, Decimal, Received, tuple[str, str]], LiquidationEvent]
# Position side: Bybit's doc, "When you receive a Buy update, this means that a long position has been
# liquidated".
LIQUIDATED = {"Buy": PositionSide.LONG, "Sell": PositionSide.SHORT}
# Inverse contracts (BTCUSD perpetual, BTCUSDH25 dated): quoted in USD, no T/C, so not linear.
_INVERSE = re.compile(r"^[A-Z0-9]+USD(?:[FGHJKMNQUVXZ]\d{2})?$")


def identity(symbol: str, ts_ms: int, side: str, size: Decimal, price: Decimal) -> str:
    """Bybit sends no id: a liquidation is known by ``(s, T, S, v, p)``."""
    canon = "|".join(str(x) for x in (symbol, ts_ms, side, size, price))
    digest = hashlib.blake2b(canon.encode(), digest_size=10).hexdigest()
    return f"{VENUE}:{symbol}:{ts_ms}:{digest}"


# Field names are grouped without an array index ("data.s", not "data[3].s") so quarantine reasons
# stay few and stable.
_ALL_FIELDS = ("data.s", "data.S")
_DEPRECATED_FIELDS = ("data.symbol", "data.side")


def _event(symbol: str, ts_ms: int, side: str, size: Decimal, price: Decimal, rx: Received,
           fields: tuple[str, str]) -> LiquidationEvent:
    symbol_field, side_field = fields
    if _INVERSE.match(symbol):
        raise UnexpectedPayload(
            f"{symbol!r} is an inverse (USD-quoted, coin-settled) contract: it belongs to a bybit_inverse "
            "venue, not bybit_linear", field=symbol_field)
    liquidated = LIQUIDATED.get(side)
    if liquidated is None:
        raise UnexpectedPayload(f"position side was {side!r}, expected Buy or Sell", field=side_field)
    base, quote, dated = split_concatenated(symbol, field=symbol_field)
    asset, multiplier = split_multiplier(base)
    return LiquidationEvent(
        venue=VENUE,
        market=symbol,
        instrument_kind=InstrumentKind.DATED_FUTURE if dated else InstrumentKind.PERPETUAL,
        base_asset=asset,
        quote_asset=quote,
        settle_asset=quote,
        margining=Margining.LINEAR,
        liquidated_side=liquidated,
        venue_side=side,
        price=price,
        price_kind=PriceKind.BANKRUPTCY,
        quantity=size,
        # 1000PEPEUSDT trades in lots of 1000 PEPE, priced per lot: v x p is still the notional.
        quantity_unit=QtyUnit.CONTRACTS if multiplier else QtyUnit.BASE,
        contract_size=multiplier,
        contract_size_unit=QtyUnit.BASE if multiplier else None,
        notional_usd=mul(size, price),
        ts_event=ts_ms * 1_000_000,
        ts_recv=rx.ts_ns,
        source=rx.source,
        event_id=identity(symbol, ts_ms, side, size, price),
        raw_ref=rx.ref,
    )


def _deprecated(obj: wire.LiquidationObject, rx: Received, event: EventBuilder) -> LiquidationEvent:
    size = obj.size if obj.size is not None else obj.qty
    ts_ms = obj.updatedTime if obj.updatedTime is not None else obj.time
    if size is None:
        raise UnexpectedPayload("liquidation object has neither size (v5) nor qty (pre-v5)",
                                field="data.size")
    if ts_ms is None:
        raise UnexpectedPayload("liquidation object has neither updatedTime (v5) nor time (pre-v5)",
                                field="data.updatedTime")
    return event(obj.symbol, ts_ms, obj.side, size, obj.price, rx, _DEPRECATED_FIELDS)


def route_frame(frame: wire.Frame, rx: Received, event: EventBuilder) -> list[LiquidationEvent]:
    """Route a Bybit stream message to ``event`` (shared by bybit_linear and bybit_inverse, whose
    frames are the same and whose instruments differ)."""
    if frame.topic is None:
        if frame.op is not None:
            raise NotALiquidation(
                f"op reply {frame.op!r} (success={frame.success}, ret_msg={frame.ret_msg!r})")
        raise NotALiquidation("no topic (not a topic push)")
    kind = frame.topic.split(".", 1)[0]
    if kind == "allLiquidation":
        if not isinstance(frame.data, list):
            raise UnexpectedPayload("allLiquidation data must be an array", field="data")
        if not frame.data:
            raise NotALiquidation("empty allLiquidation batch")
        return [event(i.s, i.T, i.S, i.v, i.p, rx, _ALL_FIELDS) for i in frame.data]
    if kind == "liquidation":
        if not isinstance(frame.data, wire.LiquidationObject):
            raise UnexpectedPayload("liquidation data must be one object", field="data")
        return [_deprecated(frame.data, rx, event)]
    raise NotALiquidation(f"topic {frame.topic!r}")


def parse_frame(frame: wire.Frame, rx: Received) -> list[LiquidationEvent]:
    """Normalize one linear-stream message into one event per liquidation it carries.

    An ``allLiquidation`` push yields one event per ``data`` element (Bybit batches every 500 ms); a
    deprecated ``liquidation`` push yields one event for its single ``data`` object.

    Raises:
        NotALiquidation: An op reply (subscription ack, pong) or another topic.
        UnexpectedPayload: A liquidation that cannot be normalized (inverse symbol, unknown side, ...).
    """
    return route_frame(frame, rx, _event)


def parse_tardis(row: _tardis.TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """Bybit linear: Tardis inverts ``S`` (Buy = long liquidated -> "sell"), amount = ``v``, price = ``p``.

    The row is turned back into the ``allLiquidation`` item it came from and parsed by bybit_linear, so
    a liquidation seen both ways gets one ``event_id`` (when both print the numbers alike).
    """
    position_side = "Buy" if _tardis.liquidated_side(row) is PositionSide.LONG else "Sell"
    item = wire.AllLiquidationItem(T=_tardis.ts_ms(row), s=row.symbol, S=position_side, v=row.amount, p=row.price)
    frame = wire.Frame(topic=f"allLiquidation.{row.symbol}", data=[item])
    return parse_frame(frame, _tardis.received(row, rx))
