# Read an ingest input as a stream, twice: a scan (sha256, marker, which records may repeat), then the
# ingest itself. Memory stays bounded whatever the input (docs/store.md, "Input"): one block, one chunk
# of records, and at most MAX_RECORD_BYTES of a line still being read; a longer line is hashed and
# skipped, not accumulated, and blank lines are counted, not kept.
#
# Why two passes: a record's raw reference is `<sha256 of the whole input>:<line>` and its key counts
# earlier exact copies of it in the same file, so both must be known before the first chunk is written.
# The scan keeps one 8-byte hash per record; records whose hash occurs once cannot repeat anything, and
# only the rest (usually none) are tracked exactly during the ingest. An input that can be read only once
# (standard input, a pipe, a FIFO) is first copied, a block at a time, to an anonymous temp file in the
# data directory (`spool_input`): nothing is left behind if the process dies.
from __future__ import annotations

import array
import bisect
import gzip
import hashlib
import io
import os
import queue
import re
import stat
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc

from liqscope.errors import InputUnreadable
from liqscope.normalize import MAX_RECORD_BYTES
from liqscope.simulate import SYNTHETIC_MARKER

BLOCK = 4 << 20              # bytes read at a time
CHUNK_RECORDS = 100_000      # records normalized and written together
CHUNK_BYTES = 64 << 20       # ... or fewer when they are large (Hyperliquid blocks run to 68 KB a line)
PREVIEW = 256                # bytes of a line above MAX_RECORD_BYTES kept in its quarantine entry
WHOLE_BYTES = 1 << 30        # most decompressed bytes of an input whose format is read whole (not JSON lines)

_DECOMPRESS_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile)

RawOpener = Callable[[], AbstractContextManager[IO[bytes]]]


class Input:
    """One input: a file read as a stream (plain, gzip or single-file zip), or bytes in memory.

    Use it as a context manager when it may hold a spool (``spool_input``): leaving it frees the spool.

    Attributes:
        name: The name that carries meaning (a zip member's own name, ``.gz`` removed).
        spooled: The input could be read only once and was copied to a temp file first.
    """

    def __init__(self, where: str, name: str, opener: RawOpener) -> None:
        self._where = where
        self.name = name
        self._opener = opener
        self._open_raw = opener
        self._owned: IO[bytes] | None = None
        self.spooled = False

    def __enter__(self) -> Input:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Free the spool, if any."""
        if self._owned is not None:
            self._owned.close()
            self._owned = None

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

    def head(self, size: int) -> bytes:
        """The first ``size`` decompressed bytes (fewer if the input is shorter); consumes nothing."""
        return b"".join(self.blocks(size))

    def read(self, limit: int | None = None) -> bytes:
        """All the decompressed bytes (formats whose splitter needs the whole file).

        Raises:
            InputUnreadable: There are more than ``limit`` of them (a gzip or zip bomb, or simply too big).
        """
        data = b"".join(self.blocks(None if limit is None else limit + 1))
        if limit is not None and len(data) > limit:
            raise InputUnreadable(f"{self._where}: more than {limit:,} bytes once decompressed, and this format is "
                                  "read whole; split it into smaller files")
        return data

    def raw_bytes(self) -> bytes:
        """All the bytes as stored, still compressed (capture transcripts are read whole, torn tails too)."""
        with self._open_raw() as f:
            return f.read()


def open_input(path: Path, spool_dir: Path | None = None) -> Input:
    """An ``Input`` reading ``path``; gzip and single-file zip are decompressed as they stream.

    A path that is not a regular file (``/dev/stdin``, a pipe, a FIFO) can be read only once: it is
    spooled into ``spool_dir`` (``spool_input``) when one is given.
    """
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode) and spool_dir is not None:
            with open(path, "rb") as stream:
                return spool_input(stream, str(path), path.name, spool_dir)
        return _classify(str(path), path.name, lambda: open(path, "rb"))
    except OSError as e:
        raise InputUnreadable(f"{path}: cannot read: {e.strerror or e}") from None


def spool_input(stream: IO[bytes], where: str, name: str, spool_dir: Path) -> Input:
    """An ``Input`` over what ``stream`` gives until its end, copied a block at a time to an anonymous temp
    file in ``spool_dir`` (it has no name on disk, so it goes with the process, however that ends)."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    spool = tempfile.TemporaryFile(dir=spool_dir, prefix="liqscope-spool-")  # noqa: SIM115 - Input.close()
    try:
        while True:
            try:
                block = stream.read(BLOCK)
            except OSError as e:
                raise InputUnreadable(f"{where}: cannot read: {e.strerror or e}") from None
            if not block:
                break
            try:
                spool.write(block)
            except OSError as e:
                raise InputUnreadable(f"{where}: cannot copy it into {spool_dir} (it can be read only once): "
                                      f"{e.strerror or e}; free space there, or ingest from a file") from None
        spool.flush()
        inp = _classify(where, name, lambda: _rewound(spool))
    except BaseException:
        spool.close()
        raise
    inp._owned, inp.spooled = spool, True
    return inp


