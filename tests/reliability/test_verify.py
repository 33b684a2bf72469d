"""`liqscope verify`: a clean lake rebuilds exactly; each kind of damage is named with its file and rows."""

from __future__ import annotations

import gzip
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from liqscope.cli import main
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from liqscope.store._writer import read_raw
from liqscope.verify import verify_lake
from tests._data import BINANCE_0817, BINANCE_0818, COINM_ARCHIVE, HL_BLOCKS, HL_OFFICIAL
from tests.reliability import _lake


@pytest.fixture
def lake(tmp_path) -> Path:
    """A real lake: five formats, a second recorder, a file that grew, and quarantined lines."""
    root = tmp_path / "data"
    catalog = Catalog(root)
    ingest_file(catalog, "binance_usdm", BINANCE_0817)
    lines = gzip.decompress(BINANCE_0818.read_bytes()).splitlines(keepends=True)
    grow = tmp_path / "growing.jsonl"
    grow.write_bytes(b"".join(lines[:100]) + b'{"e":"forceOrder","o":\n')
    ingest_file(catalog, "binance_usdm", grow)
    grow.write_bytes(b"".join(lines))
    ingest_file(catalog, "binance_usdm", grow)
    second = tmp_path / "recorder-b.jsonl"
    second.write_bytes(gzip.decompress(BINANCE_0817.read_bytes()) + b"\n")  # other bytes, same frames
    ingest_file(catalog, "binance_usdm", second)
    ingest_file(catalog, "hyperliquid", HL_BLOCKS)
    ingest_file(catalog, "hyperliquid", HL_OFFICIAL, "hyperliquid-official")
    ingest_file(catalog, "binance_coinm", COINM_ARCHIVE, "binance-archive")
    return root


def _event_files(root: Path) -> list[Path]:
    return [p for p in _lake.listed_files(root) if "/events/" in str(p)]


def test_a_clean_lake_rebuilds_exactly_from_the_raw_journal(lake):
    r = verify_lake(Catalog(lake))
    assert r.problems == [] and r.ok
    assert (r.batches, r.rebuilt, r.skipped) == (7, 7, [])
    # Every row was compared: 456 x 2 + 385 Binance events, 1 + 17 Hyperliquid, 7 COIN-M liquidations stored
    # twice (Binance's archive writes every row twice: each repeat is a copy), + every record row.
    events = sum(len(pq.read_table(p)) for p in _event_files(lake))
    records = sum(len(pq.read_table(p)) for p in _lake.listed_files(lake) if "/records/" in str(p))
    assert events == 456 * 2 + 385 + 1 + 17 + 7 * 2
    assert r.rows == events + records


def test_an_edited_value_is_named_with_its_file_event_and_column(lake):
    path = next(p for p in _event_files(lake) if "date=2024-08-18" in str(p))
    table = pq.read_table(path)
    rows = table.to_pylist()
    victim = rows[3]
    rows[3] = {**victim, "notional_usd": victim["notional_usd"] * 10}
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    r = verify_lake(Catalog(lake))
    assert not r.ok
    [p] = r.problems
    assert (p.kind, p.path, p.rows) == ("different_rows", str(path.relative_to(lake)), 1)
    [example] = p.examples
    assert example.startswith(victim["event_id"]) and "notional_usd" in example
    assert f"{victim['notional_usd']!r} -> {victim['notional_usd'] * 10!r}" in example


def test_a_deleted_parquet_file_is_named_with_the_events_it_held(lake):
    path = next(p for p in _event_files(lake) if "venue=binance_coinm" in str(p))
    path.unlink()
    r = verify_lake(Catalog(lake))
    [p] = r.problems
    assert (p.kind, p.path, p.rows) == ("missing_file", str(path.relative_to(lake)), 14)


def test_a_dropped_row_and_a_torn_file_are_both_pinpointed(lake):
    dropped, torn = _event_files(lake)[:2]
    table = pq.read_table(dropped)
    gone = table.to_pylist()[0]["event_id"]
    pq.write_table(table.slice(1), dropped)
    torn.write_bytes(torn.read_bytes()[:-100])  # cut: no Parquet footer any more
    r = verify_lake(Catalog(lake))
    by_path = {p.path: p for p in r.problems}
    assert set(by_path) == {str(dropped.relative_to(lake)), str(torn.relative_to(lake))}
    assert by_path[str(dropped.relative_to(lake))].kind == "missing_rows"
    assert by_path[str(dropped.relative_to(lake))].examples[0].startswith(gone)
    assert by_path[str(torn.relative_to(lake))].kind == "unreadable_file"


