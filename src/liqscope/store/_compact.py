# Lake upkeep: merge the small Parquet files of a partition into one, without changing any result.
#
# A compaction is a batch like any other, committed the same way (files written as *.tmp, fsynced,
# renamed into place, then the manifest's atomic rename), whose manifest also says `replaces: [...]`:
# the batches whose files it merged. Readers (Catalog.manifests) leave replaced batches out, so at
# every instant a reader sees either the old files or the merged ones, never both and never neither:
#
# - crash before the manifest rename: the merged files belong to no committed batch and the next writer's
#   recover() moves them aside (docs/store.md); the old batches still count;
# - crash after it: the new batch counts and the old ones do not, whatever was or was not cleaned.
#
# Clean-up comes after, and only once `grace` has passed since the replacing commit (so a query that
# listed the old files just before can still read them): replaced manifests move to
# `<data>/replaced_batches/` (kept as provenance) and their files no manifest lists are deleted.
# A compaction replaces the batches it merged AND every batch they replaced, so moving manifests away in
# any order never brings a replaced batch back.
#
# Concurrency (store/_writer.py): the merge runs without the commit lock; the commit takes it and is
# refused (CommitConflict) if another compaction or a capture rollup replaced one of the merged batches
# meanwhile, or if a merged file vanished mid-read (another compaction retired it): the compaction then
# deletes its own merged files and plans again from the lake as it now is. Two compactions never both
# replace a batch, so no row is ever counted twice.
from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import msgspec

from liqscope._identity import ID_SCHEME
from liqscope.errors import CommitConflict, StoreError
from liqscope.store._catalog import Catalog, _sql_str
from liqscope.store._writer import (
    Manifest,
    _fsync_dir,
    _lock,
    _unlock,
    _write_failed,
    commit_replacement,
    crash_point,
    first_damaged,
    list_manifests,
    new_batch_id,
    recover,
    retire_manifests,
)

_ATTEMPTS = 8

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


def _merge(con: duckdb.DuckDBPyConnection, lake: Path, rels: list[str], final: Path) -> int:
    tmp = final.with_name(final.name + ".tmp")
    listing = ", ".join(_sql_str(str(lake / r)) for r in rels)
    order = _ORDER[rels[0].split("/", 1)[0]]
    # union_by_name keeps every column of every file (a column an older file lacks stays NULL there);
    # hive_partitioning off, or DuckDB adds the path's `date=` as a column the merged file would keep.
    try:
        con.execute(f"COPY (SELECT * FROM read_parquet([{listing}], union_by_name = true, hive_partitioning = false) "
                    f"ORDER BY {order}) "
                    f"TO {_sql_str(str(tmp))} (FORMAT parquet, COMPRESSION zstd)")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    except (duckdb.Error, OSError) as e:
        tmp.unlink(missing_ok=True)
        inputs = [lake / r for r in rels]
        if not all(p.exists() for p in inputs):
            crash_point("compact:input-retired")
            raise CommitConflict(f"{final.parent}: a merged file was retired meanwhile") from None
        problem = first_damaged(inputs)
        if problem is not None:
            raise problem from None  # a torn input: name it
        raise _write_failed(tmp, e) from None  # the inputs are fine: the write failed (disk full, ...)
    crash_point("compact:file-written")
    rows = con.execute(  # type: ignore[index]  # an aggregate: always one row
        f"SELECT count(*) FROM read_parquet({_sql_str(str(tmp))})").fetchone()[0]
    os.replace(tmp, final)  # in place, but listed by no manifest yet: invisible
    crash_point("compact:file-in-place")
    return int(rows)


def compact(catalog: Catalog, *, grace_s: float = 0.0) -> CompactResult:
    """Merge every event partition (venue, date) and record partition (venue) holding more than one file.

    Results do not change: every row is kept exactly once, with its values, and a crash at any point
    leaves either the old files or the merged ones counting (see the module comment). Safe to run while
    other writers (ingest, capture, another compact) run: it re-plans when one of them gets there first.

    Args:
        catalog: The data directory.
        grace_s: Keep replaced files this long after the replacing commit, for queries already running.

    Raises:
        LakeWriteFailed: Disk full, file size limit, permission (nothing committed).
        StoreError: Still losing to concurrent replacing commits after several attempts.
    """
    recover(catalog.layout)  # a writer: what crashed writers left behind is cleaned (never a reader's job)
    result = CompactResult()
    for _ in range(_ATTEMPTS):
        try:
            _compact_once(catalog, result)
            break
        except CommitConflict:
            catalog.invalidate()
            continue
    else:
        raise StoreError(f"{catalog.layout.lake}: compaction lost {_ATTEMPTS} times in a row to other "
                         "compactions or capture rollups of the same batches; run it again later")
    result.manifests_retired, result.files_deleted = collect(catalog, grace_s=grace_s)
    return result


def _compact_once(catalog: Catalog, result: CompactResult) -> None:
    import duckdb

    catalog.invalidate()
    layout = catalog.layout
    live = catalog.manifests()
    merge = {part: files for part, files in _groups(live).items() if len(files) > 1}
    if not merge:
        return
    batch = new_batch_id()
    owners = {b for files in merge.values() for _, b in files}
    merged = {rel for files in merge.values() for rel, _ in files}
    carried = [rel for m in live if m.batch in owners for rel in m.files if rel not in merged]
    fd = _lock(layout, exclusive=False)  # recover() must not take our staged files for leftovers
    written: list[str] = []
    try:
        con = duckdb.connect(":memory:")
        try:
            for part, files in sorted(merge.items()):
                final = layout.lake / part / f"part-{batch}.parquet"
                written.append(os.path.relpath(final, layout.lake))
                result.rows += _merge(con, layout.lake, [rel for rel, _ in files], final)
        finally:
            con.close()
        for part in sorted(merge):
            _fsync_dir(layout.lake / part)
        manifest = Manifest(batch=batch, created_ns=time.time_ns(), files=written + carried,
                            inputs=sorted({sha for m in live if m.batch in owners for sha in m.inputs}),
                            meta={"kind": "compact", "merged_files": str(len(merged))},
                            id_scheme=min((m.id_scheme for m in live if m.batch in owners), default=ID_SCHEME))
        commit_replacement(layout, manifest, owners, "compact")
    except BaseException:
        for rel in written:  # ours and never committed: provably garbage
            (layout.lake / rel).unlink(missing_ok=True)
            (layout.lake / (rel + ".tmp")).unlink(missing_ok=True)
        result.rows = 0
        raise
    finally:
        _unlock(fd)
    catalog.invalidate()
    result.batch, result.replaced_batches = batch, len(owners)
    result.files_before, result.files_after = len(merged), len(written)


def collect(catalog: Catalog, *, grace_s: float = 0.0) -> tuple[int, int]:
    """Retire replaced manifests whose replacing commit is older than ``grace_s``, then delete their files.

    Returns:
        (manifests moved to ``replaced_batches/``, files deleted).
    """
    layout = catalog.layout
    every = list_manifests(layout).every
    replaced_at: dict[str, int] = {}
    for m in every:
        for b in m.replaces:
            replaced_at[b] = min(replaced_at.get(b, m.created_ns), m.created_ns)
    cutoff = time.time_ns() - int(grace_s * 1e9)
    due = [m for m in every if m.batch in replaced_at and replaced_at[m.batch] <= cutoff]
    before = {rel for m in due for rel in m.files if (layout.lake / rel).exists()}
    retired = retire_manifests(layout, [m.batch for m in due], "compact")
    catalog.invalidate()
    removed = sum(1 for rel in before if not (layout.lake / rel).exists())
    return retired, removed
