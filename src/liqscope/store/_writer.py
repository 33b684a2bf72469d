# The one lake writer: every commit to the lake (ingest, capture commits and rollups, compaction, the
# market tables) goes through this module and its one protocol (docs/store.md, "Commit protocol").
#
# A batch writes every file under a temporary name (`*.tmp`) and fsyncs it. Its commit then runs under
# the lake's EXCLUSIVE commit lock (`lake/.commit.lock`, flock, blocking), so commits are serialized:
#
#   1. re-list the committed manifests and RE-CHECK the batch's record keys against every batch committed
#      since the writer last looked (its `known` set): a record another writer committed meanwhile is
#      dropped from the staged files, so concurrent writers of the same records leave exactly one copy;
#      a replacing commit (compaction, capture rollup) is refused (CommitConflict) when a batch it merges
#      is already replaced or gone, so two of them never both replace a batch;
#   2. rename the files into place, fsync their directories, then write the manifest
#      `_batches/<batch>.json` with an atomic rename: that rename is the commit.
#
# Readers only read files named by committed manifests, so a torn, partial or uncommitted file is never
# visible, and every file a manifest names is complete and in place before the manifest appears.
#
# A writer also holds a SHARED lock on `lake/.lock` while it has files staged; `recover()` runs only under
# an EXCLUSIVE non-blocking lock on it, so it never touches a live writer's files. The kernel drops both
# locks of a killed process. Recovery is a writer's job (never a reader's), deletes only what it can prove
# is garbage (temp files; files of batches whose manifest was retired), and moves every other file that no
# manifest lists aside to `DATA_DIR/orphans/<time>/`, where `liqscope verify` reports and can repair it.
from __future__ import annotations

import contextlib
import errno
import gzip
import io
import itertools
import logging
import os
import re
import secrets
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from liqscope._identity import ID_SCHEME
from liqscope.errors import CommitConflict, LakeWriteFailed, StoreError
from liqscope.store._layout import GZIP, ZSTD, Layout
from liqscope.store._schema import parquet_options

try:
    import fcntl
except ImportError:  # Windows: no flock; recover() then leaves leftovers alone (they stay invisible)
    fcntl = None  # type: ignore[assignment]  # the module or None; callers check

_BATCH_ID = re.compile(r"\d{20}-[0-9a-f]{8}")
log = logging.getLogger("liqscope.store")

# Test hook (tests/reliability/test_kill.py): LIQSCOPE_CRASH_LOG=<file> appends the name of every crash
# point passed; LIQSCOPE_CRASH_AT=<n> makes the process SIGKILL itself at the n-th one. Unset: a no-op.
_CRASH_AT = int(os.environ.get("LIQSCOPE_CRASH_AT") or 0)
_CRASH_LOG = os.environ.get("LIQSCOPE_CRASH_LOG")
_PASSED = itertools.count(1)


