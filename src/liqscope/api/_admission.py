# Admission control: at most `concurrency` requests run at once, at most `queue` more wait for a slot, for
# at most `queue_timeout_s`. Anything else is answered at once with 503 + Retry-After, so a flood costs
# the server a refusal each instead of a thread each (200 concurrent requests took a trivial /api/lake to
# 22 s before, issue 14). A request that runs longer than `request_timeout_s` is answered 504 at that
# moment; its work (a thread in a DuckDB query, which cannot be interrupted) keeps its slot until it ends,
# so the count of running requests is never an undercount.
#
# /api/live is a long-lived event stream, mostly asleep: it does not take a request slot, and the number
# open at once has its own cap (`live_streams`).
from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from liqscope.api._guard import ASGIApp, Message, Receive, Scope, Send, respond

__all__ = ["Admission", "Limits"]


@dataclass(frozen=True, kw_only=True)
class Limits:
    """How much work the server accepts at once (``liqscope serve --max-concurrent`` and friends).

    Attributes:
        concurrency: Requests running at once.
        queue: Requests waiting for a slot at once; more are refused immediately (0: never wait).
        queue_timeout_s: How long a request may wait for a slot before it is refused.
        request_timeout_s: How long a request may run before it is answered 504.
        live_streams: ``/api/live`` streams open at once.
        retry_after_s: The ``Retry-After`` a refused request is given.
    """

    concurrency: int = 4
    queue: int = 16
    queue_timeout_s: float = 5.0
    request_timeout_s: float = 30.0
    live_streams: int = 32
    retry_after_s: float = 2.0

    def __post_init__(self) -> None:
        from liqscope.errors import ConfigError

        for name in ("concurrency", "live_streams"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: must be at least 1, got {getattr(self, name)}")
        if self.queue < 0:
            raise ConfigError(f"queue: must be 0 or more, got {self.queue}")
        for name in ("queue_timeout_s", "request_timeout_s", "retry_after_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(f"{name}: must be a positive number of seconds, got {value}")


class _Gate:
    # asyncio primitives belong to one event loop; `liqscope api get` runs each request in a new one.
    def __init__(self, limits: Limits) -> None:
        self.loop = asyncio.get_running_loop()
        self.slots = asyncio.Semaphore(limits.concurrency)
        self.waiting = 0
        self.live = 0


class Admission:
    """ASGI middleware enforcing ``Limits``; refusals are the error envelope."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app, self.limits = app, limits
        self._retry = [("retry-after", str(math.ceil(limits.retry_after_s)))]
        self._gate: _Gate | None = None

    def gate(self) -> _Gate:
        if self._gate is None or self._gate.loop is not asyncio.get_running_loop():
            self._gate = _Gate(self.limits)
        return self._gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gate, lim = self.gate(), self.limits
        if scope["path"] == "/api/live":
            await self._live(gate, scope, receive, send)
            return
        if gate.slots.locked() and gate.waiting >= lim.queue:
            await respond(send, 503, f"busy: {lim.concurrency} requests are running and {gate.waiting} waiting, the "
                          f"most this server queues; retry after {self._retry[0][1]} s", headers=self._retry)
            return
        gate.waiting += 1
        try:
            async with asyncio.timeout(lim.queue_timeout_s):
                await gate.slots.acquire()
        except TimeoutError:
            await respond(send, 503, f"busy: no request slot came free within {lim.queue_timeout_s:g} s "
                          f"({lim.concurrency} run at once); retry after {self._retry[0][1]} s",
                          headers=self._retry)
            return
        finally:
            gate.waiting -= 1
        await self._run(gate, scope, receive, send)

    async def _run(self, gate: _Gate, scope: Scope, receive: Receive, send: Send) -> None:
        started = abandoned = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if abandoned:
                return  # the client already has its 504
            started = started or message["type"] == "http.response.start"
            await send(message)

        def finished(t: asyncio.Future[None]) -> None:
            gate.slots.release()  # only when the work has really ended, even after a 504
            if not t.cancelled():
                t.exception()  # retrieved: an abandoned request's error is in the server log already

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        task.add_done_callback(finished)
        done, _ = await asyncio.wait({task}, timeout=self.limits.request_timeout_s)
        if task in done or started:
            await task  # a response under way (or finished) is not cut off
            return
        abandoned = True
        await respond(send, 504, f"the request ran longer than {self.limits.request_timeout_s:g} s, this server's "
                      "limit; ask for a narrower window, or raise liqscope serve --request-timeout")

    async def _live(self, gate: _Gate, scope: Scope, receive: Receive, send: Send) -> None:
        if gate.live >= self.limits.live_streams:
            await respond(send, 503, f"busy: {self.limits.live_streams} live streams are open, the most this "
                          f"server keeps; retry after {self._retry[0][1]} s", headers=self._retry)
            return
        gate.live += 1
        try:
            await self.app(scope, receive, send)
        finally:
            gate.live -= 1

