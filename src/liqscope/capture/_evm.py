# Live lending capture: `eth_subscribe` over a JSON-RPC websocket (docs/capture.md, "Lending venues").
#
# One connection per lending venue, to the node the user names (`--rpc-url`). It subscribes to `newHeads`
# and to `logs` filtered by the venue's own deployments and liquidation topic0s (`_lending.log_filter`),
# records every frame raw (notifications, responses, acks) before looking at it, and keeps each log
# *pending* until the chain head is `confirmations` blocks past its block. Then, and only then, it checks
# the log's block is still the canonical one at that height (`eth_getBlockByNumber`, which also gives the
# block time a subscription log lacks, unless the node sends `blockTimestamp`) and appends one
# *confirmed record* line to the transcript: the `eth-logs` record shape `{"log", "block_time", "chain"}`
# plus `"confirmed": {...}` saying how. Those lines are the only ones that parse into events (the raw
# frames are skipped), so the lake, a resumed commit and a re-ingest of the transcript agree.
#
# Reorgs: a `removed: true` log of a pending log drops it (it never counted); of a confirmed one (a reorg
# deeper than the declared depth) appends a retraction record, whose event row the counted relation applies
# (docs/events.md). A log whose block was replaced while we were away is dropped at confirmation (hash check).
#
# Disconnects: on reconnect the client asks `eth_blockNumber` and backfills `eth_getLogs` over the blocks it
# missed (last head seen + 1 .. current head); the GAP marker carries the receipt-time range, the block range,
# both ends' block times and what the backfill recovered (or why it could not).
from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from typing import Any

import msgspec

from liqscope.capture._runner import (
    Backoff,
    CaptureOptions,
    _loopback,
    _now,
    _Recorder,
    _sleep_or_stop,
    _websockets,
    first_to_end,
)
from liqscope.errors import ConfigError
from liqscope.store import Catalog
from liqscope.store.transcript import Marker
from liqscope.venues._evm import Log
from liqscope.venues._lending import LogFilter, log_filter

__all__ = ["DEFAULT_CONFIRMATIONS", "DEFAULT_SILENCE_S", "EvmCapture", "public_url"]

# Ethereum makes a block every 12 s: two minutes without a head or a log is ten missed blocks, a dead feed.
DEFAULT_SILENCE_S = 120.0
# Blocks on top of a log's block before it counts. 12 is the depth long used for "safe enough"; reorgs that
# deep have not been seen since the Merge, and finality (two epochs) is 64: declare that for certainty.
DEFAULT_CONFIRMATIONS = 12
_RPC_TIMEOUT_S = 30.0


class _Header(msgspec.Struct):
    number: str
    timestamp: str
    hash: str | None = None


class _RpcError(Exception):
    pass


def public_url(url: str) -> str:
    """The URL without its path and query: RPC providers put API keys there; transcripts keep the host only."""
    scheme, sep, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    hidden = "/..." if rest[len(rest.split("/", 1)[0]):].strip("/") else ""
    return f"{scheme}{sep}{host}{hidden}"


def _key(log: Log) -> tuple[str, int]:
    return log.transaction_hash.lower(), int(log.log_index, 16)


