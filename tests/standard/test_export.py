"""`liqscope export` on real recordings: every jsonl line validates, values match independent figures."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from liqscope import Catalog, counted, load_methodology
from liqscope._time import parse_iso_ns
from liqscope.ingest import ingest_file
from liqscope.standard import arrow_schema, export, validate_file, validate_record
from liqscope.venues import venues
from liqscope.verify import verify_lake
from tests._data import BINANCE_RIFTFERN, COINM_ARCHIVE
from tests.venues._cases import Case, fixture_cases

EVERYTHING = """
name = "everything"
version = 1
description = "Every kind (adl, lending too), every received copy: what the standard must be able to carry."

[coverage]
instrument_kinds = ["perpetual", "dated_future", "account", "lending"]
liquidation_kinds = ["market", "backstop", "adl"]

[counting]
dedupe = "every_copy"
"""
ALL_TIME = (parse_iso_ns("2010-01-01T00:00:00Z"), parse_iso_ns("2099-01-01T00:00:00Z"))


def _lake(tmp_path: Path, venue: str, files: list[tuple[Path, str]]) -> Catalog:
    catalog = Catalog(tmp_path / "lake")
    for path, fmt in files:
        ingest_file(catalog, venue, path, fmt)
    return catalog


def _inputs(cases: list[Case]) -> list[tuple[Path, str]]:
    # A timeless venue's frames (BitMEX) need their receipt time: its fixture folder holds the same frames as
    # Tardis raw-data lines, which carry it (tests/test_ingest_received_at.py).
    out = []
    for c in cases:
        timeless = c.format == "jsonl" and not venues()[c.venue].venue_time
        out.append((c.path.parent / "archive_tardis_raw.txt", "jsonl") if timeless else (c.path, c.format))
    return out


def _venue_cases() -> dict[str, list[Case]]:
    by: dict[str, list[Case]] = {}
    for case in fixture_cases():
        by.setdefault(case.venue, []).append(case)
    return by


def _golden_events(cases: list[Case]) -> dict[str, list[dict[str, object]]]:
    # The parser's reviewed output (the venue golden files), independent of the export.
    out: dict[str, list[dict[str, object]]] = {}
    for case in cases:
        for line in case.expected_path.read_text().splitlines():
            for event in json.loads(line).get("events", []):
                out.setdefault(event["event_id"], []).append(event)
    return out


@pytest.mark.parametrize("venue", sorted(_venue_cases()))
def test_every_venue_exports_valid_jsonl_that_keeps_the_venue_side(tmp_path: Path, venue: str) -> None:
    """Each venue's fixtures, ingested and exported: every line validates, sides and ids are the parser's."""
    cases = _venue_cases()[venue]
    catalog = _lake(tmp_path, venue, _inputs(cases))
    golden = _golden_events(cases)
    records: list[dict[str, object]] = []
    # Lending: a liquidation counts when the leg the valuation picks is valued; each leg in turn.
    for leg in ("collateral_seized", "debt_repaid"):
        rules = tmp_path / f"everything-{leg}.toml"
        rules.write_text(EVERYTHING + f'[valuation]\nlending = "{leg}"\n')
        out = tmp_path / f"events-{leg}.jsonl"
        result = export(counted(catalog, load_methodology(rules), *ALL_TIME), "jsonl", out)
        if result.records:
            check = validate_file(out)
            assert check.problems == [] and check.records == result.records
        records += [json.loads(line) for line in out.read_text().splitlines()]
        view = io.BytesIO()
        export(counted(catalog, load_methodology(rules), *ALL_TIME), "ccxt", view)
        for row in map(json.loads, view.getvalue().splitlines()):  # the CCXT view of the same records
            assert validate_record(row["info"]) == []
            if row["info"]["instrument_kind"] in ("account", "lending"):
                assert row["symbol"] is None  # no derivatives market for CCXT to unify
            side = row["info"]["liquidated_side"]
            assert row["side"] == (side.lower() if side else None)
    counts = {i for i, copies in golden.items()
              if any(e["instrument_kind"] != "lending" or e.get("collateral_usd") is not None
                     or e.get("debt_usd") is not None for e in copies)}
    assert records and {r["event_id"] for r in records} == counts
    for r in records:
        # A liquidation seen by two sources (a websocket frame and a Tardis row) is one id with two copies.
        copies = {(e["venue_side"], e["liquidated_side"], Decimal(str(e["quantity"]))) for e in golden[r["event_id"]]}
        assert (r["venue_side"], r["liquidated_side"], Decimal(r["quantity"])) in copies
        assert r["provenance"] == ("inferred" if r["inferred_fields"] else "exact")


@pytest.mark.parametrize(("venue", "inferred"), [("kraken_futures", ["liquidated_side", "quantity_unit"]),
                                                ("dydx_v4", []), ("okx_swap", [])])
def test_provenance_follows_the_venue_declaration(tmp_path: Path, venue: str, inferred: list[str]) -> None:
    """Kraken's side (the taker assumed liquidated) and unit are inferred; dYdX LIQUIDATED trades and OKX are exact."""
    cases = _venue_cases()[venue]
    catalog = _lake(tmp_path, venue, _inputs(cases))
    out = io.BytesIO()
    export(counted(catalog, load_methodology("standard"), *ALL_TIME), "jsonl", out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert rows and {(r["provenance"], tuple(r["inferred_fields"])) for r in rows} == {
        ("inferred" if inferred else "exact", tuple(inferred))}


def _riftfern(tmp_path: Path) -> Catalog:
    return _lake(tmp_path, "binance_usdm", [(BINANCE_RIFTFERN, "jsonl")])


def _day(catalog: Catalog) -> object:
    return counted(catalog, load_methodology("standard"), parse_iso_ns("2025-12-27T00:00:00Z"),
                   parse_iso_ns("2025-12-29T00:00:00Z"))


def _frames() -> list[dict[str, str]]:
    # The recording itself, read here without liqscope: every frame's `o` object.
    with gzip.open(BINANCE_RIFTFERN, "rt") as f:
        return [json.loads(line)["o"] for line in f if line.strip()]


def test_riftfern_jsonl_csv_and_parquet_hold_the_provenance_figures(tmp_path: Path) -> None:
    """PROVENANCE: 880 long ($544,020) + 1,165 short ($1,507,010) = $2,051,029 (z x ap)."""
    catalog = _riftfern(tmp_path)
    c = _day(catalog)
    paths = {fmt: tmp_path / f"out.{fmt}" for fmt in ("jsonl", "csv", "parquet")}
    for fmt, path in paths.items():
        assert export(c, fmt, path).records == 2045  # type: ignore[arg-type]
    records = [json.loads(line) for line in paths["jsonl"].read_text().splitlines()]
    by_side = Counter(r["liquidated_side"] for r in records)
    usd = {s: sum(Decimal(r["value_usd"]) for r in records if r["liquidated_side"] == s) for s in by_side}
    assert by_side == {"LONG": 880, "SHORT": 1165}
    assert (round(usd["LONG"]), round(usd["SHORT"])) == (544_020, 1_507_010)
    # Independently from the frames: the venue side is the order side, SELL closing a LONG.
    frames = Counter(o["S"] for o in _frames())
    assert Counter(r["venue_side"] for r in records) == frames == {"SELL": 880, "BUY": 1165}
    assert all((r["venue_side"] == "SELL") == (r["liquidated_side"] == "LONG") for r in records)
    assert {r["side_convention"] for r in records} == {"order"} and {r["provenance"] for r in records} == {"exact"}
    # csv: the same records, column for column (inferred_fields joined by ';', null as empty).
    with paths["csv"].open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["event_id"] for r in rows] == [r["event_id"] for r in records]
    assert sum(Decimal(r["value_usd"]) for r in rows) == sum(Decimal(r["value_usd"]) for r in records)
    # parquet: the standard's Arrow schema, exact decimals.
    table = pq.read_table(paths["parquet"])
    assert table.schema.equals(arrow_schema(), check_metadata=False) and table.num_rows == 2045
    assert sum(table.column("value_usd").to_pylist()) == sum(Decimal(r["value_usd"]) for r in records)


