"""Stream specs, the replay server's dialects, backoff and fault syntax (no sockets here)."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

import msgspec
import pytest

from liqscope.capture import FAULT_KINDS, Backoff, Fault, get_stream, stream_venues
from liqscope.errors import ConfigError, UnknownName
from liqscope.events import Received
from liqscope.normalize import normalize_record
from liqscope.venues import get_venue
from liqscope.venues._stream import dialects, new_session

REQUIRED = ("binance_usdm", "binance_coinm", "bybit_linear", "bybit_inverse", "okx_swap", "bitmex", "deribit",
            "dydx_v4")


def test_every_venue_the_issue_names_has_a_live_stream():
    assert set(REQUIRED) <= set(stream_venues())
    # Venues that share a dialect share its class (Binance USD-M and COIN-M, Bybit linear and inverse).
    assert set(dialects()) == {"binance", "bybit", "okx", "bitmex", "deribit", "dydx"}


@pytest.mark.parametrize("venue", stream_venues())
def test_the_replay_server_accepts_the_clients_own_subscription_and_its_acks_are_not_data(venue):
    """What the client sends is what the venue's dialect accepts; every reply is control, and skipped."""
    stream = get_stream(venue)
    spec = get_venue(venue)
    assert stream.venue == venue and urlsplit(stream.url).scheme == "wss"
    url = urlsplit(stream.url)
    session = new_session(stream.protocol, url.path + (f"?{url.query}" if url.query else ""), "c1")
    assert session.path_error() is None
    replies = list(session.hello())
    for frame in stream.subscribe_frames():
        msgspec.json.decode(frame)  # valid JSON
        replies += session.on_message(frame)
    if stream.ping is not None:
        replies += session.on_message(stream.ping)
    assert session.subscribed
    rx = Received(ts_ns=1_800_000_000_000_000_000, ref="t:1")
    for reply in replies:
        raw = reply.encode()
        if not stream.control(raw):
            assert venue == "dydx_v4" and b'"subscribed"' in raw  # dYdX's ack carries the recent trades
        outcome = normalize_record(spec.decode, spec.parse, raw, rx)
        assert not outcome.quarantined and not outcome.events, (venue, reply)


def test_deribit_answers_the_servers_heartbeat_request():
    stream = get_stream("deribit")
    session = new_session("deribit", "/ws/api/v2", "c1")
    session.on_message(stream.subscribe_frames()[0])  # public/set_heartbeat
    assert session.heartbeat_s == 30
    request = session.heartbeat()
    assert session.awaiting_test
    answer = stream.reply(request.encode())
    assert msgspec.json.decode(answer)["method"] == "public/test"
    session.on_message(answer)
    assert not session.awaiting_test


def test_wrong_subscriptions_get_the_venues_error_not_data():
    okx = new_session("okx", "/ws/v5/public", "c1")
    assert '"event":"error"' in okx.on_message('{"op":"subscribe","args":[{"channel":"trades","instId":"X"}]}')[0]
    assert not okx.subscribed
    bybit = new_session("bybit", "/v5/public/linear", "c1")
    assert '"success":false' in bybit.on_message('{"op":"subscribe","args":["orderbook.1.BTCUSDT"]}')[0]
    assert not bybit.subscribed
    assert new_session("binance", "/fapi/v1/nothing", "c1").path_error() is not None


def test_backoff_doubles_up_to_the_cap_with_jitter_and_resets():
    b = Backoff(base=1.0, cap=8.0, rng=random.Random(3))
    delays = [b.next() for _ in range(6)]
    for d, bound in zip(delays, (1, 2, 4, 8, 8, 8), strict=True):
        assert bound / 2 <= d <= bound
    assert len(set(delays)) == 6  # jittered: no two reconnects in lockstep
    b.reset()
    assert 0.5 <= b.next() <= 1.0


def test_fault_syntax_is_strict_and_lists_the_kinds():
    assert Fault.parse("drop@100") == Fault("drop", 100)
    assert Fault.parse("stall@5:1.5") == Fault("stall", 5, 1.5)
    with pytest.raises(UnknownName, match="valid values: " + ", ".join(sorted(FAULT_KINDS))):
        Fault.parse("explode@3")
    for bad in ("drop", "drop@x", "drop@3:2", "stall@3:soon"):
        with pytest.raises(ConfigError):
            Fault.parse(bad)


def test_a_venue_without_a_stream_is_named_with_the_valid_ones():
    with pytest.raises(UnknownName, match="okx_swap"):
        get_stream("nowhere")
