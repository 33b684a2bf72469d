"""Hypothesis fuzzing of every registered venue's decode -> parse path.

Properties, for any input: nothing but the typed failures (``PARSE_FAILURES``, ``NotALiquidation``)
escapes a parser; ``normalize_record`` never raises; memory stays bounded; and whatever events come
out have a positive finite notional within the sanity bounds, a known side (LONG/SHORT; none only on
account-level records), integer-ns UTC timestamps, and fit the lake.

Inputs are arbitrary bytes, and structure-aware mutants of the venue's real fixture frames: random
nodes replaced by random JSON (numbers as strings and as numbers, huge and tiny exponents, unicode,
the venue's own vocabulary of keys and enum values), deleted, or nested.

Sized by a settings profile: ``LIQSCOPE_FUZZ=ci`` (default, deterministic: 75 examples per venue and
test, 225 per venue) or ``LIQSCOPE_FUZZ=deep`` (5,000 per venue and test, random seed).
"""

from __future__ import annotations

import functools
import json
import os
import tracemalloc
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from liqscope._time import iso_ns
from liqscope.errors import NotALiquidation
from liqscope.events import MAX_NOTIONAL_USD, InstrumentKind, LiquidationEvent, PositionSide, Received
from liqscope.normalize import PARSE_FAILURES, normalize_record
from liqscope.store._schema import events_to_table
from liqscope.venues import venues
from tests.reliability._mutate import _DELETE, VENUES_ROOT, _apply, _nodes, dump

_COMMON = dict(deadline=None, database=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.register_profile("liqscope-ci", max_examples=75, derandomize=True, **_COMMON)
settings.register_profile("liqscope-deep", max_examples=5_000, **_COMMON)
FUZZ = settings.get_profile(f"liqscope-{os.environ.get('LIQSCOPE_FUZZ', 'ci')}")

VENUES = sorted(venues())
RX = Received(ts_ns=1_800_000_000_000_000_000, ref="fuzz:1")
# Deep nesting, 5,000-digit numbers, exponents past Decimal's range, NUL bytes, a BOM: each crashed a
# parser or the decoder once, or could.
NASTY = [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"ts":"' + b"1" * 5_000 + b'","T":' + b"9" * 5_000 + b"}",
    b'{"p":"1e999999999","q":"1e-999999999","x":9E+999999999}',
    b"\x00\x00\xef\xbb\xbf{}",
]


@functools.cache
def _frames(venue: str) -> list[bytes]:
    return [line for path in sorted((VENUES_ROOT / venue).glob("*.jsonl")) if not path.name.endswith(
        ".expected.jsonl") for line in path.read_bytes().splitlines() if line.strip()]


@functools.cache
def _json_frames(venue: str) -> list[Any]:
    out = []
    for raw in _frames(venue):
        try:
            out.append(json.loads(raw, parse_float=Decimal))
        except ValueError:
            continue  # a non-JSON frame (OKX "pong") has no tree to mutate
    return out


@functools.cache
def _json_of(venue: str) -> st.SearchStrategy[Any]:
    keys, strings = {"x"}, {"x"}
    for tree in _json_frames(venue):
        for path, value, member in _nodes(tree):
            if member:
                keys.add(path[-1])
            if isinstance(value, str) and len(value) <= 40:
                strings.add(value)
    return _json(sorted(keys), sorted(strings)[:400])


def _numeric_text() -> st.SearchStrategy[str]:
    return st.from_regex(r"-?\d{1,25}(\.\d{1,25})?([eE][-+]?\d{1,6})?", fullmatch=True) | st.sampled_from(
        ["NaN", "Infinity", "-Infinity", "-0", "0", "1e-30", "1E+30", ""])


def _json(keys: list[str], strings: list[str]) -> st.SearchStrategy[Any]:
    leaf = st.one_of(
        st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
        st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(lambda d: abs(d.adjusted()) < 400),
        _numeric_text(), st.text(max_size=24), st.sampled_from(strings),
    )
    return st.recursive(leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(keys) | st.text(max_size=6), inner, max_size=4), max_leaves=6)


def _check_events(events: list[LiquidationEvent]) -> None:
    for e in events:
        assert isinstance(e, LiquidationEvent)
        assert e.notional_usd.is_finite() and Decimal(0) < e.notional_usd <= MAX_NOTIONAL_USD
        assert e.quantity.is_finite() and e.quantity > 0
        if e.instrument_kind is InstrumentKind.ACCOUNT:
            assert e.liquidated_side is None
        else:
            assert type(e.liquidated_side) is PositionSide
        for ts in (e.ts_event, e.ts_recv):
            assert type(ts) is int and iso_ns(ts).endswith("Z")  # int ns UTC: never a (naive) datetime
    events_to_table(events, ["fuzz"] * len(events))  # the lake can hold every value


def _bounded(raw: bytes, venue: str) -> list[LiquidationEvent]:
    spec = venues()[venue]
    tracemalloc.start()
    try:
        out = normalize_record(spec.decode, spec.parse, raw, RX)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Bounded memory: a few times the input plus a constant, whatever the input.
    assert peak <= 4 * 1024 * 1024 + 64 * len(raw), f"{peak:,} bytes peak for a {len(raw):,}-byte record"
    return out.events


@pytest.mark.parametrize("venue_id", VENUES)
@FUZZ
@given(raw=st.binary(max_size=512))
@example(raw=NASTY[0])
@example(raw=NASTY[1])
@example(raw=NASTY[2])
@example(raw=NASTY[3])
@example(raw=NASTY[4])
def test_only_typed_failures_escape_a_parser(venue_id, raw):
    spec = venues()[venue_id]
    try:
        events = spec.parse(spec.decode(raw), RX)
    except (*PARSE_FAILURES, NotALiquidation):
        return
    _check_events(events)


@pytest.mark.parametrize("venue_id", VENUES)
@FUZZ
@given(data=st.data())
def test_mutated_real_frames_normalize_safely_in_bounded_memory(venue_id, data):
    trees = _json_frames(venue_id)
    if not trees:
        pytest.skip(f"{venue_id} has no JSON fixture frames yet")
    tree = data.draw(st.sampled_from(trees), label="frame")
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        paths = [p for p, _, _ in _nodes(tree)]
        if not paths:
            break
        path = data.draw(st.sampled_from(paths), label="path")
        action = data.draw(st.sampled_from(["replace", "replace", "delete", "wrap"]), label="action")
        if action == "delete":
            tree = _apply(tree, path, lambda _v: _DELETE)
        elif action == "wrap":
            tree = _apply(tree, path, lambda v: [v, v])
        else:
            new = data.draw(_json_of(venue_id), label="value")
            tree = _apply(tree, path, lambda _v, _n=new: _n)
    raw = dump(tree).encode()
    _check_events(_bounded(raw, venue_id))


@pytest.mark.parametrize("venue_id", VENUES)
@FUZZ
@given(raw=st.binary(max_size=256), cut=st.integers(0, 4096))
def test_spliced_and_truncated_real_frames_never_crash_normalize(venue_id, raw, cut):
    """Real frames cut at any byte, or with random bytes spliced in, are typed failures at worst."""
    frames = _frames(venue_id)
    if not frames:
        pytest.skip(f"{venue_id} has no fixture frames yet")
    frame = frames[cut % len(frames)]
    at = cut % (len(frame) + 1)
    for candidate in (frame[:at], frame[:at] + raw + frame[at:]):
        _check_events(_bounded(candidate, venue_id))

