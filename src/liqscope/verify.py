"""Rebuild the normalized lake from the raw journal and report every difference (``liqscope verify``).

The raw journal is what ``ingest`` keeps besides the Parquet: each input's exact bytes
(``raw/<sha[:2]>/<sha>.zst``, or ``.gz`` for older and capture blobs; content-addressed) and the manifest
of the batch that ingested it (venue, format, input name, receipt time). ``verify_lake`` replays every
ingest batch ever committed (those a compaction replaced too), oldest first, through the same ingest code
into a temporary lake under the same batch ids, then compares each partition of the live lake with the
rebuild row by row, and each quarantine file byte by byte. A clean lake, compacted or not, yields no
problem; a deleted, torn or edited file, a lost or edited raw blob, or a manifest that no longer matches
its data is named with the file and the rows at stake.

Capture batches are replayed too, from the transcript text their raw blob keeps (the same frames through
the same sink). Rows of batches it cannot replay (market tables and other kinds) are left out of the
comparison and their batches listed as skipped: never silently passed.

Beyond the rows, it reports what no manifest accounts for: Parquet parts and quarantine files that no
committed manifest lists (``orphaned_file``), raw blobs no batch ingested (``orphaned_raw``), batches the
raw journal says were committed whose manifest is gone (``missing_manifest``), and manifests that cannot
be read (``unreadable_manifest``). ``repair_lake`` (``verify --repair``) moves unlisted files aside and
re-derives what the raw journal proves: a batch whose manifest was lost is rebuilt from its raw blob.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from liqscope._identity import ID_SCHEME
from liqscope.errors import LiqscopeError, StoreError
from liqscope.ingest import ingest_bytes
from liqscope.store import Catalog
from liqscope.store._layout import Layout
from liqscope.store._schema import LATER_COLUMNS, RECORD_SCHEMA
from liqscope.store._writer import BatchWriter, Manifest, older_id_schemes, read_manifest, read_raw, recover
from liqscope.venues import _instruments

__all__ = ["Problem", "RepairReport", "VerifyReport", "repair_lake", "verify_lake"]

_EXAMPLES = 5
_BATCH_ID = re.compile(r"\d{20}-[0-9a-f]{8}")
_QUARANTINE = "../quarantine/"


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One difference between the lake and its rebuild from the raw journal.

    Attributes:
        kind: ``missing_file`` (listed or expected, not there), ``unreadable_file`` (torn, not Parquet),
            ``extra_file`` (a quarantine file the rebuild does not produce), ``missing_rows`` /
            ``extra_rows`` / ``different_rows`` (in one file), ``different_file`` (a quarantine file),
            ``raw_missing`` / ``raw_corrupt`` (the journal itself), ``unreadable_manifest``,
            ``not_rebuildable`` (the journal no longer ingests, e.g. an unknown venue), ``old_id_scheme``
            (event ids of an older id scheme: ``liqscope migrate`` rebuilds them).
        path: The file at fault, relative to the data directory.
        batch: The batch the file belongs to, when known.
        rows: How many rows are affected (0 when not row-level).
        detail: One sentence saying what differs.
        examples: Up to five affected rows (``event_id`` and record key; for changed rows the columns,
            rebuild value -> lake value).
    """

    kind: str
    path: str
    batch: str | None
    rows: int = 0
    detail: str = ""
    examples: list[str] = []


class VerifyReport(msgspec.Struct, kw_only=True):
    """What ``verify_lake`` checked and found.

    Attributes:
        ok: True when no problem was found.
        batches: Committed batches that count (compactions included, replaced ones not).
        rebuilt: Ingest batches replayed from the raw journal.
        skipped: ``"<batch> (<kind>)"`` of batches verify cannot replay; their rows are not compared.
        files: Live lake files compared.
        rows: Live lake rows compared.
        problems: Every difference found.
    """

    ok: bool
    batches: int
    rebuilt: int
    skipped: list[str]
    files: int
    rows: int
    problems: list[Problem]


