"""The report's counted figures on Apache Spark, over the same Parquet lake (the ``spark`` extra).

The counting rules mirror ``methodology.compile.compile_counted`` clause by clause: the window
[start, end) on ``ts_event``; coverage (venues, instrument kinds, assets, liquidation kinds, synthetic
rows out unless ``include_synthetic``, with SQL's NULL semantics); copies deduplicated by ``event_id``
keeping the earliest ``ts_recv`` then ``record_key``; the valuation column; the minimum notional; and
``n`` (one count per account under ``account`` dedupe). Sums stay ``DECIMAL(38, 18)`` on both engines,
so totals, sides, assets, venues and the largest board are equal to DuckDB's to the last digit
(tests/engines/test_spark.py). Estimation ``throttle_adjusted`` is DuckDB-only for now and is refused.

Which files to read comes from the lake's manifests, read locally; ``lake_uri`` points Spark at the
same files elsewhere (an object store the lake is mirrored to), see docs/spark.md.
"""

from __future__ import annotations

import decimal
import os
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from liqscope._time import iso_ns
from liqscope.errors import ConfigError
from liqscope.methodology import Methodology
from liqscope.metrics import Counted
from liqscope.metrics.report import Largest, Report, ReportCoverage, SideTotals, VenueCoverage, exact, split_sides
from liqscope.store import EVENT_SCHEMA, Catalog
from liqscope.venues import venues

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["counted", "event_uris", "report", "session", "spark_schema"]

_PRICE = {"fill": "notional_usd", "order": "notional_order_usd"}  # as compile.py's valuation fragment
_EXACT = decimal.Context(prec=60, traps=[decimal.InvalidOperation])