@contextmanager
def _rewound(f: IO[bytes]) -> Iterator[IO[bytes]]:
    # The spool, from its start, left open (one reader at a time: the passes run one after the other).
    f.seek(0)
    yield f


def _classify(where: str, name: str, open_raw: RawOpener) -> Input:
    try:
        with open_raw() as f:
            magic = f.read(4)
        if magic[:2] == b"\x1f\x8b":
            return _raw_of(Input(where, name.removesuffix(".gz"), lambda: _gzip(open_raw)), open_raw)
        if magic == b"PK\x03\x04":
            with open_raw() as f, zipfile.ZipFile(f) as zf:
                members = [m for m in zf.namelist() if not m.endswith("/")]
            if len(members) != 1:
                raise InputUnreadable(f"{where}: expected one file inside the zip, found {len(members)}")
            return _raw_of(Input(where, members[0].rsplit("/", 1)[-1], lambda: _zip_member(open_raw, members[0])),
                           open_raw)
    except zipfile.BadZipFile as e:
        raise InputUnreadable(f"{where}: cannot decompress: {e}") from None
    return Input(where, name, open_raw)


def _raw_of(inp: Input, open_raw: RawOpener) -> Input:
    inp._open_raw = open_raw
    return inp


def bytes_input(data: bytes, name: str) -> Input:
    """An ``Input`` over bytes already in memory (``liqscope verify`` replays a journal this way)."""
    return Input(name, name, lambda: io.BytesIO(data))


@contextmanager
def _gzip(open_raw: RawOpener) -> Iterator[IO[bytes]]:
    # GzipFile.read(n) inflates at most n bytes at a time: a gzip bomb costs one block of memory.
    with open_raw() as raw, gzip.GzipFile(fileobj=raw, mode="rb") as f:
        yield f  # type: ignore[misc]


@contextmanager
def _zip_member(open_raw: RawOpener, member: str) -> Iterator[IO[bytes]]:
    # ZipExtFile.read(n) inflates at most n bytes at a time, like gzip.
    with open_raw() as raw, zipfile.ZipFile(raw) as zf, zf.open(member) as f:
        yield f


class Oversized(bytes):
    """Stands in, among a chunk's records, for a line above ``MAX_RECORD_BYTES``: its bytes are not kept.

    The value is ``\\n`` + a digest of the line + its length (no real line holds a newline, so it equals no
    real record and keys the same line the same way on every pass and every re-ingest).

    Attributes:
        offset: Byte offset of the line in the (decompressed) input: its bytes stay in the raw journal.
        length: The line's length in bytes (without its newline).
        preview: Its first ``PREVIEW`` bytes.
    """

    offset: int
    length: int
    preview: bytes

    @classmethod
    def make(cls, digest: bytes, offset: int, length: int, preview: bytes) -> Oversized:
        self = cls(b"\noversized %s %d" % (digest.hex().encode(), length))
        self.offset, self.length, self.preview = offset, length, preview
        return self


