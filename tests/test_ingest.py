"""Ingest into a real lake on tmp_path: totals, idempotence, duplicates and quarantine."""

from __future__ import annotations

import csv
import gzip
import json
from decimal import Decimal
from pathlib import Path

import pytest

from liqscope._time import parse_iso_ns
from liqscope.errors import InputUnreadable, UnknownName
from liqscope.ingest import ingest_file
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.store import Catalog
from tests._data import BINANCE_0817, BINANCE_0818, BINANCE_RIFTFERN, COINM_ARCHIVE

ALL = (parse_iso_ns("2020-01-01"), parse_iso_ns("2027-01-01"))


def _report(catalog, name="standard", window=ALL):
    return report(counted(catalog, load(name), *window))


def _cents(d: Decimal) -> Decimal:
    return d.quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    ("path", "long_n", "long_usd", "short_n", "short_usd", "total_usd"),
    [
        # PROVENANCE.md figures (notional = z × ap; $172,863 + $269,448 = $442,311, ...), which round these
        # exact sums, computed separately from the shared frames with json + decimal (sum of z*ap per side).
        (BINANCE_0817, 156, "172862.58607875", 300, "269448.04306133", "442310.62914008"),
        (BINANCE_0818, 95, "89260.36764196", 290, "383703.67933329", "472964.04697525"),
        (BINANCE_RIFTFERN, 880, "544019.79394718", 1165, "1507009.54097382", "2051029.33492100"),
    ],
    ids=["2024-08-17", "2024-08-18-over10k", "riftfern-2025-12-27"],
)
def test_binance_recording_totals_match_provenance_to_the_cent(tmp_path, path, long_n, long_usd, short_n,
                                                               short_usd, total_usd):
    catalog = Catalog(tmp_path)
    result = ingest_file(catalog, "binance_usdm", path)
    assert (result.accepted, result.quarantined, result.duplicate) == (long_n + short_n, 0, 0)
    r = _report(catalog)
    assert (r.long_events, r.short_events, r.events) == (long_n, short_n, long_n + short_n)
    assert r.long_usd == Decimal(long_usd)
    assert r.short_usd == Decimal(short_usd)
    assert r.total_usd == Decimal(total_usd)
    assert round(r.total_usd) == {156: 442311, 95: 472964, 880: 2051029}[long_n]  # PROVENANCE, whole dollars
    assert r.long_usd + r.short_usd == r.total_usd  # exact, no float anywhere


def test_totals_recomputed_independently_from_the_raw_frames(tmp_path):
    """Cross-check the lake against a plain json + Decimal recomputation of z × ap."""
    expected = {"LONG": Decimal(0), "SHORT": Decimal(0)}
    for line in gzip.decompress(BINANCE_RIFTFERN.read_bytes()).splitlines():
        o = json.loads(line)["o"]
        expected["LONG" if o["S"] == "SELL" else "SHORT"] += Decimal(o["z"]) * Decimal(o["ap"])
    catalog = Catalog(tmp_path)
    ingest_file(catalog, "binance_usdm", BINANCE_RIFTFERN)
    r = _report(catalog)
    assert r.long_usd == expected["LONG"] and r.short_usd == expected["SHORT"]


def test_largest_is_the_provenance_leader_and_leads_back_to_its_raw_line(tmp_path):
    catalog = Catalog(tmp_path)
    res = ingest_file(catalog, "binance_usdm", BINANCE_RIFTFERN)
    top = _report(catalog).largest[0]
    assert (top.market, top.side, _cents(top.notional_usd)) == ("1000PEPEUSDT", "SHORT", Decimal("126380.25"))
    assert top.ts.startswith("2025-12-27T21:38:55")
    sha, line = top.raw_ref.split(":")
    assert sha == res.raw_sha256
    raw_line = gzip.decompress(BINANCE_RIFTFERN.read_bytes()).splitlines()[int(line) - 1]
    assert json.loads(raw_line)["o"]["s"] == "1000PEPEUSDT"


def test_ingesting_the_same_file_twice_changes_no_report(tmp_path):
    catalog = Catalog(tmp_path)
    ingest_file(catalog, "binance_usdm", BINANCE_0817)
    before = _report(catalog)
    again = ingest_file(catalog, "binance_usdm", BINANCE_0817)
    assert (again.accepted, again.already_present, again.duplicate) == (0, 456, 0)
    for name in ("standard", "every-copy"):
        assert _report(catalog, name) == _report(Catalog(tmp_path), name)
    assert _report(catalog) == before


def test_same_liquidations_from_a_second_recorder_are_stored_but_counted_once(tmp_path):
    """A copy under another name is another source: stored, a duplicate, counted once by standard."""
    catalog = Catalog(tmp_path)
    ingest_file(catalog, "binance_usdm", BINANCE_0817)
    second = tmp_path / "other-recorder.jsonl"
    second.write_bytes(gzip.decompress(BINANCE_0817.read_bytes()) + b"\n")  # different bytes, same frames
    res = ingest_file(catalog, "binance_usdm", second)
    assert (res.accepted, res.duplicate, res.already_present) == (0, 456, 0)
    standard, every = _report(catalog), _report(catalog, "every-copy")
    assert standard.total_usd == Decimal("442310.62914008")
    assert every.total_usd == 2 * standard.total_usd and every.events == 912


