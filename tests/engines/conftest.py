"""Spark runs in local mode on a JVM: without ``java`` on PATH the engine tests skip, saying why.

One session and one lake (real recordings, a second recorder, simulated OKX rows) for every engine test."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from liqscope._time import parse_iso_ns
from liqscope.ingest import ingest_file
from liqscope.simulate import Params, simulate
from liqscope.store import Catalog
from tests._data import BINANCE_0817, BINANCE_RIFTFERN, COINM_ARCHIVE, HL_BLOCKS, HL_OFFICIAL

ALL = (parse_iso_ns("2020-01-01"), parse_iso_ns("2027-01-01"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which("java"):
        return
    skip = pytest.mark.skip(reason="no `java` on PATH: Spark's local mode needs a JDK (apt-get install openjdk-17-jre)")
    for item in items:
        if "tests/engines/" in str(item.path).replace("\\", "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession  # the spark extra is a test requirement here: a missing one fails

    s = (SparkSession.builder.master("local[2]").appName("liqscope-test").config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "2")
         .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    yield s
    s.stop()


@pytest.fixture(scope="session")
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