def test_ccxt_view_has_unified_symbols_and_the_position_side(tmp_path: Path) -> None:
    """Largest riftfern liquidation (PROVENANCE): 1000PEPE, order side BUY, $126,380 -> a SHORT, 1000PEPE/USDT:USDT."""
    catalog = _riftfern(tmp_path)
    out = io.BytesIO()
    export(_day(catalog), "ccxt", out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    top = max(rows, key=lambda r: Decimal(str(r["quoteValue"])))
    assert round(Decimal(str(top["quoteValue"]))) == 126_380
    assert top["symbol"] == "1000PEPE/USDT:USDT" and top["side"] == "short" and top["info"]["venue_side"] == "BUY"
    assert top["contractSize"] == 1 and top["contracts"] == top["baseValue"]
    assert top["datetime"].endswith("Z") and top["timestamp"] == top["info"]["ts_event"] // 1_000_000
    assert all(r["side"] == {"SELL": "long", "BUY": "short"}[r["info"]["venue_side"]] for r in rows)
    assert {r["symbol"] for r in rows if r["info"]["market"] == "BTCUSDT"} <= {"BTC/USDT:USDT"}
    assert all(validate_record(r["info"]) == [] for r in rows)


def test_ccxt_coinm_archive_is_inverse_contracts(tmp_path: Path) -> None:
    """PROVENANCE: 7 liquidations = 106 contracts x $100 = $10,600 on BTCUSD_PERP (BTC/USD:BTC)."""
    catalog = _lake(tmp_path, "binance_coinm", [(COINM_ARCHIVE, "binance-archive")])
    out = io.BytesIO()
    export(counted(catalog, load_methodology("standard"), parse_iso_ns("2024-10-01T00:00:00Z"),
                   parse_iso_ns("2024-10-02T00:00:00Z")), "ccxt", out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 7 and {r["symbol"] for r in rows} == {"BTC/USD:BTC"}
    assert sum(r["contracts"] for r in rows) == 106 and {r["contractSize"] for r in rows} == {100}
    assert sum(Decimal(str(r["quoteValue"])) for r in rows) == 10_600


def test_a_lake_written_before_venue_side_still_exports(tmp_path: Path) -> None:
    """An older lake file has no venue_side column: it reads as null and the records still validate."""
    catalog = _riftfern(tmp_path)
    for f in (tmp_path / "lake").rglob("*.parquet"):
        t = pq.read_table(f)
        if "venue_side" in t.column_names:  # rewrite as the writer before this column did
            pq.write_table(t.drop_columns(["venue_side"]), f)
    catalog.invalidate()
    out = tmp_path / "old.jsonl"
    assert export(_day(catalog), "jsonl", out).records == 2045
    assert validate_file(out).problems == []
    assert {json.loads(line)["venue_side"] for line in out.read_text().splitlines()} == {None}
    # verify rebuilds the lake from the raw journal (which now gives venue_side) and finds nothing else changed.
    report = verify_lake(catalog)
    assert report.ok, report.problems


def test_validate_names_line_and_field(tmp_path: Path) -> None:
    """A broken record is reported by line number and JSON path; the good lines still count as valid."""
    catalog = _riftfern(tmp_path)
    out = tmp_path / "events.jsonl"
    export(_day(catalog), "jsonl", out)
    lines = out.read_text().splitlines()[:3]
    bad = json.loads(lines[1])
    bad["liquidated_side"] = "SELL"       # an order side where the position belongs
    bad["quantity_unit"] = "contracts"    # ... and contracts without a contract size
    del bad["raw_ref"]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([lines[0], json.dumps(bad), "{not json", lines[2]]) + "\n")
    result = validate_file(path)
    assert (result.records, result.valid) == (4, 2)
    assert {(p.line, p.field) for p in result.problems} == {
        (2, "$.liquidated_side"), (2, "$.raw_ref"), (2, "$.contract_size"), (2, "$.contract_size_unit"), (3, "$")}