@dataclass
class BlankLines:
    """Empty or whitespace-only lines: counted, in runs of consecutive lines, never stored one by one.

    Attributes:
        count: How many.
        runs: How many runs of consecutive blank lines.
        first: The first blank line's number (0: none).
        last: The last one's.
        listed: The first ``LISTED_RUNS`` runs, as (first line, last line).
    """

    LISTED_RUNS = 10

    count: int = 0
    runs: int = 0
    first: int = 0
    last: int = 0
    listed: list[tuple[int, int]] = field(default_factory=list)

    def add(self, first: int, last: int) -> None:
        """Count lines ``first..last`` (inclusive) as blank."""
        self.count += last - first + 1
        if self.runs and first == self.last + 1:  # continues the last run (a run split by a block edge)
            if len(self.listed) < self.LISTED_RUNS or self.listed[-1][1] == self.last:
                self.listed[-1] = (self.listed[-1][0], last)
        else:
            self.runs += 1
            self.first = self.first or first
            if len(self.listed) < self.LISTED_RUNS:
                self.listed.append((first, last))
        self.last = last


class Chunk:
    """Records of one chunk: ``raws[i]`` is line ``lines[i]``; ``oversized`` when any is an ``Oversized``."""

    __slots__ = ("lines", "oversized", "raws")

    def __init__(self, lines: list[int], raws: list[bytes], oversized: bool) -> None:
        self.lines, self.raws, self.oversized = lines, raws, oversized

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.raws)

    def __len__(self) -> int:
        return len(self.raws)


# A run of blank lines inside "\n" + complete lines + "\n": from the newline before the first blank line to
# the newline ending the last (greedy over whitespace and newlines, back to the last newline: linear).
_BLANK_RUN = re.compile(rb"\n[ \t\r\x0b\x0c\n]*\n")
_NOT_SPACE = re.compile(rb"[^ \t\r\x0b\x0c]")
_NOT_CR = re.compile(rb"[^\r]")


