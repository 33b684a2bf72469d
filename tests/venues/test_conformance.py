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
    if venue_id in VENUES_WITHOUT_FIXTURE:
        assert not (ROOT / venue_id).is_dir(), f"{venue_id} has fixtures now: drop it from VENUES_WITHOUT_FIXTURE"
        return
    assert (ROOT / venue_id).is_dir(), f"no fixtures for {venue_id}"
    assert any(c.venue == venue_id for c in CASES)
    assert {p.name for p in ROOT.iterdir() if p.is_dir()} <= set(venues())


# A registered venue with no real fixture yet must say why here (strict: a fixture makes the entry fail).
VENUES_WITHOUT_FIXTURE = {
    "compound_v3": "no real Comet AbsorbCollateral/AbsorbDebt log is available offline; the topic0 constants are "
                   "checked against the ABI in tests/venues/test_lending.py",
    "morpho_blue": "no real Liquidate log (and no CreateMarket log for its market table) is available offline",
}


@pytest.mark.parametrize("venue_id", sorted(set(venues()) - set(VENUES_WITHOUT_FIXTURE)))
def test_invariants_hold_on_every_fixture_event(venue_id):
    events = _events(venue_id)
    assert events, f"{venue_id} fixtures produce no event"
    for e in events:
        assert e.venue == venue_id
        if e.instrument_kind is InstrumentKind.LENDING:  # side from the assets; a leg may be "not valued"
            assert e.liquidated_side in (PositionSide.LONG, PositionSide.SHORT, None)
            assert e.quantity > 0 and (e.notional_usd is None or e.notional_usd > 0)
        else:
            if e.instrument_kind is not InstrumentKind.ACCOUNT:
                assert e.liquidated_side in (PositionSide.LONG, PositionSide.SHORT)
            assert e.quantity > 0 and e.notional_usd is not None and e.notional_usd > 0
        assert e.ts_event <= FIXED_RECV_NS
        assert e.event_id.startswith(venue_id + ":")


@pytest.mark.parametrize("venue_id", sorted(set(venues()) - set(VENUES_WITHOUT_FIXTURE)))
def test_declared_capabilities_match_what_fixtures_show(venue_id):
    """A declaration that the fixtures contradict is stale and fails here."""
    spec = venues()[venue_id]
    events = [e for e in _events(venue_id) if e.instrument_kind is not InstrumentKind.ACCOUNT]
    caps = spec.capabilities
    has_fill = any(e.price_kind is PriceKind.AVERAGE_FILL for e in events)
    assert (Capability.FILL_PRICE in caps) == has_fill
    assert (Capability.ORDER_PRICE in caps) == any(
        e.order_price is not None or e.price_kind not in (PriceKind.AVERAGE_FILL, None) for e in events)
    assert (Capability.ACCOUNTS in caps) == any(e.account is not None for e in events)
    assert spec.sampled == (spec.sampling is not None), "a sampled feed must say how it samples"
    if Capability.ARCHIVE in caps:
        assert spec.formats, "ARCHIVE declared but no archive format is registered"


# --- capability staleness across sources (added with the issue-4 venues) ------------------------------

# A registered input format with no fixture under tests/fixtures/venues/<id>/formats/<format>/ must say
# why here. The table is strict both ways: once a fixture exists, its entry must go.
FORMATS_WITHOUT_FIXTURE = {
    ("binance_usdm", "binance-archive"): "no real USD-M liquidationSnapshot file is available offline (Binance "
                                         "removed um/ in 2024); the CM sample covers the shared reader",
    ("hyperliquid", "hyperliquid-node"): "tests/venues/test_hyperliquid.py LZ4-compresses the real node lines in "
                                         "memory (one frame and several frames)",
    ("bybit_linear", "tardis-csv"): "no Tardis output for a Bybit liquidation is available offline; "
                                    "tests/venues/test_tardis_csv.py rebuilds the row from a real frame",
    ("bybit_inverse", "tardis-csv"): "as bybit_linear",
    ("okx_swap", "tardis-csv"): "no Tardis output for an OKX liquidation is available offline; "
                                "tests/venues/test_tardis_csv.py rebuilds the row from a real frame",
    ("okx_futures", "tardis-csv"): "as okx_swap",
    ("aave_v2", "thegraph-messari"): "the one Messari reader (venues/_evm.py) runs on aave_v3's real export",
    ("compound_v2", "thegraph-messari"): "as aave_v2",
    ("compound_v3", "thegraph-messari"): "as aave_v2",
    ("compound_v3", "eth-logs"): "see VENUES_WITHOUT_FIXTURE",
    ("morpho_blue", "eth-logs"): "see VENUES_WITHOUT_FIXTURE",
}


def _format_cases(venue: str, fmt: str):
    return [c for c in CASES if c.venue == venue and c.format == fmt]


@pytest.mark.parametrize("venue_id", sorted(venues()))
def test_every_registered_format_has_a_fixture_or_a_stated_reason(venue_id):
    for fmt in venues()[venue_id].formats:
        has_fixture = bool(_format_cases(venue_id, fmt))
        listed = (venue_id, fmt) in FORMATS_WITHOUT_FIXTURE
        assert has_fixture != listed, (
            f"{venue_id} format {fmt}: " + ("fixture exists, drop it from FORMATS_WITHOUT_FIXTURE" if listed
                                            else "no fixture and no stated reason"))


@pytest.mark.parametrize("venue_id", sorted(venues()))
def test_a_feed_that_sends_every_liquidation_declares_no_sampling(venue_id):
    spec = venues()[venue_id]
    if Capability.WS_EVERY_LIQUIDATION in spec.capabilities:
        assert spec.sampling is None
    else:
        assert spec.sampling and "floor" in spec.sampling, "a sampled feed must say its totals are floors"


@pytest.mark.parametrize("venue_id", sorted(venues()))
def test_copies_that_share_an_event_id_describe_the_same_liquidation(venue_id):
    """Across a venue's fixtures (stream and archive), one event_id never names two different liquidations."""
    seen = {}
    for e in _events(venue_id):
        key = (e.market, e.liquidated_side, e.quantity, e.notional_usd, e.liquidation_kind)
        assert seen.setdefault(e.event_id, key) == key, f"{e.event_id} names two liquidations"


@pytest.mark.parametrize("venue_id", sorted(v for v, s in venues().items() if Capability.EVENT_ID in s.capabilities))
def test_a_declared_event_id_is_the_same_from_the_stream_and_from_tardis(venue_id):
    """EVENT_ID means the venue names the liquidation: a Tardis row of it must get the stream's event_id."""
    tardis = [e for c in _format_cases(venue_id, "tardis-csv") for _, o in c.outcomes() for e in o.events]
    if not tardis:
        pytest.skip(f"{venue_id} has no tardis-csv fixture")
    stream = {e.event_id for c in CASES if c.venue == venue_id and c.format == "jsonl"
              for _, o in c.outcomes() for e in o.events}
    assert {e.event_id for e in tardis} <= stream
