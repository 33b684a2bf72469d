"""`liqscope simulate`: venue-faithful frames, the truth beside them, and a label nothing can miss."""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from liqscope._hawkes import fit_sessions
from liqscope._time import parse_iso_ns
from liqscope.cli import main
from liqscope.events import Received
from liqscope.ingest import ingest_file
from liqscope.methodology import load, load_file
from liqscope.metrics import counted, report
from liqscope.normalize import normalize_record
from liqscope.simulate import Params, calibration, is_synthetic_marker, simulate, simulated_venues
from liqscope.store import Catalog
from liqscope.venues import get_venue
from tests._data import BINANCE_0817, BINANCE_RIFTFERN

START = parse_iso_ns("2025-10-10T21:15:00Z")
ALL = (parse_iso_ns("2020-01-01"), parse_iso_ns("2027-01-01"))


def _truth(path: str) -> list[dict]:
    data = Path(path).read_bytes()
    rows = [json.loads(line) for line in data.splitlines()]
    for row in rows:
        row["notional_usd"] = Decimal(row["notional_usd"])  # encoded as an exact decimal string
    return rows


def _with_synthetic(tmp_path: Path):
    path = tmp_path / "with-synthetic.toml"
    path.write_text('name = "with-synthetic"\n[coverage]\ninclude_synthetic = true\n', encoding="utf-8")
    return load_file(path)


@pytest.mark.parametrize("venue", simulated_venues())
def test_frames_parse_with_the_venues_own_parser_into_exactly_the_observed_truth(tmp_path, venue):
    sim = simulate(venue, tmp_path, start_ns=START, seconds=300, params=Params(rate=5.0), seed=1)
    truth = _truth(sim.truth)
    observed = [t for t in truth if t["observed"]]
    assert len(truth) == sim.truth_events > 500 and len(observed) == sim.observed_events
    spec = get_venue(venue)
    lines = Path(sim.output).read_bytes().splitlines()
    assert is_synthetic_marker(lines[0]) and not any(is_synthetic_marker(x) for x in lines[1:])
    events = []
    for n, line in enumerate(lines[1:], start=2):
        out = normalize_record(spec.decode, spec.parse, line, Received(ts_ns=START, ref=f"sim:{n}"))
        assert not out.quarantined and out.skipped is None, (n, out.error)
        events += [(n, e) for e in out.events]
    # Every frame carries exactly the truths it says, with the venue parser's own notional and side.
    assert sorted((n, e.market, e.liquidated_side.value, e.notional_usd, e.ts_event) for n, e in events) == \
        sorted((t["line"], t["market"], t["side"], t["notional_usd"], t["ts_event"]) for t in observed)
    assert sum((e.notional_usd for _, e in events), Decimal(0)) == sim.observed_usd


