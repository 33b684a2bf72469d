"""Timeless frames take their time from the archive, never from the moment of ingest.

BitMEX's ``liquidation`` rows carry no time (``VenueSpec.venue_time`` false): an event's time is when the frame was
received. Inputs are the real BitMEX frames of tests/fixtures/venues/bitmex/ws_liquidation.jsonl, as Tardis raw-data
lines with the receipt time Tardis gave them (archive_tardis_raw.txt, see its .source.txt), or wrapped in the
shapes ``--received-at`` declares. Into a real lake on tmp_path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from liqscope.cli import main
from liqscope.errors import ConfigError, InputUnreadable
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from liqscope.venues import venues
from liqscope.verify import verify_lake
from tests.venues._cases import fixture_cases

FIXTURES = Path(__file__).parent / "fixtures" / "venues" / "bitmex"
FRAMES = FIXTURES / "ws_liquidation.jsonl"          # insert + delete of one liquidation order, no time in either
TARDIS_RAW = FIXTURES / "archive_tardis_raw.txt"
# 2019-06-01T00:00:28.619Z, the receipt time Tardis gave the insert, in ns: by hand, 1559347200 s is 2019-06-01.
TARDIS_RECV_NS = (1_559_347_200 + 28) * 10**9 + 619_000_000


def _events(catalog: Catalog) -> list[tuple]:
    con = catalog.connect()
    try:
        rel = catalog.relation_sql(catalog.event_files(["bitmex"]))
        return con.execute(f"SELECT market, liquidated_side, CAST(notional_usd AS VARCHAR), ts_event, ts_recv, "
                           f"source FROM {rel}").fetchall()
    finally:
        con.close()


def test_bitmex_is_declared_timeless_and_no_other_venue_is():
    assert [v for v, s in venues().items() if not s.venue_time] == ["bitmex"]


@pytest.mark.parametrize("venue_id", sorted(venues()))
def test_the_declaration_matches_what_the_fixtures_show(venue_id):
    """A timeless venue's events carry the receipt time as their time; every other venue's, its own time."""
    events = [e for case in fixture_cases() if case.venue == venue_id and case.format == "jsonl"
              for _, out in case.outcomes() for e in out.events]
    if not events:
        pytest.skip(f"{venue_id} has no raw-frame fixture with events")
    same = [e.ts_event == e.ts_recv for e in events]
    assert all(same) if not venues()[venue_id].venue_time else not any(same)


def test_a_file_of_timeless_frames_with_no_receipt_time_is_refused_not_stamped_now(tmp_path):
    catalog = Catalog(tmp_path)
    with pytest.raises(InputUnreadable, match="carry no time of their own") as caught:
        ingest_file(catalog, "bitmex", FRAMES)
    assert str(FRAMES) in str(caught.value) and "--received-at" in str(caught.value)
    assert not catalog.manifests() and not catalog.event_files(["bitmex"])  # nothing was committed


def test_tardis_raw_data_lines_give_the_event_tardis_receipt_time(tmp_path):
    """Recognised without being asked: the line starts with Tardis's own ISO receipt time."""
    catalog = Catalog(tmp_path)
    r = ingest_file(catalog, "bitmex", TARDIS_RAW)
    assert (r.records, r.accepted, r.skipped, r.quarantined) == (2, 1, 1, 0)  # the delete is a skip
    assert _events(catalog) == [("XBTUSD", "SHORT", "9214.000000000000000000", TARDIS_RECV_NS, TARDIS_RECV_NS,
                                 "file")]
    (manifest,) = catalog.manifests()
    assert manifest.meta["received_at"] == "tardis"
    assert int(manifest.meta["ts_recv"]) != TARDIS_RECV_NS  # the batch's read time stays apart from the frame's


def test_the_lake_rebuilds_from_the_raw_journal_with_the_same_receipt_times(tmp_path):
    catalog = Catalog(tmp_path)
    ingest_file(catalog, "bitmex", TARDIS_RAW)
    r = verify_lake(catalog)
    assert r.ok and r.problems == [] and r.rebuilt == 1


def test_a_declared_iso_member_in_the_tardis_machine_replay_shape(tmp_path):
    """{"localTimestamp": ISO, "message": frame}: the frame is the message, the time the member."""
    path = tmp_path / "replay.jsonl"
    path.write_bytes(b"".join(b'{"localTimestamp":"2019-06-01T00:00:28.6190000Z","message":' + f + b"}\n"
                              for f in FRAMES.read_bytes().splitlines()))
    catalog = Catalog(tmp_path / "lake")
    r = ingest_file(catalog, "bitmex", path, received_at="localTimestamp")
    assert (r.accepted, r.skipped, r.quarantined) == (1, 1, 0)
    [(_, _, usd, ts_event, ts_recv, _)] = _events(catalog)
    assert (usd, ts_event, ts_recv) == ("9214.000000000000000000", TARDIS_RECV_NS, TARDIS_RECV_NS)


