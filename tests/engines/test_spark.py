"""`--engine spark`: the same methodology over the same Parquet lake gives DuckDB's figures exactly.

Runs Spark in local mode (one session for the module). pyspark is a required test dependency here:
scripts/test installs the ``spark`` extra, so a missing pyspark fails instead of skipping.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import msgspec
import pytest
from pyspark.sql import SparkSession

from liqscope._time import parse_iso_ns
from liqscope.engines import spark as spark_engine
from liqscope.errors import ConfigError
from liqscope.ingest import ingest_file
from liqscope.methodology import load, load_file
from liqscope.metrics import counted, report
from liqscope.simulate import Params, simulate
from liqscope.store import Catalog
from tests._data import BINANCE_0817, BINANCE_RIFTFERN, COINM_ARCHIVE, HL_BLOCKS, HL_OFFICIAL

ALL = (parse_iso_ns("2020-01-01"), parse_iso_ns("2027-01-01"))
# Figures the spark engine computes; each must equal DuckDB's exactly (Decimal ==, not approximately).
FIGURES = ("start", "end", "total_usd", "long_usd", "short_usd", "unknown_side_usd", "events", "long_events",
           "short_events", "by_asset", "by_venue", "largest", "window")


@pytest.fixture(scope="module")
def spark():
    s = (SparkSession.builder.master("local[2]").appName("liqscope-test")
         .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
         .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    yield s
    s.stop()


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    tmp = tmp_path_factory.mktemp("spark")
    catalog = Catalog(tmp / "data")
    copy = tmp / "second-recorder.jsonl"  # the same liquidations again: every-copy and identity differ
    copy.write_bytes(gzip.decompress(BINANCE_0817.read_bytes()))
    for venue, path, fmt in [("binance_usdm", BINANCE_0817, "jsonl"), ("binance_usdm", copy, "jsonl"),
                             ("binance_usdm", BINANCE_RIFTFERN, "jsonl"), ("hyperliquid", HL_BLOCKS, "jsonl"),
                             ("hyperliquid", HL_OFFICIAL, "hyperliquid-official"),
                             ("binance_coinm", COINM_ARCHIVE, "binance-archive")]:
        ingest_file(catalog, venue, path, fmt)
    sim = simulate("okx_swap", tmp / "sim", start_ns=parse_iso_ns("2025-12-27T15:00:00Z"), seconds=600,
                   params=Params(rate=2.0), seed=7)
    assert ingest_file(catalog, "okx_swap", Path(sim.output)).synthetic
    return catalog


def _custom(tmp_path: Path, name: str, body: str):
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\n{body}', encoding="utf-8")
    return load_file(path)


def _methodologies(tmp_path: Path) -> list:
    # One per counting rule the engine mirrors: dedupe levels, a calendar window, instrument kinds,
    # synthetic rows, assets + minimum size + ADL + the order price.
    builtin = [load(n) for n in ("standard", "every-copy", "per-account", "utc8-day", "perpetuals-only")]
    return [*builtin,
            _custom(tmp_path, "with-synthetic", "[coverage]\ninclude_synthetic = true\n"),
            _custom(tmp_path, "majors-adl-order-price",
                    '[coverage]\nassets = ["BTC", "ETH", "WLFI"]\nliquidation_kinds = ["market", "backstop", "adl"]\n'
                    '[counting]\nmin_notional_usd = "100"\n[valuation]\nprice = "order"\n')]


def test_spark_gives_duckdbs_figures_exactly_under_each_counting_rule(spark, lake, tmp_path):
    on_spark = {}
    for m in _methodologies(tmp_path):
        assert m.estimation.mode == "floor"
        duck = report(counted(lake, m, *ALL), largest_n=25)
        on_spark[m.name] = spark_engine.report(counted(lake, m, *ALL), largest_n=25, spark=spark)
        for figure in FIGURES:
            assert getattr(on_spark[m.name], figure) == getattr(duck, figure), f"{m.name}: {figure}"
        assert on_spark[m.name].coverage.per_venue == duck.coverage.per_venue, m.name
        assert on_spark[m.name].methodology["fingerprint"] == duck.methodology["fingerprint"]
    # The figures are not vacuous: copies and synthetic rows move them, as they should.
    assert on_spark["every-copy"].events == on_spark["standard"].events + 456
    assert on_spark["standard"].total_usd > 0 and on_spark["majors-adl-order-price"].total_usd > 0
    assert "okx_swap" not in on_spark["standard"].by_venue and "okx_swap" in on_spark["with-synthetic"].by_venue


def test_spark_reads_the_same_figures_through_a_lake_uri(spark, lake):
    """Pointing Spark at a mirror of the lake (here: file:// URIs) changes nothing."""
    m = load("standard")
    uri = lake.layout.lake.resolve().as_uri()
    assert msgspec.to_builtins(spark_engine.report(counted(lake, m, *ALL), spark=spark, lake_uri=uri).by_venue) == \
        msgspec.to_builtins(report(counted(lake, m, *ALL)).by_venue)


def test_spark_refuses_an_estimate_it_does_not_compute(spark, lake):
    with pytest.raises(ConfigError, match="throttle_adjusted"):
        spark_engine.report(counted(lake, load("throttle-adjusted"), *ALL), spark=spark)
