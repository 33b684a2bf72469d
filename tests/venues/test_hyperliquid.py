"""Hyperliquid specifics: one event per liquidation trade, leg sides, ADL, the official CSV, LZ4 input."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import lz4.frame
import msgspec
import pytest

from liqscope.errors import InputUnreadable, NotALiquidation, UnexpectedPayload
from liqscope.events import (
    InstrumentKind,
    LiquidationKind,
    MarginMode,
    PositionSide,
    PriceKind,
    QtyUnit,
    Received,
    Source,
)
from liqscope.normalize import normalize_record
from liqscope.venues import get_venue
from liqscope.venues.hyperliquid import official, parse, wire

FIXTURES = Path(__file__).parent.parent / "fixtures" / "venues" / "hyperliquid"
BLOCKS = FIXTURES / "node_fills_by_block.jsonl"
OFFICIAL = FIXTURES / "formats" / "hyperliquid-official" / "liquidations_2023-02-28_to_2023-03-31.csv"
ADL_DOC = FIXTURES / "documented_adl_block_758800641.json"
SPEC = get_venue("hyperliquid")
RX = Received(ts_ns=1_800_000_000_000_000_000, ref="test:1", source=Source.ARCHIVE)

WLFI_LINE = 7  # block 777010856 in the fixture
WLFI_VICTIM = "0xa59f55114ccb120487c4fb5766cb89b123c13563"
WLFI_COUNTERPARTY = "0x622450a3048ae44a5c54e2b54c91b082313e1d23"
HLP_LIQUIDATOR = "0x2e3d94f0562703b25c83308a05046ddaf9a8dd14"


def _lines(data: bytes) -> list[bytes]:
    return [line for line in data.splitlines() if line.strip()]


def _events(lines: list[bytes]):
    outcomes = [normalize_record(SPEC.decode, SPEC.parse, raw, RX) for raw in lines]
    assert not [o for o in outcomes if o.quarantined]
    return [e for o in outcomes for e in o.events]


def _wlfi_block() -> wire.Block:
    block = SPEC.decode(_lines(BLOCKS.read_bytes())[WLFI_LINE - 1])
    assert isinstance(block, wire.Block)
    return block


def _wlfi_pairs() -> list[bytes]:
    """The WLFI block's two liquidation legs, each written as a per-fill ``node_fills`` line."""
    raw = json.loads(_lines(BLOCKS.read_bytes())[WLFI_LINE - 1])
    legs = [pair for pair in raw["events"] if "liquidation" in pair[1]]
    return [json.dumps(pair).encode() for pair in legs]


def test_the_sample_liquidation_has_the_documented_values():
    (event,) = parse.parse_block(_wlfi_block(), RX)
    assert event.account == WLFI_VICTIM
    assert event.liquidated_side is PositionSide.SHORT
    assert event.market == event.base_asset == "WLFI"
    assert (event.price, event.quantity) == (Decimal("0.15327"), Decimal("890"))
    assert event.price_kind is PriceKind.AVERAGE_FILL and event.quantity_unit is QtyUnit.BASE
    assert event.notional_usd == Decimal("136.41030")
    assert event.instrument_kind is InstrumentKind.PERPETUAL
    assert event.liquidation_kind is LiquidationKind.MARKET
    assert event.margin_mode is None  # dir is "Close Short", which names no margin mode
    assert event.event_id == "hyperliquid:WLFI:87867877881544"
    assert event.ts_event == 1761584402387 * 1_000_000
    local = datetime(2025, 10, 27, 17, 0, 2, tzinfo=UTC)
    assert event.ts_recv == int(local.timestamp()) * 1_000_000_000 + 684_975_680


def test_a_trade_whose_both_legs_carry_the_liquidation_object_counts_once():
    """Summing every fill with a liquidation object would give 272.8206 USD; the trade is 136.4103."""
    raw_legs = [pair for line in _lines(BLOCKS.read_bytes())
                for pair in json.loads(line)["events"] if "liquidation" in pair[1]]
    assert len(raw_legs) == 2
    events = _events(_lines(BLOCKS.read_bytes()))
    assert len(events) == 1
    assert sum(e.notional_usd for e in events) == Decimal("136.4103")


def test_blocks_without_a_liquidation_are_clear_skips():
    outcomes = [normalize_record(SPEC.decode, SPEC.parse, raw, RX) for raw in _lines(BLOCKS.read_bytes())]
    skipped = [o.skipped for o in outcomes if o.skipped is not None]
    assert len(skipped) == 9
    assert "block 777010850 has no liquidation fill" in skipped
    with pytest.raises(NotALiquidation, match="block 777010852"):
        SPEC.parse(SPEC.decode(_lines(BLOCKS.read_bytes())[2]), RX)


