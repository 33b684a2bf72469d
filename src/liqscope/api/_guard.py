# The web face's outer layers, as plain ASGI middleware (no framework import, so they also wrap the
# responses FastAPI's own error middleware produces):
#   security_headers: a strict Content-Security-Policy and friends on every response;
#   HostGuard: refuse a request whose Host is not allowed (DNS rebinding) or whose Origin is foreign.
# A refusal is the one error envelope (liqscope.api.envelope.failure).
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from liqscope.api.envelope import FieldError, failure

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The dashboard loads only its own files and talks only to its own server: no inline script, no inline
# style attribute (the charts position the tooltip through the CSSOM, which CSP allows), no eval, no
# plugins, no framing, no <base> rewriting, and no form posting anywhere.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
    "font-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'none'",
])
SECURITY_HEADERS: dict[str, str] = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "cross-origin-opener-policy": "same-origin",
}
_ENCODED = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

# Names that always reach this machine: a page elsewhere cannot be served under them, so a request that
# names one was sent to this server on purpose. Any port.
LOOPBACK_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")


def security_headers(app: ASGIApp) -> ASGIApp:
    """Wrap ``app`` so that every HTTP response carries ``SECURITY_HEADERS`` (replacing any the app set)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                ours = {k for k, _ in _ENCODED}
                kept = [(k, v) for k, v in message.get("headers", []) if bytes(k).lower() not in ours]
                message["headers"] = kept + _ENCODED
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped


async def respond(send: Send, status: int, error: str, errors: list[FieldError] | None = None,
                  headers: Iterable[tuple[str, str]] = ()) -> None:
    """Answer with the error envelope, straight from ASGI."""
    body = failure(status, error, errors)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
           *((k.encode(), v.encode()) for k, v in headers)]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def normalize_host(name: str) -> str:
    """``[::1]`` -> ``::1``; names compare case-insensitively."""
    name = name.strip().lower()
    return name[1:-1] if name.startswith("[") and name.endswith("]") else name


def host_name(header: str) -> str | None:
    """The name in a Host header value (``localhost:8000`` -> ``localhost``, ``[::1]:80`` -> ``::1``), or
    None when the value is not ``name[:port]``."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1:]
        return name if not rest or (rest[0] == ":" and rest[1:].isdigit()) else None
    if value.count(":") > 1:
        return value  # a bare IPv6 address (no port can follow it)
    name, sep, port = value.partition(":")
    if sep and not port.isdigit():
        return None
    return name or None


class HostGuard:
    """Refuse (403) a request whose Host is not allowed, or that comes from a foreign Origin.

    DNS rebinding makes a hostile page's own name resolve to 127.0.0.1, so the browser sends it to this
    server as same-origin; its Host header still carries the hostile name, and that is what is checked.
    An ``Origin`` header (a browser's cross-origin request, or any fetch but a same-origin GET) must be this
    server's own origin or one of the CORS origins.
    """

    def __init__(self, app: ASGIApp, hosts: Iterable[str] = (), cors_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.hosts = tuple(dict.fromkeys([*LOOPBACK_HOSTS, *(normalize_host(h) for h in hosts)]))
        self.cors_origins = tuple(cors_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # policy violation (no route uses one yet)
        else:
            await respond(send, 403, *refusal)

    def refusal(self, scope: Scope) -> tuple[str, list[FieldError]] | None:
        """Why the request may not be served (the error and its details), or None."""
        headers: dict[bytes, bytes] = {}
        for k, v in scope.get("headers", []):
            headers.setdefault(bytes(k).lower(), bytes(v))
        host = headers.get(b"host", b"").decode("latin-1")
        name = host_name(host)
        if name is None or name not in self.hosts:
            message = (f"{host!r} is not an allowed host name; allowed: {', '.join(self.hosts)} (any port). "
                       "Add one with liqscope serve --allow-host NAME")
            return f"Host: {message}", [FieldError(param="Host", message=message, valid=list(self.hosts))]
        origin = headers.get(b"origin")
        if origin is not None and not self._origin_allowed(origin.decode("latin-1"), host):
            allowed = ", ".join(["this server's own origin", *self.cors_origins])
            message = (f"{origin.decode('latin-1')!r} may not call this server; allowed: {allowed}. "
                       "Add one with liqscope serve --cors-origin ORIGIN")
            return f"Origin: {message}", [FieldError(param="Origin", message=message)]
        return None

    def _origin_allowed(self, origin: str, host: str) -> bool:
        if origin in self.cors_origins:
            return True
        url = urlsplit(origin)
        return url.scheme in ("http", "https") and bool(url.netloc) and url.netloc.lower() == host.strip().lower()