def _read_manifests(catalog: Catalog, problems: list[Problem]) -> tuple[list[Manifest], list[Manifest]]:
    # (every manifest ever committed, retired ones included, in commit order; the live ones).
    found: dict[str, tuple[Manifest, bool]] = {}
    for folder, in_use in ((catalog.root / "replaced_batches", False), (catalog.layout.batches, True)):
        for path in sorted(folder.glob("*.json")) if folder.exists() else []:
            try:
                found[path.stem] = (read_manifest(path), in_use)
            except StoreError as e:
                problems.append(Problem(kind="unreadable_manifest", path=_rel(catalog, path), batch=path.stem,
                                        detail=str(e)))
    # Commit order (commits are serialized, and each manifest records its commit time): a batch that lost
    # records to a concurrent writer's earlier commit replays after it, and finds them present as it did.
    order = sorted(found.values(), key=lambda mv: (mv[0].created_ns, mv[0].batch))
    every = [m for m, _ in order]
    replaced = {b for m in every for b in m.replaces}
    live = [m for m, is_live in order if is_live and m.batch not in replaced]
    return every, live


def _rel(catalog: Catalog, path: Path) -> str:
    try:
        return str(Path(os.path.normpath(path)).relative_to(os.path.normpath(catalog.root)))
    except ValueError:
        return str(path)


def _replay(catalog: Catalog, rebuilt: Catalog, m: Manifest, problems: list[Problem]) -> bool:
    meta = m.meta
    if len(m.inputs) != 1:
        problems.append(Problem(kind="not_rebuildable", path=f"lake/_batches/{m.batch}.json", batch=m.batch,
                                detail=f"an ingest batch names {len(m.inputs)} raw inputs, not one"))
        return False
    sha = m.inputs[0]
    where = _rel(catalog, catalog.layout.raw_blob(sha))
    try:
        data = read_raw(catalog.layout, sha)
    except FileNotFoundError:
        problems.append(Problem(kind="raw_missing", path=where, batch=m.batch,
                                detail=f"the raw input of batch {m.batch} ({meta.get('file')}) is gone"))
        return False
    except (OSError, EOFError) as e:
        problems.append(Problem(kind="raw_corrupt", path=where, batch=m.batch, detail=f"cannot decompress: {e}"))
        return False
    if hashlib.sha256(data).hexdigest() != sha:
        problems.append(Problem(kind="raw_corrupt", path=where, batch=m.batch,
                                detail="the raw bytes no longer hash to their name: the journal was altered"))
        return False
    name = meta.get("name") or Path(meta.get("file", "input")).name.removesuffix(".gz")
    ts_recv = int(meta["ts_recv"]) if "ts_recv" in meta else None
    try:  # the very instrument tables the batch was parsed with (its manifest names them)
        tables = _instruments.archived_tables(catalog.root, meta.get("venue", ""), meta.get("instruments", ""))
    except (OSError, msgspec.ValidationError) as e:
        problems.append(Problem(kind="not_rebuildable", path=f"lake/_batches/{m.batch}.json", batch=m.batch,
                                detail=f"the batch was parsed with instruments {meta.get('instruments')}, which "
                                       f"cannot be read back: {e}"))
        return False
    try:
        if meta.get("kind") == "capture":
            _replay_capture(rebuilt, m, data, tables)
        else:
            ingest_bytes(rebuilt, meta["venue"], data, name, meta.get("format", "jsonl"),
                         label=meta.get("file", ""), ts_recv=ts_recv, batch=m.batch,
                         synthetic=meta.get("synthetic") == "true", instruments=tables,
                         received_at=meta.get("received_at"), drop_repeats=meta.get("repeats") != "stored")
    except (LiqscopeError, KeyError, ValueError) as e:
        problems.append(Problem(kind="not_rebuildable", path=where, batch=m.batch,
                                detail=f"the journal no longer ingests: {e}"))
        return False
    return True


def _replay_capture(rebuilt: Catalog, m: Manifest, data: bytes, tables: object) -> None:
    # A capture batch's raw blob is the transcript text it committed: the same frames, through the same sink.
    from liqscope._ingest_transcript import Frame, commit_frames
    from liqscope.store.transcript import iter_lines

    meta = m.meta
    first = int(meta.get("first_line", "1"))
    frames = [Frame(ln.line, first + ln.line - 1, ln.ts, ln.conn, ln.payload)
              for ln in iter_lines(data, name=meta.get("file", "")) if ln.payload is not None]
    commit_frames(rebuilt, meta["venue"], data, frames, file=meta.get("file", ""), meta={}, check_existing=True,
                  batch_id=m.batch, instruments=tables)  # type: ignore[arg-type]


