"""A real lake shared by the metrics tests: Binance recordings, a second (partial) recorder of the same
frames, Hyperliquid's official list and node blocks, and the Binance COIN-M archive sample."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pytest

from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from tests._data import BINANCE_RIFTFERN, COINM_ARCHIVE, HL_BLOCKS, HL_OFFICIAL

# The second recorder was up for lines 101..600 of the riftfern session only.
SECOND_RECORDER = slice(100, 600)


def riftfern_orders(lines: slice = slice(None)) -> list[dict]:
    """The raw ``o`` objects of the riftfern recording (read with json, independently of liqscope)."""
    return [json.loads(x)["o"] for x in gzip.decompress(BINANCE_RIFTFERN.read_bytes()).splitlines()[lines]]


def fill_usd(o: dict) -> Decimal:
    return Decimal(o["z"]) * Decimal(o["ap"])


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    root = tmp_path_factory.mktemp("metrics-lake")
    catalog = Catalog(root / "lake")
    ingest_file(catalog, "binance_usdm", BINANCE_RIFTFERN)
    second = root / "second-recorder.jsonl"
    second.write_bytes(b"\n".join(gzip.decompress(BINANCE_RIFTFERN.read_bytes()).splitlines()[SECOND_RECORDER]))
    ingest_file(catalog, "binance_usdm", second)
    ingest_file(catalog, "hyperliquid", HL_OFFICIAL, "hyperliquid-official")
    ingest_file(catalog, "hyperliquid", HL_BLOCKS)
    ingest_file(catalog, "binance_coinm", COINM_ARCHIVE, "binance-archive")
    return catalog


@pytest.fixture(scope="session")
def lake_dir(lake: Catalog) -> Path:
    return lake.root
