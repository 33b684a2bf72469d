# Crash-safe batch commit.
#
# A batch writes every file under a temporary name (`*.tmp`, invisible to readers), fsyncs them,
# then writes its manifest `_batches/<batch>.json` with an atomic rename: that rename is the commit.
# Files are then renamed into place. Readers only read files named by committed manifests, so a torn
# or partial file is never visible; `recover()` rolls committed batches forward and deletes orphans.
from __future__ import annotations

import gzip
import os
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from liqscope.store._layout import Layout


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    batch: str
    created_ns: int
    files: list[str]                 # relative to the lake root
    inputs: list[str] = []           # raw blob sha256s this batch ingested
    meta: dict[str, str] = {}


def new_batch_id() -> str:
    # Time-ordered so manifests list in commit order; random suffix so concurrent writers never clash.
    return f"{time.time_ns():020d}-{secrets.token_hex(4)}"


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


def store_raw(layout: Layout, sha: str, data: bytes) -> Path:
    """Keep an input's raw bytes, content-addressed and gzip-compressed (idempotent)."""
    path = layout.raw_blob(sha)
    if path.exists():
        return path
    tmp = path.with_name(path.name + f".{secrets.token_hex(4)}.tmp")
    _fsync_write(tmp, gzip.compress(data, compresslevel=6, mtime=0))
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    return path


def read_raw(layout: Layout, sha: str) -> bytes:
    """The raw bytes of a kept input."""
    return gzip.decompress(layout.raw_blob(sha).read_bytes())


class BatchWriter:
    """Stage tables and text files, then commit them all at once."""

    def __init__(self, layout: Layout, batch: str | None = None) -> None:
        self.layout = layout
        self.batch = batch or new_batch_id()
        self._staged: list[tuple[Path, Path]] = []  # (tmp, final)
        self.inputs: list[str] = []

    def add_table(self, final: Path, table: pa.Table) -> None:
        tmp = final.with_name(final.name + ".tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        self._staged.append((tmp, final))

    def add_lines(self, final: Path, lines: Iterable[bytes]) -> None:
        tmp = final.with_name(final.name + ".tmp")
        _fsync_write(tmp, b"".join(line + b"\n" for line in lines))
        self._staged.append((tmp, final))

    def commit(self, meta: dict[str, str] | None = None) -> Manifest:
        lake = self.layout.lake
        manifest = Manifest(batch=self.batch, created_ns=time.time_ns(),
                            files=[os.path.relpath(final, lake) for _, final in self._staged],
                            inputs=list(self.inputs), meta=meta or {})
        path = self.layout.batches / f"{self.batch}.json"
        tmp = path.with_name(path.name + ".tmp")
        _fsync_write(tmp, msgspec.json.encode(manifest))
        os.replace(tmp, path)            # <- the commit point
        _fsync_dir(path.parent)
        for tmp_file, final in self._staged:
            os.replace(tmp_file, final)
        return manifest

    def abort(self) -> None:
        for tmp_file, _ in self._staged:
            tmp_file.unlink(missing_ok=True)


def recover(layout: Layout) -> tuple[int, int]:
    """Finish committed batches whose renames were cut short; delete uncommitted temp files.

    Returns:
        (files rolled forward, orphan temp files removed).
    """
    forward = removed = 0
    committed: set[Path] = set()
    if layout.batches.exists():
        for mpath in layout.batches.glob("*.json"):
            manifest = msgspec.json.decode(mpath.read_bytes(), type=Manifest)
            for rel in manifest.files:
                final = layout.lake / rel
                tmp = final.with_name(final.name + ".tmp")
                committed.add(tmp)
                if tmp.exists():
                    os.replace(tmp, final)
                    forward += 1
    for root in (layout.lake, layout.root / "quarantine", layout.raw):
        if root.exists():
            for tmp in root.rglob("*.tmp"):
                if tmp not in committed:
                    tmp.unlink(missing_ok=True)
                    removed += 1
    return forward, removed