def _carry_records(catalog: Catalog, rebuilt: Catalog, m: Manifest) -> None:
    # A batch that cannot be replayed still marks its records as ingested, so later batches (a file that
    # grew) replay as they did originally and the damage is reported once, where it is.
    writer = BatchWriter(rebuilt.layout, m.batch)
    for rel in m.files:
        if rel.startswith("records/") and isinstance(rows := _read(catalog.layout.lake / rel), list):
            writer.add_table(rebuilt.layout.lake / rel, pa.Table.from_pylist(rows, schema=RECORD_SCHEMA))
    writer.commit({"kind": "carried"})


def _read(path: Path) -> list[dict] | bytes | str:
    # Rows of a Parquet file, bytes of another file, or why it cannot be read.
    if not path.exists():
        return "missing"
    try:
        if path.suffix == ".parquet":
            return pq.read_table(path).to_pylist()
        return path.read_bytes()
    except (OSError, pa.ArrowException) as e:
        return f"unreadable: {e}"


def _canon(row: dict) -> tuple:
    return tuple(sorted(row.items()))


def _key(row: dict) -> str:
    return f"{row.get('event_id') or ''} (record {str(row.get('record_key'))[:16]})".lstrip()


def _origin(row: dict) -> str:
    return str(row.get("raw_ref") or "").split(":", 1)[0]


def _file_batch(rel: str) -> str | None:
    m = _BATCH_ID.search(rel.rsplit("/", 1)[-1])
    return m.group() if m else None


class _Rows:
    # Every verifiable row of a set of files, by partition directory, with the file each came from. Columns in
    # ``drop`` are not compared (a column added after some of the lake's files were written: LATER_COLUMNS).
    def __init__(self, drop: frozenset[str] = frozenset()) -> None:
        self.drop = drop
        self.by_part: dict[str, list[tuple[tuple, str]]] = defaultdict(list)
        self.state: dict[str, str] = {}  # file -> "missing" / "unreadable: ..." when it cannot be read
        self.files = self.rows = 0

    def add(self, lake: Path, rel: str, skip: set[str], *, drop_ids: bool = False) -> None:
        got = _read(lake / rel)
        self.files += 1
        if isinstance(got, str):
            self.state[rel] = got
            return
        assert isinstance(got, list)
        part = rel.rsplit("/", 1)[0]
        for row in got:
            if drop_ids and "event_id" in row:  # an older id scheme: every other column is still compared
                row["event_id"] = None
            if _origin(row) not in skip:
                for name in self.drop:
                    row.pop(name, None)
                self.by_part[part].append((_canon(row), rel))
                self.rows += 1


def _stale_columns(catalog: Catalog, live: list[Manifest]) -> frozenset[str]:
    # The later columns some live event file was written without: its rows cannot say what they would hold.
    stale: set[str] = set()
    for m in live:
        for rel in m.files:
            path = catalog.layout.lake / rel
            if rel.startswith("events/") and path.suffix == ".parquet" and LATER_COLUMNS - stale:
                with contextlib.suppress(OSError, pa.ArrowException):  # an unreadable file is reported elsewhere
                    stale |= LATER_COLUMNS - set(pq.read_schema(path).names)
    return frozenset(stale)


def _homes(live: list[Manifest]) -> dict[tuple[str, str], str]:
    # (partition, originating batch) -> the live file that holds that batch's rows there (compactions
    # hold the rows of every batch they replaced); (file, "") -> itself for every live file, so a rebuilt
    # row whose own file is live (one chunk part of a batch with several) is looked for there.
    out = {}
    for m in live:
        for rel in m.files:
            owner = _file_batch(rel)
            out[(rel, "")] = rel
            for b in ({m.batch, *m.replaces} if owner == m.batch else {owner}):
                if b:
                    out[(rel.rsplit("/", 1)[0], b)] = rel
    return out


