"""Apache Spark as an engine for the counted relation, over the same Parquet lake (the ``spark`` extra).

Spark runs the SQL the methodology compiled, never a re-written copy of it: ``SparkEngine`` registers
the ``Counted``'s own file list as a view, asks the ``Counted`` for its query over that view, binds the
parameters as literals and transpiles DuckDB's dialect to Spark's with sqlglot. Each metric's own SQL
over ``counted`` (group-bys, the largest board, ...) goes through the same translation, so a metric
runs unchanged on either engine::

    report(counted(catalog, m, start, end).on(SparkEngine(spark)))

Spark reads with ``spark.sql.decimalOperations.allowPrecisionLoss`` off, so DECIMAL(38, 18) sums and
sums of an estimate keep every digit, as DuckDB's do. Which metrics match DuckDB exactly, and which
cannot yet, is declared in tests/engines/test_conformance.py.

Which files to read comes from the lake's manifests, read locally; ``lake_uri`` points Spark at the
same files elsewhere (an object store the lake is mirrored to), see docs/spark.md.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from liqscope.errors import ConfigError
from liqscope.metrics import Counted, Report
from liqscope.metrics import report as _report
from liqscope.store import EVENT_SCHEMA, Catalog

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkEngine", "event_uris", "on_spark", "report", "session", "spark_schema", "to_spark_sql"]

_CONF = {"spark.sql.session.timeZone": "UTC", "spark.sql.decimalOperations.allowPrecisionLoss": "false"}


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
    for key, value in {**_CONF, "spark.ui.showConsoleProgress": "false", **(conf or {})}.items():
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


def _literal(value: object) -> Any:
    from sqlglot import exp

    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if value is None:
        return exp.Null()
    if isinstance(value, int | float | Decimal):
        text = format(value, "f") if isinstance(value, Decimal) else repr(value)
        return exp.Literal.number(text)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, list | tuple):
        if not value:  # every list parameter holds names: an empty one is still an array of strings
            return exp.Cast(this=exp.Array(expressions=[]), to=exp.DataType.build("ARRAY<STRING>"))
        return exp.Array(expressions=[_literal(v) for v in value])
    raise ConfigError(f"the spark engine cannot bind a parameter of type {type(value).__name__}")


def to_spark_sql(sql: str, params: Mapping[str, object] | None = None, tables: Mapping[str, str] | None = None) -> str:
    """DuckDB SQL (as compiled by ``methodology.compile`` and written by the metrics) -> Spark SQL.

    ``$name`` parameters are bound as literals (our own values: numbers, names, lists of names);
    ``tables`` renames tables (``counted`` -> the session's view of it).
    """
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    values = dict(params or {})
    for node in list(tree.find_all(exp.Placeholder, exp.Parameter)):
        name = node.name
        if name not in values:
            raise ConfigError(f"the spark engine: no value for parameter ${name}")
        node.replace(_literal(values[name]))
    for t in tree.find_all(exp.Table):
        if tables and t.name in tables:
            t.set("this", exp.to_identifier(tables[t.name]))
    return tree.sql(dialect="spark")


class _Result:
    def __init__(self, rows: list[tuple]) -> None:
        self.rows = rows

    def fetchall(self) -> list[tuple]:
        return self.rows

    def fetchone(self) -> tuple | None:
        return self.rows[0] if self.rows else None


class _Connection:
    # DuckDB's connection surface the metrics use (execute -> fetchall/fetchone), run on Spark.
    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        self.views: dict[str, str] = {}
        self.frames: list[DataFrame] = []

    def view(self, name: str, df: DataFrame) -> str:
        real = f"liqscope_{name}_{uuid.uuid4().hex[:12]}"
        df.createOrReplaceTempView(real)
        self.views[name] = real
        return real

    def execute(self, sql: str, params: Mapping[str, object] | None = None) -> _Result:
        import sqlglot
        from sqlglot import exp

        tree = sqlglot.parse_one(sql, read="duckdb")
        if isinstance(tree, exp.Create):  # CREATE TEMP TABLE x AS SELECT ...: a cached view
            df = self.spark.sql(to_spark_sql(tree.expression.sql(dialect="duckdb"), params, self.views)).cache()
            self.frames.append(df)
            self.view(tree.this.name, df)
            return _Result([])
        if isinstance(tree, exp.Delete):  # DELETE FROM x WHERE c: x becomes the rows where c is not true
            table = tree.this.name
            cond = tree.args["where"].this.sql(dialect="duckdb")
            df = self.spark.sql(to_spark_sql(f"SELECT * FROM {table} WHERE NOT coalesce(({cond}), false)", params,
                                             self.views)).cache()
            self.frames.append(df)
            self.view(table, df)
            return _Result([])
        return _Result([tuple(r) for r in self.spark.sql(to_spark_sql(sql, params, self.views)).collect()])

    def close(self) -> None:
        for real in self.views.values():
            self.spark.catalog.dropTempView(real)
        for df in self.frames:
            df.unpersist()


class SparkEngine:
    """Runs a ``Counted`` on Spark: its files as a view, its compiled SQL transpiled (see the module doc).

    Args:
        spark: A session (default: ``session()``).
        lake_uri: Where Spark reads the lake's files, when not at the local paths (``s3a://bucket/lake``;
            default ``$LIQSCOPE_SPARK_LAKE``).
    """

    name = "spark"

    def __init__(self, spark: SparkSession | None = None, lake_uri: str | None = None) -> None:
        self.spark = spark or session()  # first: a missing pyspark is a ConfigError naming the extra
        self.lake_uri = lake_uri or os.environ.get("LIQSCOPE_SPARK_LAKE")
        for key, value in _CONF.items():
            self.spark.conf.set(key, value)

    @contextmanager
    def connect(self, c: Counted, columns: Sequence[str]) -> Iterator[_Connection]:
        con = _Connection(self.spark)
        try:
            schema = spark_schema()
            uris = event_uris(c.catalog, list(c.files), self.lake_uri)
            df = self.spark.read.schema(schema).parquet(*uris) if uris else self.spark.createDataFrame([], schema)
            q = c.compile(con.view("events", df))
            con.execute(f"CREATE TEMP TABLE counted AS SELECT {', '.join(columns)} FROM ({q.sql})", q.params)
            yield con
        finally:
            con.close()


def on_spark(c: Counted, spark: SparkSession | None = None, lake_uri: str | None = None) -> Counted:
    """``c`` run by Spark: every metric given the result computes on Spark."""
    return c.on(SparkEngine(spark, lake_uri))


def report(c: Counted, *, largest_n: int = 10, spark: SparkSession | None = None,
           lake_uri: str | None = None) -> Report:
    """``metrics.report`` of ``c`` computed on Spark (``liqscope report --engine spark``)."""
    return _report(on_spark(c, spark, lake_uri), largest_n=largest_n)
