"""bitmex: one liquidation per orderID (insert or partial), receipt time as venue time, contract values.

Inputs are the real insert/delete pair in tests/fixtures/venues/bitmex/. Variants edit one field of a
real frame in memory and say so.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from liqscope.errors import NotALiquidation, UnexpectedPayload, UnknownInstrument
from liqscope.events import Margining, PositionSide, PriceKind, QtyUnit, Received
from liqscope.normalize import normalize_record
from liqscope.venues.bitmex import SPEC
from tests.venues._frames import RX, frame, parse

INSERT = frame("bitmex", "ws_liquidation.jsonl", 1)   # XBTUSD, Buy, price 10106, leavesQty 9214
DELETE = frame("bitmex", "ws_liquidation.jsonl", 2)   # the same orderID leaving the book
ORDER = "dd9cea25-207c-0dab-15b5-b88da776f500"


def test_insert_is_the_liquidation_at_the_bankruptcy_price_for_the_full_order():
    (e,) = parse("bitmex", INSERT)
    assert (e.event_id, e.market, e.liquidated_side) == (f"bitmex:{ORDER}", "XBTUSD", PositionSide.SHORT)
    assert (e.price, e.price_kind) == (Decimal("10106"), PriceKind.BANKRUPTCY)
    # XBTUSD: 1 USD per contract, so 9214 contracts are 9214 USD whatever the price.
    assert (e.quantity, e.quantity_unit, e.notional_usd) == (Decimal("9214"), QtyUnit.CONTRACTS, Decimal("9214"))
    assert (e.margining, e.base_asset, e.settle_asset) == (Margining.INVERSE, "BTC", "BTC")


def test_the_row_has_no_time_so_ts_event_is_receipt_time():
    rx = Received(ts_ns=1_717_000_000_123_456_789, ref="t:1")
    (e,) = parse("bitmex", INSERT, rx)
    assert e.ts_event == e.ts_recv == 1_717_000_000_123_456_789


def test_insert_then_delete_of_one_order_is_one_liquidation():
    outcomes = [normalize_record(SPEC.decode, SPEC.parse, raw, RX) for raw in (INSERT, DELETE)]
    assert [len(o.events) for o in outcomes] == [1, 0]
    assert "counted at insert" in outcomes[1].skipped


def test_update_is_a_skip_and_a_partial_row_repeats_the_inserts_identity():
    with pytest.raises(NotALiquidation, match="update"):
        parse("bitmex", INSERT.replace(b'"action":"insert"', b'"action":"update"'))
    (partial,) = parse("bitmex", INSERT.replace(b'"action":"insert"', b'"action":"partial"'))
    assert partial.event_id == parse("bitmex", INSERT)[0].event_id  # a reconnect's partial counts once


def test_sell_order_closes_a_long():
    (e,) = parse("bitmex", INSERT.replace(b'"side":"Buy"', b'"side":"Sell"'))
    assert e.liquidated_side is PositionSide.LONG


def test_linear_usdt_contract_is_a_millionth_of_a_bitcoin():
    (e,) = parse("bitmex", INSERT.replace(b'"XBTUSD"', b'"XBTUSDT"'))
    assert e.notional_usd == Decimal("9214") * Decimal("0.000001") * Decimal("10106") == Decimal("93.116684")
    assert (e.margining, e.contract_size_unit, e.settle_asset) == (Margining.LINEAR, QtyUnit.BASE, "USDT")


def test_quanto_and_unlisted_instruments_are_quarantined():
    with pytest.raises(UnknownInstrument, match="ETHUSD") as caught:
        parse("bitmex", INSERT.replace(b'"XBTUSD"', b'"ETHUSD"'))
    assert caught.value.field == "data.symbol"


def test_an_insert_without_leaves_qty_is_quarantined():
    with pytest.raises(UnexpectedPayload) as caught:
        parse("bitmex", INSERT.replace(b',"leavesQty":9214', b""))
    assert caught.value.field == "data.leavesQty"


def test_declared_spec():
    assert not SPEC.sampled
    assert SPEC.quantity_unit is QtyUnit.CONTRACTS