def test_an_altered_or_lost_raw_input_is_reported_not_trusted(lake):
    catalog = Catalog(lake)
    first, second = (m.inputs[0] for m in catalog.manifests()[:2])
    blob = catalog.layout.raw_blob(first)
    edited = read_raw(catalog.layout, first).replace(b'"S":"SELL"', b'"S":"BUY"', 1)
    blob.write_bytes(pa.compress(edited, "zstd", asbytes=True))
    catalog.layout.raw_blob(second).unlink()
    r = verify_lake(Catalog(lake))
    kinds = {p.kind: p for p in r.problems}
    assert kinds["raw_corrupt"].path == str(blob.relative_to(lake))
    assert kinds["raw_missing"].path == str(catalog.layout.raw_blob(second).relative_to(lake))
    assert r.rebuilt == 5


def test_a_raw_journal_kept_as_gzip_before_zstd_still_verifies_reads_back_and_is_not_written_again(lake, tmp_path):
    """Blobs are told apart by their magic bytes: a lake written when the journal was gzip keeps working."""
    catalog = Catalog(lake)
    blobs = sorted(catalog.layout.raw.glob("??/*.zst"))
    assert len(blobs) == 7  # one per batch, each zstd (28 b5 2f fd)
    assert all(b.read_bytes()[:4] == b"\x28\xb5\x2f\xfd" for b in blobs)
    ref = f"{catalog.manifests()[0].inputs[0]}:10"
    line = gzip.decompress(BINANCE_0817.read_bytes()).splitlines()[9]
    assert catalog.raw_record(ref).raw == line  # streamed out of the zstd blob
    for zst in blobs:  # as the gzip journal wrote them: level 1, mtime 0, under <sha>.gz
        sha = zst.name.removesuffix(".zst")
        data = read_raw(catalog.layout, sha)
        zst.with_suffix(".gz").write_bytes(gzip.compress(data, compresslevel=1, mtime=0))
        zst.unlink()
        assert read_raw(catalog.layout, sha) == data and hashlib.sha256(data).hexdigest() == sha
    r = verify_lake(Catalog(lake))
    assert r.problems == [] and (r.batches, r.rebuilt) == (7, 7)
    assert catalog.raw_record(ref).raw == line  # streamed out of the gzip blob
    again = ingest_file(catalog, "binance_usdm", BINANCE_0817)
    assert (again.already_present, again.accepted) == (456, 0)
    assert sorted(catalog.layout.raw.glob("??/*.zst")) == []  # the kept gzip blob is the blob: no second copy
    (catalog.layout.raw / "ab").mkdir(exist_ok=True)
    for orphan in ("ab" * 32 + ".gz", "ab" * 31 + "cd.zst"):  # raw blobs no batch ingested, of either codec
        (catalog.layout.raw / "ab" / orphan).write_bytes(b"")
    orphans = [p.path for p in verify_lake(Catalog(lake)).problems if p.kind == "orphaned_raw"]
    assert orphans == [f"raw/ab/{'ab' * 32}.gz", f"raw/ab/{'ab' * 31}cd.zst"]


