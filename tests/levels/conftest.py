from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from liqscope._demo import MARKET_FILES, build_market_demo
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from tests._data import BINANCE_RIFTFERN, DEMO

REGIME = DEMO / MARKET_FILES[0][1]
CG_LIQ = DEMO / MARKET_FILES[1][1]


def rows(path: Path) -> list[dict[str, str]]:
    """The rows of a bundled CoinGlass CSV, read with the standard library (not by liqscope)."""
    import csv
    import io

    return list(csv.DictReader(io.StringIO(gzip.decompress(path.read_bytes()).decode())))


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The bundled real CoinGlass BTC series (Dec 2025 - Feb 2026) and the 2025-12-27/28 Binance recording."""
    cat = Catalog(tmp_path_factory.mktemp("levels") / "data")
    build_market_demo(cat)
    ingest_file(cat, "binance_usdm", BINANCE_RIFTFERN)
    return cat
