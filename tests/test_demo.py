"""`liqscope demo` teaches (issue 15, item 7): covered share, methodologies that really differ, an exact
reconciliation, and the commands that open the dashboard on the same lake. Figures are computed here from
the bundled frames with plain loops, independently of liqscope."""

from __future__ import annotations

import csv
import gzip
import itertools
import json
import re
from decimal import Decimal

import pytest
from rich.console import Console

from liqscope._demo import run_demo
from liqscope._time import parse_iso_ns
from tests._data import BINANCE_RIFTFERN, COINM_ARCHIVE

S = 10**9


def _orders() -> list[dict]:
    return [json.loads(x)["o"] for x in gzip.decompress(BINANCE_RIFTFERN.read_bytes()).splitlines()]


def _total(lo: str, hi: str, price: str = "ap") -> tuple[Decimal, int]:
    a, b = parse_iso_ns(lo), parse_iso_ns(hi)
    usd = [Decimal(o["z"]) * Decimal(o[price]) for o in _orders() if a <= o["T"] * 1_000_000 < b]
    return sum(usd, Decimal(0)), len(usd)


def _money(d: Decimal) -> str:
    return f"${d.quantize(Decimal('0.01')):,}"


@pytest.fixture(scope="module")
def shown(tmp_path_factory) -> tuple[str, str]:
    root = tmp_path_factory.mktemp("demo") / "lake"
    console = Console(record=True, width=400, color_system=None)
    run_demo(console, root)
    return console.export_text(), str(root)


def test_headline_is_unchanged(shown):
    text, _ = shown
    total, n = _total("2025-12-27T00:00:00Z", "2025-12-29T00:00:00Z")
    assert (_money(total), n) == ("$2,051,029.33", 2045)
    assert f"Total {_money(total)} in {n:,} liquidations" in text


def test_it_says_what_share_of_the_window_was_recorded(shown):
    text, _ = shown
    times = sorted(o["T"] * 1_000_000 for o in _orders())
    lo, hi = parse_iso_ns("2025-12-27T00:00:00Z"), parse_iso_ns("2025-12-29T00:00:00Z")
    edges = [lo, *times, hi]
    holes = [b - a for a, b in itertools.pairwise(edges) if b - a >= 600 * S]
    seen = (hi - lo - sum(holes)) / S
    line = (f"binance_usdm observed {seen / ((hi - lo) / S):.1%} of the window ({seen:,.0f} s of "
            f"{(hi - lo) / S:,.0f} s): {len(holes)} gaps")
    assert line == "binance_usdm observed 4.5% of the window (7,727 s of 172,800 s): 4 gaps"
    assert line in text


def test_methodologies_really_differ_on_one_day(shown):
    text, _ = shown
    day = ("2025-12-27T00:00:00Z", "2025-12-28T00:00:00Z")
    utc, utc8 = _total(*day), _total("2025-12-26T16:00:00Z", "2025-12-27T16:00:00Z")
    order_price = _total(*day, price="p")
    for name, (usd, n) in (("standard", utc), ("every-copy", utc), ("utc8-day", utc8),
                           ("bankruptcy-price", order_price)):
        assert re.search(rf"{name} \[[0-9a-f]{{12}}\]: +{re.escape(_money(usd))} in {n:,} liquidations", text), name
    assert (_money(utc[0]), _money(utc8[0]), _money(order_price[0])) == (
        "$1,752,243.17", "$1,357,424.08", "$1,762,051.10")
    assert "every-copy = standard on this day: no liquidation of this session arrived twice" in text
    estimate = re.search(r"throttle-adjusted \[[0-9a-f]{12}\]: +(\$[\d,.]+) in 1,611 liquidations .*\(estimated\)",
                         text)
    assert estimate is not None
    assert f"range {_money(utc8[0])} .. {estimate.group(1)}" in text


