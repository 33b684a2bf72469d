"""A third-party CSV is checked against its declared format's row spacing and units before anything is imported.

The inputs are the real CoinGlass hourly regime export with one documented mutation each: the rows
re-spaced 5 minutes apart (what a 5-minute export with the same header looks like), the datetime column
shifted an hour (a zone mistake), the timestamps in seconds instead of milliseconds.
"""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from liqscope.cli import main
from liqscope.errors import InputUnreadable
from liqscope.market import ingest_market
from liqscope.store import Catalog
from tests.market.test_parsers import MARKET

REAL = MARKET / "csv" / "coinglass_btc_regime_1h_2025-12-04_to_2025-12-28.csv"


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _mutate(tmp_path, name, fn):
    header, *rows = REAL.read_text().splitlines()
    out = [header]
    for i, row in enumerate(rows):
        ts, when, *rest = row.split(",")
        out.append(",".join([*fn(i, int(ts), when), *rest]))
    path = tmp_path / name
    path.write_text("\n".join(out) + "\n")
    return path


@pytest.mark.parametrize(("name", "fn", "says"), [
    ("five_minute.csv", lambda i, ts, when: (str(1764828000000 + i * 300_000), _iso(1764828000000 + i * 300_000)),
     "lines 2-3 are 300 s apart; coinglass-regime-csv has one row per 3,600 s"),
    ("zone_shifted.csv", lambda i, ts, when: (str(ts), _iso(ts + 3_600_000)),
     "line 2: timestamp 1764828000000 is not datetime_utc 2025-12-04T07:00:00.000Z"),
    ("seconds.csv", lambda i, ts, when: (str(ts // 1000), when), "line 2: timestamp 1764828000 is not datetime_utc"),
])
def test_a_file_that_does_not_match_its_declared_spacing_or_units_is_refused_whole(tmp_path, name, fn, says):
    path = _mutate(tmp_path, name, fn)
    catalog = Catalog(tmp_path / "lake")
    with pytest.raises(InputUnreadable) as e:
        ingest_market(catalog, "coinglass-regime-csv", path)
    assert says in str(e.value) and "Nothing was imported" in str(e.value)
    assert catalog.manifests() == []  # not one row, not one batch
    res = CliRunner().invoke(main, ["market", "ingest", "--format", "coinglass-regime-csv", str(path),
                                    "--data-dir", str(tmp_path / "lake")])
    assert res.exit_code == 1 and says in res.output


def test_the_real_hourly_export_still_imports_every_row(tmp_path):
    res = ingest_market(Catalog(tmp_path), "coinglass-regime-csv", REAL)
    assert res.rows == {"funding": 593, "open_interest": 593, "price": 1779} and res.quarantined == 0
