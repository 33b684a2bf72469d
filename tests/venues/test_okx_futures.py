"""okx_futures: dated futures on the liquidation-orders channel; ctVal per instrument family.

Inputs are the real frames in tests/fixtures/venues/okx_futures/. Variants edit one field of a real
frame in memory and say so.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from liqscope.errors import NotALiquidation, UnexpectedPayload, UnknownInstrument
from liqscope.events import InstrumentKind, Margining, PositionSide, QtyUnit
from liqscope.venues import okx_swap
from liqscope.venues.okx_futures import SPEC, parse, wire
from tests.venues._frames import frame
from tests.venues._frames import parse as run

XRP = frame("okx_futures", "ws_liquidation_orders.jsonl", 1)        # XRP-USD-230929, buy, sz 39, bkPx 0.55205
LEGACY_BTC_USD = frame("okx_futures", "ws_liquidation_legacy.jsonl", 1)   # BTC-USD-220624, buy, sz 12
LEGACY_BTC_USDT = frame("okx_futures", "ws_liquidation_legacy.jsonl", 2)  # BTC-USDT-211231, buy, sz 40 @ 49674.2


def test_inverse_future_notional_is_contracts_times_usd_face_value():
    (e,) = run("okx_futures", XRP)
    assert e.notional_usd == Decimal("39") * Decimal("10") == Decimal("390")
    assert e.notional_usd != Decimal("39") * Decimal("0.55205")  # sz read as coins
    assert (e.quantity, e.quantity_unit, e.contract_size, e.contract_size_unit) == (
        Decimal("39"), QtyUnit.CONTRACTS, Decimal("10"), QtyUnit.QUOTE)
    assert (e.instrument_kind, e.margining, e.settle_asset) == (InstrumentKind.DATED_FUTURE, Margining.INVERSE, "XRP")
    assert e.liquidated_side is PositionSide.SHORT  # a buy order closes a short


def test_linear_future_notional_is_contracts_times_ctval_times_bankruptcy_price():
    (e,) = run("okx_futures", LEGACY_BTC_USDT)
    assert e.notional_usd == Decimal("40") * Decimal("0.01") * Decimal("49674.2") == Decimal("19869.68")
    (btc_usd,) = run("okx_futures", LEGACY_BTC_USD)
    assert btc_usd.notional_usd == Decimal("12") * Decimal("100") == Decimal("1200")


def test_every_expiry_of_a_family_shares_its_ctval():
    (other,) = run("okx_futures", XRP.replace(b"XRP-USD-230929", b"XRP-USD-231229"))
    assert (other.market, other.contract_size, other.notional_usd) == ("XRP-USD-231229", Decimal("10"), Decimal("390"))


def test_swap_frames_are_quarantined_naming_okx_swap():
    with pytest.raises(UnexpectedPayload, match="okx_swap") as caught:
        run("okx_futures", frame("okx_futures", "ws_liquidation_orders.jsonl", 2))
    assert caught.value.field == "arg.instType"


def test_unknown_family_is_quarantined_not_guessed():
    raw = XRP.replace(b"XRP-USD", b"SOL-USD")  # a real OKX futures family whose ctVal is not bundled
    with pytest.raises(UnknownInstrument, match="SOL-USD") as caught:
        run("okx_futures", raw)
    assert caught.value.field == "data.instId"


def test_a_legacy_channel_frame_must_name_a_dated_instrument():
    with pytest.raises(UnexpectedPayload, match="not a dated future") as caught:
        run("okx_futures", LEGACY_BTC_USD.replace(b"BTC-USD-220624", b"BTC-USD-SWAP"))
    assert caught.value.field == "arg.instId"


def test_hedge_position_side_that_contradicts_the_order_side_is_quarantined():
    with pytest.raises(UnexpectedPayload) as caught:
        run("okx_futures", XRP.replace(b'"posSide":"short"', b'"posSide":"long"'))
    assert caught.value.field == "details.posSide"


@pytest.mark.parametrize("line", [3, 4, 5], ids=["pong", "subscribe-ack", "error-event"])
def test_control_frames_are_skips(line):
    with pytest.raises(NotALiquidation):
        run("okx_futures", frame("okx_futures", "ws_liquidation_orders.jsonl", line))


def test_wire_and_side_logic_are_okx_swaps_not_copies():
    assert wire.Detail is okx_swap.wire.Detail and wire.LiquidationOrdersPush is okx_swap.wire.LiquidationOrdersPush
    assert parse.swap is okx_swap.parse  # side, identity, ts and event building all come from okx_swap
    assert parse.swap.detail_events is okx_swap.parse.detail_events


def test_declared_spec():
    assert SPEC.sampled and "doesn't represent the total" in SPEC.sampling
    assert SPEC.sampling == okx_swap.SPEC.sampling