class LineSplitter:
    """JSON-lines records from a stream of blocks, in linear time and bounded memory, whatever the lines.

    Every line is split on ``\\n`` with trailing ``\\r`` removed. Blank (empty or whitespace-only) lines are
    counted in ``blank``, not returned; a last empty line is no line. A line longer than ``limit`` is not
    accumulated: once past the limit its bytes are hashed and dropped until the next newline, and it is
    returned as an ``Oversized`` stand-in with its byte range. Memory is one block, the records pending in
    the current chunk, and at most ``limit`` + one block for a line still being read.

    Attributes:
        blank: The blank lines seen so far.
        oversized: How many lines were above the limit.
        lines: How many lines were read (blank ones included).
    """

    def __init__(self, max_records: int | None = None, max_bytes: int | None = None,
                 limit: int = MAX_RECORD_BYTES) -> None:
        self.max_records, self.max_bytes = max_records or CHUNK_RECORDS, max_bytes or CHUNK_BYTES
        self.limit = limit
        self.blank = BlankLines()
        self.oversized = 0
        self.lines = 0
        self._pos = 0                     # bytes read before the current block
        self._tail: list[bytes | memoryview] = []  # the line being read, in pieces (joined once: linear)
        self._tail_len = 0
        self._tail_at = 0                 # its byte offset
        self._skip: Any = None            # the hash of a line past the limit, while its bytes go by
        self._skip_text = False           # ... it holds a byte that is not whitespace
        self._skip_cr = False             # ... it holds only carriage returns
        self._preview = b""
        self._lines: list[int] = []
        self._raws: list[bytes] = []
        self._size = 0
        self._big = False

    def chunks(self, blocks: Iterable[bytes]) -> Iterator[Chunk]:
        """The records of ``blocks``, in chunks of about ``max_records`` records or ``max_bytes`` bytes."""
        for block in blocks:
            self._feed(block)
            yield from self._full()
        if self._tail_len or self._skip is not None:
            self._end_line(final=True)
        if self._raws:
            yield self._take(len(self._raws))

    def _feed(self, block: bytes) -> None:
        start = 0
        if self._tail_len or self._skip is not None:
            nl = block.find(b"\n")
            if nl < 0:
                self._grow(block)
                self._pos += len(block)
                return
            self._grow(memoryview(block)[:nl])
            self._end_line()
            start = nl + 1
        last = block.rfind(b"\n")
        if last >= start:
            self._complete(block, start, last)
            start = last + 1
        if start < len(block):
            self._tail_at = self._pos + start
            self._grow(block[start:])
        self._pos += len(block)

    def _grow(self, piece: bytes | memoryview) -> None:
        self._tail_len += len(piece)
        if self._skip is not None:
            self._skip.update(piece)
            if not self._skip_text:
                self._skip_text = _NOT_SPACE.search(piece) is not None
                self._skip_cr = self._skip_cr and _NOT_CR.search(piece) is None
            return
        self._tail.append(piece)
        if self._tail_len > self.limit + 1:  # too long whatever a trailing \r: stop keeping its bytes
            self._skip = hashlib.blake2b(digest_size=16)
            self._skip_text, self._skip_cr = False, True
            for p in self._tail:
                self._skip.update(p)
                self._skip_text = self._skip_text or _NOT_SPACE.search(p) is not None
                self._skip_cr = self._skip_cr and _NOT_CR.search(p) is None
            self._preview = _head(self._tail, PREVIEW)
            self._tail = []

    def _end_line(self, final: bool = False) -> None:
        # The line being read is complete (its newline was found, or the input ended). The rule, wherever
        # the blocks break: what follows the last newline is no line when it is only carriage returns; a
        # line of whitespace only is blank; a line above ``limit`` bytes (not counting trailing carriage
        # returns) or above ``limit`` + 1 bytes is oversized; any other line is a record.
        n, at, length = self.lines + 1, self._tail_at, self._tail_len
        skip, tail = self._skip, self._tail
        self._tail, self._tail_len, self._skip = [], 0, None
        self.lines = n
        if skip is not None:
            if self._skip_text:
                self._add_oversized(n, at, length, skip.digest(), self._preview)
            elif final and self._skip_cr:
                self.lines = n - 1
            else:
                self.blank.add(n, n)
            return
        raw = b"".join(tail).rstrip(b"\r")
        if final and not raw:
            self.lines = n - 1
        elif not raw or raw.isspace():
            self.blank.add(n, n)
        elif len(raw) > self.limit:
            self._add_oversized(n, at, length, hashlib.blake2b(raw, digest_size=16).digest(), raw[:PREVIEW])
        else:
            self._add([n], [raw], len(raw))

    def _add_oversized(self, n: int, at: int, length: int, digest: bytes, preview: bytes) -> None:
        self.oversized += 1
        self._big = True
        self._add([n], [Oversized.make(digest, at, length, preview)], 0)

    def _complete(self, block: bytes, start: int, last: int) -> None:
        # block[start:last] holds complete lines (block[last] is the newline ending the last of them).
        s = b"".join((b"\n", memoryview(block)[start:last + 1]))
        first = self.lines + 1
        at = self._pos + start - 1  # byte offset of s[i] is at + i
        if not _BLANK_RUN.search(s):  # the usual case: every line is a record
            self._segment(s, 1, len(s) - 1, first, at)
            return
        prev, line = 1, first
        for m in _BLANK_RUN.finditer(s):
            a, b = m.span()
            if a >= prev:
                line = self._segment(s, prev, a, line, at)
            blanks = s.count(b"\n", a, b) - 1
            self.blank.add(line, line + blanks - 1)
            line += blanks
            self.lines = line - 1
            prev = b
        if prev < len(s):
            self._segment(s, prev, len(s) - 1, line, at)

    def _segment(self, s: bytes, a: int, b: int, line: int, at: int) -> int:
        # s[a:b]: non-blank lines, numbered from ``line``; returns the number of the line after them.
        whole = s[a:b].split(b"\n")
        parts = [p.rstrip(b"\r") for p in whole] if s.find(b"\r", a, b) >= 0 else whole
        if b - a > self.limit and max(map(len, whole)) > self.limit:  # only when blocks exceed the limit
            offset = at + a
            for k, (p, raw) in enumerate(zip(whole, parts, strict=True)):
                if len(p) > self.limit + 1 or len(raw) > self.limit:
                    self._add_oversized(line + k, offset, len(p), hashlib.blake2b(raw, digest_size=16).digest(),
                                        raw[:PREVIEW])
                else:
                    self._add([line + k], [raw], len(raw))
                offset += len(p) + 1
        else:
            self._add(range(line, line + len(parts)), parts, b - a)
        self.lines = line + len(parts) - 1
        return line + len(parts)

    def _add(self, lines: Iterable[int], raws: list[bytes], size: int) -> None:
        self._lines.extend(lines)
        self._raws.extend(raws)
        self._size += size

    def _full(self) -> Iterator[Chunk]:
        while len(self._raws) >= self.max_records:
            yield self._take(self.max_records)
        if self._size >= self.max_bytes and self._raws:
            yield self._take(len(self._raws))

    def _take(self, n: int) -> Chunk:
        lines, raws = self._lines[:n], self._raws[:n]
        del self._lines[:n], self._raws[:n]
        big = self._big and any(type(r) is Oversized for r in raws)
        self._big = self._big and bool(self._raws) and any(type(r) is Oversized for r in self._raws)
        self._size = sum(map(len, self._raws)) if self._raws else 0
        return Chunk(lines, raws, big)


