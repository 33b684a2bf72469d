"""`report` over large lakes against a hand-written DuckDB query and pandas; query cost as the lake grows.

The lakes are SYNTHETIC: one simulated hour of four venues (binance_usdm, bybit_linear, okx_swap,
hyperliquid), ingested by `liqscope ingest`, then replicated day after day (ids suffixed with the day,
so every row is its own liquidation) with 1 % extra copies (later ts_recv, another record_key) for the
identity dedupe to remove. Each day is committed as one batch (one file per venue and day), as daily
ingests followed by `liqscope compact` leave it. The report runs under `standard` + include_synthetic.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb
import msgspec

from bench._common import OUT, START, measure, scale_of, time_row
from liqscope._time import parse_iso_ns
from liqscope.ingest import ingest_file
from liqscope.methodology import load
from liqscope.metrics import counted, report
from liqscope.simulate import Params, simulate
from liqscope.store import Catalog
from liqscope.store._layout import day_of_ns
from liqscope.store._writer import Manifest, new_batch_id

DAY_NS = 86_400 * 1_000_000_000
SEED_VENUES = {"binance_usdm": 25.0, "bybit_linear": 15.0, "okx_swap": 15.0, "hyperliquid": 15.0}


def _methodology() -> Any:
    m = load("standard")
    return msgspec.structs.replace(m, name="standard+synthetic",
                                   coverage=msgspec.structs.replace(m.coverage, include_synthetic=True))


def _seed() -> Path:
    root = OUT / "seed"
    if (root / "done").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    catalog = Catalog(root / "data")
    for venue, rate in SEED_VENUES.items():
        sim = simulate(venue, root / "sim", start_ns=parse_iso_ns(START), seconds=3600, params=Params(rate=rate),
                       seed=5)
        ingest_file(catalog, venue, Path(sim.output))
    (root / "done").write_text("ok")
    return root


_REPLICATE = """
SELECT * REPLACE (ts_event + $shift AS ts_event, ts_recv + $shift AS ts_recv, event_id || $tag AS event_id,
                  record_key || $tag AS record_key)
FROM seed WHERE venue = $venue
UNION ALL
SELECT * REPLACE (ts_event + $shift AS ts_event, ts_recv + $shift + 1000000000 AS ts_recv,
                  event_id || $tag AS event_id, record_key || $tag || ':copy' AS record_key)
