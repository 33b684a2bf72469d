"""One suite for every registered venue: goldens, invariants and capability declarations."""

from __future__ import annotations

import pytest

from liqscope.events import InstrumentKind, PositionSide, PriceKind
from liqscope.venues import Capability, venues
from tests.venues._cases import FIXED_RECV_NS, ROOT, fixture_cases

CASES = fixture_cases()


def _events(venue: str):
    return [e for c in CASES if c.venue == venue for _, o in c.outcomes() for e in o.events]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_fixture_matches_golden(case, golden):
    """Real frames normalize to exactly the reviewed events, skips and quarantines."""
    golden.check(case.expected_path, case.golden_text())


@pytest.mark.parametrize("case", CASES, ids=str)
def test_fixture_has_a_source_note(case):
    """Fixtures are never hand-written: each states where it came from."""
    note = case.path.with_name(case.path.name + ".source.txt")
    assert note.exists(), f"{note} is missing"
    assert len(note.read_text().strip()) > 20


@pytest.mark.parametrize("venue_id", sorted(venues()))
def test_every_registered_venue_has_fixtures_and_every_fixture_folder_is_registered(venue_id):
    assert (ROOT / venue_id).is_dir(), f"no fixtures for {venue_id}"
    assert any(c.venue == venue_id for c in CASES)
    assert {p.name for p in ROOT.iterdir() if p.is_dir()} <= set(venues())


@pytest.mark.parametrize("venue_id", sorted(venues()))
def test_invariants_hold_on_every_fixture_event(venue_id):
    events = _events(venue_id)
    assert events, f"{venue_id} fixtures produce no event"
    for e in events:
        assert e.venue == venue_id
        if e.instrument_kind is not InstrumentKind.ACCOUNT:
            assert e.liquidated_side in (PositionSide.LONG, PositionSide.SHORT)
        assert e.quantity > 0 and e.notional_usd > 0
        assert e.ts_event <= FIXED_RECV_NS
        assert e.event_id.startswith(venue_id + ":")


@pytest.mark.parametrize("venue_id", sorted(venues()))
def test_declared_capabilities_match_what_fixtures_show(venue_id):
    """A declaration that the fixtures contradict is stale and fails here."""
    spec = venues()[venue_id]
    events = [e for e in _events(venue_id) if e.instrument_kind is not InstrumentKind.ACCOUNT]
    caps = spec.capabilities
    has_fill = any(e.price_kind is PriceKind.AVERAGE_FILL for e in events)
    assert (Capability.FILL_PRICE in caps) == has_fill
    assert (Capability.ORDER_PRICE in caps) == any(
        e.order_price is not None or e.price_kind is not PriceKind.AVERAGE_FILL for e in events)
    assert (Capability.ACCOUNTS in caps) == any(e.account is not None for e in events)
    assert spec.sampled == (spec.sampling is not None), "a sampled feed must say how it samples"
    if Capability.ARCHIVE in caps:
        assert spec.formats, "ARCHIVE declared but no archive format is registered"
