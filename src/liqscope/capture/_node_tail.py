# Hyperliquid live = tailing a non-validating node's fills: `--write-fills --batch-by-block` writes one
# block per line to ~/hl/data/node_fills_by_block/hourly/<YYYYMMDD>/<H> (hyperliquid-dex/node README).
#
# The tail starts at the beginning of the newest hour file, follows it as the node appends, and moves to
# the next hour's file once the node has moved on. Each line is a transcript frame (the same bytes
# `ingest --venue hyperliquid` reads). Blocks are numbered: a jump in block_number is recorded as a GAP
# (in block time), and a node that stops writing trips the watchdog like a silent websocket.
from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import msgspec

from liqscope.capture._runner import CaptureOptions, _now, _Recorder, _sleep_or_stop
from liqscope.store import Catalog
from liqscope.store.transcript import Marker

VENUE = "hyperliquid"
# A node writes a block line every ~0.1-1 s (1,000 blocks in 81 s in the bundled 2025-10-27 sample).
DEFAULT_SILENCE_S = 60.0
_READ = 4 * 2**20


class _Block(msgspec.Struct):
    block_number: int
    block_time: str  # "2025-10-27T17:00:01.869130412": UTC, ns precision, no offset (the node's format)


_block = msgspec.json.Decoder(_Block).decode


def block_time_ns(text: str) -> int:
    """The node's ``block_time`` (UTC, no offset, up to 9 fractional digits) -> ns since the epoch."""
    whole, _, frac = text.partition(".")
    t = dt.datetime.fromisoformat(whole).replace(tzinfo=dt.UTC)
    return int(t.timestamp()) * 1_000_000_000 + int((frac + "000000000")[:9] or 0)


def hour_files(node_dir: Path) -> list[Path]:
    """The node's hour files (plain, as the node writes them), oldest first."""
    out = []
    for day in (node_dir / "hourly").glob("[0-9]" * 8):
        for f in day.iterdir():
            if f.is_file() and f.name.isdigit():
                out.append((day.name, int(f.name), f))
    return [f for _, _, f in sorted(out)]


class NodeTail(_Recorder):
    def __init__(self, catalog: Catalog, session: str, opts: CaptureOptions) -> None:
        if opts.node_dir is None:
            raise ValueError("node_dir is required")
        self.node_dir = Path(opts.node_dir)
        self.silence_s = opts.silence_s if opts.silence_s is not None else DEFAULT_SILENCE_S
        super().__init__(catalog, VENUE, session, opts, {"node_dir": str(self.node_dir), "silence_s": self.silence_s})

    async def run(self, stop: asyncio.Event) -> None:
        n = 1
        conn = f"{self.session}.{n}"
        started = _now()
        self.writer.marker(started, conn, Marker.CONNECT, node_dir=str(self.node_dir))
        self.stats.connections += 1
        current: Path | None = None
        offset, buf = 0, b""
        prev: tuple[int, int] | None = None  # (block_number, block time ns)
        last_data, silent_at = started, 0
        while not stop.is_set():
            if current is None:
                files = hour_files(self.node_dir)
                current = files[-1] if files else None
            await self.room()  # back-pressure: no more reading while the commit backlog is full
            chunk = await asyncio.to_thread(_read, current, offset) if current is not None else b""
            if chunk:
                offset += len(chunk)
                lines = (buf + chunk).split(b"\n")
                buf = lines.pop()
                for line in lines:
                    if not line.strip():
                        continue
                    ts = _now()
                    if silent_at:
                        n += 1
                        conn = f"{self.session}.{n}"
                        self.writer.marker(ts, conn, Marker.CONNECT, node_dir=str(self.node_dir), file=str(current))
                        self.writer.marker(ts, conn, Marker.GAP, from_ns=silent_at, to_ns=ts,
                                           reason="node silent (watchdog)")
                        self.stats.connections += 1
                        silent_at = 0
                    prev = self._check_blocks(ts, conn, line, prev)
                    self.frame(ts, conn, line, data=True)
                    last_data = ts
                if len(chunk) == _READ:
                    await asyncio.sleep(0)
                    continue
            else:
                files = hour_files(self.node_dir)
                later = [f for f in files if current is not None and _key(f) > _key(current)]
                if later:  # the node moved on: this file is complete
                    if buf.strip():
                        self.frame(_now(), conn, buf, data=True)
                    current, offset, buf = later[0], 0, b""
                    continue
                now = _now()
                if not silent_at and now - last_data >= int(self.silence_s * 1e9):
                    reason = f"watchdog: no node data for {self.silence_s:g} s"
                    self.writer.marker(now, conn, Marker.SILENT, since_ns=last_data, silence_s=self.silence_s,
                                       reason=reason)
                    self.writer.marker(now, conn, Marker.DISCONNECT, reason=reason)
                    self.stats.silences += 1
                    self.stats.disconnects += 1
                    silent_at = now
            await _sleep_or_stop(self.opts.poll_s, stop)
        if not silent_at:
            self.writer.marker(_now(), conn, Marker.DISCONNECT, reason="stopped")
            self.stats.disconnects += 1

    def _check_blocks(self, ts: int, conn: str, line: bytes, prev: tuple[int, int] | None) -> tuple[int, int] | None:
        try:
            b = _block(line)
            this = (b.block_number, block_time_ns(b.block_time))
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
            return prev  # not a by-block line (older node_fills era): nothing to check
        if prev is not None and this[0] > prev[0] + 1:
            self.writer.marker(ts, conn, Marker.GAP, from_ns=prev[1], to_ns=this[1], from_block=prev[0] + 1,
                               to_block=this[0] - 1, reason=f"missing blocks {prev[0] + 1}..{this[0] - 1}")
        return this


def _key(path: Path) -> tuple[str, int]:
    return path.parent.name, int(path.name)


def _read(path: Path, offset: int) -> bytes:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read(_READ)
    except FileNotFoundError:
        return b""

