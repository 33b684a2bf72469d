"""Bybit linear specifics: S is the POSITION side (Buy = long liquidated), the opposite of Binance."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from liqscope.errors import NotALiquidation, UnexpectedPayload
from liqscope.events import InstrumentKind, PositionSide, PriceKind, QtyUnit, Received
from liqscope.venues import binance_coinm, bybit_linear
from liqscope.venues.bybit_linear import wire
from tests.venues._cases import FIXED_RECV_NS, ROOT

HERE = ROOT / "bybit_linear"
RX = Received(ts_ns=FIXED_RECV_NS, ref="test")
decode, parse = bybit_linear.SPEC.decode, bybit_linear.SPEC.parse


def _lines(name: str) -> list[bytes]:
    return HERE.joinpath(name).read_bytes().splitlines()


def _events(raw: bytes):
    return parse(decode(raw), RX)


def test_bybit_buy_and_binance_sell_both_mean_a_long_was_liquidated():
    gala = _lines("ws_liquidation_deprecated.jsonl")[0]
    assert b'"side":"Buy"' in gala
    (bybit,) = _events(gala)
    binance_raw = (ROOT / "binance_coinm" / "ws_force_order_doc.jsonl").read_bytes()
    assert b'"S":"SELL"' in binance_raw
    spec = binance_coinm.SPEC
    (binance,) = spec.parse(spec.decode(binance_raw), RX)
    assert bybit.liquidated_side is PositionSide.LONG
    assert binance.liquidated_side is PositionSide.LONG


def test_bybit_sell_means_a_short_was_liquidated():
    for name in ("ws_all_liquidation.jsonl", "ws_all_liquidation_doc.jsonl"):
        (raw,) = _lines(name)
        assert b'"S":"Sell"' in raw
        (e,) = _events(raw)
        assert e.liquidated_side is PositionSide.SHORT


def test_all_liquidation_values():
    (e,) = _events(_lines("ws_all_liquidation.jsonl")[0])
    assert (e.venue, e.market, e.instrument_kind) == ("bybit_linear", "PIPPINUSDT", InstrumentKind.PERPETUAL)
    assert (e.base_asset, e.quote_asset, e.settle_asset) == ("PIPPIN", "USDT", "USDT")
    assert (e.quantity, e.quantity_unit, e.contract_size) == (Decimal("2846"), QtyUnit.BASE, None)
    assert (e.price, e.price_kind, e.order_price) == (Decimal("0.02456"), PriceKind.BANKRUPTCY, None)
    assert e.notional_usd == Decimal("2846") * Decimal("0.02456") == Decimal("69.89776")
    assert e.ts_event == 1740480207110 * 1_000_000  # T, the liquidation time, not the envelope ts
    assert e.event_id.startswith("bybit_linear:PIPPINUSDT:1740480207110:")


def test_documented_example_values():
    (e,) = _events(_lines("ws_all_liquidation_doc.jsonl")[0])
    assert e.notional_usd == Decimal("20000") * Decimal("0.04499") == Decimal("899.8")


def test_deprecated_topic_parses_v5_and_pre_v5_shapes():
    gala, btc, _inverse = _lines("ws_liquidation_deprecated.jsonl")
    (g,), (b,) = _events(gala), _events(btc)
    assert (g.market, g.quantity, g.ts_event) == ("GALAUSDT", Decimal("1637"), 1673251091822 * 1_000_000)
    assert g.notional_usd == Decimal("1637") * Decimal("0.03803") == Decimal("62.25511")
    assert (b.market, b.quantity, b.ts_event) == ("BTCUSDT", Decimal("0.009"), 1632123952732 * 1_000_000)
    assert b.liquidated_side is PositionSide.SHORT
    assert b.notional_usd == Decimal("0.009") * Decimal("45212.50") == Decimal("406.9125")


def test_a_batch_yields_one_event_per_element():
    # Built in-test from the two real items above (PIPPIN, ROSE); Bybit batches every 500 ms.
    (pippin,), (rose,) = (decode(raw).data for raw in (_lines("ws_all_liquidation.jsonl")[0],
                                                        _lines("ws_all_liquidation_doc.jsonl")[0]))
    frame = msgspec.structs.replace(decode(_lines("ws_all_liquidation.jsonl")[0]), data=[pippin, rose])
    events = parse(frame, RX)
    assert [e.market for e in events] == ["PIPPINUSDT", "ROSEUSDT"]
    assert len({e.event_id for e in events}) == 2


def test_an_empty_batch_is_a_skip_not_zero_silent_events():
    frame = msgspec.structs.replace(decode(_lines("ws_all_liquidation.jsonl")[0]), data=[])
    with pytest.raises(NotALiquidation):
        parse(frame, RX)


@pytest.mark.parametrize("line", [1, 2])
def test_subscription_acks_and_pongs_are_skipped(line):
    with pytest.raises(NotALiquidation):
        _events(_lines("ws_control_doc.jsonl")[line - 1])


def test_inverse_symbols_are_quarantined_with_a_reason_naming_the_field():
    with pytest.raises(UnexpectedPayload, match="bybit_inverse") as e:
        _events(_lines("ws_liquidation_deprecated.jsonl")[2])  # liquidation.XRPUSD
    assert e.value.field == "data.symbol"
    frame = decode(_lines("ws_all_liquidation.jsonl")[0])
    for symbol in ("BTCUSD", "ETHUSDH25"):
        item = msgspec.structs.replace(frame.data[0], s=symbol)
        with pytest.raises(UnexpectedPayload, match="bybit_inverse") as e:
            parse(msgspec.structs.replace(frame, data=[item]), RX)
        assert e.value.field == "data.s"


def test_scaled_symbols_count_contracts_of_1000_base_units():
    frame = decode(_lines("ws_all_liquidation.jsonl")[0])
    item = msgspec.structs.replace(frame.data[0], s="1000PEPEUSDT")
    (e,) = parse(msgspec.structs.replace(frame, data=[item]), RX)
    assert (e.base_asset, e.quantity_unit, e.contract_size) == ("PEPE", QtyUnit.CONTRACTS, Decimal(1000))
    assert e.notional_usd == item.v * item.p  # price is per 1000-PEPE lot


def test_an_unknown_side_is_rejected_with_its_field():
    frame = decode(_lines("ws_all_liquidation.jsonl")[0])
    item = msgspec.structs.replace(frame.data[0], S="Long")
    with pytest.raises(UnexpectedPayload) as e:
        parse(msgspec.structs.replace(frame, data=[item]), RX)
    assert e.value.field == "data.S"


def test_wire_keeps_bybit_field_names():
    assert {f for f in wire.AllLiquidationItem.__struct_fields__} == {"T", "s", "S", "v", "p"}
