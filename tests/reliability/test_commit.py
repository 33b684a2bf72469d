"""The commit protocol against a live writer: a reader's recovery never touches its staged files."""

from __future__ import annotations

import pyarrow as pa

from liqscope.ingest import ingest_file
from liqscope.store import Catalog
from liqscope.store._schema import RECORD_SCHEMA
from liqscope.store._writer import BatchWriter, recover
from tests._data import BINANCE_0817
from tests.reliability import _lake


def _records(n: int) -> pa.Table:
    return pa.table({"record_key": [f"k{i}" for i in range(n)], "venue": ["binance_usdm"] * n,
                     "raw_ref": [f"sha:{i}" for i in range(n)], "status": ["skipped"] * n, "events": [0] * n,
                     "ts_recv": [1_800_000_000_000_000_000] * n}, schema=RECORD_SCHEMA)


def test_a_reader_opening_the_lake_mid_write_neither_sees_nor_deletes_the_writers_files(tmp_path):
    first = Catalog(tmp_path)
    ingest_file(first, "binance_usdm", BINANCE_0817)  # a committed batch, so the lake exists
    writer = BatchWriter(first.layout)
    part = first.layout.record_part("binance_usdm", writer.batch)
    writer.add_table(part, _records(3))
    assert recover(first.layout) == (0, 0)  # the writer holds the lock: nothing is touched
    reader = Catalog(tmp_path)
    assert part not in reader.record_files() and part.with_name(part.name + ".tmp").exists()
    writer.commit({"kind": "test"})
    reader.invalidate()
    assert part in reader.record_files() and len(_lake.rows(tmp_path, "records")) == 456 + 3


def test_an_abandoned_writers_files_are_removed_once_its_lock_is_gone(tmp_path):
    catalog = Catalog(tmp_path)
    catalog.layout.batches.mkdir(parents=True)
    writer = BatchWriter(catalog.layout)
    part = catalog.layout.record_part("binance_usdm", writer.batch)
    writer.add_table(part, _records(2))
    writer._staged[0][0].replace(part)  # as if killed after "file in place", before the manifest
    writer._staged.clear()
    writer.abort()                      # drops the lock, like the kernel does for a killed process
    assert _lake.leftovers(tmp_path) == [part]
    assert recover(catalog.layout) == (0, 1)
    assert _lake.leftovers(tmp_path) == [] and not part.exists()
