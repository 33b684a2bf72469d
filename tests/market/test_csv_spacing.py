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


# --- every other third-party CSV importer goes through the same check (liqscope._cadence) ------------------

HL = MARKET / "csv" / "hl_funding_btc_2023-05-12_to_2023-07-03.csv"
CG_LIQ = MARKET / "csv" / "coinglass_btc_liquidations_1h_binance_bybit_okx_2025-12-27_to_2025-12-28.csv"


def test_the_real_hyperliquid_funding_export_imports_every_settlement(tmp_path):
    """681 rows: 8-hourly, then hourly, settlements a few ms past the hour (one a second early): all fit."""
    res = ingest_market(Catalog(tmp_path), "hyperliquid-funding-csv", HL)
    assert (res.records, res.quarantined) == (681, 0)
    assert res.rows["funding"] == 681


def test_a_sub_hourly_hyperliquid_funding_file_is_refused(tmp_path):
    """The real rows re-stamped 5 minutes apart (what premium samples under the same header look like)."""
    header, *rows = HL.read_text().splitlines()
    start = dt.datetime(2023, 5, 12, tzinfo=dt.UTC)
    out = [header] + [",".join([(start + dt.timedelta(minutes=5 * i)).isoformat(), *r.split(",")[1:]])
                      for i, r in enumerate(rows)]
    path = tmp_path / "hl_5m.csv"
    path.write_text("\n".join(out) + "\n")
    with pytest.raises(InputUnreadable, match="lines 2-3 are 300 s apart; hyperliquid-funding-csv has one row per "
                                              "3,600 s per BTC"):
        ingest_market(Catalog(tmp_path / "lake"), "hyperliquid-funding-csv", path)


def test_hyperliquid_funding_spacing_is_checked_per_symbol(tmp_path):
    """Two symbols' settlements at the same hours interleave: each symbol is hourly, the file is fine."""
    header, *rows = HL.read_text().splitlines()
    eth = [r.replace(",BTC,", ",ETH,") for r in rows[-24:]]
    path = tmp_path / "two.csv"
    path.write_text("\n".join([header, *[x for pair in zip(rows[-24:], eth, strict=True) for x in pair]]) + "\n")
    assert ingest_market(Catalog(tmp_path / "lake"), "hyperliquid-funding-csv", path).rows["funding"] == 48


def test_a_five_minute_coinglass_liquidation_file_is_refused(tmp_path):
    header, *rows = CG_LIQ.read_text().splitlines()
    first = int(rows[0].split(",")[0])
    out = [header] + [",".join([str(first + i * 300_000), _iso(first + i * 300_000), *r.split(",")[2:]])
                      for i, r in enumerate(rows)]
    path = tmp_path / CG_LIQ.name
    path.write_text("\n".join(out) + "\n")
    with pytest.raises(InputUnreadable, match="lines 2-3 are 300 s apart; coinglass-liquidations-csv has one row"):
        ingest_market(Catalog(tmp_path / "lake"), "coinglass-liquidations-csv", path)
    assert ingest_market(Catalog(tmp_path / "real"), "coinglass-liquidations-csv", CG_LIQ).rows == {"reference": 47}