@pytest.mark.parametrize(("keep", "leg_side"), [(WLFI_COUNTERPARTY, "A"), (WLFI_VICTIM, "B")])
def test_one_leg_alone_gives_the_same_side(keep, leg_side):
    """The counterparty sold (A): the liquidated side is the opposite, SHORT, as read from the victim's B."""
    block = _wlfi_block()
    legs = [(u, f) for u, f in block.events if f.liquidation is not None and u == keep]
    assert [f.side for _, f in legs] == [leg_side]
    (event,) = parse.parse_block(msgspec.structs.replace(block, events=legs), RX)
    assert event.liquidated_side is PositionSide.SHORT
    assert event.account == WLFI_VICTIM


def test_per_fill_node_fills_lines_give_one_identity_per_trade():
    """Each leg of the older one-fill-per-line format yields an event; both share id, side and notional."""
    events = _events(_wlfi_pairs())
    assert len(events) == 2
    assert {e.event_id for e in events} == {"hyperliquid:WLFI:87867877881544"}
    assert {(e.liquidated_side, e.notional_usd, e.account) for e in events} == {
        (PositionSide.SHORT, Decimal("136.4103"), WLFI_VICTIM)}
    assert {e.ts_recv for e in events} == {RX.ts_ns}  # no local_time in that format


def test_a_plain_fill_line_is_a_skip():
    raw = json.loads(_lines(BLOCKS.read_bytes())[0])["events"][0]
    out = normalize_record(SPEC.decode, SPEC.parse, json.dumps(raw).encode(), RX)
    assert out.skipped is not None and "not a perp liquidation fill" in out.skipped


def test_an_adl_leg_is_kind_adl_against_the_liquidator_vault():
    (event,) = _events([ADL_DOC.read_bytes()])
    assert event.liquidation_kind is LiquidationKind.ADL
    assert event.account == HLP_LIQUIDATOR
    # The deleveraged trader bought (B) to close a short, so the vault's LONG was closed.
    assert event.liquidated_side is PositionSide.LONG
    assert (event.market, event.price, event.quantity) == ("AVAX", Decimal("22.075"), Decimal("28.53"))
    assert event.notional_usd == Decimal("629.79975")
    assert event.event_id == "hyperliquid:AVAX:771334864158847"


def test_symbols():
    assert parse.base_of("kPEPE") == ("PEPE", Decimal(1000))
    assert parse.base_of("xyz:TSLA") == ("TSLA", None)
    assert parse.base_of("BTC") == ("BTC", None)
    assert parse.is_spot("@107") and parse.is_spot("PURR/USDC")
    assert not parse.is_spot("xyz:TSLA") and not parse.is_spot("kPEPE")


def _official_events():
    fmt = SPEC.formats["hyperliquid-official"]
    outs = [normalize_record(lambda raw: fmt.decode(raw, OFFICIAL.name), fmt.parse, raw, RX)
            for _, raw in fmt.split(OFFICIAL.read_bytes(), OFFICIAL.name)]
    assert not [o for o in outs if o.quarantined]
    return [e for o in outs for e in o.events]


def test_the_official_csv_has_the_documented_figures():
    events = _official_events()
    assert len(events) == 17
    assert len({e.account for e in events}) == 9
    total = sum(e.notional_usd for e in events)
    # PROVENANCE.md rounds it to 29,783.05; the exact sum of the 17 cells is 29,783.048334.
    assert total == Decimal("29783.048334")
    assert total.quantize(Decimal("0.01")) == Decimal("29783.05")
    largest = max(events, key=lambda e: e.notional_usd)
    assert (largest.notional_usd, largest.account) == (Decimal("4754.0856"),
                                                        "0xb8d4df452dfa59dc4b0323a345f461d72b663b21")
    assert largest.ts_event == int(datetime(2023, 3, 12, 20, 45, 13, tzinfo=UTC).timestamp()) * 1_000_000_000
    shapes = {(e.instrument_kind, e.market, e.base_asset, e.liquidated_side, e.price, e.quantity_unit,
               e.margin_mode) for e in events}
    assert shapes == {(InstrumentKind.ACCOUNT, "*", "*", None, None, QtyUnit.QUOTE, MarginMode.CROSS)}
    assert len({e.event_id for e in events}) == 17


