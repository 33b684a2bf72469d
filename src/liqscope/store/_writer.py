# Crash-safe batch commit.
#
# A batch writes every file under a temporary name (`*.tmp`), fsyncs it, renames it to its final name
# and fsyncs the directories; only then does it write its manifest `_batches/<batch>.json` with an
# atomic rename: that rename is the commit. Readers only read files named by committed manifests, so a
# torn, partial or uncommitted file is never visible, and every file a manifest names is complete and
# in place before the manifest appears (a reader never finds a listed file missing).
#
# A writer holds a SHARED lock on `lake/.lock` while it has files staged; `recover()` deletes leftovers
# (temp files, files of batches that never committed) only under an EXCLUSIVE non-blocking lock, so it
# never touches a live writer's files. The kernel drops the lock of a killed process.
from __future__ import annotations

import gzip
import itertools
import os
import re
import secrets
import signal
import time
from collections.abc import Iterable
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from liqscope.errors import StoreError
from liqscope.store._layout import Layout

try:
    import fcntl
except ImportError:  # Windows: no flock; recover() then leaves leftovers alone (they stay invisible)
    fcntl = None  # type: ignore[assignment]  # the module or None; callers check

_BATCH_ID = re.compile(r"\d{20}-[0-9a-f]{8}")

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
    created_ns: int
    files: list[str]                 # relative to the lake root
    inputs: list[str] = []           # raw blob sha256s this batch ingested
    meta: dict[str, str] = {}
    # Batches this one supersedes (written by `liqscope compact`): their files no longer count, since
    # this batch holds the same rows. Catalog.manifests() leaves every batch named here out.
    replaces: list[str] = []


def new_batch_id() -> str:
    # Time-ordered so manifests list in commit order; random suffix so concurrent writers never clash.
    return f"{time.time_ns():020d}-{secrets.token_hex(4)}"


def read_manifest(path: Path) -> Manifest:
    try:
        return msgspec.json.decode(path.read_bytes(), type=Manifest)
    except (OSError, msgspec.DecodeError) as e:
        raise StoreError(f"{path}: unreadable batch manifest ({e}); run `liqscope verify`") from None


def _fsync_write(path: Path, data: bytes) -> None:
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
        raise StoreError(f"{layout.lake}: cannot write the lake: {e.strerror or e}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def store_raw(layout: Layout, sha: str, data: bytes) -> Path:
    """Keep an input's raw bytes, content-addressed and gzip-compressed (idempotent)."""
    path = layout.raw_blob(sha)
    if path.exists():
        return path
    fd = _lock(layout, exclusive=False)
    try:
        tmp = path.with_name(path.name + f".{secrets.token_hex(4)}.tmp")
        _fsync_write(tmp, gzip.compress(data, compresslevel=6, mtime=0))
        crash_point("raw:tmp-written")
        os.replace(tmp, path)
        _fsync_dir(path.parent)
        crash_point("raw:stored")
    finally:
        _unlock(fd)
    return path


class RawJournal:
    """Keep an input's raw bytes as they stream by: ``store_raw`` for inputs too big to hold in memory.

    The sha256 must be known up front (a first pass over the input gives it). Nothing is visible under
    the blob's name until ``close()``; a blob already kept is not written again.

    Args:
        layout: The data directory.
        sha: sha256 (hex) of the bytes that will be written.
        level: gzip level (1 by default: ~3.5x faster than 6 for ~20% more bytes, and this runs once per
            byte ingested; the blob decompresses the same at any level).
    """

    def __init__(self, layout: Layout, sha: str, level: int = 1) -> None:
        self.path = layout.raw_blob(sha)
        self._gz: gzip.GzipFile | None = None
        self._lock_fd: int | None = None
        if self.path.exists():
            return
        self._lock_fd = _lock(layout, exclusive=False)  # recover() must not take the temp file away
        self._tmp = self.path.with_name(self.path.name + f".{secrets.token_hex(4)}.tmp")
        self._tmp.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self._tmp, "wb")  # noqa: SIM115 - closed by close()/discard()
        self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=self._file, compresslevel=level, mtime=0)

    def write(self, data: bytes) -> None:
        """Append bytes (in input order)."""
        if self._gz is not None:
            self._gz.write(data)

    def close(self) -> Path:
        """Put the blob in place (fsynced), unless it was already kept; returns its path."""
        if self._gz is not None:
            try:
                self._gz.close()
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
                crash_point("raw:tmp-written")
                os.replace(self._tmp, self.path)
                _fsync_dir(self.path.parent)
                crash_point("raw:stored")
            finally:
                self._gz = None
                _unlock(self._lock_fd)
                self._lock_fd = None
        return self.path

    def discard(self) -> None:
        """Drop what was written (an aborted ingest)."""
        if self._gz is not None:
            self._file.close()
            self._tmp.unlink(missing_ok=True)
            self._gz = None
        _unlock(self._lock_fd)
        self._lock_fd = None


def read_raw(layout: Layout, sha: str) -> bytes:
    """The raw bytes of a kept input."""
    return gzip.decompress(layout.raw_blob(sha).read_bytes())