def _head(pieces: list[bytes | memoryview], size: int) -> bytes:
    out = bytearray()
    for p in pieces:
        out += p[:size - len(out)]
        if len(out) >= size:
            break
    return bytes(out)


def line_chunks(blocks: Iterable[bytes], max_records: int | None = None,
                max_bytes: int | None = None) -> Iterator[Chunk]:
    """JSON-lines records of ``blocks`` in chunks (``LineSplitter``; blank lines are counted, not returned)."""
    return LineSplitter(max_records, max_bytes).chunks(blocks)


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
    candidates: Candidates = field(default_factory=lambda: Candidates())


def scan_stream(blocks: Iterable[bytes]) -> Scan:
    """First pass over a JSON-lines stream."""
    sha = hashlib.sha256()
    out = Scan()
    hashes = array.array("q")
    bg = Background(sha.update)
    try:
        for chunk in line_chunks(_sized(bg.tap(blocks), out)):
            hashes.extend(map(hash, chunk.raws))
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


def _repeat_candidates(hashes: array.array[int]) -> Candidates:
    if len(hashes) < 2:
        return Candidates()
    values = pa.Array.from_buffers(pa.int64(), len(hashes), [None, pa.py_buffer(hashes)])
    ordered = values.sort()
    same = pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))
    repeated = pc.unique(ordered.slice(1).filter(same))
    del ordered, same
    if not len(repeated):
        return Candidates()
    return Candidates(pc.indices_nonzero(pc.is_in(values, value_set=repeated)))


class Candidates:
    """Ordinals of the records that may repeat another, ascending, 8 bytes each (a file of one line
    repeated a billion times has a billion of them)."""

    def __init__(self, ordinals: pa.Array | None = None) -> None:
        self._a = array.array("q")
        if ordinals is not None and len(ordinals):  # uint64 from arrow, copied once as int64 (all < 2**63)
            # The data buffer itself (no nulls here): numpy is not a runtime dependency.
            data = ordinals.buffers()[1]
            self._a.frombytes(memoryview(data)[ordinals.offset * 8:(ordinals.offset + len(ordinals)) * 8])

    def __len__(self) -> int:
        return len(self._a)

    def __contains__(self, ordinal: int) -> bool:
        i = bisect.bisect_left(self._a, ordinal)
        return i < len(self._a) and self._a[i] == ordinal

    def within(self, lo: int, hi: int) -> array.array[int]:
        """The ordinals in ``[lo, hi)``."""
        return self._a[bisect.bisect_left(self._a, lo):bisect.bisect_left(self._a, hi)]