def session(master: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    """A Spark session: the active one, else a new one.

    Without ``master`` the usual Spark configuration decides (``spark-submit --master``,
    ``PYSPARK_SUBMIT_ARGS``, ``$SPARK_CONF_DIR/spark-defaults.conf``, ``$LIQSCOPE_SPARK_MASTER``), and
    local mode on every core when nothing does.

    Raises:
        ConfigError: pyspark is not installed (``pip install 'liqscope[spark]'``).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError("the spark engine needs pyspark: pip install 'liqscope[spark]'") from None
    builder = SparkSession.builder.appName("liqscope")
    master = master or os.environ.get("LIQSCOPE_SPARK_MASTER")
    if master:
        builder = builder.master(master)
    for key, value in {"spark.sql.session.timeZone": "UTC", "spark.ui.showConsoleProgress": "false",
                       **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def spark_schema() -> Any:
    """The lake's event schema as a Spark ``StructType`` (read with it, never inferred)."""
    from pyspark.sql import types as T

    def of(t: pa.DataType) -> Any:
        if pa.types.is_decimal(t):
            return T.DecimalType(t.precision, t.scale)
        if pa.types.is_int64(t):
            return T.LongType()
        if pa.types.is_int32(t):
            return T.IntegerType()
        if pa.types.is_boolean(t):
            return T.BooleanType()
        return T.StringType()

    return T.StructType([T.StructField(f.name, of(f.type), True) for f in EVENT_SCHEMA])


def event_uris(catalog: Catalog, files: list[Path], lake_uri: str | None = None) -> list[str]:
    """The committed files as Spark reads them: local paths, or the same paths under ``lake_uri``."""
    if not lake_uri:
        return [str(p) for p in files]
    base = lake_uri.rstrip("/")
    return [f"{base}/{p.relative_to(catalog.layout.lake).as_posix()}" for p in files]


def counted(spark: SparkSession, uris: list[str], m: Methodology, start_ns: int, end_ns: int) -> DataFrame:
    """The counted events of ``m`` in [start_ns, end_ns), with ``usd_floor``, ``usd`` and ``n`` columns.

    Raises:
        ConfigError: The methodology asks for something this engine does not compute (an estimate).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if m.estimation.mode != "floor":
        raise ConfigError(f"the spark engine computes the observed floor only; estimation.mode "
                          f"{m.estimation.mode!r} runs on the duckdb engine")
    schema = spark_schema()
    df = spark.read.schema(schema).parquet(*uris) if uris else spark.createDataFrame([], schema)
    c = m.coverage
    cond = (F.col("ts_event") >= F.lit(start_ns)) & (F.col("ts_event") < F.lit(end_ns))
    if c.venues:
        cond &= F.col("venue").isin(list(c.venues))
    cond &= F.col("instrument_kind").isin(list(c.instrument_kinds))
    if c.assets:
        cond &= F.col("base_asset").isin(list(c.assets))
    cond &= F.col("liquidation_kind").isin(list(c.liquidation_kinds))
    cond &= F.lit(c.include_synthetic) | ~F.col("synthetic")  # NULL synthetic drops out, as in DuckDB
    scoped = df.where(cond).withColumn("usd_floor", F.col(_PRICE[m.valuation.price]))
    if m.counting.dedupe != "every_copy":
        first = Window.partitionBy("event_id").orderBy("ts_recv", "record_key")
        scoped = scoped.withColumn("_copy", F.row_number().over(first)).where("_copy = 1").drop("_copy")
    kept = scoped.where(F.col("usd_floor") >= F.lit(m.counting.min_notional_usd))
    n = F.lit(1)
    if m.counting.dedupe == "account":
        per_account = Window.partitionBy("venue", "account").orderBy("ts_event", "event_id")
        n = (F.when(F.col("account").isNull(), 1).when(F.row_number().over(per_account) == 1, 1).otherwise(0))
    return kept.withColumn("usd", F.col("usd_floor")).withColumn("hidden_var", F.lit(0.0)).withColumn("n", n)


def report(c: Counted, *, largest_n: int = 10, spark: SparkSession | None = None,
           lake_uri: str | None = None) -> Report:
    """The report's counted figures computed on Spark: totals, long/short, by asset, by venue, largest,
    and per-venue coverage, over the window and files the ``Counted`` resolved. Live-capture coverage,
    accounts, flags and estimates are not computed here (their fields stay empty, and a note says so).

    Args:
        c: The counted relation (its window, coverage and files decide what is read).
        largest_n: Rows in the largest board.
        spark: A session (default: ``session()``).
        lake_uri: Where Spark reads the lake's files, when not at the local paths (``s3a://bucket/lake``).
    """
    spark = spark or session()  # first: a missing pyspark is a ConfigError naming the extra
    from pyspark.sql import functions as F

    methodology, window, catalog = c.methodology, c.window, c.catalog
    start_ns, end_ns = window.start_ns, window.end_ns
    df = counted(spark, event_uris(catalog, list(c.files), lake_uri or os.environ.get("LIQSCOPE_SPARK_LAKE")),
                 methodology, start_ns, end_ns)
    # Two Spark jobs: one grouped scan (venue x asset x side) and the largest board.
    cells = df.groupBy("venue", "base_asset", "liquidated_side").agg(
        F.sum("usd"), F.sum("n"), F.count(F.lit(1)), F.min("ts_event"), F.max("ts_event")).collect()
    largest_rows = (df.orderBy(F.col("usd_floor").desc(), "ts_event", "event_id").limit(largest_n)
                    .select("venue", "market", "liquidated_side", "usd_floor", "ts_event", "account", "event_id",
                            "raw_ref").collect())
    by_asset = split_sides(_rollup([(r[1], r[2], r[3], r[4]) for r in cells]))
    by_venue = split_sides(_rollup([(r[0], r[2], r[3], r[4]) for r in cells]))
    venue_rows: dict[str, list[int]] = {}
    for venue, _, _, _, _, rows, lo, hi in cells:
        acc = venue_rows.setdefault(venue, [0, lo, hi])
        acc[0], acc[1], acc[2] = acc[0] + rows, min(acc[1], lo), max(acc[2], hi)
    return _assemble(c, by_asset, by_venue, largest_rows, [(v, *acc) for v, acc in sorted(venue_rows.items())])


def _rollup(rows: list[tuple[Any, Any, Decimal | None, int]]) -> list[tuple[Any, Any, Decimal, int]]:
    # Sum the cells of each (key, side) exactly (60 digits), as one GROUP BY key, side would.
    out: dict[tuple[Any, Any], list[Any]] = {}
    for key, side, usd, n in rows:
        acc = out.setdefault((key, side), [Decimal(0), 0])
        acc[0], acc[1] = _EXACT.add(acc[0], usd or Decimal(0)), acc[1] + n
    return [(key, side, usd, n) for (key, side), (usd, n) in out.items()]


def _assemble(c: Counted, by_asset: dict[str, SideTotals], by_venue: dict[str, SideTotals], largest_rows: list[Any],
              venue_rows: list[tuple]) -> Report:
    # The same assembly as metrics.report.report, from the same kinds of rows.
    methodology, window, start_ns, end_ns = c.methodology, c.window, c.start_ns, c.end_ns
    totals = SideTotals()
    for t in by_venue.values():
        for f in ("long_usd", "short_usd", "total_usd", "events", "long_events", "short_events"):
            setattr(totals, f, getattr(totals, f) + getattr(t, f))
    registry = venues()
    per_venue = [
        VenueCoverage(venue=v, events=n, first_event=iso_ns(lo), last_event=iso_ns(hi),
                      sampled=registry[v].sampled if v in registry else False,
                      sampling=registry[v].sampling if v in registry else None)
        for v, n, lo, hi in venue_rows
    ]
    sampling = {v.venue: v.sampling for v in per_venue if v.sampling}
    notes = ["computed on Apache Spark: totals, sides, assets, venues and the largest board; live-capture "
             "coverage, accounts and flags are computed by the duckdb engine only"]
    if methodology.coverage.include_synthetic:
        notes.append("coverage.include_synthetic is set: SYNTHETIC rows (from `liqscope simulate`) count here")
    if sampling:
        notes.append("sampled feeds (" + ", ".join(sorted(sampling)) + ") send only some liquidations: "
                     "their totals are floors, not estimates")
    firsts, lasts = [r[2] for r in venue_rows], [r[3] for r in venue_rows]
    return Report(
        start=iso_ns(start_ns), end=iso_ns(end_ns), total_usd=totals.total_usd, long_usd=totals.long_usd,
        short_usd=totals.short_usd, unknown_side_usd=totals.total_usd - totals.long_usd - totals.short_usd,
        events=totals.events, long_events=totals.long_events, short_events=totals.short_events,
        by_asset=by_asset, by_venue=by_venue,
        largest=[Largest(venue=v, market=mk, side=s, notional_usd=exact(u), ts=iso_ns(t), ts_event=t, account=a,
                         event_id=i, raw_ref=r) for v, mk, s, u, t, a, i, r in largest_rows],
        methodology={**c.meta(), "engine": "spark"},
        coverage=ReportCoverage(venues=[v.venue for v in per_venue],
                                first_event=iso_ns(min(firsts)) if firsts else None,
                                last_event=iso_ns(max(lasts)) if lasts else None, per_venue=per_venue,
                                sampling=sampling, complete=not sampling, notes=notes, covered=c.coverage.covered,
                                not_covered=c.coverage.not_covered),
        window=window,
    )