def publish_manifest(layout: Layout, manifest: Manifest, step: str) -> None:
    """Commit ``manifest``: written aside and fsynced, then renamed into ``_batches`` (the commit point).

    ``step`` names the crash points around it (``<step>:manifest-written``, ``<step>:committed``). Every
    file it lists must already be in place; the caller holds the lake lock.
    """
    path = layout.batches / f"{manifest.batch}.json"
    tmp = path.with_name(path.name + ".tmp")
    _fsync_write(tmp, msgspec.json.encode(manifest))
    crash_point(f"{step}:manifest-written")
    os.replace(tmp, path)  # <- the commit point
    _fsync_dir(path.parent)
    crash_point(f"{step}:committed")


def retire_manifests(layout: Layout, batches: list[str], step: str) -> int:
    """Move the manifests of replaced ``batches`` to ``replaced_batches/`` (kept as provenance), leaving
    their files unlisted; under the shared lock, so ``recover()`` never lists the manifests mid-move.

    ``step`` names the crash point after each move (``<step>:manifest-retired``). Returns how many moved.
    """
    archive = layout.root / "replaced_batches"
    archive.mkdir(parents=True, exist_ok=True)
    moved = 0
    fd = _lock(layout, exclusive=False)
    try:
        for b in batches:
            src = layout.batches / f"{b}.json"
            if src.exists():
                os.replace(src, archive / f"{b}.json")
                moved += 1
                crash_point(f"{step}:manifest-retired")
        if moved:
            _fsync_dir(layout.batches)
    finally:
        _unlock(fd)
    return moved


class BatchWriter:
    """Stage tables and text files, then commit them all at once."""

    def __init__(self, layout: Layout, batch: str | None = None) -> None:
        self.layout = layout
        self.batch = batch or new_batch_id()
        self._staged: list[tuple[Path, Path]] = []  # (tmp, final)
        self._lock_fd: int | None = None
        self.inputs: list[str] = []

    def _stage(self, final: Path) -> Path:
        if not self._staged and self._lock_fd is None:
            self._lock_fd = _lock(self.layout, exclusive=False)
        final.parent.mkdir(parents=True, exist_ok=True)
        return final.with_name(final.name + ".tmp")

    def add_table(self, final: Path, table: pa.Table) -> None:
        tmp = self._stage(final)
        self._staged.append((tmp, final))
        pq.write_table(table, tmp, compression="zstd")
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
            tmp.write_bytes(b"")
        tmp = final.with_name(final.name + ".tmp")
        with open(tmp, "ab") as f:
            f.write(b"".join(line + b"\n" for line in lines))
            f.flush()
            os.fsync(f.fileno())
        crash_point("stage:lines")

    def commit(self, meta: dict[str, str] | None = None) -> Manifest:
        lake = self.layout.lake
        try:
            for tmp_file, final in self._staged:
                os.replace(tmp_file, final)  # final names, still listed by no manifest: invisible
                crash_point("commit:file-in-place")
            for parent in sorted({final.parent for _, final in self._staged}):
                _fsync_dir(parent)
            manifest = Manifest(batch=self.batch, created_ns=time.time_ns(),
                                files=[os.path.relpath(final, lake) for _, final in self._staged],
                                inputs=list(self.inputs), meta=meta or {})
            publish_manifest(self.layout, manifest, "commit")
        finally:
            _unlock(self._lock_fd)
            self._lock_fd = None
        return manifest

    def abort(self) -> None:
        for tmp_file, _ in self._staged:
            tmp_file.unlink(missing_ok=True)
        _unlock(self._lock_fd)
        self._lock_fd = None


def recover(layout: Layout) -> tuple[int, int]:
    """Delete what crashed writers left behind; never touch a live writer's files.

    Leftovers are temp files and files of batches whose manifest was never committed: no reader sees
    them (readers list files from manifests), so this only reclaims space. It also rolls forward a
    batch committed by an older writer that renamed its files after the manifest. It runs only while
    no writer holds the lake lock, and does nothing otherwise.

    Returns:
        (files rolled forward, leftover files removed).
    """
    if not layout.lake.exists():
        return 0, 0
    fd = _lock(layout, exclusive=True)
    if fd is None:
        return 0, 0
    forward = removed = 0
    try:
        committed: set[str] = set()
        listed: set[str] = set()
        for mpath in layout.batches.glob("*.json") if layout.batches.exists() else []:
            manifest = read_manifest(mpath)
            committed.add(manifest.batch)
            for rel in manifest.files:
                final = Path(os.path.normpath(layout.lake / rel))
                listed.add(str(final))
                tmp = final.with_name(final.name + ".tmp")
                if not final.exists() and tmp.exists():
                    os.replace(tmp, final)
                    forward += 1
                    crash_point("recover:rolled-forward")
        for root in (layout.lake, layout.quarantine, layout.raw):
            if not root.exists():
                continue
            for path in root.rglob("*"):
                if not path.is_file() or str(path) in listed:
                    continue
                batch = _BATCH_ID.search(path.name)
                uncommitted = root != layout.raw and batch is not None and batch.group() not in committed
                if path.name.endswith(".tmp") or uncommitted:
                    path.unlink(missing_ok=True)
                    removed += 1
                    crash_point("recover:removed")
    finally:
        _unlock(fd)
    return forward, removed
