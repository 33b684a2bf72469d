# `liqscope api get PATH`: one GET through the ASGI app in this process, no socket (like datasette --get).
from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit


async def _call(app: Any, path: str) -> tuple[int, dict[str, str], bytes]:
    url = urlsplit(path)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": url.path, "raw_path": url.path.encode(), "query_string": url.query.encode(), "root_path": "",
        "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 0), "server": ("localhost", 80),
    }
    status, headers, body = 500, {}, bytearray()
    done = asyncio.Event()
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # a streaming response (/api/live) ends when we "disconnect" after its first chunk
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))
            if not message.get("more_body") or headers.get("content-type", "").startswith("text/event-stream"):
                done.set()

    task = asyncio.ensure_future(app(scope, receive, send))
    finished = asyncio.ensure_future(done.wait())
    await asyncio.wait({task, finished}, return_when=asyncio.FIRST_COMPLETED)
    if not task.done():
        task.cancel()
    finished.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    except Exception:
        # Starlette re-raises an unhandled error after answering it with the 500 envelope (for the server's
        # log, which the API's crash handler has already written): the answer is what `api get` prints.
        if not done.is_set():
            raise
    return status, headers, bytes(body)


def get(app: Any, path: str) -> tuple[int, dict[str, str], bytes]:
    """Run ``GET path`` through ``app``; returns (status, headers, body)."""
    return asyncio.run(_call(app, path))
