# Rollup: a capture merges its own small batches as it goes, so group commits (up to ~10 a second) do not
# leave a reader listing tens of thousands of manifests and opening as many Parquet files per query.
#
# Levels, like a log-structured merge: every commit is a level-0 batch; once `fanout` batches of a level
# have piled up, they are merged into one batch of the next level (one events file per venue and day, one
# records file), unless it would hold more than `max_rows` rows (then they stay: each is big enough). With
# fanout 16 a day of commits every 0.1 s is a few dozen batches instead of 864,000.
#
# A rollup batch is committed like `liqscope compact` commits (store/_compact.py): merged files are written
# as *.tmp, fsynced and renamed in place (listed by no manifest: invisible), then the manifest's atomic
# rename is the commit; its `replaces` names the merged batches and every batch they replaced that is
# still listed, so readers (Catalog.manifests) see either the small batches or the rollup, never both.
# Its `inputs` are the union of theirs, so `commit_uncommitted` still knows every member is committed.
# A crash before the rename leaves files of an uncommitted batch, which the next writer's recover() moves aside.
#
# Against `liqscope compact` (or anything else replacing batches) the commit lock decides: the rollup's
# commit is refused when one of its batches was replaced meanwhile (store/_writer.commit_replacement), and
# a merge whose input files vanished (a `compact --grace 0` retired them) is given up. Either way the rollup
# deletes its own merged files and forgets those batches (the compaction holds their rows): a batch is
# replaced by one commit only, and the capture's commit worker carries on.
#
# Retiring: `grace_s` after the rollup committed (so queries that listed the old files can finish), the
# replaced manifests move to `replaced_batches/` (provenance, as `compact` does) and their merged files are
# deleted. Replaced batches a stopped or killed capture had not retired yet are left for `liqscope compact`
# (readers already leave them out; they only cost a manifest read, cached by `Catalog` across instances).
from __future__ import annotations

import os
import time
from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq

from liqscope.errors import CommitConflict
from liqscope.store import Catalog
from liqscope.store._schema import parquet_options
from liqscope.store._writer import (
    Manifest,
    _fsync_dir,
    _lock,
    _unlock,
    commit_replacement,
    crash_point,
    new_batch_id,
    retire_manifests,
    writing,
)


class Rollup:
    """Merge one capture's batches level by level (see the module comment).

    Args:
        catalog: The data directory.
        fanout: Batches of one level merged into one of the next (0: never merge).
        max_rows: Largest merged batch, in rows (events + records).
        grace_s: Seconds between a rollup's commit and the removal of what it replaced.
    """

    def __init__(self, catalog: Catalog, *, fanout: int = 16, max_rows: int = 2_000_000,
                 grace_s: float = 10.0) -> None:
        self.catalog, self.fanout, self.max_rows, self.grace_s = catalog, fanout, max_rows, grace_s
        self.levels: list[list[tuple[Manifest, int]]] = [[]]
        self._retire: list[tuple[int, list[str], list[str]]] = []  # (due ns, batches, files to delete)
        self.merged = self.retired = self.conflicts = 0

    def committed(self, manifest: Manifest, rows: int) -> None:
        """Record a commit of this capture; merge and retire what is due."""
        self.levels[0].append((manifest, rows))
        if self.fanout > 1:
            level = 0
            while level < len(self.levels):
                batches = self.levels[level]
                if len(batches) >= self.fanout:
                    total = sum(r for _, r in batches)
                    self.levels[level] = []
                    if total > self.max_rows:
                        level += 1
                        continue  # big enough: leave them as they are
                    if level + 1 == len(self.levels):
                        self.levels.append([])
                    merged = self._merge([m for m, _ in batches], level + 1)
                    if merged is not None:
                        self.levels[level + 1].append((merged, total))
                level += 1
        self.collect()

    def _merge(self, batches: list[Manifest], level: int) -> Manifest | None:
        layout = self.catalog.layout
        lake = layout.lake
        batch = new_batch_id()
        parts: dict[str, list[str]] = defaultdict(list)
        carried: list[str] = []
        for m in batches:
            for rel in m.files:
                if rel.endswith(".parquet") and rel.split("/", 1)[0] in ("events", "records"):
                    parts[rel.rsplit("/", 1)[0]].append(rel)
                else:
                    carried.append(rel)  # quarantine files: kept, listed by the rollup
        written: list[str] = []
        replaced_files: list[str] = []
        fd = _lock(layout, exclusive=False)  # recover() must not take our staged files for leftovers
        try:
            for part, rels in sorted(parts.items()):
                final = lake / part / f"part-{batch}.parquet"
                tmp = final.with_name(final.name + ".tmp")
                written.append(os.path.relpath(final, lake))
                tables = [pq.ParquetFile(lake / rel).read() for rel in rels]  # FileNotFoundError: retired
                with writing(tmp):
                    merged = pa.concat_tables(tables, promote_options="default")
                    pq.write_table(merged, tmp, **parquet_options(merged.schema))
                    with open(tmp, "rb") as f:
                        os.fsync(f.fileno())
                os.replace(tmp, final)  # in place, listed by no manifest yet: invisible
                crash_point("rollup:file-in-place")
                replaced_files.extend(rels)
            for part in sorted(parts):
                _fsync_dir(lake / part)
            still = {m.batch for m in batches}
            first = batches[0].meta
            manifest = Manifest(
                batch=batch, created_ns=time.time_ns(), files=written + carried,
                inputs=[sha for m in batches for sha in m.inputs],
                meta={"kind": "capture", "venue": first.get("venue", ""), "format": first.get("format", ""),
                      "session": first.get("session", ""), "rollup_level": str(level),
                      "merged_batches": str(len(batches))},
                id_scheme=min(m.id_scheme for m in batches))
            manifest = commit_replacement(layout, manifest, still, "rollup")
        except (CommitConflict, FileNotFoundError):
            # Another commit (a compaction) replaced these batches first, and holds their rows: give up.
            for rel in written:
                (lake / rel).unlink(missing_ok=True)
                (lake / (rel + ".tmp")).unlink(missing_ok=True)
            self.conflicts += 1
            crash_point("rollup:gave-up")
            return None
        finally:
            _unlock(fd)
        self.catalog.invalidate()
        pa.default_memory_pool().release_unused()  # a merge is the worker's largest allocation: give it back
        self.merged += 1
        self._retire.append((manifest.created_ns + int(self.grace_s * 1e9), sorted(still), replaced_files))
        return manifest

    def collect(self, *, now_ns: int | None = None) -> None:
        """Retire the batches replaced more than ``grace_s`` ago: manifests moved away, then files deleted."""
        now_ns = time.time_ns() if now_ns is None else now_ns
        due = [r for r in self._retire if r[0] <= now_ns]
        if not due:
            return
        self._retire = [r for r in self._retire if r[0] > now_ns]
        layout = self.catalog.layout
        for _, batches, _files in due:
            # Moves the manifests away, then deletes their files no manifest lists (under the commit lock).
            self.retired += retire_manifests(layout, batches, "rollup")
        self.catalog.invalidate()
