# Read an ingest input as a stream, twice: a scan (sha256, marker, which records may repeat), then the
# ingest itself. Memory stays bounded by one chunk, whatever the size of the file.
#
# Why two passes: a record's raw reference is `<sha256 of the whole input>:<line>` and its key counts
# earlier exact copies of it in the same file, so both must be known before the first chunk is written.
# The scan keeps one 8-byte hash per record; records whose hash occurs once cannot repeat anything, and
# only the rest (usually none) are tracked exactly during the ingest.
from __future__ import annotations

import array
import gzip
import hashlib
import io
import queue
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from liqscope.errors import InputUnreadable
from liqscope.simulate import SYNTHETIC_MARKER

BLOCK = 4 << 20              # bytes read at a time
CHUNK_RECORDS = 100_000      # records normalized and written together
CHUNK_BYTES = 64 << 20       # ... or fewer when they are large (Hyperliquid blocks run to 68 KB a line)

_DECOMPRESS_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile)


class _Reader(Protocol):  # what Input needs of an opened file: a plain, gzip or zip-member stream
    def read(self, size: int = -1, /) -> bytes: ...


class Input:
    """One input: a file read as a stream (plain, gzip or single-file zip), or bytes in memory.

    Attributes:
        name: The name that carries meaning (a zip member's own name, ``.gz`` removed).
    """

    def __init__(self, where: str, name: str, opener: Callable[[], AbstractContextManager[_Reader]]) -> None:
        self._where = where
        self.name = name
        self._opener = opener

    def blocks(self, limit: int | None = None) -> Iterator[bytes]:
        """The decompressed bytes, a block at a time; at most ``limit`` bytes when given."""
        left = limit
        try:
            with self._opener() as f:
                while left is None or left > 0:
                    block = f.read(BLOCK if left is None else min(BLOCK, left))
                    if not block:
                        return
                    if left is not None:
                        left -= len(block)
                    yield block
        except _DECOMPRESS_ERRORS as e:
            raise InputUnreadable(f"{self._where}: cannot decompress: {e}") from None

    def read(self) -> bytes:
        """All the decompressed bytes (formats whose splitter needs the whole file)."""
        return b"".join(self.blocks())


def open_input(path: Path) -> Input:
    """An ``Input`` reading ``path``; gzip and single-file zip are decompressed as they stream."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
        if magic[:2] == b"\x1f\x8b":
            return Input(str(path), path.name.removesuffix(".gz"), lambda: gzip.open(path, "rb"))
        if magic == b"PK\x03\x04":
            with zipfile.ZipFile(path) as zf:
                members = [m for m in zf.namelist() if not m.endswith("/")]
            if len(members) != 1:
                raise InputUnreadable(f"{path}: expected one file inside the zip, found {len(members)}")
            return Input(str(path), members[0].rsplit("/", 1)[-1], lambda: _zip_member(path, members[0]))
    except zipfile.BadZipFile as e:
        raise InputUnreadable(f"{path}: cannot decompress: {e}") from None
    except OSError as e:
        raise InputUnreadable(f"{path}: cannot read: {e.strerror or e}") from None
    return Input(str(path), path.name, lambda: open(path, "rb"))


def bytes_input(data: bytes, name: str) -> Input:
    """An ``Input`` over bytes already in memory (``liqscope verify`` replays a journal this way)."""
    return Input(name, name, lambda: io.BytesIO(data))


class _ZipMember(io.RawIOBase):
    # The member's stream closes its archive with it.
    def __init__(self, zf: zipfile.ZipFile, member: str) -> None:
        self._zf, self._f = zf, zf.open(member)

    def read(self, size: int = -1) -> bytes:
        return self._f.read(size)

    def close(self) -> None:
        self._f.close()
        self._zf.close()
        super().close()


def _zip_member(path: Path, member: str) -> _ZipMember:
    return _ZipMember(zipfile.ZipFile(path), member)


def line_chunks(blocks: Iterable[bytes], max_records: int | None = None,
                max_bytes: int | None = None) -> Iterator[list[bytes]]:
    """JSON-lines records, in lists of about ``max_records`` (default ``CHUNK_RECORDS``): every line split
    on ``\\n`` with a trailing ``\\r`` removed; interior blank lines are records (bad ones), a last empty
    line is not."""
    max_records, max_bytes = max_records or CHUNK_RECORDS, max_bytes or CHUNK_BYTES
    tail = b""
    pending: list[bytes] = []
    size = 0
    for block in blocks:
        if tail:
            block = tail + block
        parts = block.split(b"\n")
        tail = parts.pop()
        if b"\r" in block:
            parts = [p.rstrip(b"\r") for p in parts]
        pending += parts
        size += len(block) - len(tail)
        if len(pending) >= max_records:
            while len(pending) >= max_records:
                yield pending[:max_records]
                pending = pending[max_records:]
            size = sum(map(len, pending))
        if size >= max_bytes and pending:
            yield pending
            pending, size = [], 0
    tail = tail.rstrip(b"\r")
    if tail:
        pending.append(tail)
    if pending:
        yield pending


def record_chunks(records: Iterable[tuple[int, bytes]], max_records: int | None = None,
                  max_bytes: int | None = None) -> Iterator[tuple[list[int], list[bytes]]]:
    """``(line numbers, records)`` in lists of ``max_records`` (default ``CHUNK_RECORDS``), from a format's
    splitter."""
    max_records, max_bytes = max_records or CHUNK_RECORDS, max_bytes or CHUNK_BYTES
    lines: list[int] = []
    raws: list[bytes] = []
    size = 0
    for n, raw in records:
        lines.append(n)
        raws.append(raw)
        size += len(raw)
        if len(raws) >= max_records or size >= max_bytes:
            yield lines, raws
            lines, raws, size = [], [], 0
    if raws:
        yield lines, raws


class Background:
    """Feed blocks, in order, to ``sinks`` on a worker thread.

    hashlib and zlib release the GIL on large buffers, so hashing and compressing the raw journal run
    on the second core while this one splits and normalizes. An error in a sink is raised by ``close()``.
    """

    def __init__(self, *sinks: Callable[[bytes], object]) -> None:
        self._sinks = sinks
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="liqscope-ingest-io", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (block := self._queue.get()) is not None:
            if self._error is None:
                try:
                    for sink in self._sinks:
                        sink(block)
                except BaseException as e:  # handed to the caller by close()
                    self._error = e

    def put(self, block: bytes) -> None:
        """Queue one block (waits while 8 are queued: memory stays bounded)."""
        self._queue.put(block)

    def tap(self, blocks: Iterable[bytes]) -> Iterator[bytes]:
        """Queue every block of ``blocks`` and pass it on."""
        for block in blocks:
            self.put(block)
            yield block

    def close(self) -> None:
        """Wait for the queued blocks; raise what a sink raised."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


