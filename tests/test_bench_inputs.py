"""The benchmark's replicated real frames (bench/_fixtures.py) are distinct liquidations of the same shape.

Not a timing test: it checks the input the normalize and ingest benchmarks time. Each replica, read by the
venue's reference path, must give the base frame's events with only the time moved (k seconds) and the
id changed, so a benchmark times distinct liquidations and never a cache of one.
"""

from __future__ import annotations

import pytest
from bench._fixtures import RULES, STEP_MS, base_frames, replicate

from liqscope.events import Source
from liqscope.normalize import normalize_batch
from liqscope.venues import get_venue, venues

_RECV = 1_790_000_000_000_000_000
_KEPT = ("venue", "market", "liquidated_side", "price", "quantity", "quantity_unit", "notional_usd", "price_kind")


def _events(venue: str, frames: list[bytes]) -> list[dict[str, object]]:
    spec = get_venue(venue)
    n = len(frames)
    batch = normalize_batch(spec.decode, spec.parse, frames, [_RECV] * n, [f"t:{i}" for i in range(n)], [""] * n,
                            source=Source.WS, fast=False)
    assert not batch.outcomes, {i: (o.skipped, o.error) for i, o in batch.outcomes.items()}
    return batch.table.to_pylist()


def test_every_fast_venue_without_a_simulator_has_a_rule() -> None:
    from liqscope.simulate import simulated_venues

    fast = {vid for vid, spec in venues().items() if spec.parse_batch is not None}
    assert fast - set(simulated_venues()) == set(RULES)


@pytest.mark.parametrize("venue", sorted(RULES))
def test_replicas_are_distinct_liquidations_of_the_base_frames(venue: str) -> None:
    base = base_frames(venue)
    assert base, "no real frame of the venue's fixtures normalizes to an event"
    assert all(b'"generated":true' not in frame for frame in base)
    ks = (0, 1, 7, 150_000)
    replicas = [replicate(venue, frame, k) for k in ks for frame in base]
    assert replicas[: len(base)] == base  # replica 0 is the recording itself, byte for byte
    events = _events(venue, replicas)
    originals = _events(venue, base)
    per = len(originals)
    assert len(events) == per * len(ks)
    assert len({e["event_id"] for e in events}) == len(events)
    for j, k in enumerate(ks):
        for event, original in zip(events[j * per:(j + 1) * per], originals, strict=True):
            assert {f: event[f] for f in _KEPT} == {f: original[f] for f in _KEPT}
            # BitMEX's table has no time: its events take the receipt time, the same for every replica here.
            moved = 0 if venue == "bitmex" else k * STEP_MS * 1_000_000
            assert event["ts_event"] == original["ts_event"] + moved
