"""`--engine spark`: the same methodology over the same Parquet lake gives DuckDB's figures exactly.

Runs Spark in local mode (one session for the module). pyspark is a required test dependency here:
scripts/test installs the ``spark`` extra, so a missing pyspark fails instead of skipping.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from liqscope.engines import spark as spark_engine
from liqscope.methodology import load, load_file
from liqscope.metrics import counted, report
from tests.engines.conftest import ALL


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


def test_spark_gives_duckdbs_report_exactly_under_each_counting_rule(spark, lake, tmp_path):
    """The whole report, estimate included: Spark runs the SQL the methodology compiled, transpiled."""
    on_spark = {}
    for m in [*_methodologies(tmp_path), load("throttle-adjusted")]:
        duck = report(counted(lake, m, *ALL), largest_n=25)
        on_spark[m.name] = spark_engine.report(counted(lake, m, *ALL), largest_n=25, spark=spark)
        assert msgspec.to_builtins(on_spark[m.name]) == msgspec.to_builtins(duck), m.name
    # The figures are not vacuous: copies and synthetic rows move them, as they should.
    # the second recorder's 456 copies, and the COIN-M archive's 7 rows Binance writes twice
    assert on_spark["every-copy"].events == on_spark["standard"].events + 456 + 7
    assert on_spark["standard"].total_usd > 0 and on_spark["majors-adl-order-price"].total_usd > 0
    assert on_spark["standard"].venue("okx_swap") is None and on_spark["with-synthetic"].venue("okx_swap") is not None
    estimate = on_spark["throttle-adjusted"].estimate
    assert estimate is not None and estimate.floor_usd == on_spark["standard"].total_usd < estimate.estimate_usd


def test_spark_reads_the_same_figures_through_a_lake_uri(spark, lake):
    """Pointing Spark at a mirror of the lake (here: file:// URIs) changes nothing."""
    m = load("standard")
    uri = lake.layout.lake.resolve().as_uri()
    assert msgspec.to_builtins(spark_engine.report(counted(lake, m, *ALL), spark=spark, lake_uri=uri).by_venue) == \
        msgspec.to_builtins(report(counted(lake, m, *ALL)).by_venue)
