"""Issue 14's lake-writer reproductions (#1-#6, #11), each now a test: real files, real DuckDB, exact totals.

The races are made deterministic by letting the other writer run to completion at the worst moment: after
this writer read the lake and staged its files, before its commit (`BatchWriter.commit`), or before a
replacing commit (`commit_replacement`). Real-process races are in test_concurrency.py.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from liqscope.capture._rollup import Rollup
from liqscope.ingest import ingest_file
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.store import Catalog, _compact, _writer
from liqscope.store._compact import compact
from liqscope.verify import repair_lake, verify_lake
from tests._data import BINANCE_0817, BINANCE_0818, BINANCE_RIFTFERN
from tests.reliability import _lake

ALL = (1_577_836_800 * 10**9, 1_798_761_600 * 10**9)
RIFT = (Decimal("2051029.33492100"), 2045)
AUG17, AUG18 = (Decimal("442310.62914008"), 456), (Decimal("472964.04697525"), 385)
WINDOW = ("--start", "2020-01-01", "--end", "2027-01-01")
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def _totals(root: Path, name: str = "every-copy") -> tuple[Decimal, int]:
    r = report(counted(Catalog(root), load(name), *ALL))
    return r.total_usd, r.events


def _cli(*args: str, env: dict[str, str] | None = None, shell_prefix: str = "") -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "liqscope", *args]
    if shell_prefix:
        argv = ["bash", "-c", shell_prefix + " exec " + " ".join(f"'{a}'" for a in argv)]
    return subprocess.run(argv, capture_output=True, text=True, env=env or ENV, timeout=120)


def _one_line_error(res: subprocess.CompletedProcess, names: str) -> None:
    assert res.returncode != 0
    assert "Traceback" not in res.stderr, res.stderr
    assert names in res.stderr, res.stderr
    assert len([ln for ln in res.stderr.splitlines() if ln.strip()]) == 1, res.stderr


def test_1_an_ingest_committing_while_another_stores_the_same_file_adds_nothing(tmp_path, monkeypatch):
    """Issue 14 #1: the second writer re-checks record keys under the commit lock and stores no second copy."""
    orig, raced = _writer.BatchWriter.commit, []

    def commit(self, meta=None):
        if not raced:  # the other ingest runs to completion between our read of the lake and our commit
            raced.append(None)
            raced[0] = ingest_file(Catalog(tmp_path), "binance_usdm", BINANCE_RIFTFERN)
        return orig(self, meta)

    monkeypatch.setattr(_writer.BatchWriter, "commit", commit)
    ours = ingest_file(Catalog(tmp_path), "binance_usdm", BINANCE_RIFTFERN)
    assert raced[0].accepted == RIFT[1]
    assert ours.accepted == 0 and ours.already_present == ours.records
    # Our batch commits no file: its manifest only says it read the (kept) raw input.
    assert sorted(len(m.files) > 0 for m in _lake.manifests(tmp_path)) == [False, True]
    assert _totals(tmp_path) == _totals(tmp_path, "standard") == RIFT  # $2,051,029.33 over 2,045, not twice
    assert verify_lake(Catalog(tmp_path)).ok


def test_2_a_compaction_that_lost_its_batches_to_another_replans_and_doubles_nothing(tmp_path, monkeypatch):
    """Issue 14 #2: two compactions at once; the one committing second finds its batches replaced."""
    for f in (BINANCE_0817, BINANCE_0818, BINANCE_RIFTFERN):
        ingest_file(Catalog(tmp_path), "binance_usdm", f)
    before = _totals(tmp_path)
    orig, raced = _compact.commit_replacement, []

    def commit_replacement(layout, manifest, merged, step):
        if not raced:
            raced.append(None)
            raced[0] = compact(Catalog(tmp_path))  # the other compaction commits first
        return orig(layout, manifest, merged, step)

    monkeypatch.setattr(_compact, "commit_replacement", commit_replacement)
    ours = compact(Catalog(tmp_path))
    assert raced[0].batch is not None and ours.batch is None  # re-planned: nothing left to merge
    assert _totals(tmp_path) == before == (RIFT[0] + AUG17[0] + AUG18[0], RIFT[1] + AUG17[1] + AUG18[1])
    keys = [r["record_key"] for r in _lake.rows(tmp_path, "records")]
    assert len(keys) == len(set(keys))
    assert verify_lake(Catalog(tmp_path)).ok


