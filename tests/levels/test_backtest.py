"""`levels backtest` on the bundled real CoinGlass BTC series: the baseline recomputed from the CSV rows by hand,
no look-ahead (data after an hour mutated, its prediction unchanged), and the out-of-sample scores that
docs/levels.md states."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import pytest

from liqscope._demo import LEVELS_BACKTEST
from liqscope._time import iso_ns, parse_iso_ns
from liqscope.market import ingest_market
from liqscope.methodology import load
from liqscope.metrics import counted
from liqscope.metrics.levels import backtest_levels, liquidation_map
from liqscope.store import Catalog
from tests.levels.conftest import CG_LIQ, REGIME, rows

STANDARD = load("standard")
DOCS = Path(__file__).parents[2] / "docs" / "levels.md"
HOUR_MS = 3_600_000


@pytest.fixture(scope="module")
def documented(lake):
    start, split, end = (parse_iso_ns(t) for t in LEVELS_BACKTEST)
    return backtest_levels(counted(lake, STANDARD, start, end), "BTC", realized="coinglass", calibrate_end_ns=split)


def _spearman(xs: list[float], ys: list[float]) -> float:
    # Written out again here (average ranks for ties, Pearson on ranks), not imported from liqscope.
    def ranks(v: list[float]) -> list[float]:
        s = sorted(v)
        first: dict[float, int] = {}
        count: dict[float, int] = {}
        for i, x in enumerate(s):
            first.setdefault(x, i)
            count[x] = count.get(x, 0) + 1
        return [first[x] + (count[x] + 1) / 2 for x in v]

    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    num = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    return num / math.sqrt(sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry))


def test_the_baseline_and_realized_figures_are_the_csv_rows(documented):
    """Baseline for the hour starting at t: OI and close of the row of t - 1 h (the latest earlier row across
    CoinGlass's few 2-hour gaps), times the move to the hour's low (longs) / high (shorts), the path including
    both closes; realized: the CoinGlass row of t."""
    regime = {int(r["timestamp"]): r for r in rows(REGIME)}
    stamps = sorted(regime)
    liq = {int(r["timestamp"]): r for r in rows(CG_LIQ)}
    checked = 0
    base, real = [], []
    for h in documented.hours:
        t = parse_iso_ns(h.ts) // 1_000_000
        earlier = [x for x in stamps if x <= t - HOUR_MS]
        prev, row = regime[earlier[-1]] if earlier else None, regime.get(t)
        if prev is None or row is None or not h.warm or t not in liq:
            continue
        oi, p = float(prev["oi_close"]), float(prev["price_close"])
        low = min(p, float(row["price_low"]), float(row["price_close"]))
        high = max(p, float(row["price_high"]), float(row["price_close"]))
        assert h.baseline_long_usd == round(oi * (p - low) / p)
        assert h.baseline_short_usd == round(oi * (high - p) / p)
        assert (str(h.realized_long_usd), str(h.realized_short_usd)) == (liq[t]["longUsd"], liq[t]["shortUsd"])
        checked += 1
        if t >= parse_iso_ns(LEVELS_BACKTEST[1]) // 1_000_000:
            base.append(float(h.baseline_long_usd) + float(h.baseline_short_usd))
            real.append(float(h.realized_long_usd) + float(h.realized_short_usd))
    assert checked == documented.calibration["map"].hours + documented.out_of_sample["map"].hours == 1739
    assert round(_spearman(base, real), 4) == documented.out_of_sample["baseline"].spearman_total


def test_the_out_of_sample_scores_are_the_ones_the_docs_state(documented):
    """Calibrated on 2025-12-18 .. 2026-01-20 (782 h), scored on 2026-01-20 .. 2026-03-01 (957 h)."""
    oos, cal = documented.out_of_sample, documented.calibration
    assert (cal["map"].hours, oos["map"].hours) == (782, 957)
    m, b = oos["map"], oos["baseline"]
    assert (m.spearman_total, b.spearman_total) == (0.8251, 0.8575)   # the baseline ranks hours better ...
    assert (m.mae_usd, b.mae_usd, m.mae_constant_usd) == (2215874, 2673473, 3337894)  # ... the map errs less
    text = DOCS.read_text(encoding="utf-8")
    for s in (m, b):
        row = (f"| {s.spearman_total} | {s.spearman_long} | {s.spearman_short} | {s.mae_usd:,.0f} | "
               f"{s.mae_constant_usd:,.0f} |")
        assert row in text, f"docs/levels.md should state {row}"


def _mutated(src: Path, dst: Path, cut_ms: int, oi_only_at: int) -> None:
    # Every number of the rows at or after cut_ms changed; on the row of the hour before, only the OI
    # (stamped at that hour's END, so not known at its start).
    lines = gzip.decompress(src.read_bytes()).decode().splitlines()
    head = lines[0].split(",")
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        ts = int(cells[0])
        for i, col in enumerate(head):
            if col in ("timestamp", "datetime_utc"):
                continue
            if ts >= cut_ms or (ts == oi_only_at and col.startswith("oi_")):
                cells[i] = repr(float(cells[i]) * (3 if col.startswith("oi_") else 0.8 if col.startswith(
                    "price_") else 2))
        out.append(",".join(cells))
    dst.write_text("\n".join(out) + "\n")


def test_no_look_ahead_data_after_an_hour_does_not_change_its_prediction(tmp_path, lake):
    """The same backtest on a lake whose data from CUT on (and the OI reported at CUT) were changed: every hour
    before CUT is predicted exactly as before, and the map at CUT is the same; hours after CUT do change."""
    cut = parse_iso_ns("2026-01-17T12:00:00Z")
    cut_ms = cut // 1_000_000
    other = Catalog(tmp_path / "data")
    for src in (REGIME, CG_LIQ):
        dst = tmp_path / src.name.removesuffix(".gz")
        _mutated(src, dst, cut_ms, cut_ms - HOUR_MS)
        fmt = "coinglass-regime-csv" if "regime" in src.name else "coinglass-liquidations-csv"
        assert ingest_market(other, fmt, dst).quarantined == 0
    start, end, split = (parse_iso_ns(t) for t in ("2026-01-10T00:00:00Z", "2026-01-20T00:00:00Z",
                                                   "2026-01-15T00:00:00Z"))
    a = backtest_levels(counted(lake, STANDARD, start, end), "BTC", realized="coinglass", calibrate_end_ns=split)
    b = backtest_levels(counted(other, STANDARD, start, end), "BTC", realized="coinglass", calibrate_end_ns=split)
    before = [(x.ts, x.predicted_long_usd, x.predicted_short_usd, x.baseline_long_usd, x.baseline_short_usd)
              for x in a.hours if parse_iso_ns(x.ts) < cut]
    assert len(before) == 7 * 24 + 12
    assert before == [(x.ts, x.predicted_long_usd, x.predicted_short_usd, x.baseline_long_usd, x.baseline_short_usd)
                      for x in b.hours if parse_iso_ns(x.ts) < cut]
    later = cut + 3_600 * 10**9
    after = [(x.predicted_long_usd, x.predicted_short_usd) for x in a.hours if parse_iso_ns(x.ts) >= later]
    assert after != [(x.predicted_long_usd, x.predicted_short_usd) for x in b.hours if parse_iso_ns(x.ts) >= later]
    # The map as of the hour before CUT reads nothing stamped after it.
    ma = liquidation_map(lake, STANDARD, "BTC", cut - 3_600 * 10**9)
    mb = liquidation_map(other, STANDARD, "BTC", cut - 3_600 * 10**9)
    assert ma.at == mb.at == iso_ns(cut - 3_600 * 10**9) and ma.buckets == mb.buckets


def test_calibrate_end_outside_the_window_is_refused(lake):
    from liqscope.errors import ConfigError

    start, end = parse_iso_ns("2026-01-10T00:00:00Z"), parse_iso_ns("2026-01-11T00:00:00Z")
    with pytest.raises(ConfigError, match="calibrate_end"):
        backtest_levels(counted(lake, STANDARD, start, end), "BTC", calibrate_end_ns=end + 1)
