"""Every bad frame is quarantined with its reason and every good frame kept, through the real ingest path.

The corpus is built from each registered venue's own real fixture frames by the documented mutations of
``tests/reliability/_mutate.py`` (so a new venue is covered as soon as it has fixtures), ingested into a
real lake, and each line's fate is read back from the lake: its record status, its stored events, its
quarantine entry. The rule checked for every mutated line:

- quarantined (with a reason; with the field, whenever the failure points at one), or
- kept with EXACTLY the events of the real frame it came from (the mutation touched nothing the event
  carries; ``event_id`` may differ, as it hashes every field), or
- kept as a renamed instrument, for ``non_ascii_symbol`` / ``unknown_enum`` on the instrument name only, or
- kept with only the side flipped, for ``negative`` on a signed size whose sign is the side (Gate), or
- skipped as "not a liquidation" (counted, raw kept), only when a field was removed, nulled or renamed
  to an unknown value (a message type the parser does not know), or for the empty object ``{}``.

Anything else (a changed number, a crash) fails.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import msgspec
import pyarrow.parquet as pq
import pytest

from liqscope.errors import Reason
from liqscope.ingest import ingest_file
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.store import Catalog
from liqscope.venues import venues
from tests.reliability._mutate import HUGE_BYTES, MALFORMED_ROOT, Mutant, corpus, corpus_text

# Venues whose raw records are not JSON lines: lending logs come as eth-logs / subgraph files (one JSON
# document of many logs); their malformed inputs are tested in tests/venues/test_lending.py.
_FILE_FORMATS_ONLY = {"aave_v1", "aave_v2", "aave_v3", "compound_v2", "compound_v3", "morpho_blue"}
VENUES = sorted(set(venues()) - _FILE_FORMATS_ONLY)
# A timeless venue's frames (VenueSpec.venue_time false) are refused without a receipt time: the corpus is
# ingested as Tardis raw-data lines, each frame prefixed with this receipt time.
_RECEIVED = b"2019-06-01T00:00:28.6190000Z "
_IDENTITY = {"event_id", "raw_ref", "record_key"}
_NAMES = {"market", "base_asset", "quote_asset", "settle_asset", "account"}
_SKIP_OK = {"missing", "null", "unknown_enum"}
# The failure is a JSON syntax error (no field to name) or a whole-line mutation.
_NO_FIELD_KINDS = {"truncated", "invalid_utf8", "huge_line", "blank"}
_CODES = {r.value for r in Reason}
# Codes that are about one field: the quarantine must name it.
_FIELD_CODES = {"missing_field", "null_field", "non_positive", "out_of_bounds", "bad_timestamp", "duplicate_key"}


def _line_of(ref: str) -> int:
    return int(ref.rsplit(":", 1)[1])


def _ingest(tmp_path: Path, venue: str, mutants: list[Mutant]) -> tuple[dict[int, str], dict[int, list[dict]],
                                                                            dict[int, dict]]:
    path = tmp_path / f"{venue}-malformed.jsonl"
    timeless = not venues()[venue].venue_time
    path.write_bytes(b"".join((_RECEIVED + m.raw if timeless and m.raw.strip() else m.raw) + b"\n"
                              for m in mutants))
    catalog = Catalog(tmp_path / "lake")
    result = ingest_file(catalog, venue, path, received_at="tardis" if timeless else None)
    con = catalog.connect()
    try:
        status = {_line_of(ref): s for ref, s in
                  con.execute(f"SELECT raw_ref, status FROM {catalog.records_sql([venue])}").fetchall()}
    finally:
        con.close()
    rows = [row for f in catalog.event_files() for row in pq.read_table(f).to_pylist()]
    events: dict[int, list[dict]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["raw_ref"], r["event_id"])):
        events[_line_of(row["raw_ref"])].append({k: v for k, v in row.items() if k not in _IDENTITY})
    quarantine = {}
    if result.quarantine_file:
        for line in Path(result.quarantine_file).read_bytes().splitlines():
            q = json.loads(line)
            quarantine[q["line"]] = q
            if q.get("count") is not None:  # the one entry for the input's blank lines: counted, not records
                assert q["count"] == q["last_line"] - q["line"] + 1 == result.blank_lines  # one run here
                status.update(dict.fromkeys(range(q["line"], q["last_line"] + 1), "quarantined"))
    return status, events, quarantine


def _verdict(m: Mutant, status: str, got: list[dict], control: list[dict], q: dict | None) -> tuple[str, str]:
    """(outcome, problem): problem is "" when the line's fate follows the rule in the module docstring."""
    if m.kind in ("original", "reserialized"):
        return ("kept", "") if status == "accepted" and got == control else ("LOST", "a real frame was not kept as is")
    if status == "quarantined":
        assert q is not None
        if q["code"] not in _CODES or not q["reason"]:
            return "quarantined", f"quarantined without a known reason code ({q['code']!r}) and its detail"
        if q["field"] is None and q["code"] in _FIELD_CODES and m.kind not in _NO_FIELD_KINDS:
            return "quarantined", "the failure points at a field but the quarantine names none"
        return "quarantined", ""
    if status == "skipped":
        ok = m.kind in _SKIP_OK or (m.kind == "wrong_type" and m.path == "$ = {}")
        return "skipped", "" if ok else f"a {m.kind} mutation was skipped as not-a-liquidation"
    if got == control:
        return "kept", ""
    changed = {k for g, c in zip(got, control, strict=False) for k in g if g[k] != c[k]} if len(got) == len(
        control) else {"<number of events>"}
    new_names = {g[k] for g in got for k in ("market", "account")}
    if m.kind in ("non_ascii_symbol", "unknown_enum") and changed <= _NAMES and any(
            n and ("币安人生" in n or "BOGUS_VALUE" in n) for n in new_names):
        return "kept-renamed", ""
    if m.kind == "negative" and "liquidated_side" in changed <= {"liquidated_side", "venue_side"}:
        return "kept-sign-is-side", ""
    return "CHANGED", f"kept with different values in {sorted(changed)}"