def test_3_a_capture_rollup_and_a_compaction_never_both_replace_a_batch(tmp_path, monkeypatch):
    """Issue 14 #3: the rollup commits after a compaction replaced its batches: refused, its files removed."""
    from liqscope.capture import _rollup

    for f in (BINANCE_0817, BINANCE_0818):
        ingest_file(Catalog(tmp_path), "binance_usdm", f)
    live = Catalog(tmp_path).manifests()
    orig, raced = _rollup.commit_replacement, []

    def commit_replacement(layout, manifest, merged, step):
        if not raced:
            raced.append(None)
            raced[0] = compact(Catalog(tmp_path))
        return orig(layout, manifest, merged, step)

    monkeypatch.setattr(_rollup, "commit_replacement", commit_replacement)
    rollup = Rollup(Catalog(tmp_path), fanout=2, grace_s=0)
    for m in live:
        rollup.committed(m, 1)
    assert raced[0].batch is not None and rollup.conflicts == 1 and rollup.merged == 0
    every = [*_lake.manifests(tmp_path)]
    replaced = [b for m in every for b in m.replaces]
    assert len(replaced) == len(set(replaced)), "a batch replaced twice"
    assert _lake.leftovers(tmp_path) == []  # the rollup's merged files are gone, the compaction's are listed
    assert _totals(tmp_path) == (AUG17[0] + AUG18[0], AUG17[1] + AUG18[1])
    assert verify_lake(Catalog(tmp_path)).ok


def test_4_a_lost_manifest_is_reported_never_deleted_by_a_read_and_repaired_from_the_journal(tmp_path):
    """Issue 14 #4: a read moves nothing; verify names the lost batch, its parts and its raw blob; --repair
    rebuilds it from the raw journal."""
    for f in (BINANCE_0817, BINANCE_0818):
        assert _cli("ingest", "--venue", "binance_usdm", str(f), "--data-dir", str(tmp_path)).returncode == 0
    full = _totals(tmp_path)
    lost = _lake.manifests(tmp_path)[0]
    (tmp_path / "lake" / "_batches" / f"{lost.batch}.json").unlink()
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert _cli("api", "get", "/api/lake", "--data-dir", str(tmp_path)).returncode == 0  # a read...
    assert _cli("report", *WINDOW, "--data-dir", str(tmp_path), "--json").returncode == 0
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == files  # ... deletes and moves nothing
    res = _cli("verify", "--data-dir", str(tmp_path), "--json")
    assert res.returncode == 1
    kinds = {(p["kind"], p["batch"]) for p in json.loads(res.stdout)["problems"]}
    assert ("missing_manifest", lost.batch) in kinds
    assert ("orphaned_file", lost.batch) in kinds
    assert any(k == "orphaned_raw" for k, _ in kinds)
    fixed = repair_lake(Catalog(tmp_path))
    assert fixed.rebuilt == [lost.batch] and fixed.after.ok, fixed.after.problems
    assert fixed.moved_aside and all((Path(fixed.orphans_dir) / rel).exists() for rel in fixed.moved_aside)
    assert _totals(tmp_path) == full == (AUG17[0] + AUG18[0], AUG17[1] + AUG18[1])


