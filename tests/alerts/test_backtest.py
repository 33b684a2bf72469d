"""Backtest on the bundled 2025-12-27 recording: which rules fire, and when, against figures computed here
from the raw frames (z x ap, venue time T), without liqscope."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from liqscope import Catalog, load_methodology
from liqscope._time import iso_ns, parse_iso_ns
from liqscope.alerts import evaluate, load_rules
from liqscope.cli import main
from liqscope.ingest import ingest_file
from liqscope.metrics import counted, detect_cascades
from liqscope.venues import venues
from tests._data import BINANCE_RIFTFERN

EXAMPLES = Path(__file__).parent.parent.parent / "docs" / "examples" / "alerts.toml"
START, END = parse_iso_ns("2025-12-27T00:00:00Z"), parse_iso_ns("2025-12-29T00:00:00Z")
MS = 1_000_000


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    catalog = Catalog(tmp_path_factory.mktemp("riftfern"))
    ingest_file(catalog, "binance_usdm", BINANCE_RIFTFERN)
    return catalog


def _frames() -> list[tuple[int, Decimal, str]]:
    # (T ms, z x ap, order side) of every frame: the recording as Binance sent it.
    with gzip.open(BINANCE_RIFTFERN, "rt") as f:
        out = [(o["T"], Decimal(o["z"]) * Decimal(o["ap"]), o["S"]) for o in
               (json.loads(line)["o"] for line in f if line.strip())]
    return sorted(out)


def _rolling(window_s: int, threshold: Decimal, cooldown_s: int, order_side: str | None = None) -> list[tuple[int,
                                                                                                               Decimal]]:
    frames = [f for f in _frames() if order_side is None or f[2] == order_side]
    fired: list[tuple[int, Decimal]] = []
    for t, _, _ in frames:
        total = sum((usd for u, usd, _ in frames if t - window_s * 1000 < u <= t), Decimal(0))
        if total >= threshold and (not fired or t >= fired[-1][0] + cooldown_s * 1000):
            fired.append((t, total))
    return fired


def test_notional_rule_fires_where_the_rolling_sum_of_the_frames_crosses(lake: Catalog) -> None:
    """burst: $100k in 60 s, 600 s cooldown; short-squeeze: $150k of SHORTs (order side BUY) in 300 s."""
    rules = {r.name: r for r in load_rules(EXAMPLES, tuple(venues())).rules}
    standard = load_methodology("standard")
    burst = evaluate(lake, [rules["burst"]], standard, START, END)
    expected = _rolling(60, Decimal(100_000), 600)
    assert [(a.ts_ns, a.value_usd) for a in burst] == [(t * MS, usd) for t, usd in expected]
    assert [a.ts for a in burst] == ["2025-12-27T15:30:56.520Z", "2025-12-27T15:43:41.264Z",
                                     "2025-12-27T21:38:55.290Z", "2025-12-27T21:50:55.719Z"]
    squeeze = evaluate(lake, [rules["short-squeeze"]], standard, START, END)
    assert [(a.ts_ns, a.value_usd) for a in squeeze] == [(t * MS, usd) for t, usd in
                                                         _rolling(300, Decimal(150_000), 3600, "BUY")]
    fp = standard.fingerprint()
    assert {a.methodology["fingerprint"] for a in burst + squeeze} == {fp}


def test_single_rule_fires_on_each_liquidation_over_the_threshold(lake: Catalog) -> None:
    """whale: every liquidation >= $50k (no cooldown); the largest is PROVENANCE's 1000PEPE BUY, $126,380."""
    (whale,) = [r for r in load_rules(EXAMPLES, tuple(venues())).rules if r.name == "whale"]
    fired = evaluate(lake, [whale], load_methodology("standard"), START, END)
    expected = [(t * MS, usd) for t, usd, _ in _frames() if usd >= 50_000]
    assert [(a.ts_ns, a.value_usd) for a in fired] == expected and len(expected) == 3
    top = max(fired, key=lambda a: a.value_usd or 0)
    assert (top.detail["market"], top.detail["liquidated_side"], round(top.value_usd or 0)) == \
           ("1000PEPEUSDT", "SHORT", 126_380)


def test_cascade_rule_fires_at_each_cascade_onset(lake: Catalog) -> None:
    """The onsets are those of the cascade metric under the same methodology (its own tests check the rule)."""
    (waterfall,) = [r for r in load_rules(EXAMPLES, tuple(venues())).rules if r.name == "waterfall"]
    standard = load_methodology("standard")
    fired = evaluate(lake, [waterfall], standard, START, END)
    onsets = [(k.start_ns, k.total_usd) for k in detect_cascades(counted(lake, standard, START, END).span(START, END))]
    assert [(a.ts_ns, a.value_usd) for a in fired] == onsets and len(onsets) == 6


def test_cooldown_spaces_alerts(lake: Catalog, tmp_path: Path) -> None:
    """The same threshold with a 1-day cooldown fires once, at the first crossing."""
    path = tmp_path / "r.toml"
    path.write_text('[[rule]]\nname = "b"\nkind = "notional"\nwindow_seconds = 60\nthreshold_usd = 100000\n'
                    "cooldown_seconds = 86400\n")
    fired = evaluate(lake, load_rules(path, tuple(venues())).rules, load_methodology("standard"), START, END)
    assert [a.ts for a in fired] == [iso_ns(_rolling(60, Decimal(100_000), 600)[0][0] * MS)]


