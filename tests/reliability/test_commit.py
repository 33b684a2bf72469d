"""The commit protocol against a live writer: recovery never touches its staged files, and a reader never
recovers at all."""

from __future__ import annotations

from pathlib import Path

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
    got = recover(first.layout)  # the writer holds the lock: nothing is touched
    assert (got.forward, got.removed, got.moved) == (0, 0, [])
    reader = Catalog(tmp_path)
    assert part not in reader.record_files() and part.with_name(part.name + ".tmp").exists()
    writer.commit({"kind": "test"})
    reader.invalidate()
    assert part in reader.record_files() and len(_lake.rows(tmp_path, "records")) == 456 + 3


def test_an_abandoned_writers_files_are_moved_aside_once_its_lock_is_gone_and_never_by_a_reader(tmp_path):
    catalog = Catalog(tmp_path)
    catalog.layout.batches.mkdir(parents=True)
    writer = BatchWriter(catalog.layout)
    part = catalog.layout.record_part("binance_usdm", writer.batch)
    writer.add_table(part, _records(2))
    writer._staged[0][0].replace(part)  # as if killed after "file in place", before the manifest
    writer._staged.clear()
    writer.abort()                      # drops the lock, like the kernel does for a killed process
    assert _lake.leftovers(tmp_path) == [part]
    Catalog(tmp_path).manifests()       # a reader: sees nothing, moves nothing
    assert _lake.leftovers(tmp_path) == [part]
    got = recover(catalog.layout)       # a writer: the file has no manifest, so it is moved aside, not deleted
    assert (got.forward, got.removed, got.moved) == (0, 0, [str(part.relative_to(tmp_path))])
    assert _lake.leftovers(tmp_path) == [] and not part.exists()
    assert (Path(got.orphans) / part.relative_to(tmp_path)).exists()
