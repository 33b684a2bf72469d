"""Delivery through apprise to real HTTP servers on 127.0.0.1: bounded retries, a failed channel never blocks."""

from __future__ import annotations

import socket
from decimal import Decimal

from liqscope.alerts import Alert, deliver, redact

ALERT = Alert(rule="burst", kind="notional", ts="2025-12-27T15:30:56.520Z", ts_ns=1_766_849_456_520_000_000,
              value_usd=Decimal("146523.1"), value=None, threshold=Decimal(100000),
              summary="[burst] $146,523 liquidated in 60s", detail={},
              methodology={"name": "standard", "version": 1, "fingerprint": "7de90ff93c33"},
              key="burst@1766849456520000000")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_alert_reaches_a_webhook_with_its_methodology_fingerprint() -> None:
    from tests.alerts._http import hook

    with hook() as (url, received):
        (result,) = deliver(ALERT, [url])
    assert (result.ok, result.attempts, result.channel) == (True, 1, url.rsplit("/", 1)[0])
    (posted,) = received
    assert posted["path"] == "/hook" and posted["title"] == "liqscope alert: burst"
    assert "$146,523" in posted["message"] and "7de90ff93c33" in posted["message"]
    assert "2025-12-27T15:30:56.520Z" in posted["message"]


def test_a_failing_channel_is_retried_a_bounded_number_of_times_and_does_not_stop_the_others() -> None:
    """A server answering 500 gets exactly 3 attempts; a refused port and a bad URL fail; the good one delivers."""
    from tests.alerts._http import hook

    dead = f"json://127.0.0.1:{_closed_port()}/hook"
    with hook(status=500) as (broken, broken_got), hook() as (good, good_got):
        results = deliver(ALERT, [broken, dead, "nosuchservice://token", good], backoff_s=0.01)
    assert [(r.ok, r.attempts) for r in results] == [(False, 3), (False, 3), (False, 0), (True, 1)]
    assert len(broken_got) == 3 and len(good_got) == 1
    assert all(r.error for r in results[:3]) and results[3].error is None


def test_channel_secrets_are_not_reported() -> None:
    assert redact("tgram://123456:ABCDEF/987654") == "tgram://…"
    assert redact("mailto://user:secret@example.com") == "mailto://…"
    assert redact("json://127.0.0.1:9000/hook?token=x") == "json://127.0.0.1:9000"
