"""Binance COIN-M specifics: quantities are USD-face contracts, so notional = contracts x contract size."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from liqscope.errors import UnexpectedPayload, UnknownInstrument
from liqscope.events import (
    InstrumentKind,
    LiquidationEvent,
    Margining,
    PositionSide,
    QtyUnit,
    Received,
    Source,
)
from liqscope.venues import _instruments
from liqscope.venues.binance_coinm import SPEC, archive, parse
from tests.venues._cases import FIXED_RECV_NS, ROOT

HERE = ROOT / "binance_coinm"
ARCHIVE = HERE / "formats" / "binance-archive" / "BTCUSD_PERP-liquidationSnapshot-2024-10-01.csv"
RX = Received(ts_ns=FIXED_RECV_NS, ref="test", source=Source.ARCHIVE)


def _archive_events(*, first_copies_only: bool) -> list[LiquidationEvent]:
    fmt = SPEC.formats["binance-archive"]
    seen: set[bytes] = set()
    events = []
    for _, raw in fmt.split(ARCHIVE.read_bytes(), ARCHIVE.name):
        if first_copies_only and raw in seen:
            continue
        seen.add(raw)
        events += fmt.parse(fmt.decode(raw, ARCHIVE.name), RX)
    return events


def _ws_body(name: str):
    frame = SPEC.decode(HERE.joinpath(name).read_bytes().splitlines()[0])
    return parse.body_of(frame)


def test_archive_format_declares_that_it_repeats_records():
    assert SPEC.formats["binance-archive"].repeats_records is True


def test_archive_sample_is_7_liquidations_of_106_contracts_worth_10600_usd():
    """PROVENANCE figures: 14 rows, every row twice; BUY/short 86 contracts, SELL/long 20."""
    assert len(_archive_events(first_copies_only=False)) == 14
    events = _archive_events(first_copies_only=True)
    assert len(events) == 7
    assert len({e.event_id for e in events}) == 7
    assert sum(e.quantity for e in events) == Decimal(106)
    assert sum(e.notional_usd for e in events) == Decimal(10_600)
    shorts = [e for e in events if e.liquidated_side is PositionSide.SHORT]
    longs = [e for e in events if e.liquidated_side is PositionSide.LONG]
    assert [e.quantity for e in shorts] == [7, 76, 3]
    assert [e.quantity for e in longs] == [1, 1, 12, 6]
    assert sum(e.notional_usd for e in shorts) == Decimal(8_600)
    assert sum(e.notional_usd for e in longs) == Decimal(2_000)


def test_exact_repeats_share_one_event_id():
    events = _archive_events(first_copies_only=False)
    assert len({e.event_id for e in events}) == 7


def test_notional_is_contracts_times_contract_size_never_contracts_times_price():
    """Fails if notional were z x price: 106 contracts at ~63,000 would be ~$6.7M, not $10,600."""
    events = _archive_events(first_copies_only=True)
    for e in events:
        assert e.quantity_unit is QtyUnit.CONTRACTS
        assert e.contract_size == Decimal(100) and e.contract_size_unit is QtyUnit.QUOTE
        assert e.notional_usd == e.quantity * Decimal(100)
        assert e.notional_usd != e.quantity * e.price
    assert sum(e.quantity * e.price for e in events) == Decimal("6728625.7")  # the wrong answer, by hand
    (ws,) = SPEC.parse(SPEC.decode(HERE.joinpath("ws_force_order_combined.jsonl").read_bytes()), RX)
    assert ws.quantity == Decimal(3) and ws.price == Decimal("9352.7")
    assert ws.notional_usd == Decimal(300)
    assert ws.notional_order_usd is None  # a USD-face contract is worth the same at any price


def test_event_values_of_the_documented_frame():
    (e,) = SPEC.parse(SPEC.decode(HERE.joinpath("ws_force_order_doc.jsonl").read_bytes()), RX)
    assert (e.market, e.instrument_kind) == ("BTCUSD_200925", InstrumentKind.DATED_FUTURE)
    assert (e.base_asset, e.quote_asset, e.settle_asset) == ("BTC", "USD", "BTC")
    assert e.margining is Margining.INVERSE
    assert e.liquidated_side is PositionSide.LONG  # order side SELL closes a long
    assert (e.price, e.order_price) == (Decimal("9496.5"), Decimal("9425.5"))  # ap, p
    assert e.notional_usd == Decimal(100)
    assert e.ts_event == 1591154240949 * 1_000_000
    assert e.event_id.startswith("binance_coinm:BTCUSD_200925:1591154240949:")


def test_perpetual_and_dated_symbols_resolve_through_the_pair():
    perp = _archive_events(first_copies_only=True)[0]
    dated, = parse.parse_body(_ws_body("ws_force_order_doc.jsonl"), RX)
    assert perp.instrument_kind is InstrumentKind.PERPETUAL
    assert dated.instrument_kind is InstrumentKind.DATED_FUTURE
    assert perp.contract_size == dated.contract_size == Decimal(100)


def test_archive_rows_carry_the_pair_like_stream_frames():
    body = archive.decode_row(b"1727740869082,BUY,LIMIT,IOC,7,63661.4,63425.1,FILLED,7,7", ARCHIVE.name)
    assert (body.s, body.ps) == ("BTCUSD_PERP", "BTCUSD")


def test_an_unknown_pair_is_quarantined_not_guessed():
    # A real documented frame with only the symbol swapped for a pair missing from instruments.json.
    body = msgspec.structs.replace(_ws_body("ws_force_order_doc.jsonl"), s="NOPEUSD_PERP", ps="NOPEUSD")
    with pytest.raises(UnknownInstrument) as e:
        parse.parse_body(body, RX)
    assert e.value.field == "o.s"


def test_a_pair_that_contradicts_the_symbol_is_rejected():
    body = msgspec.structs.replace(_ws_body("ws_force_order_doc.jsonl"), ps="ETHUSD")
    with pytest.raises(UnexpectedPayload) as e:
        parse.parse_body(body, RX)
    assert e.value.field == "o.ps"


def test_instrument_table_holds_only_usd_face_inverse_contracts():
    table = _instruments.load("liqscope.venues.binance_coinm")
    assert table.venue == "binance_coinm" and table.source
    assert {"BTCUSD", "ETHUSD", "BNBUSD", "SOLUSD", "XRPUSD", "ADAUSD", "DOGEUSD", "LTCUSD", "LINKUSD",
            "DOTUSD", "BCHUSD", "AVAXUSD"} <= set(table.instruments)
    for pair, inst in table.instruments.items():
        assert pair == inst.base_asset + "USD"
        assert (inst.quote_asset, inst.settle_asset) == ("USD", inst.base_asset)
        assert inst.margining is Margining.INVERSE
        assert inst.contract_size_unit is QtyUnit.QUOTE
        assert inst.contract_size == (Decimal(100) if pair == "BTCUSD" else Decimal(10))
