"""Versioned event ids: a lake written before scheme 2 stays readable, is never mixed, and migrates.

The scheme-1 lake in tests/fixtures/lakes/id_scheme_1 was written by liqscope's own code before ids were
versioned (see its .source.txt); the ids expected here are recomputed with hashlib from the raw frames.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from liqscope import _identity
from liqscope.cli import main
from liqscope.errors import StoreError
from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from liqscope.verify import verify_lake

FIXTURES = Path(__file__).parents[1] / "fixtures"
BINANCE = FIXTURES / "venues/binance_usdm/ws_force_order.jsonl"
BYBIT = FIXTURES / "venues/bybit_linear/ws_all_liquidation.jsonl"


def _canon_binance(o: dict) -> str:
    # parse.identity's canonical field list: s, S, o, f, q, p, ap, X, l, z, T, ps (absent on USD-M: None)
    return "|".join(str(o.get(k)) for k in ("s", "S", "o", "f", "q", "p", "ap", "X", "l", "z", "T", "ps"))


def _expected_ids(digest) -> set[str]:  # type: ignore[no-untyped-def]
    out = set()
    for line in BINANCE.read_bytes().splitlines():
        o = json.loads(line)["o"]
        out.add(f"binance_usdm:{o['s']}:{o['T']}:{digest(_canon_binance(o).encode())}")
    return out


def _blake(b: bytes) -> str:
    return hashlib.blake2b(b, digest_size=10).hexdigest()


def _md5(b: bytes) -> str:
    return hashlib.md5(b, usedforsecurity=False).hexdigest()[:20]


def _ids(catalog: Catalog, venue: str) -> set[str]:
    catalog.invalidate()
    glob = str(catalog.layout.events / f"venue={venue}" / "*" / "*.parquet")
    return {r[0] for r in duckdb.connect().execute(f"SELECT event_id FROM read_parquet('{glob}')").fetchall()}


@pytest.fixture
def old_lake(tmp_path: Path) -> Catalog:
    shutil.copytree(FIXTURES / "lakes/id_scheme_1", tmp_path / "data")
    return Catalog(tmp_path / "data")


def test_the_digest_is_the_same_in_python_and_duckdb() -> None:
    canon = ("BTCUSDT", "SELL", "LIMIT", "IOC", "0.014", "4793.91", "4706.04", "FILLED", "0.015", "0.014",
             1584059031421, None)
    sql = _identity.digest_sql(*(f"'{p}'" for p in canon))
    assert duckdb.connect().execute(f"SELECT {sql}").fetchone() == (_identity.digest(*canon),)
    assert _identity.digest(*canon) == _md5("|".join(map(str, canon)).encode())


def test_a_scheme_1_lake_stays_readable_with_its_own_ids(old_lake: Catalog) -> None:
    assert _ids(old_lake, "binance_usdm") == _expected_ids(_blake)
    total = duckdb.connect().execute(
        f"SELECT sum(notional_usd) FROM read_parquet('{old_lake.layout.events}/*/*/*.parquet')")
    by_hand = sum(Decimal(o["z"]) * Decimal(o["ap"]) for o in (json.loads(x)["o"] for x in BINANCE.read_bytes()
                                                               .splitlines()))
    by_hand += Decimal(json.loads(BYBIT.read_bytes())["data"][0]["v"]) * Decimal(
        json.loads(BYBIT.read_bytes())["data"][0]["p"])
    assert total.fetchone() == (by_hand,)


def test_writing_scheme_2_rows_into_a_scheme_1_lake_is_refused_naming_migrate(old_lake: Catalog,
                                                                              tmp_path: Path) -> None:
    other = tmp_path / "other.jsonl"
    other.write_bytes(FIXTURES.joinpath("venues/binance_usdm/ws_force_order_combined.jsonl").read_bytes())
    with pytest.raises(StoreError, match="liqscope migrate"):
        ingest_file(old_lake, "binance_usdm", other)
    assert _ids(old_lake, "binance_usdm") == _expected_ids(_blake)  # nothing was added


def test_verify_names_the_old_scheme_and_still_compares_every_other_column(old_lake: Catalog) -> None:
    report = verify_lake(old_lake)
    assert [p.kind for p in report.problems] == ["old_id_scheme"]
    assert report.rows == 2 * (43 + 1)  # 43 Binance + 1 Bybit event rows, and one record row each
    # An edited price is still caught under the old scheme.
    (part,) = old_lake.layout.events.glob("venue=bybit_linear/*/*.parquet")
    table = pq.read_table(part)
    pq.write_table(table.set_column(table.schema.get_field_index("price"), "price",
                                    pa.array([Decimal("1.5")], type=table.schema.field("price").type)), part)
    kinds = sorted(p.kind for p in verify_lake(old_lake).problems)
    assert kinds == ["different_rows", "old_id_scheme"]


def test_migrate_rebuilds_every_id_under_scheme_2_from_the_raw_journal(old_lake: Catalog, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["migrate", "--data-dir", str(old_lake.root), "--json"])
    assert result.exit_code == 0, result.output
    done = json.loads(result.output)
    assert (done["id_scheme"], len(done["migrated"]), done["replayed"]) == (2, 2, 2)
    assert _ids(old_lake, "binance_usdm") == _expected_ids(_md5)
    assert (old_lake.root / done["kept_aside"] / "_batches").is_dir()  # the old lake is kept aside
    assert verify_lake(old_lake).ok
    # Dedupe still works across the migration: the same file again adds nothing, a new one is written.
    again = ingest_file(old_lake, "binance_usdm", BINANCE)
    assert again.accepted == 0 and again.already_present == 43
    assert _ids(old_lake, "binance_usdm") == _expected_ids(_md5)
    # A migrated lake is current: nothing more to do.
    result = CliRunner().invoke(main, ["migrate", "--data-dir", str(old_lake.root), "--json"])
    assert json.loads(result.output)["migrated"] == []
