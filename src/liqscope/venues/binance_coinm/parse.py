"""Pure Binance COIN-M ``forceOrder`` -> ``LiquidationEvent`` (no I/O, no clock).

The wire is USD-M's (``liqscope.venues.binance_usdm.wire``, which already carries COIN-M's ``ps``).
What differs is the quantity: ``z`` counts CONTRACTS of a fixed USD face value (``contractSize`` in
``/dapi/v1/exchangeInfo``: 100 USD for BTCUSD, 10 USD for the other pairs), so the USD notional is
``z x contract_size``, never ``z x price``.
"""

from __future__ import annotations

import re

from liqscope.errors import UnexpectedPayload
from liqscope.events import InstrumentKind, LiquidationEvent, PriceKind, QtyUnit, Received, mul
from liqscope.venues import _instruments, _tardis
from liqscope.venues.binance_usdm import wire
from liqscope.venues.binance_usdm.parse import body_of, closed_side, identity, order_price

VENUE = "binance_coinm"
_PACKAGE = "liqscope.venues.binance_coinm"
# BTCUSD_PERP (perpetual) or BTCUSD_241227 (dated future, delivery YYMMDD).
_SYMBOL = re.compile(r"^(?P<pair>[A-Z0-9]+USD)_(?P<delivery>PERP|\d{6})$")


def split_symbol(symbol: str) -> tuple[str, InstrumentKind]:
    """Split ``BTCUSD_PERP`` / ``BTCUSD_241227`` into the pair and the instrument kind.

    Raises:
        UnexpectedPayload: The symbol is not ``<PAIR>_PERP`` or ``<PAIR>_YYMMDD``.
    """
    m = _SYMBOL.match(symbol)
    if not m:
        raise UnexpectedPayload(f"COIN-M symbol {symbol!r} is not <PAIR>USD_PERP or <PAIR>USD_YYMMDD",
                                field="o.s")
    kind = InstrumentKind.PERPETUAL if m.group("delivery") == "PERP" else InstrumentKind.DATED_FUTURE
    return m.group("pair"), kind


def parse_body(body: wire.ForceOrderBody, rx: Received) -> list[LiquidationEvent]:
    """Normalize one COIN-M ``o`` object (from the stream or the archive)."""
    side = closed_side(body)
    pair, kind = split_symbol(body.s)
    if body.ps is not None and body.ps != pair:
        raise UnexpectedPayload(f"pair {body.ps!r} does not match symbol {body.s!r}", field="o.ps")
    # Keyed by pair: BTCUSD_PERP and every dated BTCUSD_YYMMDD share one contract size.
    inst = _instruments.lookup(_PACKAGE, pair, field="o.s")
    return [
        LiquidationEvent(
            venue=VENUE,
            market=body.s,
            instrument_kind=kind,
            base_asset=inst.base_asset,
            quote_asset=inst.quote_asset,
            settle_asset=inst.settle_asset,
            margining=inst.margining,
            liquidated_side=side,
            venue_side=body.S,
            price=body.ap,
            price_kind=PriceKind.AVERAGE_FILL,
            order_price=order_price(body),
            quantity=body.z,
            quantity_unit=QtyUnit.CONTRACTS,
            contract_size=inst.contract_size,
            contract_size_unit=inst.contract_size_unit,
            # Each contract is a fixed USD amount, whatever the fill or order price: so there is no
            # separate notional at the order price (notional_order_usd None = the same).
            notional_usd=mul(body.z, inst.contract_size),
            ts_event=body.T * 1_000_000,
            ts_recv=rx.ts_ns,
            source=rx.source,
            event_id=identity(VENUE, body),
            raw_ref=rx.ref,
        )
    ]


def parse_force_order(frame: wire.Frame, rx: Received) -> list[LiquidationEvent]:
    """Normalize one COIN-M ``forceOrder`` stream message, wrapped or not."""
    return parse_body(body_of(frame), rx)


def parse_tardis(row: _tardis.TardisLiquidation, rx: Received) -> list[LiquidationEvent]:
    """Binance COIN-M: amount = ``z`` CONTRACTS of a fixed USD face value, so notional = z x contract size."""
    side = _tardis.liquidated_side(row)
    try:
        pair, kind = split_symbol(row.symbol)
    except UnexpectedPayload as e:
        raise UnexpectedPayload(str(e), field="symbol") from None
    inst = _instruments.lookup("liqscope.venues.binance_coinm", pair, field="symbol")
    ms = _tardis.ts_ms(row)
    venue = "binance_coinm"
    return [LiquidationEvent(
        venue=venue, market=row.symbol, instrument_kind=kind,
        base_asset=inst.base_asset, quote_asset=inst.quote_asset, settle_asset=inst.settle_asset,
        margining=inst.margining, liquidated_side=side, venue_side=row.side.upper(), price=row.price,
        price_kind=PriceKind.AVERAGE_FILL,
        quantity=row.amount, quantity_unit=QtyUnit.CONTRACTS,
        contract_size=inst.contract_size, contract_size_unit=inst.contract_size_unit,
        notional_usd=mul(row.amount, inst.contract_size),
        ts_event=ms * 1_000_000, ts_recv=row.local_timestamp * 1000, source=rx.source,
        event_id=f"{venue}:{row.symbol}:{ms}:{_tardis.digest(row.side, row.amount, row.price)}", raw_ref=rx.ref,
    )]
