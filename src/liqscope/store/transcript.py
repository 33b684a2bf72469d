"""Raw capture transcripts: every received frame, one line each, plus explicit markers. Gaps are data.

Line format (UTF-8, ``\\n``-terminated)::

    <ts_recv><TAB><conn_id><TAB><payload>

- ``ts_recv``: receipt time, integer ns since the epoch, UTC.
- ``conn_id``: ``<session>.<n>``: one capture session per venue and process, ``n`` counts connections.
- ``payload``:
  - a frame exactly as received, when it is UTF-8 text without CR/LF that starts with neither ``#`` nor
    ``%`` (every JSON frame, ``pong``);
  - ``%`` + base64 of the raw bytes otherwise (binary frames, frames holding a newline);
  - ``#KIND {json}`` for a marker: ``TRANSCRIPT`` (the file header), ``CONNECT``, ``SUBSCRIBE``,
    ``DISCONNECT``, ``GAP``, ``SILENT`` (the no-data watchdog tripped). See ``Marker``.

Files are gzip, written as one gzip *member* per flush (a multi-member gzip file is plain gzip to every
reader), fsynced, and never rewritten. A crash can only tear the last member: readers drop a torn tail
member and say so, and everything flushed before it stays readable. A new file starts at every UTC day
boundary (``venue=<v>/date=<YYYY-MM-DD>/``); a connection open across the boundary is re-announced at the
top of the new file (``CONNECT`` with ``continued`` and its original ``since_ns``), so one day's files are
enough to compute that day's coverage.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import gzip
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from liqscope.errors import InputUnreadable

__all__ = [
    "FORMAT_VERSION",
    "Flushed",
    "Marker",
    "Pending",
    "TranscriptLine",
    "TranscriptWriter",
    "append_member",
    "decode_payload",
    "encode_payload",
    "gzip_members",
    "is_transcript",
    "iter_lines",
    "looks_like_transcript",
    "read_transcript",
    "transcript_files",
]

FORMAT_VERSION = 1
_NS_PER_DAY = 86_400 * 1_000_000_000


class Marker(enum.StrEnum):
    """Kinds of marker lines."""

    TRANSCRIPT = "TRANSCRIPT"  # first line of every file: format version, venue, session, source
    CONNECT = "CONNECT"        # a connection is up (coverage starts at its ``since_ns``, default: the line's ts)
    SUBSCRIBE = "SUBSCRIBE"    # the frames we sent to subscribe
    DISCONNECT = "DISCONNECT"  # the connection ended (``reason``); ``connected: false`` for a failed attempt
    GAP = "GAP"                # [from_ns, to_ns) was not captured (``reason``); block gaps carry block numbers
    SILENT = "SILENT"          # no market data since ``since_ns``: the watchdog tripped, never a quiet market


class TranscriptLine(msgspec.Struct, frozen=True):
    """One parsed line: a frame (``marker`` is None, ``payload`` is the raw bytes) or a marker."""

    line: int
    ts: int
    conn: str
    payload: bytes | None = None
    marker: Marker | None = None
    detail: dict[str, Any] = {}


def encode_payload(raw: bytes) -> bytes:
    """A frame's payload field: the bytes themselves when they are safe text, else ``%`` + base64."""
    if raw[:1] in (b"#", b"%") or b"\n" in raw or b"\r" in raw:
        return b"%" + base64.b64encode(raw)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return b"%" + base64.b64encode(raw)
    return raw


def decode_payload(field: bytes) -> bytes:
    """Invert ``encode_payload``."""
    if field[:1] == b"%":
        return base64.b64decode(field[1:], validate=True)
    return field


def _marker_line(ts: int, conn: str, kind: Marker, detail: dict[str, Any]) -> bytes:
    return b"%d\t%s\t#%s %s" % (ts, conn.encode(), kind.value.encode(), msgspec.json.encode(detail))


def _frame_line(ts: int, conn: str, raw: bytes) -> bytes:
    return b"%d\t%s\t%s" % (ts, conn.encode(), encode_payload(raw))


class Pending(msgspec.Struct, frozen=True):
    """A line written since the last flush (what the lake sink needs from it)."""

    file_line: int
    ts: int
    conn: str
    payload: bytes | None  # None for markers


class Flushed(msgspec.Struct, frozen=True):
    """What one flush wrote: the file, the uncompressed bytes of the member, and its lines in order."""

    path: Path
    data: bytes
    lines: list[Pending]