def test_every_copy_doubles_the_coinm_archive_day_whose_rows_binance_writes_twice(shown):
    """The real double copy: 14 archive rows, each written twice; standard counts the 7 liquidations, every-copy
    all 14 rows. By hand from the CSV: filled contracts (accumulated_fill_quantity) x $100 a BTCUSD contract."""
    text, _ = shown
    rows = list(csv.DictReader(COINM_ARCHIVE.read_text().splitlines()))
    distinct = list({tuple(r.values()): r for r in rows}.values())
    usd = lambda rs: sum((Decimal(r["accumulated_fill_quantity"]) * 100 for r in rs), Decimal(0))  # noqa: E731
    assert (_money(usd(distinct)), len(distinct), _money(usd(rows)), len(rows)) == ("$10,600.00", 7, "$21,200.00", 14)
    assert "(7 repeated rows stored as further copies)" in text  # step 1, the archive's ingest line
    section = text[text.index("2024-10-01, Binance COIN-M archive"):]
    for name, rs in (("standard", distinct), ("every-copy", rows)):
        assert re.search(rf"^ +{name} \[[0-9a-f]{{12}}\]: +{re.escape(_money(usd(rs)))} in {len(rs)} liquidations$",
                         section, re.M), name


def test_the_reconciliation_is_not_trivial_and_sums_exactly(shown):
    text, _ = shown
    parts = dict(re.findall(r"^ +(window|estimation|sum) +(\$[\d,.]+) ", text, re.M))
    assert set(parts) == {"window", "estimation", "sum"}
    assert all(parts[k] != "$0.00" for k in ("window", "estimation"))
    to_usd = lambda s: Decimal(s.strip("$").replace(",", ""))  # noqa: E731
    assert to_usd(parts["window"]) + to_usd(parts["estimation"]) == to_usd(parts["sum"])
    assert "= the difference, exactly: True" in text
    difference = re.search(r"utc8-day (\$[\d,.]+) → throttle-adjusted (\$[\d,.]+): difference (\$[\d,.]+)", text)
    assert difference is not None and difference.group(3) == parts["sum"]
    assert to_usd(difference.group(1)) == _total("2025-12-26T16:00:00Z", "2025-12-27T16:00:00Z")[0].quantize(
        Decimal("0.01"))


def test_it_ends_with_the_three_commands_that_open_the_dashboard_on_the_same_lake(shown):
    text, root = shown
    tail = text.rstrip().splitlines()[-3:]
    assert [line.strip()[:3] for line in tail] == ["1. ", "2. ", "3. "]
    assert "liqscope[api]" in tail[0]
    assert tail[1].strip() == f"2. liqscope serve --data-dir {root}"
    assert tail[2].strip() == "3. python -m webbrowser http://127.0.0.1:8000/"


def test_lending_is_shown_as_a_coverage_term_on_real_logs(shown):
    """2023: Hyperliquid's official liquidations ($29,783.05, demo_data/PROVENANCE.md) under standard; plus the
    subgraph's 290 largest Aave v3 rows and the two 2023 on-chain logs (collateral x the prior day's Chainlink
    answer) under derivatives-plus-lending; the whole difference is coverage."""
    from tests.venues.test_lending import _chainlink, _graph_sum, _x

    text, _ = shown
    graph_usd, graph_n = _graph_sum()
    v3 = _x(Decimal("0.018891825379519208"), _chainlink("2023-08-17")).quantize(Decimal("1e-18"))
    v2 = _x(Decimal("0.956418919660594328"), _chainlink("2023-05-21")).quantize(Decimal("1e-18"))
    lending = graph_usd + v3 + v2
    hl = Decimal("29783.048334")  # 17 account liquidations (tests/metrics/test_explain.py's hand sum)
    assert re.search(r"standard \[[0-9a-f]{12}\]: +\$29,783\.05 in 17 liquidations on hyperliquid", text)
    assert re.search(rf"derivatives-plus-lending \[[0-9a-f]{{12}}\]: +{re.escape(_money(hl + lending))} in "
                     rf"{17 + graph_n + 2} liquidations on aave_v2, aave_v3, hyperliquid", text)
    assert re.search(rf"^ +coverage +{re.escape(_money(lending))}  of the {re.escape(_money(lending))} difference",
                     text, re.M)
    assert "aave_v3: 290 events from a sampled source" in text