def test_binance_sends_only_the_latest_liquidation_per_symbol_per_second(tmp_path):
    sim = simulate("binance_usdm", tmp_path, start_ns=START, seconds=600, params=Params(rate=20.0), seed=2)
    truth = _truth(sim.truth)
    seconds = Counter((t["market"], t["ts_event"] // 10**9) for t in truth if t["observed"])
    assert max(seconds.values()) == 1
    latest: dict[tuple[str, int], dict] = {}
    for t in truth:
        latest[(t["market"], t["ts_event"] // 10**9)] = t  # time-ordered: the last one wins
    assert [t["seq"] for t in truth if t["observed"]] == sorted(t["seq"] for t in latest.values())
    assert sim.observed_events < sim.truth_events  # the hidden share an estimator must recover


def test_ingested_simulation_is_labelled_synthetic_and_never_counted_as_real(tmp_path):
    catalog = Catalog(tmp_path / "data")
    real = ingest_file(catalog, "binance_usdm", BINANCE_RIFTFERN)
    sim = simulate("binance_usdm", tmp_path / "sim", start_ns=parse_iso_ns("2025-12-27T15:00:00Z"), seconds=600,
                   params=Params(rate=5.0), seed=3, compress=True)
    res = ingest_file(catalog, "binance_usdm", Path(sim.output))
    assert not real.synthetic and res.synthetic and res.skipped == 1  # the marker line is not a record
    assert (res.accepted + res.duplicate, res.quarantined) == (sim.observed_events, 0)

    con = duckdb.connect()
    rows = dict(con.execute(f"SELECT synthetic, count(*) FROM {catalog.relation_sql(catalog.event_files())} "
                            "GROUP BY ALL").fetchall())
    assert rows == {False: 2045, True: sim.observed_events}

    standard = report(counted(catalog, load("standard"), *ALL))  # PROVENANCE figures of the real recording, untouched
    assert (standard.events, standard.total_usd) == (2045, Decimal("2051029.33492100"))
    every = report(counted(catalog, load("every-copy"), *ALL))
    assert every.events == 2045
    both = report(counted(catalog, _with_synthetic(tmp_path), *ALL))
    assert both.events == 2045 + sim.observed_events
    assert both.total_usd == standard.total_usd + sim.observed_usd
    assert any("SYNTHETIC" in n for n in both.coverage.notes)  # a report that counts them says so
    # ... and one that leaves them out says that too (issue 15: no quiet zeros), with their number.
    assert standard.coverage.synthetic_excluded == sim.observed_events and both.coverage.synthetic_excluded == 0
    assert [n for n in standard.coverage.notes if "SYNTHETIC" in n] == [
        f"{sim.observed_events:,} SYNTHETIC rows (from `liqscope simulate`) in the window are left out "
        "(coverage.include_synthetic = false)"]


def test_a_simulation_stripped_of_its_marker_can_still_be_labelled_at_ingest(tmp_path):
    sim = simulate("bybit_linear", tmp_path, start_ns=START, seconds=120, params=Params(rate=5.0), seed=4)
    bare = tmp_path / "bare.jsonl"
    bare.write_bytes(b"\n".join(Path(sim.output).read_bytes().splitlines()[1:]) + b"\n")
    catalog = Catalog(tmp_path / "data")
    assert ingest_file(catalog, "bybit_linear", bare, synthetic=True).synthetic
    assert report(counted(catalog, load("standard"), *ALL)).events == 0
    assert report(counted(catalog, _with_synthetic(tmp_path), *ALL)).total_usd == sim.observed_usd


def test_same_seed_same_bytes_other_seed_other_stream(tmp_path):
    a = simulate("okx_swap", tmp_path / "a", start_ns=START, seconds=120, params=Params(rate=3.0), seed=9)
    b = simulate("okx_swap", tmp_path / "b", start_ns=START, seconds=120, params=Params(rate=3.0), seed=9)
    c = simulate("okx_swap", tmp_path / "c", start_ns=START, seconds=120, params=Params(rate=3.0), seed=10)
    assert Path(a.output).read_bytes() == Path(b.output).read_bytes()
    assert Path(a.truth).read_bytes() == Path(b.truth).read_bytes()
    assert Path(a.output).read_bytes() != Path(c.output).read_bytes()


def test_calibration_matches_the_recordings_computed_independently():
    usd, sells = [], 0
    for path in (BINANCE_0817, BINANCE_RIFTFERN):
        for line in gzip.decompress(path.read_bytes()).splitlines():
            o = json.loads(line)["o"]
            usd.append(float(Decimal(o["z"]) * Decimal(o["ap"])))
            sells += o["S"] == "SELL"
    cal = calibration()
    assert cal.events == len(usd) == 456 + 2045
    assert cal.long_share == (156 + 880) / 2501  # PROVENANCE: SELL orders close longs
    logs = [math.log(u) for u in usd]
    assert cal.sizes.log_mu == pytest.approx(sum(logs) / len(logs))
    assert cal.sizes.threshold == sorted(usd)[-251]  # the top 10 % start above the 2,251st size
    assert 1.0 < cal.sizes.tail_alpha < 2.0  # a heavy (Pareto) tail
    assert 0 < cal.hawkes_n < 1 and cal.hawkes_mu > 0


def test_sizes_are_heavy_tailed_and_arrivals_clustered_as_parameterized(tmp_path):
    sim = simulate("hyperliquid", tmp_path, start_ns=START, seconds=900,
                   params=Params(rate=2.0, branching=0.6, decay=2.0), seed=5)
    truth = _truth(sim.truth)
    usd = sorted(float(t["notional_usd"]) for t in truth)
    assert usd[-1] / usd[len(usd) // 2] > 100  # the largest dwarfs the median
    n_hat = fit_sessions([[t["ts_event"] / 1e9 for t in truth]]).branching_ratio
    assert n_hat == pytest.approx(0.6, abs=0.15)  # the branching ratio comes back from the truth
    longs = sum(t["side"] == "LONG" for t in truth) / len(truth)
    assert 0.2 < longs < 0.7


def test_cli_writes_both_files_and_says_synthetic(tmp_path):
    res = CliRunner().invoke(main, ["simulate", "--venue", "binance_usdm", "--venue", "okx_swap", "--out",
                                    str(tmp_path), "--duration", "2m", "--rate", "3", "--json"],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output, parse_float=Decimal)
    assert [r["venue"] for r in out] == ["binance_usdm", "okx_swap"]
    for r in out:
        assert Path(r["output"]).exists() and Path(r["truth"]).exists()
        assert b"SYNTHETIC" in Path(r["output"]).read_bytes().splitlines()[0]
    bad = CliRunner().invoke(main, ["simulate", "--venue", "binance_usdm", "--out", str(tmp_path), "--duration",
                                    "soon"])
    assert bad.exit_code == 2 and "90s, 15m, 1h or 2d" in bad.output