def append_member(path: Path, text: bytes) -> bytes:
    """Append ``text`` to the transcript at ``path`` as one gzip member, fsynced; returns the member.

    The member is a complete gzip file of ``text``: the commit keeps it as the batch's raw blob as it is
    (``store_raw(..., compressed=member)``), so each text is compressed once, not twice.
    """
    # Level 1: a live commit worker compresses every frame here, on the commit path (450 KB of Binance frames:
    # 3.9 ms at level 1, 14.1 ms at level 6, for a ratio of 5.3 instead of 6.6).
    member = gzip.compress(text, compresslevel=1, mtime=0)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(member)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    return member


def _day_start(ts: int) -> int:
    return ts - ts % _NS_PER_DAY


def _day(ts: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts // 1_000_000_000, tz=dt.UTC).date()


class TranscriptWriter:
    """Append-only, crash-safe transcript writer for one venue and one capture session.

    Args:
        root: The transcripts directory (``DATA_DIR/transcripts``).
        venue: Venue id (the file's directory and header).
        session: Session id (unique per process and venue); part of every conn id and file name.
        header: Extra fields for each file's ``TRANSCRIPT`` line (source URL, instruments origin, ...).
    """

    def __init__(self, root: Path, venue: str, session: str, header: dict[str, Any] | None = None) -> None:
        self.root, self.venue, self.session = Path(root), venue, session
        self.header = dict(header or {})
        self.path: Path | None = None
        self._day_end = 0
        self._lines = 0
        self._pending: list[tuple[bytes, Pending]] = []
        self._open: dict[str, int] = {}  # conn -> since_ns of the open connection(s)
        self._ready: list[tuple[Path, list[tuple[bytes, Pending]]]] = []  # taken from _pending, not written
        self.files: list[Path] = []

    # -- writing ---------------------------------------------------------------------------------------
    def frame(self, ts: int, conn: str, raw: bytes) -> None:
        """Record one received frame."""
        self._roll(ts)
        self._add(_frame_line(ts, conn, raw), ts, conn, raw)

    def marker(self, ts: int, conn: str, kind: Marker, **detail: Any) -> None:
        """Record a marker line."""
        self._roll(ts)
        if kind is Marker.CONNECT:
            self._open[conn] = int(detail.get("since_ns", ts))
        elif kind is Marker.DISCONNECT:
            self._open.pop(conn, None)
        self._add(_marker_line(ts, conn, kind, detail), ts, conn, None)

    def flush(self, now_ns: int | None = None) -> list[Flushed]:
        """Write the pending lines as one gzip member per file and fsync; rotate first if the UTC day is over.

        Returns:
            Every member written (a day rotation also writes one into the old file).
        """
        return self.write(self.take(now_ns))

    def take(self, now_ns: int | None = None) -> list[tuple[Path, list[tuple[bytes, Pending]]]]:
        """Hand over the pending lines, per file, for ``write`` (which may run in another thread).

        Calls to ``write`` must keep the order of calls to ``take``; frames and markers may keep coming
        in between.
        """
        if now_ns is not None and self.path is not None and now_ns >= self._day_end:
            self._roll(now_ns)
        self._stash()
        out, self._ready = self._ready, []
        return out

    @staticmethod
    def write(taken: list[tuple[Path, list[tuple[bytes, Pending]]]]) -> list[Flushed]:
        """Append each group of lines to its file as one gzip member, fsynced."""
        out = []
        for path, lines in taken:
            data = b"".join(line + b"\n" for line, _ in lines)
            append_member(path, data)
            out.append(Flushed(path=path, data=data, lines=[p for _, p in lines]))
        return out

    # -- internals -------------------------------------------------------------------------------------
    def _add(self, line: bytes, ts: int, conn: str, payload: bytes | None) -> None:
        self._lines += 1
        self._pending.append((line, Pending(file_line=self._lines, ts=ts, conn=conn, payload=payload)))

    def _stash(self) -> None:
        if self._pending and self.path is not None:
            self._ready.append((self.path, self._pending))
        self._pending = []

    def _roll(self, ts: int) -> None:
        if self.path is not None and ts < self._day_end:
            return
        self._stash()
        day = _day(ts)
        directory = self.root / f"venue={self.venue}" / f"date={day.isoformat()}"
        directory.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.fromtimestamp(ts // 1_000_000_000, tz=dt.UTC).strftime("%H%M%S")
        self.path = directory / f"{stamp}-{self.session}.tsv.gz"
        self._day_end = _day_start(ts) + _NS_PER_DAY
        self._lines = 0
        self.files.append(self.path)
        self._add(_marker_line(ts, "-", Marker.TRANSCRIPT,
                               {"version": FORMAT_VERSION, "venue": self.venue, "session": self.session,
                                **self.header}), ts, "-", None)
        for conn, since in self._open.items():  # re-announce connections that span the day boundary
            self._add(_marker_line(ts, conn, Marker.CONNECT, {"since_ns": since, "continued": True}),
                      ts, conn, None)


# -- reading ---------------------------------------------------------------------------------------------
_FIRST, _MOST = 1 << 12, 1 << 20  # compressed bytes fed to zlib at a time: 4 KiB, doubling to 1 MiB


def gzip_members(data: bytes) -> tuple[list[bytes], bool]:
    """Every complete gzip member of ``data``, decompressed, and whether a torn (crash-cut) tail was dropped.

    Linear in the size of ``data``: zlib is fed slices that start small and double while a member goes on,
    so what it keeps past the end of a member (``unused_data``) is at most about twice that member. Handing
    it the whole remainder per member instead copies the rest of the file once per member: quadratic,
    minutes for one day of a busy feed (17k members).
    """
    out: list[bytes] = []
    view, pos, end = memoryview(data), 0, len(data)
    while pos < end:
        d = zlib.decompressobj(wbits=31)
        parts, step = [], _FIRST
        try:
            while not d.eof and pos < end:
                piece = view[pos:pos + step]
                parts.append(d.decompress(piece))
                pos += len(piece)
                step = min(step * 2, _MOST)
        except zlib.error:
            return out, True
        if not d.eof:
            return out, True
        pos -= len(d.unused_data)  # the next member starts where this one ended
        out.append(b"".join(parts))
    return out, False


def _members(data: bytes) -> tuple[bytes, bool]:
    members, torn = gzip_members(data)
    return b"".join(members), torn


def read_transcript(path: Path, raw: bytes | None = None) -> tuple[bytes, bool]:
    """The uncompressed text of a transcript file (gzip or plain) and whether a torn tail was dropped.

    ``raw``: the file's bytes, already read (standard input, spooled by ``ingest``); ``path`` then only names it.

    Raises:
        InputUnreadable: The file cannot be read.
    """
    try:
        data = Path(path).read_bytes() if raw is None else raw
    except OSError as e:
        raise InputUnreadable(f"{path}: cannot read: {e.strerror or e}") from None
    if data[:2] == b"\x1f\x8b":
        return _members(data)
    return data, False


def iter_lines(data: bytes, *, name: str = "transcript") -> Iterator[TranscriptLine]:
    """Parse transcript text into lines (frames and markers).

    Raises:
        InputUnreadable: A line is not ``ts<TAB>conn<TAB>payload`` (names the line).
    """
    for n, line in enumerate(data.split(b"\n"), start=1):
        if not line:
            continue
        parts = line.split(b"\t", 2)
        if len(parts) != 3 or not parts[0].isdigit():
            raise InputUnreadable(f"{name}:{n}: not a transcript line (ts<TAB>conn<TAB>payload)")
        ts, conn, payload = int(parts[0]), parts[1].decode("utf-8", "replace"), parts[2]
        if payload[:1] == b"#":
            kind, _, rest = payload[1:].partition(b" ")
            try:
                marker = Marker(kind.decode())
                detail = msgspec.json.decode(rest) if rest else {}
            except (ValueError, msgspec.DecodeError):
                raise InputUnreadable(f"{name}:{n}: bad marker {payload[:60]!r}") from None
            yield TranscriptLine(line=n, ts=ts, conn=conn, marker=marker, detail=detail)
        else:
            try:
                raw = decode_payload(payload)
            except ValueError:
                raise InputUnreadable(f"{name}:{n}: bad base64 payload") from None
            yield TranscriptLine(line=n, ts=ts, conn=conn, payload=raw)


def is_transcript(data: bytes) -> bool:
    """True when uncompressed ``data`` starts with a transcript header line."""
    first = data[:4096].split(b"\n", 1)[0]
    parts = first.split(b"\t", 2)
    return len(parts) == 3 and parts[0].isdigit() and parts[2].startswith(b"#TRANSCRIPT ")


def looks_like_transcript(path: Path) -> bool:
    """True when the file at ``path`` (gzip or plain) starts with a transcript header; False if unreadable."""
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError:
        return False
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 4096)
        except zlib.error:
            return False
    return is_transcript(head)


def transcript_files(root: Path, venue: str, start_ns: int | None = None, end_ns: int | None = None) -> list[Path]:
    """A venue's transcript files, oldest first, limited to the UTC days [start, end) touches."""
    base = Path(root) / f"venue={venue}"
    if not base.is_dir():
        return []
    lo = _day(start_ns) if start_ns is not None else dt.date.min
    hi = _day(end_ns - 1) if end_ns is not None else dt.date.max
    out = []
    for d in sorted(base.glob("date=*")):
        try:
            day = dt.date.fromisoformat(d.name.removeprefix("date="))
        except ValueError:
            continue
        if lo <= day <= hi:
            out.extend(sorted(d.glob("*.tsv.gz")))
    return sorted(out, key=lambda p: (p.parent.name, p.name))
