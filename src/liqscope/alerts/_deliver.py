# Delivery through apprise: one URL per channel (Telegram, Discord, Slack, e-mail, webhooks). Channels are sent
# in parallel, each with bounded retries; a channel that fails is reported and never holds up the others.
from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import msgspec

from liqscope.alerts._evaluate import Alert
from liqscope.errors import ConfigError

ATTEMPTS = 3          # per channel: the first try and two retries
BACKOFF_S = 0.5       # before retry i (1-based): BACKOFF_S * 2**(i-1)
# Schemes whose host is an address, not a secret: shown in reports; for every other scheme (tgram://TOKEN/...,
# discord://ID/TOKEN, mailto://user:pass@...) only the scheme is shown.
_HOST_SCHEMES = {"json", "jsons", "xml", "xmls", "form", "forms"}


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """What became of one alert on one channel.

    Attributes:
        channel: The channel, redacted (no token, password or path).
        ok: Delivered.
        attempts: Tries made (at most ``ATTEMPTS``; 0 when the URL is not one apprise knows).
        error: Why it failed, when it did.
    """

    channel: str
    ok: bool
    attempts: int
    error: str | None = None


def redact(url: str) -> str:
    """A channel URL without its secrets: ``json://127.0.0.1:9000``, ``tgram://…``."""
    parts = urlsplit(url)
    scheme = parts.scheme or "?"
    if scheme in _HOST_SCHEMES and parts.hostname:
        port = f":{parts.port}" if parts.port else ""
        return f"{scheme}://{parts.hostname}{port}"
    return f"{scheme}://…"


def _apprise() -> object:
    try:
        import apprise
    except ImportError:  # an optional extra: liqscope[alerts]
        raise ConfigError("alert delivery needs apprise: pip install 'liqscope[alerts]'") from None
    return apprise


def message(alert: Alert) -> tuple[str, str]:
    """The title and body an alert is sent with (the body names the methodology and its fingerprint)."""
    m = alert.methodology
    body = (f"{alert.summary}\nat {alert.ts}\nmethodology {m['name']} v{m['version']} ({m['fingerprint']})")
    return f"liqscope alert: {alert.rule}", body


def _send(url: str, title: str, body: str, attempts: int, backoff_s: float) -> Delivery:
    apprise = _apprise()
    client = apprise.Apprise()  # type: ignore[attr-defined]
    if not client.add(url):
        return Delivery(channel=redact(url), ok=False, attempts=0,
                        error="not an apprise URL apprise can load (see https://github.com/caronc/apprise/wiki)")
    for i in range(1, attempts + 1):
        if client.notify(title=title, body=body):
            return Delivery(channel=redact(url), ok=True, attempts=i)
        if i < attempts:
            time.sleep(backoff_s * 2 ** (i - 1))
    return Delivery(channel=redact(url), ok=False, attempts=attempts, error=f"not delivered after {attempts} attempts")


def deliver(alert: Alert, channels: Sequence[str], *, attempts: int = ATTEMPTS,
            backoff_s: float = BACKOFF_S) -> list[Delivery]:
    """Send ``alert`` to every channel in parallel; one ``Delivery`` per channel, in channel order.

    Raises:
        ConfigError: apprise is not installed (the ``alerts`` extra).
    """
    if not channels:
        return []
    _apprise()
    title, body = message(alert)
    with ThreadPoolExecutor(max_workers=min(len(channels), 8)) as pool:
        return list(pool.map(lambda url: _send(url, title, body, attempts, backoff_s), channels))