@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_5_a_damaged_manifest_is_skipped_by_readers_and_reported_by_verify(tmp_path, damage):
    """Issue 14 #5: no command crashes; readers warn naming the file; verify reports it and exits 1."""
    for f in (BINANCE_0817, BINANCE_0818):
        ingest_file(Catalog(tmp_path), "binance_usdm", f)
    bad = sorted((tmp_path / "lake" / "_batches").glob("*.json"))[0]
    bad.write_bytes(bad.read_bytes()[:40] if damage == "truncated" else b"")
    for argv in (["report", *WINDOW, "--json"], ["api", "get", "/api/lake"]):
        res = _cli(*argv, "--data-dir", str(tmp_path))
        assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
        assert bad.name in res.stderr  # the warning names the file
    assert _totals(tmp_path, "standard") in (AUG17, AUG18)  # the other batch still counts
    res = _cli("verify", "--data-dir", str(tmp_path), "--json")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert ("unreadable_manifest", bad.stem) in {(p["kind"], p["batch"]) for p in json.loads(res.stdout)["problems"]}
    # A writer neither crashes nor takes the damaged batch's files for orphans.
    assert _cli("ingest", "--venue", "binance_usdm", str(BINANCE_RIFTFERN), "--data-dir", str(tmp_path)).returncode == 0
    assert not (tmp_path / "orphans").exists()
    # The raw journal keeps a copy of the manifest: --repair sets the damaged one aside and rebuilds the batch.
    res = _cli("verify", "--repair", "--data-dir", str(tmp_path), "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    assert json.loads(res.stdout)["rebuilt"] == [bad.stem]
    assert _totals(tmp_path, "standard") == (RIFT[0] + AUG17[0] + AUG18[0], RIFT[1] + AUG17[1] + AUG18[1])


def test_6_a_reingest_whose_listed_files_are_retired_mid_run_lists_again(tmp_path, monkeypatch):
    """Issue 14 #6: `compact --grace 0` deletes files a running re-ingest listed: no raw DuckDB error."""
    from liqscope import ingest as ingest_mod

    for f in (BINANCE_0817, BINANCE_0818):
        ingest_file(Catalog(tmp_path), "binance_usdm", f)
    orig, raced = ingest_mod._existing, []

    def existing(catalog, venue, column, keys, relation):
        if not raced:
            raced.append(None)
            raced[0] = compact(Catalog(tmp_path), grace_s=0)  # retires and deletes what we listed
        return orig(catalog, venue, column, keys, relation)

    monkeypatch.setattr(ingest_mod, "_existing", existing)
    again = ingest_file(Catalog(tmp_path), "binance_usdm", BINANCE_0817)
    assert raced[0].files_deleted > 0
    assert again.already_present == again.records and again.accepted == 0
    assert _totals(tmp_path) == (AUG17[0] + AUG18[0], AUG17[1] + AUG18[1])


def test_11_a_full_disk_fails_with_one_line_and_leaves_the_lake_as_it_was(tmp_path):
    """Issue 14 #11: `ulimit -f` (EFBIG) in ingest and in compact: one line naming the file, exit 1, no change."""
    root = tmp_path / "lake"
    for f in (BINANCE_0817, BINANCE_0818):
        assert _cli("ingest", "--venue", "binance_usdm", str(f), "--data-dir", str(root)).returncode == 0
    before = (_lake.manifests(root), _totals(root))
    res = _cli("ingest", "--venue", "binance_usdm", str(BINANCE_RIFTFERN), "--data-dir", str(root),
               shell_prefix="ulimit -f 64;")  # 64 KiB: the raw journal of a 1 MB input cannot be written
    _one_line_error(res, "cannot write")
    assert (_lake.manifests(root), _totals(root)) == before and _lake.leftovers(root) == []
    res = _cli("compact", "--data-dir", str(root), shell_prefix="ulimit -f 8;")
    _one_line_error(res, "cannot write")
    assert (_lake.manifests(root), _totals(root)) == before and _lake.leftovers(root) == []


def test_11_a_torn_parquet_part_is_named_in_one_line(tmp_path):
    """Issue 14 #11: a torn committed part: `report` names the file and says to run verify, no traceback."""
    ingest_file(Catalog(tmp_path), "binance_usdm", BINANCE_0817)
    [part] = Catalog(tmp_path).event_files()
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    res = _cli("report", *WINDOW, "--data-dir", str(tmp_path))
    _one_line_error(res, str(part))
    res = _cli("compact", "--data-dir", str(tmp_path))  # nothing to merge (one file): fine
    assert res.returncode == 0
    v = verify_lake(Catalog(tmp_path))
    assert not v.ok and any(p.kind == "unreadable_file" for p in v.problems)


def _transcript(tmp_path: Path) -> Path:
    from liqscope.store.transcript import TranscriptWriter

    frames = gzip.decompress(BINANCE_0817.read_bytes()).splitlines()
    w = TranscriptWriter(tmp_path / "transcripts", "binance_usdm", "s1")
    ts = 1_723_852_800 * 10**9  # 2024-08-17: each frame gets its own receipt time
    for i, raw in enumerate(frames):
        w.frame(ts + i * 10**6, "s1-c1", raw)
    [flushed] = w.flush()
    return flushed.path


def test_3_verify_rebuilds_capture_batches_from_their_transcripts_and_finds_an_edited_row(tmp_path):
    """Issue 14 #3: verify no longer skips capture batches (it said "exactly what the journal rebuilds")."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from liqscope.capture import ingest_transcript

    root = tmp_path / "data"
    ingest_transcript(Catalog(root), "binance_usdm", str(_transcript(tmp_path)))
    assert _totals(root, "standard") == AUG17
    clean = verify_lake(Catalog(root))
    assert clean.ok and clean.skipped == [] and clean.rebuilt == 1 and clean.rows == 2 * AUG17[1]
    [part] = Catalog(root).event_files()
    t = pq.read_table(part)
    notional = t.column("notional_usd")
    edited = pc.if_else(pa.array([i == 0 for i in range(t.num_rows)]), pa.scalar(Decimal(1), notional.type), notional)
    pq.write_table(t.set_column(t.column_names.index("notional_usd"), "notional_usd", edited), part)
    [p] = verify_lake(Catalog(root)).problems
    assert p.kind == "different_rows" and p.rows == 1 and "notional_usd" in p.examples[0]


def test_1_a_capture_and_a_transcript_ingest_of_the_same_frames_leave_one_copy(tmp_path, monkeypatch):
    """Issue 14 #1 for capture: `ingest --format transcript` commits the frames while the capture's own commit
    of them (which skips the "already present" query) is in flight; the commit re-check drops them."""
    from liqscope import _ingest_transcript as _sink
    from liqscope.store.transcript import iter_lines, read_transcript

    root = tmp_path / "data"
    path = _transcript(tmp_path)
    data, _ = read_transcript(path)
    frames = [_sink.Frame(ln.line, ln.line, ln.ts, ln.conn, ln.payload)
              for ln in iter_lines(data, name=str(path)) if ln.payload is not None]
    catalog = Catalog(root)
    known = catalog.snapshot()  # the capture's view at its previous commit: before the transcript ingest
    _sink.ingest_transcript(Catalog(root), "binance_usdm", str(path))
    r = _sink.commit_frames(catalog, "binance_usdm", data, frames, file=str(path), meta={}, check_existing=False,
                            known=known)
    assert r.already_present == AUG17[1] and r.accepted == 0
    assert _totals(root) == AUG17 and sorted(bool(m.files) for m in _lake.manifests(root)) == [False, True]
    v = verify_lake(Catalog(root))
    assert v.ok, v.problems


def test_11_a_permission_error_fails_with_one_line_and_leaves_the_lake_as_it_was(tmp_path):
    """Issue 14 #11: a directory the writer may not write (immutable: root ignores mode bits)."""
    root = tmp_path / "lake"
    assert _cli("ingest", "--venue", "binance_usdm", str(BINANCE_0817), "--data-dir", str(root)).returncode == 0
    events = root / "lake" / "events" / "venue=binance_usdm"
    if os.geteuid() != 0 or subprocess.run(["chattr", "+i", str(events)], capture_output=True).returncode != 0:
        if os.geteuid() == 0:
            pytest.skip("chattr +i is not supported here")
        events.chmod(0o555)
    before = (_lake.manifests(root), _totals(root))
    try:
        res = _cli("ingest", "--venue", "binance_usdm", str(BINANCE_0818), "--data-dir", str(root))
    finally:
        subprocess.run(["chattr", "-i", str(events)], capture_output=True)
        events.chmod(0o755)
    _one_line_error(res, "permission denied")
    assert str(events) in res.stderr
    assert (_lake.manifests(root), _totals(root)) == before and _lake.leftovers(root) == []
