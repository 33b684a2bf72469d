"""dydx_v4: LIQUIDATED trades only, the taker's SELL closes a LONG, id = trade id, batches read too.

Input is the real channel_data push in tests/fixtures/venues/dydx_v4/ (one LIMIT and one LIQUIDATED
trade). Variants edit it in memory and say so.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from liqscope.errors import NotALiquidation, UnexpectedPayload
from liqscope.events import LiquidationKind, PositionSide, QtyUnit
from liqscope.venues.dydx_v4 import SPEC
from tests.venues._frames import frame, parse

PUSH = frame("dydx_v4", "ws_v4_trades.jsonl", 1)
LIQ = b'"side":"SELL","size":"3.9","price":"22.87","type":"LIQUIDATED"'


def test_only_the_liquidated_trade_counts_and_sell_means_a_long():
    (e,) = parse("dydx_v4", PUSH)
    assert (e.event_id, e.liquidated_side) == ("dydx_v4:BTC-USD:014f495a0000000200000005", PositionSide.LONG)
    assert (e.quantity, e.quantity_unit) == (Decimal("3.9"), QtyUnit.BASE)
    assert e.notional_usd == Decimal("3.9") * Decimal("22.87") == Decimal("89.193")
    assert e.ts_event == 1_722_756_890_628_000_000  # 2024-08-04T07:34:50.628Z
    assert (e.settle_asset, e.liquidation_kind) == ("USDC", LiquidationKind.MARKET)


def test_buy_closes_a_short():
    (e,) = parse("dydx_v4", PUSH.replace(LIQ, LIQ.replace(b"SELL", b"BUY")))
    assert e.liquidated_side is PositionSide.SHORT


def test_deleveraged_trades_are_kept_as_adl():
    (e,) = parse("dydx_v4", PUSH.replace(b'"type":"LIQUIDATED"', b'"type":"DELEVERAGED"'))
    assert e.liquidation_kind is LiquidationKind.ADL


def test_limit_trades_alone_are_a_skip():
    with pytest.raises(NotALiquidation, match="2 trade"):
        parse("dydx_v4", PUSH.replace(b'"type":"LIQUIDATED"', b'"type":"LIMIT"'))


def test_batched_contents_give_the_same_events():
    start = PUSH.index(b'"contents":') + len(b'"contents":')
    batched = (PUSH[:start] + b"[" + PUSH[start:-1] + b"]}").replace(b'"channel_data"', b'"channel_batch_data"')
    assert parse("dydx_v4", batched) == parse("dydx_v4", PUSH)


def test_an_unknown_trade_type_is_quarantined():
    with pytest.raises(UnexpectedPayload) as caught:
        parse("dydx_v4", PUSH.replace(b'"type":"LIQUIDATED"', b'"type":"OFFSETTING"'))
    assert caught.value.field == "contents.trades.type"


def test_declared_spec():
    assert not SPEC.sampled and SPEC.quantity_unit is QtyUnit.BASE