def test_a_declared_integer_member_needs_and_uses_its_unit(tmp_path):
    frame = json.loads(FRAMES.read_bytes().splitlines()[0])
    path = tmp_path / "recorder.jsonl"
    path.write_text(json.dumps({**frame, "recv_ms": TARDIS_RECV_NS // 10**6}) + "\n")
    catalog = Catalog(tmp_path / "lake")
    ingest_file(catalog, "bitmex", path, received_at="recv_ms:ms")
    [(_, _, _, ts_event, ts_recv, _)] = _events(catalog)
    assert ts_event == ts_recv == TARDIS_RECV_NS
    # The same integer declared without a unit is a record error naming the field, never a guess.
    other = Catalog(tmp_path / "other")
    r = ingest_file(other, "bitmex", path, received_at="recv_ms")
    assert (r.accepted, r.quarantined) == (0, 1)
    [q] = r.quarantine_samples
    assert (q.line, q.field, q.code) == (1, "received_at", "bad_timestamp")


def test_a_line_without_the_declared_member_is_quarantined_and_the_rest_goes_on(tmp_path):
    lines = FRAMES.read_bytes().splitlines()
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"localTimestamp":"2019-06-01T00:00:28.619Z","message":' + lines[0] + b"}\n" + lines[1] + b"\n")
    r = ingest_file(Catalog(tmp_path / "lake"), "bitmex", path, received_at="localTimestamp")
    assert (r.accepted, r.quarantined) == (1, 1)
    [q] = r.quarantine_samples
    assert (q.line, q.field, q.code) == (2, "received_at", "missing_field")


@pytest.mark.parametrize("bad", ["9ts", "ts:minutes", "a.b", ""])
def test_a_malformed_received_at_is_refused_listing_the_valid_forms(tmp_path, bad):
    with pytest.raises(ConfigError, match=r"'tardis'.*FIELD\[:UNIT\].*s, ms, us, ns"):
        ingest_file(Catalog(tmp_path), "bitmex", TARDIS_RAW, received_at=bad)


def test_received_at_applies_to_raw_frames_only(tmp_path):
    with pytest.raises(ConfigError, match="applies to --format jsonl"):
        ingest_file(Catalog(tmp_path), "bitmex", FIXTURES / "formats" / "tardis-csv" / "tardis_snapshot_bitmex.csv",
                    "tardis-csv", received_at="local_timestamp")


def test_a_venue_with_its_own_time_keeps_it_and_takes_the_archive_receipt_time(tmp_path):
    """OKX v3 frames carry created_at: ts_event is the venue's, ts_recv the Tardis line's."""
    corpus = Path(__file__).parent / "fixtures" / "venues" / "okx_swap" / "ws_liquidation_legacy.jsonl"
    path = tmp_path / "okx.txt"
    path.write_bytes(b"2020-12-18T00:31:09.0000000Z " + corpus.read_bytes().splitlines()[1] + b"\n")
    catalog = Catalog(tmp_path / "lake")
    ingest_file(catalog, "okx_swap", path)
    con = catalog.connect()
    try:
        rel = catalog.relation_sql(catalog.event_files(["okx_swap"]))
        [(ts_event, ts_recv)] = con.execute(f"SELECT ts_event, ts_recv FROM {rel}").fetchall()
    finally:
        con.close()
    assert ts_event == 1_608_251_468_794_000_000   # created_at 2020-12-18T00:31:08.794Z
    assert ts_recv == 1_608_251_469_000_000_000    # the line's receipt stamp, 206 ms later


def test_cli_refuses_the_timeless_file_with_a_non_zero_exit_and_reads_the_tardis_lines(tmp_path):
    runner = CliRunner()
    bad = runner.invoke(main, ["ingest", "--venue", "bitmex", "--data-dir", str(tmp_path), str(FRAMES)])
    assert bad.exit_code == 1 and "carry no time of their own" in bad.output
    ok = runner.invoke(main, ["ingest", "--venue", "bitmex", "--data-dir", str(tmp_path), str(TARDIS_RAW)])
    assert ok.exit_code == 0, ok.output
    typo = runner.invoke(main, ["ingest", "--venue", "bitmex", "--received-at", "t:hours", "--data-dir",
                                str(tmp_path), str(TARDIS_RAW)])
    assert typo.exit_code == 1 and "FIELD[:UNIT]" in typo.output
