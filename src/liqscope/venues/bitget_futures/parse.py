"""Pure Bitget UTA ``liquidation`` pushes -> ``LiquidationEvent`` (no I/O, no clock).

- Sampling (Bitget docs): once per second, "only the record with the highest liquidation quantity for
  long and short positions respectively per trading pair is included": at most one long and one short
  per pair per second, the largest. Totals are floors, biased toward large liquidations.
- Side: Bitget's table is not public in a form we could read; Tardis's mapper calls ``side`` the
  POSITION side and reads "buy" as a LONG liquidated. Followed here; unverified.
- Amount: read as QUOTE (USDT) notional. Evidence from real pushes: APEUSDT 13.70319 / 0.1649 = 83.1
  exactly and IPUSDT 143.330431857868 / 0.500280739469 = 286.5, whole lot counts, which a base-coin
  amount would not give. So notional_usd = amount (USDT at par). Unverified by Bitget's docs.
- Only USDT- and USDC-margined pairs: ``coin-futures`` amounts have no known unit and are quarantined.
- Identity: at most one record per (symbol, ts, side) by construction.
"""

from __future__ import annotations

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
)
from liqscope.venues import _tardis
from liqscope.venues._symbols import split_concatenated
from liqscope.venues.bitget_futures import wire

VENUE = "bitget_futures"
LIQUIDATED = {"buy": PositionSide.LONG, "sell": PositionSide.SHORT}
_QUOTE_OF_INST_TYPE = {"usdt-futures": "USDT", "usdc-futures": "USDC"}


def event(symbol: str, side: str, price: Decimal, amount: Decimal, ts_ms: int, inst_type: str, rx: Received,
          *, fields: tuple[str, str, str] = ("arg.instType", "data.symbol", "data.side")) -> LiquidationEvent:
    """One sampled liquidation record."""
    type_field, symbol_field, side_field = fields
    settle = _QUOTE_OF_INST_TYPE.get(inst_type)
    if settle is None:
        raise UnexpectedPayload(f"instType {inst_type!r}: only usdt-futures and usdc-futures amounts have a known "
                                "unit (quote coin)", field=type_field)
    liquidated = LIQUIDATED.get(side)
    if liquidated is None:
        raise UnexpectedPayload(f"side was {side!r}, expected buy or sell", field=side_field)
    base, quote, dated = split_concatenated(symbol, field=symbol_field)
    if quote != settle:
        raise UnexpectedPayload(f"symbol {symbol!r} is not quoted in {settle} ({inst_type})", field=symbol_field)
    return LiquidationEvent(
        venue=VENUE,
        market=symbol,
        instrument_kind=InstrumentKind.DATED_FUTURE if dated else InstrumentKind.PERPETUAL,
        base_asset=base,
        quote_asset=quote,
        settle_asset=settle,
        margining=Margining.LINEAR,
        liquidated_side=liquidated,
        venue_side=side,
        price=price,
        price_kind=PriceKind.AVERAGE_FILL,
        quantity=amount,
        quantity_unit=QtyUnit.QUOTE,
        notional_usd=amount,
        ts_event=ts_ms * 1_000_000,
        ts_recv=rx.ts_ns,
        source=rx.source,
        event_id=f"{VENUE}:{symbol}:{ts_ms}:{liquidated.value}",
        raw_ref=rx.ref,
    )


def _ts_ms(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise UnexpectedPayload(f"ts {text!r} is not integer epoch ms", field="data.ts")
    return int(text)


def parse_message(message: wire.Message, rx: Received) -> list[LiquidationEvent]:
    """Normalize one frame: one event per record of a ``liquidation`` push.

    Raises:
        NotALiquidation: A reply (subscribe, error, pong), another topic, an empty push.
        UnexpectedPayload: coin-futures, an unknown side, a symbol that does not match its instType.
    """
    if message.event is not None:
        raise NotALiquidation(f"{message.event!r} reply (code {message.code}, {message.msg!r})")
    topic = message.arg.topic if message.arg else None
    if topic != wire.TOPIC:
        raise NotALiquidation(f"topic {topic!r} is not {wire.TOPIC!r}")
    if not message.data:
        raise NotALiquidation("empty liquidation push")
    inst_type = message.arg.instType if message.arg else None
    return [event(d.symbol, d.side, d.price, d.amount, _ts_ms(d.ts), inst_type or "", rx) for d in message.data]


def parse_tardis(row: _tardis.TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """A Tardis ``bitget-futures`` row: Tardis inverted Bitget's side ("sell" = long), amount and price as sent.

    Tardis covers the USDT-margined feed (from 2026-04-28); the row has no instType, so the quote of the
    symbol stands in for it.
    """
    side = "buy" if _tardis.liquidated_side(row) is PositionSide.LONG else "sell"
    inst_type = "usdc-futures" if row.symbol.endswith(("USDC", "PERP")) else "usdt-futures"
    return [event(row.symbol, side, row.price, row.amount, _tardis.ts_ms(row), inst_type, _tardis.received(row, rx),
                  fields=("symbol", "symbol", "side"))]
