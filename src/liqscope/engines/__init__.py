"""Query engines besides the embedded DuckDB default: ``spark`` (the ``spark`` extra) runs the same
methodology over the same Parquet lake. Import ``liqscope.engines.spark`` only when pyspark is installed."""

ENGINES = ("duckdb", "spark")

__all__ = ["ENGINES"]
