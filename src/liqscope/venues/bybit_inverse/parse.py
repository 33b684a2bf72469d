"""Pure Bybit inverse liquidation frames -> ``LiquidationEvent`` (no I/O, no clock).

- Side: Bybit's ``S``/``side`` is the liquidated POSITION ("Buy" = a LONG was liquidated), as on the
  linear stream.
- Quantity: inverse contracts are 1 USD each, so ``v`` (``size``/``qty`` on older shapes) counts USD:
  notional = v USD, whatever the price. The price is the bankruptcy price.
- Identity: a Tardis-generated REST record carries Bybit's record id; stream pushes carry none, so a
  liquidation is known by ``(s, T, S, v, p)``, the same tuple bybit_linear uses.
"""

from __future__ import annotations

import hashlib
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
from liqscope.venues.bybit_inverse import wire
from liqscope.venues.bybit_linear import parse as linear
from liqscope.venues.bybit_linear.parse import LIQUIDATED

VENUE = "bybit_inverse"
USD_PER_CONTRACT = Decimal(1)
# BTCUSD (perpetual) or BTCUSDZ25 (dated: futures month code + 2-digit year).
_INVERSE = re.compile(r"^(?P<base>[A-Z0-9]+)USD(?P<expiry>[FGHJKMNQUVXZ]\d{2})?$")
_DEPRECATED_FIELDS = ("data.symbol", "data.side")


def is_inverse_symbol(symbol: str) -> bool:
    """True for Bybit inverse symbols (``BTCUSD``, ``ETHUSDH25``); USDT/USDC symbols are linear."""
    return _INVERSE.match(symbol) is not None


def identity(symbol: str, ts_ms: int, side: str, size: Decimal, price: Decimal, record_id: int | None) -> str:
    """The record id when there is one, else the ``(s, T, S, v, p)`` tuple."""
    if record_id is not None:
        return f"{VENUE}:{symbol}:id:{record_id}"
    canon = "|".join(str(x) for x in (symbol, ts_ms, side, size, price))
    return f"{VENUE}:{symbol}:{ts_ms}:{hashlib.blake2b(canon.encode(), digest_size=10).hexdigest()}"


def _event(symbol: str, ts_ms: int, side: str, size: Decimal, price: Decimal, rx: Received,
           fields: tuple[str, str], record_id: int | None = None) -> LiquidationEvent:
    symbol_field, side_field = fields
    m = _INVERSE.match(symbol)
    if m is None:
        raise UnexpectedPayload(f"{symbol!r} is not an inverse (<COIN>USD) symbol: USDT/USDC contracts belong to "
                                "venue bybit_linear", field=symbol_field)
    liquidated = LIQUIDATED.get(side)
    if liquidated is None:
        raise UnexpectedPayload(f"position side was {side!r}, expected Buy or Sell", field=side_field)
    base = m.group("base")
    return LiquidationEvent(
        venue=VENUE,
        market=symbol,
        instrument_kind=InstrumentKind.DATED_FUTURE if m.group("expiry") else InstrumentKind.PERPETUAL,
        base_asset=base,
        quote_asset="USD",
        settle_asset=base,
        margining=Margining.INVERSE,
        liquidated_side=liquidated,
        venue_side=side,
        price=price,
        price_kind=PriceKind.BANKRUPTCY,
        quantity=size,
        quantity_unit=QtyUnit.CONTRACTS,
        contract_size=USD_PER_CONTRACT,
        contract_size_unit=QtyUnit.QUOTE,
        notional_usd=mul(size, USD_PER_CONTRACT),
        ts_event=ts_ms * 1_000_000,
        ts_recv=rx.ts_ns,
        source=rx.source,
        event_id=identity(symbol, ts_ms, side, size, price, record_id),
        raw_ref=rx.ref,
    )


def parse_frame(frame: wire.Frame | wire.GeneratedFrame, rx: Received) -> list[LiquidationEvent]:
    """Normalize one inverse-stream message (or Tardis-generated REST frame) into its liquidations.

    Raises:
        NotALiquidation: An op reply (subscription ack, pong), another topic or an empty batch.
        UnexpectedPayload: A liquidation that cannot be normalized (linear symbol, unknown side, ...).
    """
    if isinstance(frame, wire.GeneratedFrame):
        if not frame.data:
            raise NotALiquidation("empty generated liquidation batch")
        return [_event(r.symbol, r.time, r.side, r.qty, r.price, rx, _DEPRECATED_FIELDS, r.id) for r in frame.data]
    return linear.route_frame(frame, rx, _event)


def parse_tardis(row: _tardis.TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """A Tardis ``bybit`` row: amount = ``v`` (USD), price = ``p``, side inverted back to Bybit's ``S``."""
    position_side = "Buy" if _tardis.liquidated_side(row) is PositionSide.LONG else "Sell"
    record_id = int(row.id) if row.id.isascii() and row.id.isdigit() else None
    if row.id and record_id is None:
        raise UnexpectedPayload(f"id {row.id!r} is not a Bybit record id", field="id")
    return [_event(row.symbol, _tardis.ts_ms(row), position_side, row.amount, row.price,
                   _tardis.received(row, rx), ("symbol", "side"), record_id)]