def _compare(have: _Rows, want: _Rows, homes: dict[tuple[str, str], str]) -> dict[tuple[str, str], list[str]]:
    # (problem kind, live file) -> affected rows, partition by partition.
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for part in sorted(set(have.by_part) | set(want.by_part)):
        lake_at: dict[tuple, list[str]] = defaultdict(list)
        for canon, rel in have.by_part.get(part, []):
            lake_at[canon].append(rel)
        home_of: dict[tuple, list[str]] = defaultdict(list)
        for canon, rel in want.by_part.get(part, []):
            home_of[canon].append(homes.get((rel, "")) or homes.get((part, _file_batch(rel) or ""), rel))
        h, w = Counter(c for c, _ in have.by_part.get(part, [])), Counter(c for c, _ in want.by_part.get(part, []))
        pool: dict[str, list[tuple]] = defaultdict(list)
        for canon in (w - h).elements():
            pool[_key(dict(canon))].append(canon)
        for canon in (h - w).elements():
            row, rel = dict(canon), lake_at[canon].pop()
            twins = pool.get(_key(row))
            if twins:  # the same row, changed
                twin = dict(twins.pop())
                cols = sorted(k for k in row if row[k] != twin.get(k))
                found[("different_rows", rel)].append(
                    f"{_key(row)}: " + ", ".join(f"{c} {twin.get(c)!r} -> {row[c]!r}" for c in cols))
            else:
                found[("extra_rows", rel)].append(_key(row))
        for canons in pool.values():
            for canon in canons:
                rel = home_of[canon].pop()
                kind = "missing_rows" if rel not in have.state else (
                    "missing_file" if have.state[rel] == "missing" else "unreadable_file")
                found[(kind, rel)].append(_key(dict(canon)))
    return found


_DETAIL = {
    "different_rows": "rows differ from the rebuild (rebuild -> lake)",
    "missing_rows": "rows of the rebuild are absent from this file",
    "extra_rows": "rows of this file are not produced by the rebuild",
    "missing_file": "rows of the rebuild belong in this file, which is not there",
    "unreadable_file": "rows of the rebuild belong in this file, which cannot be read",
}


def verify_lake(catalog: Catalog) -> VerifyReport:
    """Rebuild ``catalog``'s lake from its raw journal in a temporary directory and compare.

    Args:
        catalog: The data directory to check (not modified).

    Returns:
        What was compared, and every difference found (``ok`` when none).
    """
    problems: list[Problem] = []
    every, live = _read_manifests(catalog, problems)
    old = older_id_schemes(live)
    if old:
        problems.append(Problem(kind="old_id_scheme", path=_rel(catalog, catalog.layout.batches), batch=old[0],
                                detail=f"{len(old)} batch(es) hold event ids of an older id scheme than {ID_SCHEME} "
                                       "(compared without their ids); run `liqscope migrate` to rebuild them"))
    skip: set[str] = set()  # raw inputs whose rows cannot be checked
    skipped, replayed = [], set()
    with tempfile.TemporaryDirectory(prefix="liqscope-verify-") as tmp:
        rebuilt = Catalog(Path(tmp))
        for m in every:
            kind = m.meta.get("kind", "?")
            if kind == "compact" or (kind == "capture" and m.replaces):
                continue  # a compaction or capture rollup holds rows of replayed batches: compared through them
            if kind not in ("ingest", "capture"):
                skipped.append(f"{m.batch} ({kind})")
                skip |= set(m.inputs)
            elif _replay(catalog, rebuilt, m, problems):
                replayed.add(m.batch)
            else:
                _carry_records(catalog, rebuilt, m)
                skip |= set(m.inputs)
        rebuilt.invalidate()
        drop = _stale_columns(catalog, live)
        have, want = _Rows(drop), _Rows(drop)
        lake_quarantine, want_quarantine = {}, {}
        for m in live:
            for rel in m.files:
                if rel.startswith(_QUARANTINE):
                    lake_quarantine[rel] = m.batch
                else:
                    have.add(catalog.layout.lake, rel, skip, drop_ids=bool(old))
        for m in rebuilt.manifests():
            if m.batch in replayed:
                for rel in m.files:
                    if rel.startswith(_QUARANTINE):
                        want_quarantine[rel] = _read(rebuilt.layout.lake / rel)
                    else:
                        want.add(rebuilt.layout.lake, rel, skip, drop_ids=bool(old))
        found = _compare(have, want, _homes(live))
        for (kind, rel), rows in sorted(found.items()):
            problems.append(Problem(kind=kind, path=_rel(catalog, catalog.layout.lake / rel), batch=_file_batch(rel),
                                    rows=len(rows), detail=f"{len(rows)} {_DETAIL[kind]}", examples=rows[:_EXAMPLES]))
        for rel, state in sorted(have.state.items()):
            if not any(r == rel for _, r in found):
                problems.append(Problem(kind="missing_file" if state == "missing" else "unreadable_file",
                                        path=_rel(catalog, catalog.layout.lake / rel), batch=_file_batch(rel),
                                        detail=state))
        problems += _compare_quarantine(catalog, lake_quarantine, want_quarantine, replayed)
    problems += _unaccounted(catalog, every)
    return VerifyReport(ok=not problems, batches=len(live), rebuilt=len(replayed), skipped=skipped,
                        files=have.files + len(lake_quarantine), rows=have.rows, problems=problems)