def test_binance_archive_rows_written_twice_are_stored_as_second_copies(tmp_path):
    """Binance's liquidationSnapshot archive writes every row twice (PROVENANCE): each repeat is a stored copy of
    the same liquidation, so `standard` counts 7 liquidations and `every-copy`, like a naive reader, 14."""
    rows = list(csv.DictReader(COINM_ARCHIVE.read_text().splitlines()))
    distinct = {tuple(r.values()): r for r in rows}.values()  # by hand: 100 USD a contract, filled quantity

    def usd(rs):
        return sum((Decimal(r["accumulated_fill_quantity"]) * 100 for r in rs), Decimal(0))

    assert (len(rows), len(distinct), usd(distinct), usd(rows)) == (14, 7, Decimal(10_600), Decimal(21_200))
    catalog = Catalog(tmp_path)
    res = ingest_file(catalog, "binance_coinm", COINM_ARCHIVE, "binance-archive")
    assert (res.records, res.accepted, res.duplicate, res.repeats, res.quarantined) == (14, 7, 7, 7, 0)
    day = (parse_iso_ns("2024-10-01T00:00:00Z"), parse_iso_ns("2024-10-02T00:00:00Z"))
    standard, every = _report(catalog, window=day), _report(catalog, "every-copy", day)
    assert (standard.events, standard.total_usd) == (len(distinct), usd(distinct))
    assert (every.events, every.total_usd) == (len(rows), usd(rows))
    # Idempotent: the repeats' record keys hold their occurrence, so the same file again adds nothing.
    again = ingest_file(catalog, "binance_coinm", COINM_ARCHIVE, "binance-archive")
    assert (again.accepted, again.duplicate, again.repeats, again.already_present) == (0, 0, 0, 14)
    assert (_report(catalog, window=day), _report(catalog, "every-copy", day)) == (standard, every)


def test_a_grown_file_adds_only_its_new_lines(tmp_path):
    lines = gzip.decompress(BINANCE_0817.read_bytes()).splitlines(keepends=True)
    path = tmp_path / "growing.jsonl"
    path.write_bytes(b"".join(lines[:100]))
    catalog = Catalog(tmp_path / "lake")
    assert ingest_file(catalog, "binance_usdm", path).accepted == 100
    path.write_bytes(b"".join(lines))
    res = ingest_file(catalog, "binance_usdm", path)
    assert (res.accepted, res.already_present) == (356, 100)
    assert _report(catalog).events == 456


def test_malformed_lines_are_quarantined_with_file_line_and_field_and_good_lines_kept(tmp_path):
    good = gzip.decompress(BINANCE_0817.read_bytes()).splitlines()[:10]
    bad_side = good[1].replace(b'"S":"BUY"', b'"S":"SIDEWAYS"').replace(b'"S":"SELL"', b'"S":"SIDEWAYS"')
    bad_price = good[2].replace(b'"ap":"', b'"ap":"abc')
    mixed = [good[0], good[1][:40], good[3], bad_side, b"", bad_price, *good[4:]]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(mixed) + b"\n")
    catalog = Catalog(tmp_path / "lake")
    res = ingest_file(catalog, "binance_usdm", path)
    assert (res.accepted, res.quarantined, res.blank_lines) == (8, 3, 1)
    by_line = {q.line: q for q in res.quarantine_samples}
    assert set(by_line) == {2, 4, 5, 6}
    assert by_line[2].code == "truncated_json"
    assert (by_line[4].field, by_line[4].code) == ("o.S", "unexpected_payload") and "SIDEWAYS" in by_line[4].reason
    # blank lines are counted, not records: one entry sums them up
    assert (by_line[5].code, by_line[5].reason, by_line[5].last_line, by_line[5].count) == ("blank_line", "blank line",
                                                                                            5, 1)
    assert (by_line[6].field, by_line[6].code) == ("o.ap", "wrong_type")    # non-numeric price
    assert all(q.file == str(path) for q in res.quarantine_samples)
    quarantine = [json.loads(x) for x in Path(res.quarantine_file).read_text().splitlines()]
    assert [q["line"] for q in quarantine] == [2, 4, 6, 5]        # the blank lines' one entry comes last
    expected = sum(Decimal(json.loads(g)["o"]["z"]) * Decimal(json.loads(g)["o"]["ap"])
                   for g in [good[0], good[3], *good[4:]])
    assert _report(catalog).total_usd == expected


def test_unknown_venue_and_format_list_the_valid_values(tmp_path):
    with pytest.raises(UnknownName, match=r"valid values: .*binance_usdm"):
        ingest_file(Catalog(tmp_path), "binance", BINANCE_0817)
    with pytest.raises(UnknownName, match=r"valid values: binance-archive, jsonl"):
        ingest_file(Catalog(tmp_path), "binance_usdm", BINANCE_0817, "csv")


def test_a_missing_file_is_unreadable_not_a_crash(tmp_path):
    with pytest.raises(InputUnreadable, match=r"nope\.jsonl"):
        ingest_file(Catalog(tmp_path), "binance_usdm", tmp_path / "nope.jsonl")
