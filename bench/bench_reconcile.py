"""Benchmark: what a reconciliation costs against a single report, on a large SIMULATED event set.

Not a test. ``python bench/bench_reconcile.py [small|medium|large]`` prints a table; the bench runner
(``bench/run.py``) calls ``run(scale)`` and gets rows ``{name, median_s, min_s, max_s,
ratio_vs_baseline, notes}``. The baseline is one ``report`` under ``standard`` measured in the same run.

The events are synthetic (``synthetic = true``, counted through ``coverage.include_synthetic``): a
Binance-like sampled venue, random markets, sizes and sides, and every 10th liquidation received twice
(a second recorder), written to a lake with the normal batch writer.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from liqscope.methodology import Counting, Coverage, Methodology, Valuation, Window, load
from liqscope.metrics import counted, reconcile, report
from liqscope.store import EVENT_SCHEMA, Catalog
from liqscope.store._layout import day_of_ns
from liqscope.store._writer import BatchWriter

SCALES = {"small": 50_000, "medium": 500_000, "large": 2_000_000}
_START = 1_766_793_600 * 1_000_000_000  # 2025-12-27T00:00Z
_DAY = 86_400 * 1_000_000_000


def _lake(root: Path, n: int, seed: int = 1) -> Catalog:
    rng = random.Random(seed)
    markets = [f"SYM{i:03d}USDT" for i in range(200)]
    rows: dict[str, list[object]] = {f.name: [] for f in EVENT_SCHEMA}
    for i in range(n):
        ts = _START + rng.randrange(2 * _DAY)
        market = rng.choice(markets)
        usd = Decimal(f"{max(rng.lognormvariate(5.5, 1.6), 1):.2f}")
        copies = 2 if i % 10 == 0 else 1
        for c in range(copies):
            for name, value in (("venue", "binance_usdm"), ("market", market), ("instrument_kind", "perpetual"),
                                ("base_asset", market.removesuffix("USDT")), ("quote_asset", "USDT"),
                                ("settle_asset", "USDT"), ("margining", "linear"),
                                ("liquidated_side", rng.choice(("LONG", "SHORT"))), ("price", Decimal(1)),
                                ("price_kind", "average_fill"), ("order_price", Decimal(1)), ("quantity", usd),
                                ("quantity_unit", "base"), ("contract_size", None), ("contract_size_unit", None),
                                ("notional_usd", usd), ("notional_order_usd", usd * Decimal("0.999")),
                                ("liquidation_kind", "market"), ("margin_mode", None), ("account", None),
                                ("ts_event", ts), ("ts_recv", ts + 50_000_000 + c), ("source", "ws"),
                                ("event_id", f"bench:{i}"), ("raw_ref", f"bench:{i}:{c}"),
                                ("record_key", f"bench:{i}:{c}"), ("synthetic", True)):
                rows[name].append(value)
    size = len(rows["ts_event"])
    table = pa.table({f.name: pa.array(rows[f.name] or [None] * size, type=f.type) for f in EVENT_SCHEMA},
                     schema=EVENT_SCHEMA)
    catalog = Catalog(root)
    writer = BatchWriter(catalog.layout)
    days = pa.array([day_of_ns(t).isoformat() for t in rows["ts_event"]])  # type: ignore[arg-type]
    for day in sorted(set(days.to_pylist())):
        part = table.filter(pc.equal(days, day))
        writer.add_table(catalog.layout.event_part("binance_usdm", day_of_ns(part["ts_event"][0].as_py()),
                                                   writer.batch), part)
    writer.commit({"note": "SYNTHETIC benchmark events"})
    catalog.invalidate()
    return catalog


def _synthetic(m: Methodology) -> Methodology:
    return msgspec.structs.replace(m, coverage=msgspec.structs.replace(m.coverage, include_synthetic=True))


def _time(cases: list[tuple[str, Callable[[], object], str]], repeat: int) -> dict[str, list[float]]:
    # Rounds interleave the cases (report, reconcile, report, ...): on a box shared with other work the
    # load drifts over minutes, and every case then sees the same drift.
    for _, fn, _ in cases:
        fn()  # warm-up: file metadata and DuckDB caches, as in steady use
    out: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _ in range(repeat):
        for name, fn, _ in cases:
            t = time.perf_counter()
            fn()
            out[name].append(time.perf_counter() - t)
    return out


def _core(catalog: Catalog, m: Methodology, anchor: tuple[int, int]) -> object:
    with counted(catalog, m, *anchor).connect(("base_asset", "liquidated_side", "usd")) as con:
        return con.execute("SELECT base_asset, liquidated_side, sum(usd) FROM counted GROUP BY ALL").fetchall()


def run(scale: str = "small") -> list[dict[str, object]]:
    """Measure report vs reconcile at ``scale`` (small | medium | large); rows for the bench runner."""
    n = SCALES[scale]
    repeat = 5 if n <= 500_000 else 3
    anchor = (_START, _START + 2 * _DAY)
    standard, every = _synthetic(load("standard")), _synthetic(load("every-copy"))
    five = msgspec.structs.replace(
        _synthetic(load("throttle-adjusted")), coverage=Coverage(assets=tuple(f"SYM{i:03d}" for i in range(100)),
                                                                 include_synthetic=True),
        window=Window(kind="calendar_day", timezone="UTC+8"), counting=Counting(dedupe="every_copy"),
        valuation=Valuation(price="order"))
    with tempfile.TemporaryDirectory() as tmp:
        catalog = _lake(Path(tmp), n)
        cases: list[tuple[str, Callable[[], object], str]] = [
            ("report standard (baseline)", lambda: report(counted(catalog, standard, *anchor)), "one methodology"),
            ("report core: counted SQL + totals", lambda: _core(catalog, standard, anchor),
             "the report's own scan without its boards, flags and coverage: the like-for-like cost"),
            ("reconcile every-copy -> standard",
             lambda: reconcile(counted(catalog, every, *anchor), counted(catalog, standard, *anchor)),
             "1 differing dimension, 2 variants, one scan"),
            ("reconcile standard -> 5-dimension variant",
             lambda: reconcile(counted(catalog, standard, *anchor), counted(catalog, five, *anchor)),
             "5 differing dimensions, 32 variants (16 estimated: one estimate pass for both price bases), one scan"),
            ("2 reports (standard, 5-dimension variant)",
             lambda: (report(counted(catalog, standard, *anchor)), report(counted(catalog, five, *anchor))),
             "what the two endpoints alone cost"),
        ]
        timings = _time(cases, repeat)
    base = statistics.median(timings[cases[0][0]])
    return [{"name": name, "median_s": round(statistics.median(timings[name]), 4),
             "min_s": round(min(timings[name]), 4), "max_s": round(max(timings[name]), 4),
             "ratio_vs_baseline": round(statistics.median(timings[name]) / base, 2),
             "notes": f"{notes}; {n:,} liquidations (+10% duplicate copies), SYNTHETIC"}
            for name, _, notes in cases]


if __name__ == "__main__":
    scale = sys.argv[1] if len(sys.argv) > 1 else "small"
    for row in run(scale):
        print(f"{row['name']:<45} median {row['median_s']:>8.4f}s  min {row['min_s']:>8.4f}s  "
              f"max {row['max_s']:>8.4f}s  x{row['ratio_vs_baseline']:<6} {row['notes']}")
