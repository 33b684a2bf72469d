"""Archive CSVs of liquidation events are checked against their declared time unit before anything is added.

Events have no spacing to check, but a unit does: a Binance liquidationSnapshot file is epoch milliseconds of the
day its name gives, a Tardis liquidations CSV is epoch microseconds. The inputs are the real fixture files with one
documented mutation each (times rewritten in another unit); the real files still import every row.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from liqscope.errors import InputUnreadable
from liqscope.ingest import ingest_file
from liqscope.store import Catalog

FIXTURES = Path(__file__).parent.parent / "fixtures" / "venues"
COINM = FIXTURES / "binance_coinm" / "formats" / "binance-archive" / "BTCUSD_PERP-liquidationSnapshot-2024-10-01.csv"
TARDIS = FIXTURES / "binance_usdm" / "formats" / "tardis-csv" / "tardis_snapshot_binance-futures.csv"


def _rewrite(src: Path, dst: Path, columns: tuple[int, ...], fn) -> Path:
    header, *rows = src.read_text().splitlines()
    out = [header]
    for row in rows:
        cells = row.split(",")
        for c in columns:
            cells[c] = fn(cells[c])
        out.append(",".join(cells))
    dst.write_text("\n".join(out) + "\n")
    return dst


def test_the_real_binance_archive_day_imports(tmp_path):
    r = ingest_file(Catalog(tmp_path), "binance_coinm", COINM, "binance-archive")
    assert r.quarantined == 0 and r.accepted > 0


@pytest.mark.parametrize(("unit", "fn", "says"), [
    # Binance moved its spot archives to microseconds in 2025: the same column, 1,000x larger.
    ("microseconds", lambda t: t + "000", "line 2: time 1727740869082000 read as epoch milliseconds is outside"),
    # A file written in seconds reads as January 1970.
    ("seconds", lambda t: t[:-3], "line 2: time 1727740869 read as epoch milliseconds is outside"),
])
def test_a_binance_archive_in_another_unit_is_refused_whole(tmp_path, unit, fn, says):
    path = _rewrite(COINM, tmp_path / COINM.name, (0,), fn)
    catalog = Catalog(tmp_path / "lake")
    with pytest.raises(InputUnreadable) as caught:
        ingest_file(catalog, "binance_coinm", path, "binance-archive")
    assert says in str(caught.value) and "does not match --format binance-archive" in str(caught.value)
    assert "Nothing was imported" in str(caught.value) and not catalog.manifests()


def test_a_binance_archive_whose_rows_are_another_day_than_its_name_is_refused(tmp_path):
    """The real rows under the name of the next day: a mislabelled file, or a time zone applied twice."""
    path = tmp_path / COINM.name.replace("2024-10-01", "2024-10-02")
    path.write_bytes(COINM.read_bytes())
    with pytest.raises(InputUnreadable, match=r"outside the file's 2024-10-02T00:00:00Z \.\. 2024-10-03T00:00:00Z"):
        ingest_file(Catalog(tmp_path / "lake"), "binance_coinm", path, "binance-archive")


def test_the_real_tardis_rows_import(tmp_path):
    r = ingest_file(Catalog(tmp_path), "binance_usdm", TARDIS, "tardis-csv")
    assert r.quarantined == 0 and r.accepted == r.records > 0


def test_a_tardis_csv_in_milliseconds_is_refused_whole(tmp_path):
    """Both time columns divided by 1,000: every row would be 1970; the file is refused, naming the unit."""
    path = _rewrite(TARDIS, tmp_path / TARDIS.name, (2, 3), lambda t: t[:-3])
    with pytest.raises(InputUnreadable, match=r"line 2: timestamp 1584059031421 read as epoch microseconds is "
                                              r"outside .*tardis-csv times are epoch microseconds"):
        ingest_file(Catalog(tmp_path / "lake"), "binance_usdm", path, "tardis-csv")
