"""Pure Kraken Futures ``trade`` feed -> ``LiquidationEvent`` (no I/O, no clock).

- A trade with ``type`` "liquidation" is "a result of a user being liquidated from their position".
  Other types (fill, termination, block, assignment) are not liquidations.
- ``side`` is the TAKER's side. The feed does not say which party was liquidated; like Tardis, the
  liquidated user is taken to be the taker (a liquidation order crosses the book): a taker sell
  closes a LONG. Inferred, not documented.
- Units by product prefix: PI_ (inverse perpetual) and FI_ (inverse future) count 1-USD contracts,
  notional = qty USD; PF_ (linear perpetual) and FF_ (linear future) count the base coin, notional
  = qty x price. Kraken writes BTC as XBT; base_asset says BTC.
- Identity: ``uid``.
"""

from __future__ import annotations

import re
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
from liqscope.venues.kraken_futures import wire

VENUE = "kraken_futures"
TAKER_CLOSES = {"sell": PositionSide.LONG, "buy": PositionSide.SHORT}
USD_PER_CONTRACT = Decimal(1)
_PRODUCT = re.compile(r"^(?P<prefix>PI|FI|PF|FF)_(?P<base>[A-Z0-9]+)USD(?:_(?P<delivery>\d{6}))?$", re.IGNORECASE)
_ASSET = {"XBT": "BTC"}


def event(trade_id: str, product: str, side: str, qty: Decimal, price: Decimal, ts_ms: int, rx: Received,
          *, fields: tuple[str, str] = ("product_id", "side")) -> LiquidationEvent:
    """One liquidation trade."""
    product_field, side_field = fields
    m = _PRODUCT.match(product)
    if m is None:
        raise UnexpectedPayload(f"product {product!r} is not PI_/PF_/FI_/FF_<COIN>USD[_YYMMDD]", field=product_field)
    liquidated = TAKER_CLOSES.get(side)
    if liquidated is None:
        raise UnexpectedPayload(f"taker side was {side!r}, expected buy or sell", field=side_field)
    prefix = m.group("prefix").upper()
    base = _ASSET.get(m.group("base").upper(), m.group("base").upper())
    inverse = prefix in ("PI", "FI")
    return LiquidationEvent(
        venue=VENUE,
        market=product.upper(),
        instrument_kind=InstrumentKind.PERPETUAL if prefix.startswith("P") else InstrumentKind.DATED_FUTURE,
        base_asset=base,
        quote_asset="USD",
        settle_asset=base if inverse else "USD",
        margining=Margining.INVERSE if inverse else Margining.LINEAR,
        liquidated_side=liquidated,
        venue_side=side,
        price=price,
        price_kind=PriceKind.AVERAGE_FILL,
        quantity=qty,
        quantity_unit=QtyUnit.CONTRACTS if inverse else QtyUnit.BASE,
        contract_size=USD_PER_CONTRACT if inverse else None,
        contract_size_unit=QtyUnit.QUOTE if inverse else None,
        notional_usd=mul(qty, USD_PER_CONTRACT) if inverse else mul(qty, price),
        ts_event=ts_ms * 1_000_000,
        ts_recv=rx.ts_ns,
        source=rx.source,
        event_id=f"{VENUE}:{product.upper()}:{trade_id}",
        raw_ref=rx.ref,
    )


def parse_message(message: wire.Trade | wire.Snapshot | wire.Control, rx: Received) -> list[LiquidationEvent]:
    """Normalize one frame: one event per liquidation trade (a snapshot may hold several).

    Raises:
        NotALiquidation: Control messages and trades of any other type.
        UnexpectedPayload: An unknown product prefix or side.
    """
    if isinstance(message, wire.Control):
        what = message.event or message.feed or "unknown"
        raise NotALiquidation(f"{what!r} message{': ' + message.message if message.message else ''}")
    trades = message.trades if isinstance(message, wire.Snapshot) else [message]
    events = [event(t.uid, t.product_id, t.side, t.qty, t.price, t.time, rx) for t in trades if t.type == "liquidation"]
    if not events:
        kinds = sorted({t.type for t in trades}) or ["none"]
        raise NotALiquidation(f"trade type {', '.join(kinds)}, not liquidation")
    return events


def parse_tardis(row: _tardis.TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """A Tardis ``cryptofacilities`` row: uid, qty, price and the taker side passed through."""
    if not row.id:
        raise UnexpectedPayload("a Kraken Futures liquidation row needs its uid in id", field="id")
    side = "sell" if _tardis.liquidated_side(row) is PositionSide.LONG else "buy"
    return [event(row.id, row.symbol, side, row.amount, row.price, _tardis.ts_ms(row), _tardis.received(row, rx),
                  fields=("symbol", "side"))]