class EvmCapture(_Recorder):
    """One lending venue captured over ``eth_subscribe`` (see the module comment)."""

    def __init__(self, catalog: Catalog, venue: str, session: str, opts: CaptureOptions) -> None:
        url = opts.urls.get(venue) or opts.rpc_url
        if not url:
            raise ConfigError(f"{venue} is captured from an Ethereum node: give its JSON-RPC websocket URL "
                              "(--rpc-url wss://...)")
        if opts.confirmations < 0:
            raise ConfigError(f"confirmations must be >= 0, got {opts.confirmations}")
        self.url = url
        self.filter: LogFilter = log_filter(venue, opts.chain)
        self.confirmations = opts.confirmations
        self.silence_s = opts.silence_s if opts.silence_s is not None else DEFAULT_SILENCE_S
        super().__init__(catalog, venue, session, opts,
                         {"url": public_url(url), "protocol": "eth_subscribe", "chain": self.filter.chain,
                          "filter": self.filter.params(), "deployments": self.filter.deployments_version,
                          "confirmations": self.confirmations, "silence_s": self.silence_s})
        self.head: int | None = None              # highest block number seen (newHeads, eth_blockNumber)
        self._times: dict[int, int] = {}          # block -> timestamp, from newHeads and fetched headers
        self._pending: dict[tuple[str, int, str], tuple[Log, str]] = {}  # (tx, index, block) -> (log, via)
        self._confirmed: dict[tuple[str, int], tuple[str, int, Log]] = {}  # (tx, index) -> (block, time, log)
        self._last_ts = 0
        self.counts = self.stats.lending = {"confirmed": 0, "retracted": 0, "dropped_unconfirmed": 0,
                                            "backfilled": 0}

    # -- the connection loop (as _WebsocketCapture: backoff, CONNECT/DISCONNECT, the gap it leaves) --

    async def run(self, stop: asyncio.Event) -> None:
        ws_lib = _websockets()
        backoff = Backoff(self.opts.backoff_base_s, self.opts.backoff_cap_s,
                          random.Random(self.opts.seed) if self.opts.seed is not None else None)
        down: tuple[int, str] | None = None
        n = 0
        while not stop.is_set():
            n += 1
            conn = f"{self.session}.{n}"
            try:
                ws = await ws_lib.asyncio.client.connect(
                    self.url, open_timeout=self.opts.open_timeout_s, max_size=64 * 2**20, close_timeout=2,
                    proxy=None if _loopback(self.url) else True)
            except (OSError, TimeoutError, ws_lib.exceptions.WebSocketException) as e:
                reason = f"connect failed: {type(e).__name__}: {e}"
                self.writer.marker(_now(), conn, Marker.DISCONNECT, connected=False, reason=reason)
                self.stats.last_error = reason
                down = down or (_now(), reason)
                await _sleep_or_stop(backoff.next(), stop)
                continue
            now = _now()
            self.stats.connections += 1
            self.writer.marker(now, conn, Marker.CONNECT, url=public_url(self.url), attempt=n)
            reason, got_data = await self._session(ws, ws_lib, conn, stop, now, down)
            detail: dict[str, Any] = {"reason": reason}
            if self._pending:
                blocks = [int(log.block_number, 16) for log, _ in self._pending.values()]
                detail |= {"unconfirmed": len(self._pending), "unconfirmed_blocks": [min(blocks), max(blocks)]}
            now = _now()
            self.writer.marker(now, conn, Marker.DISCONNECT, **detail)
            self.stats.disconnects += 1
            down = (now, f"disconnected: {reason}")
            if got_data:
                backoff.reset()
            if not stop.is_set():
                await _sleep_or_stop(backoff.next(), stop)

    async def _session(self, ws: Any, ws_lib: Any, conn: str, stop: asyncio.Event, connected: int,
                       down: tuple[int, str] | None) -> tuple[str, bool]:
        ids = itertools.count(1)
        waiting: dict[int, asyncio.Future[Any]] = {}
        notes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        last = [connected]
        got = [False]
        subs: dict[str, str] = {}

        async def call(method: str, params: list[Any]) -> Any:
            i = next(ids)
            fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            waiting[i] = fut
            await ws.send(msgspec.json.encode({"jsonrpc": "2.0", "id": i, "method": method, "params": params})
                          .decode())
            try:
                return await asyncio.wait_for(fut, _RPC_TIMEOUT_S)
            finally:
                waiting.pop(i, None)

        async def receive() -> None:
            while True:
                await self.room()
                raw = await ws.recv(decode=False)
                ts = _now()
                try:
                    msg = msgspec.json.decode(raw)
                except msgspec.DecodeError:
                    msg = None
                note = isinstance(msg, dict) and msg.get("method") == "eth_subscription"
                self.frame(ts, conn, raw, data=note)  # raw first: recorded before anything reads it
                if note:
                    last[0], got[0] = ts, True
                    notes.put_nowait(msg)
                elif isinstance(msg, dict) and isinstance(msg.get("id"), int) and msg["id"] in waiting:
                    fut = waiting[msg["id"]]
                    if not fut.done():
                        if "error" in msg:
                            fut.set_exception(_RpcError(str(msg["error"])))
                        else:
                            fut.set_result(msg.get("result"))

        async def process() -> None:
            sent = [{"method": "eth_subscribe", "params": ["newHeads"]},
                    {"method": "eth_subscribe", "params": ["logs", self.filter.params()]}]
            self.writer.marker(_now(), conn, Marker.SUBSCRIBE, frames=sent)
            subs[str(await call("eth_subscribe", ["newHeads"]))] = "heads"
            subs[str(await call("eth_subscribe", ["logs", self.filter.params()]))] = "logs"
            head = int(await call("eth_blockNumber", []), 16)
            if down is not None:
                await self._backfill(call, conn, head, down, connected)
            self._advance(head)
            await self._confirm(call, conn)
            while True:
                msg = await notes.get()
                params = msg.get("params") or {}
                kind = subs.get(str(params.get("subscription")))
                result = params.get("result")
                if kind == "heads" and isinstance(result, dict):
                    header = msgspec.convert(result, _Header)
                    number = int(header.number, 16)
                    self._times[number] = int(header.timestamp, 16)
                    self._advance(number)
                elif kind == "logs" and isinstance(result, dict):
                    log = msgspec.convert(result, Log)
                    if log.removed:
                        self._remove(log, conn)
                    else:
                        self._add(log, "eth_subscribe")
                await self._confirm(call, conn)

        async def watchdog() -> str:
            silence_ns = int(self.silence_s * 1e9)
            while True:
                await asyncio.sleep(min(self.silence_s / 4, 1.0))
                now = _now()
                if now - last[0] >= silence_ns:
                    self.writer.marker(now, conn, Marker.SILENT, since_ns=last[0], silence_s=self.silence_s,
                                       reason=f"watchdog: no head or log for {self.silence_s:g} s")
                    self.stats.silences += 1
                    return f"watchdog: no head or log for {self.silence_s:g} s"

        reason = await first_to_end(receive(), process(), watchdog(), stop.wait())
        if reason != "stopped":
            self.stats.last_error = reason
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(), 3)
        return reason, got[0]

    # -- the chain bookkeeping --

    def _advance(self, number: int) -> None:
        self.head = number if self.head is None else max(self.head, number)

    async def _time(self, call: Any, number: int) -> tuple[int, str | None]:
        header = msgspec.convert(await call("eth_getBlockByNumber", [hex(number), False]), _Header)
        self._times[number] = int(header.timestamp, 16)
        return self._times[number], header.hash

    async def _backfill(self, call: Any, conn: str, head: int, down: tuple[int, str], connected: int) -> None:
        # The blocks after the last head we saw were missed: ask for their logs, and record the gap.
        gap: dict[str, Any] = {"from_ns": down[0], "to_ns": connected, "reason": down[1]}
        last = self.head
        if last is not None and head > last:
            gap |= {"from_block": last + 1, "to_block": head}
            with contextlib.suppress(_RpcError, TimeoutError):
                gap["from_block_ns"] = (self._times.get(last) or (await self._time(call, last))[0]) * 10**9
                gap["to_block_ns"] = (await self._time(call, head))[0] * 10**9
            try:
                logs = await call("eth_getLogs", [{**self.filter.params(), "fromBlock": hex(last + 1),
                                                   "toBlock": hex(head)}])
            except (_RpcError, TimeoutError) as e:
                gap |= {"backfilled": False, "backfill_error": f"eth_getLogs: {type(e).__name__}: {e}"}
            else:
                for raw in logs or []:
                    self._add(msgspec.convert(raw, Log), "eth_getLogs backfill")
                self.counts["backfilled"] += len(logs or [])
                gap |= {"backfilled": True, "backfilled_logs": len(logs or []),
                        "reason": f"{down[1]}; blocks {last + 1}..{head} backfilled by eth_getLogs "
                                  f"({len(logs or [])} logs)"}
        self.writer.marker(connected, conn, Marker.GAP, **gap)

    def _add(self, log: Log, via: str) -> None:
        tx, index = _key(log)
        block = (log.block_hash or log.block_number).lower()
        done = self._confirmed.get((tx, index))
        if done is not None and done[0] == block:
            return  # counted already (a backfill overlapping what the subscription delivered)
        self._pending[(tx, index, block)] = (log, via)

    def _remove(self, log: Log, conn: str) -> None:
        tx, index = _key(log)
        block = (log.block_hash or log.block_number).lower()
        if self._pending.pop((tx, index, block), None) is not None:
            self.counts["dropped_unconfirmed"] += 1
            return
        done = self._confirmed.get((tx, index))
        if done is not None and done[0] == block:  # deeper than the declared depth: retract what counted
            del self._confirmed[(tx, index)]
            self._record(conn, log, done[1], {"retraction": "removed: true after it was confirmed"})
            self.counts["retracted"] += 1

    async def _confirm(self, call: Any, conn: str) -> None:
        if self.head is None:
            return
        ready = sorted((k for k, (log, _) in self._pending.items()
                        if self.head - int(log.block_number, 16) >= self.confirmations),
                       key=lambda k: (int(self._pending[k][0].block_number, 16), k[1]))
        for k in ready:
            log, via = self._pending.pop(k)
            number = int(log.block_number, 16)
            block_time, canonical = await self._time(call, number)
            if log.block_hash and canonical and canonical.lower() != log.block_hash.lower():
                self.counts["dropped_unconfirmed"] += 1  # its block was replaced (a reorg we did not see)
                continue
            source = "blockTimestamp" if log.block_timestamp else "eth_getBlockByNumber"
            if log.block_timestamp:
                block_time = int(log.block_timestamp, 16)
            self._confirmed[(k[0], k[1])] = (k[2], block_time, log)
            self._record(conn, log, block_time, {"via": via, "time_source": source})
            self.counts["confirmed"] += 1

    def _record(self, conn: str, log: Log, block_time: int, how: dict[str, Any]) -> None:
        # One confirmed record (or retraction): the eth-logs record shape, written by us, in receipt order.
        ts = self._last_ts = max(_now(), self._last_ts + 1)
        body = {"log": log, "block_time": block_time, "chain": self.filter.chain,
                "confirmed": {"head": self.head, "confirmations": self.confirmations, **how}}
        self.frame(ts, conn, msgspec.json.encode(body), data=False)
