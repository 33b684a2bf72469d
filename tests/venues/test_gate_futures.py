"""gate_futures: the sign of size is the side; contracts x quanto_multiplier x price; sampled.

Inputs are Gate's documented messages in tests/fixtures/venues/gate_futures/. Variants edit them in
memory and say so.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from liqscope.errors import NotALiquidation, UnexpectedPayload, UnknownInstrument
from liqscope.events import PositionSide, PriceKind, QtyUnit
from liqscope.venues.gate_futures import SPEC
from tests.venues._frames import frame, parse

UPDATE = frame("gate_futures", "ws_public_liquidates_doc.jsonl", 1)  # BTC_USDT size "-124" price 215.1
SUBSCRIBED = frame("gate_futures", "ws_public_liquidates_doc.jsonl", 2)


def test_negative_size_is_a_sell_order_closing_a_long():
    (e,) = parse("gate_futures", UPDATE)
    assert e.liquidated_side is PositionSide.LONG
    assert (e.quantity, e.quantity_unit, e.contract_size) == (Decimal("124"), QtyUnit.CONTRACTS, Decimal("0.0001"))
    # 124 contracts x 0.0001 BTC x 215.1 = 2.66724 USDT (124 x 215.1 = 26,672.4 if contracts were coins).
    assert e.notional_usd == Decimal("124") * Decimal("0.0001") * Decimal("215.1") == Decimal("2.66724")
    assert (e.price, e.price_kind) == (Decimal("215.1"), PriceKind.ORDER)
    assert e.ts_event == 1_541_486_601_123_000_000


def test_positive_size_closes_a_short():
    (e,) = parse("gate_futures", UPDATE.replace(b'"size":"-124"', b'"size":"124"'))
    assert (e.liquidated_side, e.quantity) == (PositionSide.SHORT, Decimal("124"))


def test_integer_and_decimal_sizes_read_alike():
    (e,) = parse("gate_futures", UPDATE.replace(b'"size":"-124"', b'"size":-124'))
    assert e.quantity == Decimal("124")
    (d,) = parse("gate_futures", UPDATE.replace(b'"size":"-124"', b'"size":"-0.5"'))
    assert d.notional_usd == Decimal("0.5") * Decimal("0.0001") * Decimal("215.1")


def test_zero_size_has_no_side_and_is_quarantined():
    with pytest.raises(UnexpectedPayload) as caught:
        parse("gate_futures", UPDATE.replace(b'"size":"-124"', b'"size":"0"'))
    assert caught.value.field == "result.size"


def test_unknown_contract_is_quarantined_not_guessed():
    with pytest.raises(UnknownInstrument, match="SOL_USDT"):
        parse("gate_futures", UPDATE.replace(b"BTC_USDT", b"SOL_USDT"))


def test_subscribe_reply_is_a_skip():
    with pytest.raises(NotALiquidation):
        parse("gate_futures", SUBSCRIBED)


def test_declared_spec():
    assert SPEC.sampled and "1 liquidation order per contract per second" in SPEC.sampling
    assert not SPEC.formats  # Tardis publishes no Gate liquidations
