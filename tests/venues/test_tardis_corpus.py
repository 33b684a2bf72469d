"""Every message of the Tardis liquidation corpus gets a clear outcome: events, a skip, a quarantine
with its reason, or "unsupported venue" with the reason we do not read that venue. Never a crash.

The corpus (tests/fixtures/tardis_corpus/, copied from shared/data/real with its provenance) holds 43
raw frames from 17 Tardis feeds. Each is routed by its Tardis venue name to one of our venues and run
through that venue's real decode -> parse path; the outcome of every line is pinned in a golden file.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import msgspec
import pytest

from liqscope.events import Received
from liqscope.normalize import Outcome, normalize_record
from liqscope.venues import venues
from liqscope.venues.bybit_inverse.parse import is_inverse_symbol
from tests.venues._cases import FIXED_RECV_NS, _shown

CORPUS = Path(__file__).parent.parent / "fixtures" / "tardis_corpus" / "liquidation_messages_by_venue.jsonl"
GOLDEN = CORPUS.with_name(CORPUS.name + ".expected.jsonl")
# sha256 of shared/data/real/venue_liquidation_messages_tardis/liquidation_messages_by_venue.jsonl
SHA256 = "f17b8a80309c0526fc3172b500de52efa406b237a5d87aa4ba846ec197286d8b"

# Tardis feed name -> our venue id. Bybit's one Tardis feed carries linear and inverse contracts; the
# symbol in the topic decides (on the venue they are two websocket endpoints).
VENUE_OF = {
    "binance-futures": "binance_usdm",
    "binance-delivery": "binance_coinm",
    "okex-swap": "okx_swap",
    "okex-futures": "okx_futures",
    "bitmex": "bitmex",
    "deribit": "deribit",
    "dydx-v4": "dydx_v4",
    "bitget-futures": "bitget_futures",
    "cryptofacilities(kraken-futures)": "kraken_futures",
    "bybit": "bybit_linear | bybit_inverse",
}
# Feeds liqscope does not read, each with the reason. A corpus venue must be in exactly one table.
UNSUPPORTED = {
    "bitfinex-derivatives": "Bitfinex derivatives: no venue module (liquidations global channel, 'pos' arrays)",
    "ftx": "FTX: exchange closed in November 2022; historical frames only, no venue module",
    "ftx-us": "FTX US: closed with FTX; no venue module",
    "huobi-dm": "Huobi (HTX) delivery futures: no venue module (public.*.liquidation_orders)",
    "huobi-dm-swap": "Huobi (HTX) coin-margined swaps: no venue module",
    "huobi-dm-linear-swap": "Huobi (HTX) USDT-margined swaps: no venue module",
    "lighter": "Lighter: no venue module (liquidation_trades inside trade messages)",
}
RX_REF = "tardis_corpus"


def _lines() -> list[tuple[int, str, bytes]]:
    out = []
    for n, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), start=1):
        venue = json.loads(line)["venue"]
        start = line.index('"message":') + len('"message":')
        out.append((n, venue, line[start:-1].encode()))  # the frame's own bytes, as the venue sent them
    return out


def route(tardis_venue: str, raw: bytes) -> str | None:
    """Our venue id for a corpus frame, or None for an unsupported feed."""
    if tardis_venue in UNSUPPORTED:
        return None
    if tardis_venue == "bybit":
        topic = json.loads(raw).get("topic", "")
        return "bybit_inverse" if is_inverse_symbol(topic.rsplit(".", 1)[-1]) else "bybit_linear"
    return VENUE_OF[tardis_venue]


def _outcome(venue: str, n: int, raw: bytes) -> Outcome:
    spec = venues()[venue]
    return normalize_record(spec.decode, spec.parse, raw, Received(ts_ns=FIXED_RECV_NS, ref=f"{RX_REF}:{n}"))


def _rows() -> list[dict]:
    rows = []
    for n, tardis_venue, raw in _lines():
        venue = route(tardis_venue, raw)
        row: dict = {"line": n, "tardis_venue": tardis_venue, "venue": venue}
        if venue is None:
            row["unsupported"] = UNSUPPORTED[tardis_venue]
        else:
            out = _outcome(venue, n, raw)
            if out.quarantined:
                row.update(quarantined=out.error, field=out.field)
            elif out.skipped is not None:
                row["skipped"] = out.skipped
            else:
                row["events"] = [_shown(e) for e in out.events]  # lending-only fields only when set
        rows.append(row)
    return rows


def test_the_corpus_is_the_shared_file_copied_unchanged():
    assert hashlib.sha256(CORPUS.read_bytes()).hexdigest() == SHA256


def test_every_corpus_venue_is_routed_or_listed_unsupported_never_both():
    names = {v for _, v, _ in _lines()}
    assert names == set(VENUE_OF) | set(UNSUPPORTED)
    assert not set(VENUE_OF) & set(UNSUPPORTED)
    assert {r for r in VENUE_OF.values() if "|" not in r} <= set(venues())


def test_every_message_has_a_clear_outcome(golden):
    """Events, a skip, a quarantine with its reason, or unsupported: pinned per line."""
    rows = _rows()
    for row in rows:
        kinds = [k for k in ("events", "skipped", "quarantined", "unsupported") if k in row]
        assert len(kinds) == 1, row
        if "events" in row:
            assert row["events"], row
        if "quarantined" in row:
            assert row["quarantined"].strip(), row
    golden.check(GOLDEN, "".join(msgspec.json.encode(r).decode() + "\n" for r in rows))


def test_outcome_counts():
    """43 messages: 18 from 7 feeds we do not read; the 25 others by outcome (per-line detail in the golden)."""
    rows = _rows()
    kinds = Counter(next(k for k in ("events", "skipped", "quarantined", "unsupported") if k in r) for r in rows)
    assert len(rows) == 43
    assert kinds["unsupported"] == 4 + 3 + 1 + 3 + 3 + 1 + 3  # bitfinex, ftx, ftx-us, huobi x3, lighter
    assert kinds["events"] + kinds["skipped"] + kinds["quarantined"] == 25
    # events: lines 1-3, 5-11 (OKX v3 history: 5, 6, 10, 11), 16-17, 19-20, 31-40; skip: the BitMEX delete (4)
    assert kinds == Counter(events=24, skipped=1, unsupported=18)
    # 27 liquidations: one per frame except line 32 (three Bybit REST records) and line 40 (two Bitget pairs)
    assert sum(len(r["events"]) for r in rows if "events" in r) == 27


@pytest.mark.parametrize(("line", "expected_venue"), [(31, "bybit_inverse"), (35, "bybit_linear"),
                                                      (37, "bybit_inverse"), (38, "bybit_linear")])
def test_bybit_frames_are_routed_by_contract_type(line, expected_venue):
    (_, venue, raw), = [x for x in _lines() if x[0] == line]
    assert route(venue, raw) == expected_venue