def crash_point(name: str) -> None:
    if not (_CRASH_AT or _CRASH_LOG):
        return
    n = next(_PASSED)
    if _CRASH_LOG:
        with open(_CRASH_LOG, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {n} {name}\n")
    if n == _CRASH_AT:
        os.kill(os.getpid(), signal.SIGKILL)


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    batch: str
    created_ns: int                  # commit time; commits are serialized, so this orders them
    files: list[str]                 # relative to the lake root
    inputs: list[str] = []           # raw blob sha256s this batch ingested
    meta: dict[str, str] = {}
    # Batches this one supersedes (written by `liqscope compact` and capture rollups): their files no
    # longer count, since this batch holds the same rows. Catalog.manifests() leaves every batch named here out.
    replaces: list[str] = []
    # The event id scheme of this batch's event rows (liqscope._identity); manifests written before ids were
    # versioned have none: scheme 1. A compaction or rollup carries the oldest scheme it merged.
    id_scheme: int = 1


def holds_events(m: Manifest) -> bool:
    """True when the batch lists event rows (whose ids follow its ``id_scheme``)."""
    return any(rel.startswith("events/") for rel in m.files)


def older_id_schemes(live: Iterable[Manifest]) -> list[str]:
    """The live batches holding event rows under an id scheme older than ``ID_SCHEME`` (oldest first)."""
    return [m.batch for m in live if m.id_scheme < ID_SCHEME and holds_events(m)]


def new_batch_id() -> str:
    # Time-ordered so manifests list in start order; random suffix so concurrent writers never clash.
    return f"{time.time_ns():020d}-{secrets.token_hex(4)}"


def read_manifest(path: Path) -> Manifest:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as e:
        raise StoreError(f"{path}: cannot read this batch manifest ({e.strerror or e}); fix its permissions, "
                         "or run `liqscope verify`") from None
    try:
        return msgspec.json.decode(data, type=Manifest)
    except (msgspec.DecodeError, msgspec.ValidationError):
        what = "empty" if not data else "truncated or corrupt"
        raise StoreError(f"{path}: {what} batch manifest; run `liqscope verify` (and `verify --repair`)") from None


# Manifests read so far, per `_batches` directory: name -> (mtime ns, size, manifest). A committed manifest is
# never rewritten (it appears by an atomic rename and only ever moves away), so a fresh listing re-reads only
# the new ones (a capture commits up to ~10 a second; the API and the live bench open a Catalog per query).
_MANIFEST_CACHE: dict[str, dict[str, tuple[int, int, Manifest]]] = {}
_WARNED: set[str] = set()


class Listing(msgspec.Struct, frozen=True):
    """Every manifest in ``_batches`` (replaced ones too) and the names of those that cannot be read."""

    every: list[Manifest]
    unreadable: list[str]

    def live(self) -> list[Manifest]:
        replaced = {b for m in self.every for b in m.replaces}
        return [m for m in self.every if m.batch not in replaced]

    def names(self) -> set[str]:
        """Batch ids present (unreadable ones too), and every batch they replace."""
        return {m.batch for m in self.every} | {b for m in self.every for b in m.replaces} | set(self.unreadable)


def list_manifests(layout: Layout) -> Listing:
    """Read ``_batches``: a damaged manifest is skipped with a warning naming it (once per file), never raised."""
    batches = layout.batches
    try:
        entries = sorted((e for e in os.scandir(batches) if e.name.endswith(".json")), key=lambda e: e.name)
    except FileNotFoundError:
        return Listing([], [])
    old = _MANIFEST_CACHE.get(str(batches), {})
    new: dict[str, tuple[int, int, Manifest]] = {}
    unreadable = []
    for e in entries:
        try:
            st = e.stat()
            hit = old.get(e.name)
            if hit is None or hit[0] != st.st_mtime_ns or hit[1] != st.st_size:
                hit = (st.st_mtime_ns, st.st_size, read_manifest(Path(e.path)))
        except FileNotFoundError:
            continue  # retired (moved to replaced_batches/) since the listing: its replacement is listed
        except StoreError as err:
            unreadable.append(e.name.removesuffix(".json"))
            if e.path not in _WARNED:
                _WARNED.add(e.path)
                log.warning("skipping %s", err)
            continue
        new[e.name] = hit
    _MANIFEST_CACHE[str(batches)] = new  # only what is there now: the cache never outgrows the directory
    return Listing([m for _, _, m in new.values()], unreadable)


def _write_failed(path: Path | str, e: BaseException) -> LakeWriteFailed:
    err = e.errno if isinstance(e, OSError) else None
    why = {errno.ENOSPC: "the disk is full", errno.EFBIG: "the file size limit was reached (ulimit -f)",
           errno.EDQUOT: "the disk quota is exceeded", errno.EACCES: "permission denied",
           errno.EPERM: "permission denied", errno.EROFS: "the file system is read-only"}.get(err or -1)
    if why is None:
        why = (e.strerror if isinstance(e, OSError) and e.strerror else None) or type(e).__name__
    todo = ("fix the permissions" if err in (errno.EACCES, errno.EPERM, errno.EROFS)
            else "raise the limit" if err == errno.EFBIG else "free space")
    return LakeWriteFailed(f"{path}: cannot write ({why}); {todo} and run the command again. "
                           "Nothing was committed: the lake is as it was")


@contextlib.contextmanager
def writing(path: Path | str) -> Iterator[None]:
    """Turn a failed write (OSError, Arrow or DuckDB I/O error) into one ``LakeWriteFailed`` naming ``path``."""
    import duckdb

    try:
        yield
    except (OSError, pa.ArrowException, duckdb.IOException) as e:
        raise _write_failed(path, e) from None


def _fsync_write(path: Path, data: bytes) -> None:
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lock(layout: Layout, exclusive: bool) -> int | None:
    # A file descriptor holding the lock, or None when an exclusive lock is not free right now.
    if fcntl is None:
        return None
    try:
        layout.lake.mkdir(parents=True, exist_ok=True)
        fd = os.open(layout.lake / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        if exclusive:
            return None  # a read-only lake: nothing to recover from here
        raise _write_failed(layout.lake, e) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


@contextlib.contextmanager
def commit_lock(layout: Layout) -> Iterator[Listing]:
    """Hold the lake's exclusive commit lock; yields the committed manifests as they are under it."""
    fd = None
    if fcntl is not None:
        try:
            layout.lake.mkdir(parents=True, exist_ok=True)
            fd = os.open(layout.lake / ".commit.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise _write_failed(layout.lake / ".commit.lock", e) from None
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocking: commits wait for each other (each is short)
    try:
        yield list_manifests(layout)
    finally:
        _unlock(fd)


def store_raw(layout: Layout, sha: str, data: bytes, *, compressed: bytes | None = None,
              durable: bool = True) -> Path:
    """Keep an input's raw bytes, content-addressed and compressed (zstd; idempotent).

    ``compressed``, when given, is a gzip of exactly ``data`` already made (a capture's transcript member):
    it is kept as it is (``<sha>.gz``) instead of compressing ``data`` again. ``durable=False`` skips the two
    fsyncs (the rename stays atomic): only for bytes already durable elsewhere, from where ``verify --repair``
    restores them (a capture's transcript member; docs/store.md, "Fsyncs").
    """
    path = layout.raw_blob(sha)
    if path.exists():
        return path
    path = layout.raw_blob_as(sha, GZIP if compressed is not None else ZSTD)
    fd = _lock(layout, exclusive=False)
    try:
        tmp = path.with_name(path.name + f".{secrets.token_hex(4)}.tmp")
        try:
            blob = compressed if compressed is not None else pa.compress(data, "zstd", asbytes=True)
            if durable:
                _fsync_write(tmp, blob)
            else:
                with writing(tmp):
                    tmp.parent.mkdir(parents=True, exist_ok=True)
                    tmp.write_bytes(blob)
        except LakeWriteFailed:
            tmp.unlink(missing_ok=True)
            raise
        crash_point("raw:tmp-written")
        os.replace(tmp, path)
        if durable:
            _fsync_dir(path.parent)
        crash_point("raw:stored")
    finally:
        _unlock(fd)
    return path


class RawJournal:
    """Keep an input's raw bytes as they stream by: ``store_raw`` for inputs too big to hold in memory.

    The sha256 must be known up front (a first pass over the input gives it). Nothing is visible under
    the blob's name until ``close()``; a blob already kept is not written again.

    The blob is one zstd stream (level 1, Arrow's codec): on 50 MB of Binance frames it compresses at
    ~500 MB/s against ~200 MB/s for gzip level 1, to ~6.0x against ~4.9x, and reads back faster
    (docs/store.md, "Raw journal"). Blobs kept as gzip before stay readable (``open_blob``).

    Args:
        layout: The data directory.
        sha: sha256 (hex) of the bytes that will be written.
    """

    def __init__(self, layout: Layout, sha: str) -> None:
        self.path = layout.raw_blob(sha)
        self._out: pa.NativeFile | None = None
        self._lock_fd: int | None = None
        if self.path.exists():
            return
        self.path = layout.raw_blob_as(sha, ZSTD)
        self._lock_fd = _lock(layout, exclusive=False)  # recover() must not take the temp file away
        self._tmp = self.path.with_name(self.path.name + f".{secrets.token_hex(4)}.tmp")
        try:
            with writing(self._tmp):
                self._tmp.parent.mkdir(parents=True, exist_ok=True)
                self._out = pa.CompressedOutputStream(pa.OSFile(str(self._tmp), "wb"), "zstd")
        except BaseException:
            _unlock(self._lock_fd)
            raise

    def write(self, data: bytes) -> None:
        """Append bytes (in input order)."""
        if self._out is not None:
            with writing(self._tmp):
                self._out.write(data)

    def close(self) -> Path:
        """Put the blob in place (fsynced), unless it was already kept; returns its path."""
        if self._out is not None:
            try:
                with writing(self._tmp):
                    self._out.close()
                    with open(self._tmp, "rb") as f:
                        os.fsync(f.fileno())
                crash_point("raw:tmp-written")
                os.replace(self._tmp, self.path)
                _fsync_dir(self.path.parent)
                crash_point("raw:stored")
            finally:
                self._out = None
                _unlock(self._lock_fd)
                self._lock_fd = None
        return self.path

    def discard(self) -> None:
        """Drop what was written (an aborted ingest)."""
        if self._out is not None:
            with contextlib.suppress(OSError, pa.ArrowException):
                self._out.close()
            self._tmp.unlink(missing_ok=True)
            self._out = None
        _unlock(self._lock_fd)
        self._lock_fd = None


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def read_raw(layout: Layout, sha: str) -> bytes:
    """The raw bytes of a kept input (zstd or gzip, told apart by their magic bytes).

    Raises:
        FileNotFoundError: No blob of that digest is kept.
        OSError: The blob is torn or corrupt (``EOFError`` or ``zlib.error`` for a gzip one).
    """
    blob = layout.raw_blob(sha).read_bytes()
    if blob.startswith(_ZSTD_MAGIC):
        try:
            with pa.CompressedInputStream(pa.BufferReader(blob), "zstd") as f:
                return f.read()
        except pa.ArrowException as e:  # (a torn stream is an OSError already)
            raise OSError(f"corrupt zstd blob: {e}") from None
    return gzip.decompress(blob)


@contextlib.contextmanager
def open_blob(path: Path) -> Iterator[IO[bytes]]:
    """A kept input's raw bytes as a stream (zstd or gzip by magic bytes), one buffer at a time."""
    with open(path, "rb") as f:
        zstd = f.read(4) == _ZSTD_MAGIC
    if zstd:
        with io.BufferedReader(pa.CompressedInputStream(pa.OSFile(str(path)), "zstd")) as z:
            yield z
    else:
        with gzip.open(path, "rb") as g:
            yield g  # type: ignore[misc]  # a GzipFile is a binary stream


def journal_copy(layout: Layout, batch: str) -> Path:
    """Where the raw journal keeps a copy of an ingesting batch's manifest (``verify --repair`` replays it)."""
    return layout.raw / "_batches" / f"{batch}.json"


def publish_manifest(layout: Layout, manifest: Manifest, step: str) -> None:
    """Commit ``manifest``: written aside and fsynced, then renamed into ``_batches`` (the commit point).

    ``step`` names the crash points around it (``<step>:manifest-written``, ``<step>:committed``). Every
    file it lists must already be in place; the caller holds the commit lock. A batch that ingested raw
    inputs also leaves a copy of its manifest in the raw journal, so the batch can be rebuilt from the
    journal if its manifest is ever lost.
    """
    path = layout.batches / f"{manifest.batch}.json"
    tmp = path.with_name(path.name + ".tmp")
    data = msgspec.json.encode(manifest)
    try:
        _fsync_write(tmp, data)
    except LakeWriteFailed:
        tmp.unlink(missing_ok=True)
        raise
    crash_point(f"{step}:manifest-written")
    os.replace(tmp, path)  # <- the commit point
    _fsync_dir(path.parent)
    crash_point(f"{step}:committed")
    if manifest.inputs and not manifest.replaces:
        copy = journal_copy(layout, manifest.batch)
        with contextlib.suppress(LakeWriteFailed):  # committed already; the copy is only for repairs
            _fsync_write(copy.with_name(copy.name + ".tmp"), data)
            os.replace(copy.with_name(copy.name + ".tmp"), copy)


def retire_manifests(layout: Layout, batches: list[str], step: str) -> int:
    """Move the manifests of replaced ``batches`` to ``replaced_batches/`` (kept as provenance), then delete
    their files that no manifest still lists (provably garbage: a committed batch holds their rows).

    Runs under the commit lock (and the shared lake lock, so ``recover()`` never lists mid-move). Only a
    batch that a committed manifest replaces is retired. ``step`` names the crash point after each move
    (``<step>:manifest-retired``). Returns how many moved.
    """
    archive = layout.root / "replaced_batches"
    moved = 0
    fd = _lock(layout, exclusive=False)
    try:
        with commit_lock(layout) as listing:
            replaced = {b for m in listing.every for b in m.replaces}
            by_id = {m.batch: m for m in listing.every}
            gone: list[Manifest] = []
            for b in batches:
                src = layout.batches / f"{b}.json"
                if b in replaced and b in by_id and src.exists():
                    archive.mkdir(parents=True, exist_ok=True)
                    os.replace(src, archive / f"{b}.json")
                    gone.append(by_id[b])
                    moved += 1
                    crash_point(f"{step}:manifest-retired")
            if moved:
                _fsync_dir(layout.batches)
                listed = {rel for m in listing.every if m not in gone for rel in m.files}
                for m in gone:
                    for rel in m.files:
                        if rel not in listed:
                            (layout.lake / rel).unlink(missing_ok=True)
    finally:
        _unlock(fd)
    return moved


def _is_table_part(final: Path, layout: Layout) -> bool:
    return final.suffix == ".parquet" and final.is_relative_to(layout.lake)


class BatchWriter:
    """Stage tables and text files, then commit them all at once (see the module comment).

    Args:
        layout: The data directory.
        batch: Batch id to commit under; default: a new one.
        known: Batch ids whose record keys the caller already checked its own keys against (e.g. the
            manifests it read when it looked for records already present). The commit re-checks the
            staged record keys against every other committed batch. None: re-check against all of them.
        done: For batches without record keys (market tables): called with the committed batches under
            the commit lock; True means another writer already committed this input, so nothing is.
    """

    def __init__(self, layout: Layout, batch: str | None = None, known: set[str] | None = None,
                 done: Callable[[list[Manifest]], bool] | None = None) -> None:
        self.layout = layout
        self.batch = batch or new_batch_id()
        self.known = known
        self.done = done  # checked on the committed batches under the commit lock: True = already done
        self._staged: list[tuple[Path, Path]] = []  # (tmp, final)
        self._lock_fd: int | None = None
        self.inputs: list[str] = []
        self.dropped_records = self.dropped_events = 0  # already committed by another writer meanwhile
        self.emptied = False                             # ... all of them: committed with no files
        self.seen: set[str] = set()                      # batch ids present at the commit (ours included)

    def _stage(self, final: Path) -> Path:
        if not self._staged and self._lock_fd is None:
            self._lock_fd = _lock(self.layout, exclusive=False)
        with writing(final.parent):
            final.parent.mkdir(parents=True, exist_ok=True)
        return final.with_name(final.name + ".tmp")

    def add_table(self, final: Path, table: pa.Table) -> None:
        tmp = self._stage(final)
        self._staged.append((tmp, final))
        with writing(tmp):
            pq.write_table(table, tmp, **parquet_options(table.schema))
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        crash_point("stage:table")

    def add_lines(self, final: Path, lines: Iterable[bytes]) -> None:
        tmp = self._stage(final)
        self._staged.append((tmp, final))
        _fsync_write(tmp, b"".join(line + b"\n" for line in lines))
        crash_point("stage:lines")

    def append_lines(self, final: Path, lines: Iterable[bytes]) -> None:
        """Append lines to a staged text file (staged on the first call): for files written in chunks."""
        if not any(f == final for _, f in self._staged):
            tmp = self._stage(final)
            self._staged.append((tmp, final))
            with writing(tmp):
                tmp.write_bytes(b"")
        tmp = final.with_name(final.name + ".tmp")
        with writing(tmp), open(tmp, "ab") as f:
            f.write(b"".join(line + b"\n" for line in lines))
            f.flush()
            os.fsync(f.fileno())
        crash_point("stage:lines")

    def _recheck(self, listing: Listing) -> bool:
        # Drop staged records (and their events and quarantine lines) that a batch committed since the
        # caller looked already holds. False when nothing of the batch is left to commit.
        lake = self.layout.lake
        ours = [tmp for tmp, final in self._staged
                if _is_table_part(final, self.layout) and final.relative_to(lake).parts[0] == "records"]
        if not ours:
            return True
        known = self.known or set()
        theirs = [lake / rel for m in listing.live()
                  if m.batch not in known and not (m.replaces and set(m.replaces) <= known)
                  for rel in m.files if rel.startswith("records/")]
        if not theirs:
            return True
        import duckdb

        from liqscope.store._catalog import _sql_str

        con = duckdb.connect(":memory:")
        try:
            with _reading(theirs):
                dup = con.execute(
                    f"SELECT record_key, raw_ref FROM read_parquet([{', '.join(_sql_str(str(p)) for p in ours)}]) "
                    f"WHERE record_key IN (SELECT record_key FROM read_parquet("
                    f"[{', '.join(_sql_str(str(p)) for p in theirs)}], union_by_name = true))").fetchall()
        finally:
            con.close()
        if not dup:
            return True
        crash_point("commit:rechecked-dropped")
        keys = pa.array(sorted({k for k, _ in dup}), pa.string())
        refs = {r for _, r in dup}
        self.dropped_records = len(dup)
        kept: list[tuple[Path, Path]] = []
        import pyarrow.compute as pc

        for tmp, final in self._staged:
            if _is_table_part(final, self.layout):
                table = pq.read_table(tmp)
                if "record_key" in table.column_names:
                    left = table.filter(pc.invert(pc.is_in(table.column("record_key"), value_set=keys)))
                    if final.relative_to(lake).parts[0] == "events":
                        self.dropped_events += table.num_rows - left.num_rows
                    if left.num_rows != table.num_rows:
                        if not left.num_rows:
                            tmp.unlink()
                            continue
                        with writing(tmp):
                            pq.write_table(left, tmp, **parquet_options(left.schema))
                            with open(tmp, "rb") as f:
                                os.fsync(f.fileno())
            elif final.suffix == ".jsonl":
                lines = [ln for ln in tmp.read_bytes().splitlines()
                         if msgspec.json.decode(ln).get("raw_ref") not in refs]
                if not lines:
                    tmp.unlink()
                    continue
                _fsync_write(tmp, b"".join(ln + b"\n" for ln in lines))
            kept.append((tmp, final))
        self._staged = kept
        return any(_is_table_part(f, self.layout) and f.relative_to(lake).parts[0] == "records" for _, f in kept)

    def commit(self, meta: dict[str, str] | None = None) -> Manifest | None:
        """Commit what is staged (see the module comment).

        When every staged record turns out to be committed already by another writer, the batch commits no
        file (``emptied``; a manifest naming its raw inputs, or None when it has none). None too when
        ``done`` says the input is committed already.
        """
        lake = self.layout.lake
        try:
            with commit_lock(self.layout) as listing:
                if self.done is not None and self.done(listing.live()):
                    self.abort()
                    return None
                if not self._recheck(listing):
                    self.abort()
                    if not self.inputs:
                        return None
                    # Every record was committed by another writer meanwhile. The raw input is kept, so say
                    # that this batch read it: a manifest with no files, and no raw blob left unaccounted for.
                    self.emptied = True
                events = self.layout.events
                if any(final.is_relative_to(events) for _, final in self._staged) and (
                        old := older_id_schemes(listing.live())):
                    # Dedupe compares event ids: rows of two schemes would count one liquidation twice.
                    self.abort()
                    raise StoreError(f"{lake}: {len(old)} committed batch(es) ({old[0]}, ...) hold event ids of "
                                     f"an older id scheme than this liqscope writes ({ID_SCHEME}); run `liqscope "
                                     "migrate` to rebuild them from the raw journal, then write again")
                for tmp_file, final in self._staged:
                    os.replace(tmp_file, final)  # final names, still listed by no manifest: invisible
                    crash_point("commit:file-in-place")
                for parent in sorted({final.parent for _, final in self._staged}):
                    _fsync_dir(parent)
                manifest = Manifest(batch=self.batch, created_ns=time.time_ns(),
                                    files=[os.path.relpath(final, lake) for _, final in self._staged],
                                    inputs=list(self.inputs), meta=meta or {}, id_scheme=ID_SCHEME)
                try:
                    publish_manifest(self.layout, manifest, "commit")
                except LakeWriteFailed:
                    for _, final in self._staged:  # ours, never listed: the lake is as it was
                        final.unlink(missing_ok=True)
                    raise
                self.seen = listing.names() | {self.batch}
        finally:
            _unlock(self._lock_fd)
            self._lock_fd = None
        return manifest

    def abort(self) -> None:
        for tmp_file, _ in self._staged:
            tmp_file.unlink(missing_ok=True)
        self._staged = []
        _unlock(self._lock_fd)
        self._lock_fd = None


def commit_replacement(layout: Layout, manifest: Manifest, merged: set[str], step: str) -> Manifest:
    """Commit a batch that replaces ``merged`` (a compaction or a capture rollup), whose files are in place.

    Under the commit lock: refused with ``CommitConflict`` when any merged batch is already replaced or no
    longer committed (another compaction or rollup got there first: the caller re-plans or gives up and
    deletes its own files). Its ``replaces`` become ``merged`` and every batch those replaced, so retiring
    manifests in any order never brings a replaced batch back.
    """
    with commit_lock(layout) as listing:
        by_id = {m.batch: m for m in listing.every}
        replaced = {b for m in listing.every for b in m.replaces}
        lost = sorted(b for b in merged if b in replaced or b not in by_id)
        if lost:
            crash_point(f"{step}:conflict")
            raise CommitConflict(f"batches {', '.join(lost[:3])}{' ...' if len(lost) > 3 else ''} were "
                                 "replaced by another commit meanwhile")
        replaces = set(merged) | {b for m in merged for b in by_id[m].replaces}
        manifest = msgspec.structs.replace(manifest, created_ns=time.time_ns(), replaces=sorted(replaces))
        publish_manifest(layout, manifest, step)
        return manifest


class Recovered(msgspec.Struct, kw_only=True):
    """What ``recover`` did: files rolled forward, garbage deleted, files moved aside (and where)."""

    forward: int = 0
    removed: int = 0
    moved: list[str] = []
    orphans: str | None = None


def recover(layout: Layout) -> Recovered:
    """Clean up after crashed writers; never touch a live writer's files, never delete what is not garbage.

    Deleted: temp files (``*.tmp``: never renamed into place, so never listed) and files of batches whose
    manifest was retired to ``replaced_batches/`` (a committed batch holds their rows). Rolled forward: a
    batch committed by an older writer that renamed its files after the manifest. Moved aside to
    ``DATA_DIR/orphans/<time>/`` (same relative path) and reported: every other file no manifest lists (a
    batch that never committed, or whose manifest was lost). Raw blobs are never touched. Runs only while no
    writer holds the lake lock, and does nothing otherwise. Called by writers, never by readers.
    """
    out = Recovered()
    if not layout.lake.exists():
        return out
    fd = _lock(layout, exclusive=True)
    if fd is None:
        return out
    try:
        listing = list_manifests(layout)
        committed = {m.batch for m in listing.every} | set(listing.unreadable)
        archive = layout.root / "replaced_batches"
        retired = {p.stem for p in archive.glob("*.json")} if archive.exists() else set()
        listed: set[str] = set()
        for manifest in listing.every:
            for rel in manifest.files:
                final = Path(os.path.normpath(layout.lake / rel))
                listed.add(str(final))
                tmp = final.with_name(final.name + ".tmp")
                if not final.exists() and tmp.exists():
                    os.replace(tmp, final)
                    out.forward += 1
                    crash_point("recover:rolled-forward")
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{secrets.token_hex(2)}"
        for root in (layout.lake, layout.quarantine, layout.raw):
            if not root.exists():
                continue
            for path in sorted(root.rglob("*")):
                if not path.is_file() or str(path) in listed or path.name.startswith("."):
                    continue
                if path.name.endswith(".tmp"):
                    path.unlink(missing_ok=True)
                    out.removed += 1
                    crash_point("recover:removed")
                    continue
                if root == layout.raw or path.parent == layout.batches:
                    continue
                batch = _BATCH_ID.search(path.name)
                if batch is not None and batch.group() in committed:
                    continue  # a file of a committed batch it does not list: not ours to judge
                if batch is not None and batch.group() in retired:
                    path.unlink(missing_ok=True)  # replaced by a committed batch: garbage
                    out.removed += 1
                    crash_point("recover:removed")
                    continue
                dest = layout.root / "orphans" / stamp / path.relative_to(layout.root)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, dest)
                out.moved.append(str(path.relative_to(layout.root)))
                out.orphans = str(layout.root / "orphans" / stamp)
                crash_point("recover:moved-aside")
        if out.moved:
            log.warning("moved %d file(s) that no committed manifest lists aside to %s (nothing counts them; "
                        "`liqscope verify` says whether the raw journal can rebuild a lost batch)",
                        len(out.moved), out.orphans)
    finally:
        _unlock(fd)
    return out


@contextlib.contextmanager
def _reading(files: list[Path]) -> Iterator[None]:
    # A DuckDB/Arrow read of committed files failed: name the first one that is torn or missing.
    import duckdb

    try:
        yield
    except (duckdb.IOException, duckdb.InvalidInputException, OSError, pa.ArrowException) as e:
        raise damaged(files, e) from None


def first_damaged(files: Iterable[Path]) -> StoreError | None:
    """A ``LakeDamaged`` naming the first of ``files`` that is missing or not readable Parquet (None: all read)."""
    from liqscope.errors import LakeDamaged

    for path in files:
        try:
            pq.read_metadata(path)
        except FileNotFoundError:
            gone = LakeDamaged(f"{path}: a committed lake file is missing; run `liqscope verify`")
            gone.missing = True  # type: ignore[attr-defined]  # (a retired file: list again and retry)
            return gone
        except (OSError, pa.ArrowException):
            return LakeDamaged(f"{path}: a committed lake file is torn or not Parquet; run `liqscope verify`")
    return None


def damaged(files: Iterable[Path], e: BaseException) -> StoreError:
    """A ``LakeDamaged`` naming the first of ``files`` that is missing or not readable Parquet."""
    from liqscope.errors import LakeDamaged

    return first_damaged(files) or LakeDamaged(
        f"a committed lake file could not be read ({type(e).__name__}); run `liqscope verify`")