FROM seed WHERE venue = $venue AND hash(event_id) % 100 = 0
"""


class _Lake:
    def __init__(self, root: Path) -> None:
        shutil.rmtree(root, ignore_errors=True)
        self.catalog = Catalog(root)
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET enable_progress_bar = false")
        seed = Catalog(_seed() / "data")
        self.con.execute(f"CREATE TABLE seed AS SELECT * FROM {seed.relation_sql(seed.event_files())}")
        self.seed_rows = self.con.execute("SELECT count(*) FROM seed").fetchall()[0][0]
        self.days = self.rows = 0
        self.day0 = day_of_ns(parse_iso_ns(START))

    def add_day(self) -> None:
        # DuckDB writes each file straight into place, then the manifest commits the day, in the order a
        # BatchWriter keeps (files first, manifest last). Bench-only: no other writer touches this lake.
        layout, batch = self.catalog.layout, new_batch_id()
        shift = self.days * DAY_NS
        day = day_of_ns(parse_iso_ns(START) + shift)
        files = []
        for venue in SEED_VENUES:
            final = layout.event_part(venue, day, batch)
            final.parent.mkdir(parents=True, exist_ok=True)
            sql = _REPLICATE.replace("$shift", str(shift)).replace("$tag", f"':d{self.days}'").replace(
                "$venue", f"'{venue}'")
            self.con.execute(f"COPY ({sql}) TO '{final}' (FORMAT parquet, COMPRESSION zstd)")
            files.append(os.path.relpath(final, layout.lake))
        self.rows += self.con.execute(f"SELECT count(*) FROM read_parquet({[str(layout.lake / f) for f in files]})"
                                      ).fetchall()[0][0]
        layout.batches.mkdir(parents=True, exist_ok=True)
        manifest = Manifest(batch=batch, created_ns=time.time_ns(), files=files, meta={"kind": "bench"})
        (layout.batches / f"{batch}.json").write_bytes(msgspec.json.encode(manifest))
        self.catalog.invalidate()
        self.days += 1

    def window(self, days: int | None = None) -> tuple[int, int]:
        start = parse_iso_ns(START)
        return start, start + (days or self.days) * DAY_NS


def _hand_written(catalog: Catalog, start: int, end: int) -> tuple[Any, ...]:
    files = catalog.event_files(None, start, end)
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"""
            CREATE TEMP TABLE c AS
            SELECT venue, base_asset, liquidated_side, notional_usd AS usd, ts_event, market, account, event_id,
                   raw_ref
            FROM {catalog.relation_sql(files)}
            WHERE ts_event >= $start AND ts_event < $end AND liquidation_kind IN ('market', 'backstop')
            QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts_recv, record_key) = 1""",
                    {"start": start, "end": end})
        by_asset = con.execute("SELECT base_asset, liquidated_side, sum(usd), count(*) FROM c GROUP BY ALL").fetchall()
        by_venue = con.execute("SELECT venue, liquidated_side, sum(usd), count(*) FROM c GROUP BY ALL").fetchall()
        top = con.execute("SELECT * FROM c ORDER BY usd DESC, ts_event, event_id LIMIT 10").fetchall()
        span = con.execute("SELECT venue, count(*), min(ts_event), max(ts_event) FROM c GROUP BY venue").fetchall()
    finally:
        con.close()
    return sum(r[2] for r in by_venue), by_asset, top, span


def _pandas_report(catalog: Catalog, start: int, end: int) -> Any:
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    files = [str(p) for p in catalog.event_files(None, start, end)]
    cols = ["venue", "base_asset", "liquidated_side", "notional_usd", "ts_event", "ts_recv", "record_key",
            "event_id", "market", "raw_ref", "liquidation_kind"]
    t = ds.dataset(files, format="parquet").to_table(columns=cols)
    t = t.set_column(3, "notional_usd", pc.cast(t["notional_usd"], "float64"))  # pandas has no exact decimal sum
    df = t.to_pandas()
    df = df[(df.ts_event >= start) & (df.ts_event < end) & df.liquidation_kind.isin(["market", "backstop"])]
    df = df.sort_values(["event_id", "ts_recv", "record_key"]).drop_duplicates("event_id", keep="first")
    by_asset = df.groupby(["base_asset", "liquidated_side"], dropna=False)["notional_usd"].agg(["sum", "count"])
    by_venue = df.groupby(["venue", "liquidated_side"], dropna=False)["notional_usd"].agg(["sum", "count"])
    top = df.nlargest(10, "notional_usd")
    span = df.groupby("venue")["ts_event"].agg(["count", "min", "max"])
    return float(by_venue["sum"].sum()), by_asset, top, span


def _minute_duck(catalog: Catalog, start: int, end: int) -> int:
    con = duckdb.connect(":memory:")
    try:
        return len(con.execute(
            f"SELECT ts_event // 60000000000 AS minute, base_asset, liquidated_side, sum(notional_usd), count(*) "
            f"FROM {catalog.relation_sql(catalog.event_files(None, start, end))} GROUP BY ALL").fetchall())
    finally:
        con.close()


def _minute_pandas(catalog: Catalog, start: int, end: int) -> int:
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    files = [str(p) for p in catalog.event_files(None, start, end)]
    t = ds.dataset(files, format="parquet").to_table(columns=["ts_event", "base_asset", "liquidated_side",
                                                                "notional_usd"])
    df = t.set_column(3, "notional_usd", pc.cast(t["notional_usd"], "float64")).to_pandas()
    df["minute"] = df.ts_event // 60_000_000_000
    return len(df.groupby(["minute", "base_asset", "liquidated_side"], dropna=False)["notional_usd"].agg(["sum",
                                                                                                          "count"]))


def _query_rows(lake: _Lake, label: str, repeats: int, with_pandas: bool) -> list[dict[str, Any]]:
    m, (start, end) = _methodology(), lake.window()
    rows = []
    t_report = measure(lambda: report(counted(lake.catalog, m, start, end)), repeats)
    t_hand = measure(lambda: _hand_written(lake.catalog, start, end), repeats)
    if t_report[3].total_usd != t_hand[3][0]:
        raise AssertionError(f"report and the hand-written query disagree: {t_report[3].total_usd} vs {t_hand[3][0]}")
    ratio = t_report[0] / t_hand[0]
    rows.append(time_row("report", f"{label}: liqscope report (standard + synthetic), whole lake", t_report,
                         n=lake.rows, ratio=ratio, ratio_note="report / hand-written", target="<= 1.25x hand-written",
                         met=ratio <= 1.25, note=f"{t_report[3].events:,} counted events"))
    rows.append(time_row("report", f"{label}: hand-written DuckDB query, same files, same figures", t_hand,
                         n=lake.rows))
    if with_pandas:
        t_pd = measure(lambda: _pandas_report(lake.catalog, start, end), max(1, repeats - 1))
        rows.append(time_row("report", f"{label}: pandas (float64 sums), same files, same steps", t_pd, n=lake.rows,
                             ratio=t_pd[0] / t_hand[0], ratio_note="pandas / hand-written"))
        t_md = measure(lambda: _minute_duck(lake.catalog, start, end), repeats)
        t_mp = measure(lambda: _minute_pandas(lake.catalog, start, end), max(1, repeats - 1))
        rows.append(time_row("report", f"{label}: DuckDB minute x asset x side (the issue's reference query)", t_md,
                             n=lake.rows))
        rows.append(time_row("report", f"{label}: pandas minute x asset x side", t_mp, n=lake.rows,
                             ratio=t_mp[0] / t_md[0], ratio_note="pandas / DuckDB"))
    else:
        rows.append({"section": "report", "case": f"{label}: pandas", "value": None, "unit": "s",
                     "note": "not run: the columns of this lake do not fit pandas' object strings in RAM"})
    return rows


def run(scale: str) -> list[dict[str, Any]]:
    cfg = scale_of(scale)
    lake = _Lake(OUT / "lake-query")
    rows: list[dict[str, Any]] = []
    targets = list(cfg["lakes"])
    growth = list(cfg["growth_days"])
    first_day = lake.window(1)
    m = _methodology()
    while targets or growth:
        lake.add_day()
        if growth and lake.days == growth[0]:
            growth.pop(0)
            t = measure(lambda: report(counted(lake.catalog, m, *first_day)), cfg["repeats"])
            rows.append(time_row("growth", f"report over a fixed 1-day window, lake of {lake.days} days "
                                 f"({lake.rows:,} rows)", t, n=lake.rows))
        if targets and lake.rows >= targets[0]:
            size = targets.pop(0)
            label = f"{size // 1_000_000}M lake ({lake.rows:,} rows, {lake.days} days)"
            rows += _query_rows(lake, label, 2 if size <= 10_000_000 else 1, size <= 10_000_000)
    lake.con.close()
    return rows