def _compare_quarantine(catalog: Catalog, have: dict[str, str], want: Mapping[str, object],
                        replayed: set[str]) -> list[Problem]:
    out = []
    for rel in sorted(set(want) | {r for r, b in have.items() if _file_batch(r) in replayed}):
        path = _rel(catalog, catalog.layout.lake / rel)
        got = _read(catalog.layout.lake / rel) if rel in have else "missing"
        if rel not in want:
            out.append(Problem(kind="extra_file", path=path, batch=_file_batch(rel),
                               detail="a quarantine file the rebuild does not produce"))
        elif isinstance(got, str):
            out.append(Problem(kind="missing_file" if got == "missing" else "unreadable_file", path=path,
                               batch=_file_batch(rel), detail=f"quarantine file {got}"))
        elif got != want[rel]:
            out.append(Problem(kind="different_file", path=path, batch=_file_batch(rel),
                               detail="quarantine file differs from the rebuild, byte for byte"))
    return out


def _unaccounted(catalog: Catalog, every: list[Manifest]) -> list[Problem]:
    # Files no manifest accounts for: unlisted lake parts, raw blobs no batch ingested, lost manifests.
    layout = catalog.layout
    out: list[Problem] = []
    present = {p.stem for p in layout.batches.glob("*.json")} if layout.batches.exists() else set()
    archive = catalog.root / "replaced_batches"
    retired = {p.stem for p in archive.glob("*.json")} if archive.exists() else set()
    listed = {os.path.normpath(layout.lake / rel) for m in every if m.batch in present for rel in m.files}
    for root in (layout.lake, layout.quarantine):
        for path in sorted(root.rglob("*")) if root.exists() else []:
            if (not path.is_file() or path.name.startswith(".") or path.name.endswith(".tmp")
                    or path.parent == layout.batches or os.path.normpath(path) in listed):
                continue
            batch = _BATCH_ID.search(path.name)
            if batch is not None and batch.group() in retired | present:
                continue  # a replaced file awaiting deletion, or a file of a batch whose manifest is unreadable
            out.append(Problem(kind="orphaned_file", path=_rel(catalog, path), batch=batch.group() if batch else None,
                               detail="no committed manifest lists this file: it counts nowhere "
                                      "(`verify --repair` moves it aside)"))
    copies = layout.raw / "_batches"
    for path in sorted(copies.glob("*.json")) if copies.exists() else []:
        if path.stem not in present | retired:
            out.append(Problem(kind="missing_manifest", path=f"lake/_batches/{path.stem}.json", batch=path.stem,
                               detail="the raw journal says this batch was committed, but its manifest is gone: "
                                      "its rows count nowhere (`verify --repair` rebuilds it from the raw blob)"))
    ingested = {sha for m in every for sha in m.inputs}
    for path in sorted(copies.glob("*.json")) if copies.exists() else []:
        if path.stem in present:  # a damaged manifest's inputs: the journal's copy names them
            with contextlib.suppress(StoreError):
                ingested |= set(read_manifest(path).inputs)
    blobs = [*layout.raw.glob("??/*.zst"), *layout.raw.glob("??/*.gz")] if layout.raw.exists() else []
    for path in sorted(blobs):
        if path.name.split(".", 1)[0] not in ingested:
            out.append(Problem(kind="orphaned_raw", path=_rel(catalog, path), batch=None,
                               detail="a raw blob no committed batch ingested"))
    return out


class RepairReport(msgspec.Struct, kw_only=True):
    """What ``repair_lake`` did, and the verification after it.

    Attributes:
        moved_aside: Files no manifest listed, moved to ``orphans_dir`` (never deleted).
        orphans_dir: Where they went.
        rebuilt: Batches whose lost manifest was re-derived from the raw journal.
        after: ``verify_lake`` once repaired.
        restored_raw: Raw blobs of capture batches that were missing or torn, restored from the transcript
            member they were copied from (capture keeps them without an fsync of their own: docs/store.md).
    """

    moved_aside: list[str]
    orphans_dir: str | None
    rebuilt: list[str]
    after: VerifyReport
    restored_raw: list[str] = []