@dataclass
class Scan:
    """What the first pass learned about an input.

    Attributes:
        sha256: Hex sha256 of the (decompressed) bytes: the raw journal's name.
        size: How many bytes were read (the second pass reads no more, even if the file grows).
        records: How many records it holds.
        synthetic: It carries the simulator's marker somewhere.
        candidates: Ordinals (0-based) of records whose 8-byte hash occurs more than once: only these
            may be an exact repeat of an earlier record.
    """

    sha256: str = ""
    size: int = 0
    records: int = 0
    synthetic: bool = False
    candidates: set[int] = field(default_factory=set)


def scan_stream(blocks: Iterable[bytes]) -> Scan:
    """First pass over a JSON-lines stream."""
    sha = hashlib.sha256()
    out = Scan()
    hashes = array.array("q")
    bg = Background(sha.update)
    try:
        for chunk in line_chunks(_sized(bg.tap(blocks), out)):
            hashes.extend(map(hash, chunk))
    finally:
        bg.close()
    out.sha256, out.records = sha.hexdigest(), len(hashes)
    out.candidates = _repeat_candidates(hashes)
    return out


def _sized(blocks: Iterable[bytes], out: Scan) -> Iterator[bytes]:
    # Counts bytes and looks for the simulator's marker (also across block boundaries) on the way.
    edge = b""
    keep = len(SYNTHETIC_MARKER) - 1
    for block in blocks:
        out.size += len(block)
        if not out.synthetic and (SYNTHETIC_MARKER in edge + block[:keep] or SYNTHETIC_MARKER in block):
            out.synthetic = True
        edge = block[-keep:]
        yield block


def scan_records(data: bytes, records: Iterable[tuple[int, bytes]]) -> Scan:
    """First pass over a format's records (the whole input is in memory: its splitter needs it)."""
    hashes = array.array("q", (hash(raw) for _, raw in records))
    return Scan(sha256=hashlib.sha256(data).hexdigest(), size=len(data), records=len(hashes),
                synthetic=SYNTHETIC_MARKER in data, candidates=_repeat_candidates(hashes))


def _repeat_candidates(hashes: array.array[int]) -> set[int]:
    if len(hashes) < 2:
        return set()
    values = pa.Array.from_buffers(pa.int64(), len(hashes), [None, pa.py_buffer(hashes)])
    ordered = values.sort()
    same = pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))
    repeated = pc.unique(ordered.slice(1).filter(same))
    if not len(repeated):
        return set()
    return set(pc.indices_nonzero(pc.is_in(values, value_set=repeated)).to_pylist())
