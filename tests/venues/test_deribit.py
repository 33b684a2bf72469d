"""deribit: the M/T/MT flag and the taker's direction decide the side; MT is two events; USD amounts.

Inputs are the real T and M trades in tests/fixtures/venues/deribit/. No real MT trade was found, so
the MT test edits the T trade's flag in memory; other variants say what they edit too.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from liqscope.errors import NotALiquidation, UnexpectedPayload
from liqscope.events import InstrumentKind, Margining, PositionSide, QtyUnit
from liqscope.venues.deribit import SPEC
from tests.venues._frames import frame, parse

TAKER_SELL = frame("deribit", "ws_trades.jsonl", 1)  # trade 66460463, "T", direction sell, 1120 USD @ 4469.5
MAKER_BUY = frame("deribit", "ws_trades.jsonl", 2)   # trade 66460626, "M", direction buy, 2500 USD @ 4458.5


def test_taker_liquidated_selling_closes_a_long():
    (e,) = parse("deribit", TAKER_SELL)
    assert (e.liquidated_side, e.event_id) == (PositionSide.LONG, "deribit:BTC-PERPETUAL:66460463:LONG")


def test_maker_liquidated_is_on_the_other_side_of_the_takers_direction():
    (e,) = parse("deribit", MAKER_BUY)  # the taker bought, so the liquidated maker sold: a LONG
    assert e.liquidated_side is PositionSide.LONG


def test_mt_means_both_sides_were_liquidated_two_events():
    events = parse("deribit", TAKER_SELL.replace(b'"liquidation":"T"', b'"liquidation":"MT"'))
    assert [e.liquidated_side for e in events] == [PositionSide.LONG, PositionSide.SHORT]
    assert [e.event_id for e in events] == ["deribit:BTC-PERPETUAL:66460463:LONG",
                                            "deribit:BTC-PERPETUAL:66460463:SHORT"]
    assert sum(e.notional_usd for e in events) == Decimal("2240")  # 1120 USD on each side


def test_perpetual_amount_is_usd_and_linear_amount_is_coin():
    (inverse,) = parse("deribit", TAKER_SELL)
    assert (inverse.quantity, inverse.quantity_unit, inverse.notional_usd) == (
        Decimal("1120"), QtyUnit.QUOTE, Decimal("1120"))
    assert (inverse.margining, inverse.settle_asset) == (Margining.INVERSE, "BTC")
    raw = TAKER_SELL.replace(b"BTC-PERPETUAL", b"BTC_USDC-PERPETUAL").replace(b'"amount":1120', b'"amount":0.5')
    (linear,) = parse("deribit", raw)
    assert linear.notional_usd == Decimal("0.5") * Decimal("4469.5") == Decimal("2234.75")
    assert (linear.quantity_unit, linear.margining, linear.quote_asset, linear.settle_asset) == (
        QtyUnit.BASE, Margining.LINEAR, "USDC", "USDC")


def test_dated_future_name():
    (e,) = parse("deribit", TAKER_SELL.replace(b"BTC-PERPETUAL", b"BTC-27MAR20"))
    assert e.instrument_kind is InstrumentKind.DATED_FUTURE


def test_a_trade_without_the_flag_is_not_a_liquidation():
    with pytest.raises(NotALiquidation):
        parse("deribit", TAKER_SELL.replace(b'"liquidation":"T",', b""))


def test_option_liquidations_are_quarantined():
    with pytest.raises(UnexpectedPayload, match="not a perpetual or a future"):
        parse("deribit", TAKER_SELL.replace(b'"instrument_name":"BTC-PERPETUAL"',
                                            b'"instrument_name":"BTC-27MAR20-5000-P"'))


def test_an_unknown_flag_is_quarantined():
    with pytest.raises(UnexpectedPayload) as caught:
        parse("deribit", TAKER_SELL.replace(b'"liquidation":"T"', b'"liquidation":"X"'))
    assert caught.value.field == "params.data.liquidation"


def test_declared_spec():
    assert not SPEC.sampled and str(SPEC.side_convention) == "taker"