def repair_lake(catalog: Catalog) -> RepairReport:
    """Repair what the raw journal can prove, then verify again (``liqscope verify --repair``).

    Files no committed manifest lists are moved aside (``DATA_DIR/orphans/<time>/``), never deleted. A batch
    whose manifest was lost, or is damaged (then set aside too), is rebuilt through the one writer from its
    raw blob and the copy of its manifest the raw journal keeps (same batch id, receipt time, instrument
    tables), so its rows count again exactly once: records the lake holds meanwhile (a re-ingest) are not
    added twice.

    Raises:
        StoreError: A writer is busy (run it again when the lake is idle).
    """
    from liqscope.errors import StoreError
    from liqscope.store._writer import _lock, _unlock

    layout = catalog.layout
    fd = _lock(layout, exclusive=True)
    if fd is None and layout.lake.exists():
        raise StoreError(f"{layout.lake}: a writer is busy; run `liqscope verify --repair` again when it is done")
    _unlock(fd)
    restored = _restore_capture_blobs(catalog)
    copies = layout.raw / "_batches"
    set_aside: list[str] = []
    for path in sorted(layout.batches.glob("*.json")) if layout.batches.exists() else []:
        try:
            read_manifest(path)
        except StoreError:  # damaged: if the journal keeps a copy, set it aside and rebuild the batch below
            if (copies / path.name).exists():
                dest = catalog.root / "orphans" / f"manifests-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
                dest.mkdir(parents=True, exist_ok=True)
                os.replace(path, dest / path.name)
                set_aside.append(str(Path(os.path.relpath(dest / path.name, catalog.root))))
    moved = recover(layout)  # the set-aside batches' files are now unlisted: moved aside too
    rebuilt: list[str] = []
    present = {p.stem for p in layout.batches.glob("*.json")} if layout.batches.exists() else set()
    archive = catalog.root / "replaced_batches"
    retired = {p.stem for p in archive.glob("*.json")} if archive.exists() else set()
    for path in sorted(copies.glob("*.json")) if copies.exists() else []:
        if path.stem in present | retired:
            continue
        m = read_manifest(path)
        catalog.invalidate()
        problems: list[Problem] = []
        if _replay(catalog, catalog, m, problems):
            rebuilt.append(m.batch)
        if not (layout.batches / f"{m.batch}.json").exists():
            # Nothing left to rebuild (the lake holds every record again): the copy is settled.
            settled = copies / "settled"
            settled.mkdir(parents=True, exist_ok=True)
            os.replace(path, settled / path.name)
    catalog.invalidate()
    return RepairReport(moved_aside=set_aside + moved.moved, orphans_dir=moved.orphans, rebuilt=rebuilt,
                        after=verify_lake(catalog), restored_raw=restored)


def _intact(layout: Layout, sha: str) -> bool:
    try:
        return hashlib.sha256(read_raw(layout, sha)).hexdigest() == sha
    except (OSError, EOFError, zlib.error):
        return False


def _restore_capture_blobs(catalog: Catalog) -> list[str]:
    # A capture batch's raw blob is a transcript member's text, fsynced in the transcript before the commit;
    # the blob itself is written without an fsync, so a crash can lose it. Take it back from the transcript.
    from liqscope.store._writer import store_raw
    from liqscope.store.transcript import gzip_members

    problems: list[Problem] = []
    every, _ = _read_manifests(catalog, problems)
    wanted: dict[str, set[str]] = defaultdict(set)  # transcript file -> shas whose blob is missing or torn
    for m in every:
        if m.meta.get("kind") == "capture" and not m.replaces and m.meta.get("file"):
            for sha in m.inputs:
                if not _intact(catalog.layout, sha):
                    wanted[m.meta["file"]].add(sha)
    restored = []
    for file, shas in sorted(wanted.items()):
        try:
            members, _ = gzip_members(Path(file).read_bytes())
        except OSError:
            continue  # the transcript is gone too: verify reports the blob as missing
        for text in members:
            sha = hashlib.sha256(text).hexdigest()
            if sha in shas:
                blob = catalog.layout.raw_blob(sha)
                if blob.exists():
                    blob.unlink()  # torn: store_raw keeps an existing blob as it is
                store_raw(catalog.layout, sha, text)
                restored.append(sha)
    return sorted(restored)
