"""A loopback Ethereum JSON-RPC websocket node for the lending capture tests (a real ``websockets`` server).

It speaks what ``capture`` uses: ``eth_subscribe`` (``newHeads``, ``logs`` with an address/topic0 filter),
``eth_unsubscribe``, ``eth_blockNumber``, ``eth_getBlockByNumber`` and ``eth_getLogs``, with JSON-RPC errors for
anything else. The test drives the chain: ``head`` announces a block, ``emit`` includes a log (delivered to the
matching subscriptions), ``remove`` re-delivers it with ``removed: true`` (a reorg), ``drop`` cuts every
connection without a close frame, and ``accepting`` refuses new ones (a node that is down).

Logs are the real ones of tests/fixtures/lending/; block numbers and times are real (the fixture's blocks, and
blocks of the Chainlink updates in the bundled series). Block hashes are not in the fixtures: the node labels each
block with ``0x`` + sha256("<number>:<branch>"), so a reorg's replacement block has another hash.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
from typing import Any

import msgspec
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Response


def block_hash(number: int, branch: str = "a") -> str:
    return "0x" + hashlib.sha256(f"{number}:{branch}".encode()).hexdigest()


class EthNode:
    """The node: ``async with EthNode() as node: node.url``."""

    def __init__(self) -> None:
        self.blocks: dict[int, dict[str, str]] = {}
        self.logs: list[dict[str, Any]] = []   # canonical logs (with blockHash)
        self.tip = 0                            # the head block number
        self.accepting = True
        self.requests: list[str] = []           # methods called, in order
        self._conns: dict[ServerConnection, dict[str, tuple[str, dict[str, Any]]]] = {}
        self._ids = itertools.count(1)
        self._server: Any = None
        self.port = 0

    async def __aenter__(self) -> EthNode:
        self._server = await serve(self._handle, "127.0.0.1", 0, process_request=self._gate, max_size=None)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v3/not-a-key"

    def _gate(self, _conn: ServerConnection, _request: Any) -> Response | None:
        if self.accepting:
            return None
        return _conn.respond(503, "node down\n")

    def subscribed(self) -> int:
        """Connections holding both a newHeads and a logs subscription."""
        return sum(1 for subs in self._conns.values() if {k for k, _ in subs.values()} == {"newHeads", "logs"})

    async def wait_subscribed(self, n: int, timeout_s: float = 20.0) -> None:
        async with asyncio.timeout(timeout_s):
            while self.subscribed() < n:
                await asyncio.sleep(0.02)

    # -- the chain, driven by the test --

    async def head(self, number: int, timestamp: int, branch: str = "a") -> None:
        header = {"number": hex(number), "timestamp": hex(timestamp), "hash": block_hash(number, branch),
                  "parentHash": block_hash(number - 1)}
        self.blocks[number] = header
        self.tip = max(self.tip, number)
        await self._notify("newHeads", lambda _f: True, header)

    async def emit(self, log: dict[str, Any], branch: str = "a") -> dict[str, Any]:
        delivered = {**log, "blockHash": block_hash(int(log["blockNumber"], 16), branch), "removed": False}
        self.logs.append(delivered)
        await self._notify("logs", lambda f: _matches(f, delivered), delivered)
        return delivered

    async def remove(self, delivered: dict[str, Any]) -> None:
        self.logs.remove(delivered)
        gone = {**delivered, "removed": True}
        await self._notify("logs", lambda f: _matches(f, gone), gone)

    async def drop(self) -> None:
        """Cut every connection: TCP closed without a websocket close frame."""
        for conn in list(self._conns):
            conn.transport.abort()
        self._conns.clear()

    async def _notify(self, kind: str, match: Any, result: dict[str, Any]) -> None:
        for conn, subs in list(self._conns.items()):
            for sub, (k, flt) in subs.items():
                if k == kind and match(flt):
                    with contextlib.suppress(Exception):
                        await conn.send(msgspec.json.encode({"jsonrpc": "2.0", "method": "eth_subscription",
                                                             "params": {"subscription": sub, "result": result}})
                                        .decode())

    # -- JSON-RPC --

    async def _handle(self, conn: ServerConnection) -> None:
        self._conns[conn] = {}
        try:
            async for raw in _until_closed(conn):
                req = msgspec.json.decode(raw)
                self.requests.append(req["method"])
                try:
                    result = self._answer(conn, req["method"], req.get("params", []))
                    reply = {"jsonrpc": "2.0", "id": req["id"], "result": result}
                except KeyError as e:
                    reply = {"jsonrpc": "2.0", "id": req["id"], "error": {"code": -32601, "message": str(e)}}
                await conn.send(msgspec.json.encode(reply).decode())
        finally:
            self._conns.pop(conn, None)

    def _answer(self, conn: ServerConnection, method: str, params: list[Any]) -> Any:
        if method == "eth_subscribe":
            sub = hex(next(self._ids) + 0x1000)
            self._conns[conn][sub] = (params[0], params[1] if len(params) > 1 else {})
            return sub
        if method == "eth_unsubscribe":
            return self._conns[conn].pop(params[0], None) is not None
        if method == "eth_blockNumber":
            return hex(self.tip)
        if method == "eth_getBlockByNumber":
            return self.blocks.get(int(params[0], 16))
        if method == "eth_getLogs":
            flt = params[0]
            lo, hi = int(flt["fromBlock"], 16), int(flt["toBlock"], 16)
            return [log for log in self.logs if lo <= int(log["blockNumber"], 16) <= hi and _matches(flt, log)]
        raise KeyError(f"the method {method} does not exist/is not available")


async def _until_closed(conn: ServerConnection) -> Any:
    # A dropped connection ends the loop quietly (the drop is the test's own doing).
    with contextlib.suppress(ConnectionClosed):
        async for raw in conn:
            yield raw


def _matches(flt: dict[str, Any], log: dict[str, Any]) -> bool:
    addresses = flt.get("address") or []
    if isinstance(addresses, str):
        addresses = [addresses]
    if addresses and log["address"].lower() not in [a.lower() for a in addresses]:
        return False
    topics = flt.get("topics") or []
    if topics and topics[0]:
        wanted = topics[0] if isinstance(topics[0], list) else [topics[0]]
        if log["topics"][0].lower() not in [t.lower() for t in wanted]:
            return False
    return True
