# Lake upkeep: merge the small Parquet files of a partition into one, without changing any result.
#
# A compaction is a batch like any other, committed the same way (files written as *.tmp, fsynced,
# renamed into place, then the manifest's atomic rename), whose manifest also says `replaces: [...]`:
# the batches whose files it merged. Readers (Catalog.manifests) leave replaced batches out, so at
# every instant a reader sees either the old files or the merged ones, never both and never neither:
#
# - crash before the manifest rename: the merged files belong to no committed batch and recover()
#   deletes them; the old batches still count;
# - crash after it: the new batch counts and the old ones do not, whatever was or was not cleaned.
#
# Clean-up comes after, and only once `grace` has passed since the replacing commit (so a query that
# listed the old files just before can still read them): replaced manifests move to
# `<data>/replaced_batches/` (kept as provenance), which leaves their files unlisted, and recover()
# deletes those. A compaction replaces the batches it merged AND every batch already replaced, so
# moving manifests away in any order never brings a replaced batch back.
from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import msgspec

from liqscope.store._catalog import Catalog, _sql_str
from liqscope.store._writer import (
    Manifest,
    _fsync_dir,
    _lock,
    _unlock,
    crash_point,
    new_batch_id,
    publish_manifest,
    read_manifest,
    recover,
    retire_manifests,
)

# Row order inside a merged file: time first, so row-group statistics prune time windows.
_ORDER = {"events": "ts_event, event_id, record_key", "records": "ts_recv, record_key"}


class CompactResult(msgspec.Struct, kw_only=True):
    """What a compaction did.

    Attributes:
        batch: The compaction's batch id (None when there was nothing to merge).
        replaced_batches: Batches it superseded.
        files_before: Event and record files the merged partitions held.
        files_after: Files they hold now.
        rows: Rows rewritten (every row is kept, each exactly once).
        manifests_retired: Replaced manifests moved to ``replaced_batches/`` (past the grace period).
        files_deleted: Replaced files deleted.
    """

    batch: str | None = None
    replaced_batches: int = 0
    files_before: int = 0
    files_after: int = 0
    rows: int = 0
    manifests_retired: int = 0
    files_deleted: int = 0


def _groups(manifests: list[Manifest]) -> dict[str, list[tuple[str, str]]]:
    # Partition directory -> [(file, owning batch)], for the two tables a compaction merges.
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for m in manifests:
        for rel in m.files:
            table = rel.split("/", 1)[0]
            if table in _ORDER and rel.endswith(".parquet"):
                out[rel.rsplit("/", 1)[0]].append((rel, m.batch))
    return out


def _every_manifest(catalog: Catalog) -> list[Manifest]:
    batches = catalog.layout.batches
    return [read_manifest(p) for p in sorted(batches.glob("*.json"))] if batches.exists() else []


def _merge(con: duckdb.DuckDBPyConnection, lake: Path, rels: list[str], final: Path) -> int:
    tmp = final.with_name(final.name + ".tmp")
    listing = ", ".join(_sql_str(str(lake / r)) for r in rels)
    order = _ORDER[rels[0].split("/", 1)[0]]
    # union_by_name keeps every column of every file (a column an older file lacks stays NULL there);
    # hive_partitioning off, or DuckDB adds the path's `date=` as a column the merged file would keep.
    con.execute(f"COPY (SELECT * FROM read_parquet([{listing}], union_by_name = true, hive_partitioning = false) "
                f"ORDER BY {order}) "
                f"TO {_sql_str(str(tmp))} (FORMAT parquet, COMPRESSION zstd)")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    crash_point("compact:file-written")
    rows = con.execute(  # type: ignore[index]  # an aggregate: always one row
        f"SELECT count(*) FROM read_parquet({_sql_str(str(tmp))})").fetchone()[0]
    os.replace(tmp, final)  # in place, but listed by no manifest yet: invisible
    crash_point("compact:file-in-place")
    return int(rows)


def compact(catalog: Catalog, *, grace_s: float = 0.0) -> CompactResult:
    """Merge every event partition (venue, date) and record partition (venue) holding more than one file.

    Results do not change: every row is kept exactly once, with its values, and a crash at any point
    leaves either the old files or the merged ones counting (see the module comment).

    Args:
        catalog: The data directory.
        grace_s: Keep replaced files this long after the replacing commit, for queries already running.
    """
    catalog.invalidate()
    layout, result = catalog.layout, CompactResult()
    live = catalog.manifests()
    merge = {part: files for part, files in _groups(live).items() if len(files) > 1}
    if merge:
        batch = new_batch_id()
        owners = {b for files in merge.values() for _, b in files}
        merged = {rel for files in merge.values() for rel, _ in files}
        replaced = owners | {b for m in _every_manifest(catalog) for b in m.replaces}
        carried = [rel for m in live if m.batch in owners for rel in m.files if rel not in merged]
        fd = _lock(layout, exclusive=False)  # recover() must not take our staged files for leftovers
        try:
            written: list[str] = []
            con = duckdb.connect(":memory:")
            try:
                for part, files in sorted(merge.items()):
                    final = layout.lake / part / f"part-{batch}.parquet"
                    result.rows += _merge(con, layout.lake, [rel for rel, _ in files], final)
                    written.append(os.path.relpath(final, layout.lake))
            finally:
                con.close()
            for part in sorted(merge):
                _fsync_dir(layout.lake / part)
            manifest = Manifest(batch=batch, created_ns=time.time_ns(), files=written + carried,
                                inputs=sorted({sha for m in live if m.batch in owners for sha in m.inputs}),
                                meta={"kind": "compact", "merged_files": str(len(merged))},
                                replaces=sorted(replaced))
            publish_manifest(layout, manifest, "compact")
        finally:
            _unlock(fd)
        catalog.invalidate()
        result.batch, result.replaced_batches = batch, len(owners)
        result.files_before, result.files_after = len(merged), len(written)
    result.manifests_retired, result.files_deleted = collect(catalog, grace_s=grace_s)
    return result


def collect(catalog: Catalog, *, grace_s: float = 0.0) -> tuple[int, int]:
    """Retire replaced manifests whose replacing commit is older than ``grace_s``, then delete their files.

    Returns:
        (manifests moved to ``replaced_batches/``, files deleted).
    """
    layout = catalog.layout
    every = _every_manifest(catalog)
    replaced_at: dict[str, int] = {}
    for m in every:
        for b in m.replaces:
            replaced_at[b] = min(replaced_at.get(b, m.created_ns), m.created_ns)
    cutoff = time.time_ns() - int(grace_s * 1e9)
    retired = retire_manifests(layout, [m.batch for m in every
                                        if m.batch in replaced_at and replaced_at[m.batch] <= cutoff], "compact")
    catalog.invalidate()
    _, removed = recover(layout)  # replaced files are now unlisted leftovers: deleted (if no writer is busy)
    return retired, removed