def _outcomes(tmp_path: Path, venue: str, *, huge: bool) -> tuple[list[Mutant], list[dict]]:
    mutants = corpus(venue, huge=huge)
    status, events, quarantine = _ingest(tmp_path, venue, mutants)
    controls = {m.source: events[n] for n, m in enumerate(mutants, 1) if m.kind == "original"}
    rows = []
    for n, m in enumerate(mutants, 1):
        q = quarantine.get(n)
        outcome, problem = _verdict(m, status[n], events[n], controls.get(m.source, []), q)
        rows.append({"line": n, **m.describe(), "outcome": outcome, "field": q["field"] if q else None,
                     "code": (q["code"] if q else None), "problem": problem})
    return mutants, rows


@pytest.mark.parametrize("venue_id", VENUES)
def test_every_bad_frame_is_quarantined_and_every_good_frame_kept(tmp_path, venue_id):
    mutants, rows = _outcomes(tmp_path, venue_id, huge=True)
    assert any(m.kind == "original" for m in mutants), f"{venue_id} has no real frame fixture to mutate"
    problems = [f"line {r['line']} {r['mutation']} {r['path']} ({r['from']}): {r['problem']}; code: {r['code']}"
                for r in rows if r["problem"]]
    assert not problems, "\n".join(problems)
    counts = Counter(r["outcome"] for r in rows)
    originals = sum(m.kind in ("original", "reserialized") for m in mutants)
    assert counts["kept"] >= originals
    # The 10 MiB line is quarantined unparsed, by size.
    huge = rows[-1]
    assert (huge["mutation"], huge["outcome"]) == ("huge_line", "quarantined")
    assert huge["code"] == "record_too_large" and len(mutants[-1].raw) > HUGE_BYTES
    # Every mutation kind of the documentation was tried on this venue.
    assert {"truncated", "missing", "wrong_type", "null", "duplicate_key", "nan", "infinity", "zero", "negative",
            "absurd_large", "absurd_small", "non_ascii_symbol", "blank", "huge_line"} <= {m.kind for m in mutants}


@pytest.mark.parametrize("venue_id", VENUES)
def test_malformed_corpus_on_disk_is_current_and_its_outcomes_reviewed(tmp_path, venue_id, golden):
    """The reviewed corpus files are exactly what the mutations derive from today's fixtures, and every
    line's outcome is the reviewed one (``pytest --update-golden`` rewrites both)."""
    frames, meta = corpus_text(venue_id)
    frames_path = MALFORMED_ROOT / venue_id / "frames.jsonl"
    if golden.update or not frames_path.exists():
        if not golden.update:
            pytest.fail(f"{frames_path} is missing: run pytest --update-golden and review the diff")
        frames_path.parent.mkdir(parents=True, exist_ok=True)
        frames_path.write_bytes(frames)
    assert frames_path.read_bytes() == frames, f"{frames_path} is stale: run pytest --update-golden"
    golden.check(frames_path.with_name("frames.jsonl.mutations.jsonl"), meta)
    _, rows = _outcomes(tmp_path, venue_id, huge=False)
    text = "".join(json.dumps({k: r[k] for k in ("line", "mutation", "path", "outcome", "field", "code")},
                              ensure_ascii=False) + "\n" for r in rows)
    golden.check(frames_path.with_name("frames.jsonl.expected.jsonl"), text)


BINANCE_NON_ASCII = MALFORMED_ROOT / "binance_usdm" / "ws_non_ascii_symbol.jsonl"


def test_the_real_non_ascii_binance_symbol_is_kept_with_its_values(tmp_path):
    """Three real 币安人生USDT frames (Binance, 2025-12-27) are good frames: kept, valued z x ap."""
    catalog = Catalog(tmp_path)
    res = ingest_file(catalog, "binance_usdm", BINANCE_NON_ASCII)
    assert (res.accepted, res.quarantined) == (3, 0)
    r = report(counted(catalog, load("standard"), 1_766_793_600_000_000_000, 1_766_966_400_000_000_000))
    # By hand: 27309 x 0.1205910 + 835 x 0.1214633 + 43 x 0.1225500 (all BUY orders: SHORTs liquidated)
    asset = r.asset("币安人生")
    assert asset is not None
    assert asset.short_usd == Decimal("3293.2196190") + Decimal("101.4218555") + Decimal("5.2696500")
    assert asset.short_events == 3 and r.long_events == 0
    assert [lg.market for lg in r.largest] == ["币安人生USDT"] * 3
    frames = [msgspec.json.decode(line) for line in BINANCE_NON_ASCII.read_bytes().splitlines()]
    assert {f["o"]["s"] for f in frames} == {"币安人生USDT"}
