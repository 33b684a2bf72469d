"""What is specific to okx_swap: contracts x ctVal, order side -> position, quarantine of unknowns.

Inputs are the real frames in tests/fixtures/venues/okx_swap/. Where a test needs a variant (another
instrument, a contradictory posSide), it edits one field of a real frame in memory and says so.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from liqscope.errors import NotALiquidation, UnexpectedPayload, UnknownInstrument
from liqscope.events import Margining, PositionSide, PriceKind, QtyUnit, Received
from liqscope.normalize import normalize_record
from liqscope.venues.okx_swap import SPEC

FIXTURES = Path(__file__).parent.parent / "fixtures" / "venues" / "okx_swap"
RX = Received(ts_ns=1_800_000_000_000_000_000, ref="test:1")


def _frame(line: int) -> bytes:
    return (FIXTURES / "ws_liquidation_orders.jsonl").read_bytes().splitlines()[line - 1]


DOC_IOST = _frame(1)   # OKX doc example: IOST-USDT-SWAP, buy, sz 13, bkPx 0.007831
BTC_SELL = _frame(4)   # ccxt PR #23350 capture: BTC-USDT-SWAP, sell, sz 10000, bkPx 57102.9


def _parse(raw: bytes):
    return SPEC.parse(SPEC.decode(raw), RX)


def test_notional_multiplies_contracts_by_ctval_then_bankruptcy_price():
    """13 IOST-USDT-SWAP contracts are 13 x 1000 IOST, not 13 IOST."""
    (event,) = _parse(DOC_IOST)
    by_hand = Decimal("13") * Decimal("1000") * Decimal("0.007831")  # sz x ctVal x bkPx
    assert by_hand == Decimal("101.803")
    assert event.notional_usd == by_hand
    assert event.notional_usd != Decimal("13") * Decimal("0.007831")  # sz read as coins: 0.101803
    assert (event.quantity, event.quantity_unit) == (Decimal("13"), QtyUnit.CONTRACTS)
    assert (event.contract_size, event.contract_size_unit) == (Decimal("1000"), QtyUnit.BASE)
    assert (event.price, event.price_kind) == (Decimal("0.007831"), PriceKind.BANKRUPTCY)
    assert event.order_price is None  # bkPx is the only price: there is no second, order price


def test_btc_usdt_contract_is_one_hundredth_of_a_btc():
    (event,) = _parse(BTC_SELL)
    assert event.notional_usd == Decimal("10000") * Decimal("0.01") * Decimal("57102.9") == Decimal("5710290")


def test_sell_order_closes_a_long_and_buy_order_closes_a_short():
    assert _parse(BTC_SELL)[0].liquidated_side is PositionSide.LONG
    assert _parse(DOC_IOST)[0].liquidated_side is PositionSide.SHORT


def test_net_position_side_is_accepted_and_the_order_side_decides():
    """One-way accounts send posSide "net": the side comes from the order side alone."""
    (event,) = _parse(BTC_SELL.replace(b'"posSide":"long"', b'"posSide":"net"'))
    assert event.liquidated_side is PositionSide.LONG


def test_hedge_position_side_that_contradicts_the_order_side_is_quarantined():
    raw = DOC_IOST.replace(b'"posSide":"short"', b'"posSide":"long"')  # a buy cannot close a long
    with pytest.raises(UnexpectedPayload) as caught:
        _parse(raw)
    assert caught.value.field == "details.posSide"


def test_unknown_instrument_is_quarantined_naming_the_inst_id():
    """APT-USDT-SWAP is a real OKX swap whose ctVal is not bundled: quarantined, never guessed."""
    raw = DOC_IOST.replace(b"IOST-USDT", b"APT-USDT")
    with pytest.raises(UnknownInstrument, match="APT-USDT-SWAP") as caught:
        _parse(raw)
    assert caught.value.field == "data.instId"
    outcome = normalize_record(SPEC.decode, SPEC.parse, raw, RX)
    assert outcome.quarantined and outcome.field == "data.instId" and "APT-USDT-SWAP" in outcome.error


def test_inverse_swap_notional_is_contracts_times_usd_face_value():
    """BTC-USD-SWAP: ctVal is 100 USD and the contract settles in BTC; the price does not enter."""
    raw = DOC_IOST.replace(b"IOST-USDT", b"BTC-USD")
    (event,) = _parse(raw)
    assert event.notional_usd == Decimal("13") * Decimal("100") == Decimal("1300")
    assert (event.contract_size, event.contract_size_unit) == (Decimal("100"), QtyUnit.QUOTE)
    assert (event.margining, event.base_asset, event.quote_asset, event.settle_asset) == (
        Margining.INVERSE, "BTC", "USD", "BTC")


def test_replayed_liquidation_keeps_its_event_id():
    """OKX replays recent liquidations after each subscribe: a copy must dedupe by identity."""
    first, again = _parse(DOC_IOST)[0], _parse(DOC_IOST)[0]
    assert first.event_id == again.event_id
    assert first.event_id.startswith("okx_swap:IOST-USDT-SWAP:1692266434010:")
    other = _parse(DOC_IOST.replace(b'"sz":"13"', b'"sz":"14"'))[0]
    assert other.event_id != first.event_id


def test_futures_inst_type_names_the_venue_it_belongs_to():
    with pytest.raises(UnexpectedPayload, match="okx_futures") as caught:
        _parse(_frame(5))
    assert caught.value.field == "arg.instType"


@pytest.mark.parametrize("line", [2, 3, 6], ids=["pong", "subscribe-ack", "error-event"])
def test_control_frames_are_skips_not_errors(line):
    with pytest.raises(NotALiquidation):
        _parse(_frame(line))


def test_declared_spec():
    assert SPEC.sampled and "doesn't represent the total" in SPEC.sampling
    assert SPEC.quantity_unit is QtyUnit.CONTRACTS