def test_cli_verify_exits_0_on_a_clean_lake_and_1_naming_the_damage(lake):
    runner = CliRunner()
    ok = runner.invoke(main, ["verify", "--data-dir", str(lake), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["ok"] is True
    path = next(p for p in _event_files(lake) if "venue=hyperliquid" in str(p) and "2025-10-27" in str(p))
    path.unlink()
    bad = runner.invoke(main, ["verify", "--data-dir", str(lake)])
    assert bad.exit_code == 1
    assert "missing_file" in bad.output and "2025-10-27" in bad.output
    assert Decimal(json.loads(runner.invoke(main, ["verify", "--data-dir", str(lake), "--json"]).output)[
        "problems"][0]["rows"]) == 1


def test_a_compacted_lake_rebuilds_exactly_and_damage_in_a_merged_file_is_named(lake):
    """Compaction merges batches' files (and retires their manifests): verify replays the retired batches."""
    from liqscope.store._compact import compact

    catalog = Catalog(lake)
    result = compact(catalog, grace_s=0)
    assert result.replaced_batches > 1 and result.manifests_retired > 1  # old manifests moved away
    r = verify_lake(Catalog(lake))
    assert (r.problems, r.rebuilt, r.skipped) == ([], 7, [])
    merged = next(p for p in _event_files(lake) if result.batch in p.name and "date=2024-08-17" in str(p))
    table = pq.read_table(merged)
    pq.write_table(table.slice(0, len(table) - 1), merged)  # the last row is gone
    [p] = verify_lake(Catalog(lake)).problems
    assert (p.kind, p.path, p.rows) == ("missing_rows", str(merged.relative_to(lake)), 1)


def test_a_batch_parsed_with_a_refreshed_table_is_verified_with_that_table_after_later_refreshes(tmp_path):
    from liqscope.venues._instruments import archived_path, load, refreshed_path, tables_for

    okx = Path(__file__).parents[1] / "fixtures" / "venues" / "okx_swap" / "ws_liquidation_orders.jsonl"
    catalog = Catalog(tmp_path / "data")
    bundled = load("liqscope.venues.okx_swap")

    def refresh(ct_val: str, version: str) -> str:  # a test-made refreshed table: BTC-USDT-SWAP's ctVal changed
        btc = msgspec.structs.replace(bundled.instruments["BTC-USDT-SWAP"], contract_size=Decimal(ct_val))
        table = msgspec.structs.replace(bundled, version=version,
                                        instruments={**bundled.instruments, "BTC-USDT-SWAP": btc})
        path = refreshed_path(catalog.root, "okx_swap")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(msgspec.json.encode(table))
        return tables_for(catalog.root).digests["okx_swap"]

    first = refresh("0.1", "test-1")
    ingest_file(catalog, "okx_swap", okx)
    second = refresh("1", "test-2")  # a later refresh replaces the file the batch was parsed with
    assert first != second and archived_path(catalog.root, "okx_swap", first).exists()
    btc = [r for r in _lake.rows(catalog.root, "events") if r["market"] == "BTC-USDT-SWAP"]
    assert [Decimal(str(r["notional_usd"])) for r in btc] == [Decimal("57102900")]  # 10000 x 0.1 x 57102.9

    r = verify_lake(catalog)
    assert r.problems == [] and (r.batches, r.rebuilt) == (1, 1)

    archived_path(catalog.root, "okx_swap", first).unlink()  # the archived table is gone: named, not misread
    (problem,) = verify_lake(catalog).problems
    assert problem.kind == "not_rebuildable"
    assert f"refreshed test-1 sha256:{first}" in problem.detail and "okx_swap-" in problem.detail


def test_an_archive_batch_committed_when_repeats_were_dropped_still_rebuilds_exactly(tmp_path):
    """Batches written before a repeated archive row was stored as a copy have no ``repeats`` in their manifest:
    verify replays them as they were written (repeats dropped), so an older lake is not reported damaged."""
    from liqscope.ingest import ingest_bytes

    catalog = Catalog(tmp_path / "data")
    res = ingest_bytes(catalog, "binance_coinm", COINM_ARCHIVE.read_bytes(), COINM_ARCHIVE.name, "binance-archive",
                       label=str(COINM_ARCHIVE), drop_repeats=True)
    assert (res.accepted, res.duplicate, res.repeats) == (7, 7, 0)
    [path] = (catalog.root / "lake" / "_batches").glob("*.json")
    manifest = json.loads(path.read_bytes())
    assert manifest["meta"].pop("repeats") == "dropped"
    path.write_text(json.dumps(manifest))  # as such a manifest was written then: no "repeats" entry
    statuses = sorted(r["status"] for r in _lake.rows(catalog.root, "records"))
    assert statuses == ["accepted"] * 7 + ["repeat"] * 7 and len(_lake.rows(catalog.root, "events")) == 7
    r = verify_lake(Catalog(catalog.root))
    assert r.problems == [] and (r.batches, r.rebuilt) == (1, 1)