def test_cli_backtest_json_lists_what_fired(lake: Catalog) -> None:
    result = CliRunner().invoke(main, ["alerts", "backtest", str(EXAMPLES), "--start", "2025-12-27",
                                       "--end", "2025-12-29", "--data-dir", str(lake.root), "--json"])
    assert result.exit_code == 0, result.output
    fired = json.loads(result.output)["fired"]
    by_rule: dict[str, int] = {}
    for a in fired:
        by_rule[a["rule"]] = by_rule.get(a["rule"], 0) + 1
        assert {"rule", "ts", "value_usd", "methodology", "summary"} <= set(a)
    assert by_rule == {"burst": 4, "whale": 3, "short-squeeze": 2, "waterfall": 6}  # longs-dominate: never


def test_flag_rule_fires_at_the_end_of_each_hour_whose_longs_reach_the_ratio(lake: Catalog, tmp_path: Path) -> None:
    """long_dominance over epoch-aligned hours: never at the standard ratio (3x); at 2x, exactly the hours whose
    long notional (order side SELL) is >= 2x the short one, summed here from the frames."""
    hours: dict[int, list[Decimal]] = {}
    for t, usd, side in _frames():
        hours.setdefault(t // 3_600_000, [Decimal(0), Decimal(0)])[side == "BUY"] += usd
    at_2x = [(h + 1) * 3_600 * 10**9 for h, (long_, short) in sorted(hours.items()) if long_ >= 2 * short]
    assert not [h for h, (long_, short) in hours.items() if long_ >= 3 * short]
    (rule,) = [r for r in load_rules(EXAMPLES, tuple(venues())).rules if r.name == "longs-dominate"]
    assert evaluate(lake, [rule], load_methodology("standard"), START, END) == []
    two = tmp_path / "two.toml"
    two.write_text('name = "ratio-2"\nversion = 1\ndescription = "standard, long dominance at 2x"\n'
                   '[coverage]\nliquidation_kinds = ["market", "backstop"]\n[flags]\nlong_short_ratio = 2\n')
    fired = evaluate(lake, [rule], load_methodology(two), START, END)
    assert [a.ts_ns for a in fired] == at_2x and len(at_2x) == 1
    long_, short = hours[at_2x[0] // (3_600 * 10**9) - 1]
    assert fired[0].value == long_ / short  # the flag's value is the long/short ratio of that hour


def test_health_rule_fires_where_the_hourly_index_crosses(tmp_path: Path) -> None:
    """With CoinGlass's BTC regime bars (real, tests/fixtures/market) the index exists; the rule fires at each
    hour whose index reaches the threshold from below, as health_index itself gives it hour by hour (its
    own test checks the formula against the CSV)."""
    from liqscope.market import ingest_market
    from liqscope.metrics import health_index
    from tests.market.test_parsers import MARKET

    catalog = Catalog(tmp_path / "lake")
    ingest_file(catalog, "binance_usdm", BINANCE_RIFTFERN)
    regime = MARKET / "csv" / "coinglass_btc_regime_1h_2025-12-04_to_2025-12-28.csv"
    ingest_market(catalog, "coinglass-regime-csv", regime)
    standard = load_methodology("standard")
    start, end = parse_iso_ns("2025-12-28T00:00:00Z"), parse_iso_ns("2025-12-28T12:00:00Z")
    hour = 3_600 * 10**9
    index = {t: health_index(counted(catalog, standard, t - 86_400 * 10**9, t), asset="BTC").index
             for t in range(start, end, hour)}
    known = sorted(v for v in index.values() if v is not None)
    assert len(known) == len(index)  # the index exists at every hour of the span
    threshold = known[len(known) // 2]
    expected = [t for t in range(start + hour, end, hour) if index[t - hour] < threshold <= index[t]]
    rules = tmp_path / "health.toml"
    rules.write_text(f'[[rule]]\nname = "heat"\nkind = "health"\nthreshold = {threshold}\nevery_seconds = 3600\n'
                     "cooldown_seconds = 0\n")
    fired = evaluate(catalog, load_rules(rules, tuple(venues())).rules, standard, start, end)
    assert expected and [a.ts_ns for a in fired] == expected
    assert [a.value for a in fired] == [index[t] for t in expected]


def test_cli_backtest_deliver_sends_each_alert(lake: Catalog, tmp_path: Path) -> None:
    """--deliver really sends: the three whales reach a real HTTP server on 127.0.0.1, one POST each."""
    from tests.alerts._http import hook

    with hook() as (url, received):
        rules = tmp_path / "whale.toml"
        rules.write_text(f'[[rule]]\nname = "whale"\nkind = "single"\nthreshold_usd = 50000\ncooldown_seconds = 0\n'
                         f'channels = ["{url}"]\n')
        result = CliRunner().invoke(main, ["alerts", "backtest", str(rules), "--start", "2025-12-27", "--end",
                                           "2025-12-29", "--data-dir", str(lake.root), "--deliver", "--json"])
    assert result.exit_code == 0, result.output
    fired = json.loads(result.output)["fired"]
    assert [d["ok"] for a in fired for d in a["delivered"]] == [True, True, True]
    assert [p["title"] for p in received] == ["liqscope alert: whale"] * 3
    assert sorted(p["message"].split("\n")[1] for p in received) == sorted(f"at {a['ts']}" for a in fired)