@pytest.mark.parametrize(("column", "bad"), [
    (0, "yesterday"), (1, ""), (2, "lots"), (2, "-5"), (3, "n/a"), (4, "Portfolio"),
])
def test_a_bad_official_row_names_its_column(column, bad):
    """A real row with one cell spoiled is quarantined with that CSV column as the field."""
    fmt = SPEC.formats["hyperliquid-official"]
    _, row = next(iter(fmt.split(OFFICIAL.read_bytes(), OFFICIAL.name)))
    cells = row.decode().split(",")
    cells[column] = bad
    decode = lambda raw: fmt.decode(raw, OFFICIAL.name)  # noqa: E731
    out = normalize_record(decode, fmt.parse, ",".join(cells).encode(), RX)
    assert out.quarantined
    assert out.field == official.HEADER[column]


def _node_events(data: bytes, name: str):
    fmt = SPEC.formats["hyperliquid-node"]
    outs = [normalize_record(lambda raw: fmt.decode(raw, name), fmt.parse, raw, RX)
            for _, raw in fmt.split(data, name)]
    return [e for o in outs for e in o.events], len(outs)


def test_an_lz4_hourly_file_reads_like_the_plain_lines(tmp_path):
    plain = BLOCKS.read_bytes()
    path = tmp_path / "17.lz4"
    path.write_bytes(lz4.frame.compress(plain))
    events, records = _node_events(path.read_bytes(), path.name)
    assert records == 10
    assert events == _events(_lines(plain))
    # Several concatenated frames (a file appended to) decompress to the whole text.
    half = plain.index(b"\n", len(plain) // 2) + 1
    multi = lz4.frame.compress(plain[:half]) + lz4.frame.compress(plain[half:])
    assert _node_events(multi, "17.lz4") == (events, 10)


def test_a_corrupt_lz4_file_is_unreadable():
    data = lz4.frame.compress(BLOCKS.read_bytes())
    with pytest.raises(InputUnreadable, match=r"17\.lz4"):
        list(SPEC.formats["hyperliquid-node"].split(data[: len(data) // 2], "17.lz4"))


def test_a_missing_lz4_package_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    monkeypatch.setitem(sys.modules, "lz4", None)
    data = lz4.frame.compress(BLOCKS.read_bytes())
    with pytest.raises(InputUnreadable, match="pip install lz4"):
        list(SPEC.formats["hyperliquid-node"].split(data, "17.lz4"))


def test_an_unknown_liquidation_method_is_quarantined():
    block = _wlfi_block()
    odd = [(u, f, msgspec.structs.replace(f.liquidation, method="other"))
           for u, f in block.events if f.liquidation is not None]
    legs = [(u, msgspec.structs.replace(f, liquidation=liq)) for u, f, liq in odd]
    with pytest.raises(UnexpectedPayload) as err:
        parse.parse_block(msgspec.structs.replace(block, events=legs), RX)
    assert err.value.field == "liquidation.method"


def test_the_node_archive_format_runs_the_venues_fast_path_with_the_same_outcomes(tmp_path):
    """`ingest --format hyperliquid-node` (hourly LZ4 files) normalizes through the venue's fast path: the
    format's decode is the venue's own, so its batches equal the reference record by record."""
    from liqscope.events import Source
    from liqscope.normalize import normalize_batch

    fmt = SPEC.formats["hyperliquid-node"]
    assert fmt.parse_batch is SPEC.parse_batch
    data = lz4.frame.compress(BLOCKS.read_bytes())
    raws = [raw for _, raw in fmt.split(data, "17.lz4")]
    args = (lambda raw: fmt.decode(raw, "17.lz4"), fmt.parse, raws, [RX.ts_ns] * len(raws),
            [f"r:{i}" for i in range(len(raws))], [f"k:{i}" for i in range(len(raws))])
    fast = normalize_batch(*args, source=Source.ARCHIVE, parse_batch=fmt.parse_batch)
    slow = normalize_batch(*args, source=Source.ARCHIVE, fast=False)
    for name in slow.table.column_names:
        assert fast.table[name].to_pylist() == slow.table[name].to_pylist(), name
    assert (fast.counts, fast.outcomes) == (slow.counts, slow.outcomes)
    part = fmt.parse_batch(raws, [RX.ts_ns] * len(raws), ["r"] * len(raws), Source.ARCHIVE)
    # all taken or skipped
    assert not part.fallback and set(part.rows.to_pylist()) | set(part.skipped) == set(range(len(raws)))
