# Read side of the lake: committed files only, pruned by venue and date, queried through DuckDB.
from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from liqscope.store._layout import Layout, day_of_ns
from liqscope.store._raw import RawRecord, read_raw_record
from liqscope.store._schema import EVENT_SCHEMA, RECORD_SCHEMA
from liqscope.store._writer import Manifest, list_manifests


def default_data_dir() -> Path:
    """``$LIQSCOPE_HOME``, else ``$XDG_DATA_HOME/liqscope``, else ``~/.local/share/liqscope``."""
    if home := os.environ.get("LIQSCOPE_HOME"):
        return Path(home)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "liqscope"


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


class Catalog:
    """A data directory: its layout, committed files and a DuckDB connection over them.

    Args:
        root: The data directory (created on first write).
    """

    def __init__(self, root: Path) -> None:
        self.layout = Layout(Path(root))
        self._manifests: list[Manifest] | None = None
        self._seen: set[str] = set()
        # A reader never recovers, deletes or moves anything: recovery is a writer's job (store/_writer.py).

    @property
    def root(self) -> Path:
        return self.layout.root

    def raw_record(self, ref: str) -> RawRecord:
        """The raw record an event's ``raw_ref`` names, and the batches that read it (see ``RawRecord``)."""
        return read_raw_record(self.layout, self.manifests(), ref)

    def manifests(self) -> list[Manifest]:
        """Every committed batch that counts, oldest first (batches a compaction replaced are left out)."""
        if self._manifests is None:
            listing = list_manifests(self.layout)  # a damaged manifest is skipped, with a warning naming it
            self._manifests = listing.live()
            self._seen = listing.names()
        return self._manifests

    def snapshot(self) -> set[str]:
        """Batch ids of the listing ``manifests()`` returned (replaced ones too): what a writer that checked
        its record keys against this listing passes to ``BatchWriter(known=...)``."""
        self.manifests()
        return set(self._seen)

    def invalidate(self) -> None:
        """Forget cached manifests (call after a write)."""
        self._manifests = None

    def ingested_inputs(self) -> set[str]:
        """sha256 of every raw input any committed batch ingested."""
        return {sha for m in self.manifests() for sha in m.inputs}

    def _files(self, table: str) -> list[str]:
        return [rel for m in self.manifests() for rel in m.files if rel.startswith(table + "/")]

    def event_files(self, venues: Iterable[str] | None = None, start_ns: int | None = None,
                    end_ns: int | None = None) -> list[Path]:
        """Committed event files, pruned by venue and by the date partitions that [start, end) touches."""
        want = set(venues) if venues is not None else None
        lo = day_of_ns(start_ns) if start_ns is not None else dt.date.min
        hi = day_of_ns(end_ns - 1) if end_ns is not None else dt.date.max
        out = []
        for rel in self._files("events"):
            _, venue_part, date_part, _ = rel.split("/", 3)
            venue = venue_part.removeprefix("venue=")
            day = dt.date.fromisoformat(date_part.removeprefix("date="))
            if (want is None or venue in want) and lo <= day <= hi:
                out.append(self.layout.lake / rel)
        return out

    def table_files(self, table: str, partitions: Iterable[str] | None = None, start_ns: int | None = None,
                    end_ns: int | None = None) -> list[Path]:
        """Committed files of a ``<table>/venue=<p>/date=<d>/`` table (market data, reference series),
        pruned by partition value and by the date partitions that [start, end) touches."""
        want = set(partitions) if partitions is not None else None
        lo = day_of_ns(start_ns) if start_ns is not None else dt.date.min
        hi = day_of_ns(end_ns - 1) if end_ns is not None else dt.date.max
        out = []
        for rel in self._files(table):
            _, part, date_part, _ = rel.split("/", 3)
            day = dt.date.fromisoformat(date_part.removeprefix("date="))
            if (want is None or part.removeprefix("venue=") in want) and lo <= day <= hi:
                out.append(self.layout.lake / rel)
        return out

    def record_files(self, venues: Iterable[str] | None = None) -> list[Path]:
        want = set(venues) if venues is not None else None
        return [self.layout.lake / rel for rel in self._files("records")
                if want is None or rel.split("/")[1].removeprefix("venue=") in want]

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A fresh DuckDB connection (the lake is Parquet; DuckDB holds no state of it).

        A connection of its own (its registered relations and TEMP tables are its own, and closing it closes
        only it) to one in-memory database per process: opening a new database costs 5-40 ms, which every
        query, API request and live reader would pay; a connection to an open one costs ~10 us.
        """
        return _database().cursor()

    @staticmethod
    def relation_sql(files: list[Path], schema: pa.Schema = EVENT_SCHEMA) -> str:
        """SQL for a relation over ``files``; an empty relation of ``schema`` when there are none.

        File paths come from our own manifests, never from users; they are quoted as SQL literals.
        """
        if not files:
            cols = ", ".join(f"CAST(NULL AS {_duck_type(f.type)}) AS {f.name}" for f in schema)
            return f"(SELECT {cols} WHERE false)"
        listing = ", ".join(_sql_str(str(p)) for p in files)
        if schema is not EVENT_SCHEMA:
            return f"read_parquet([{listing}], union_by_name = true)"
        # Files written before a column existed (the lending columns, ``sampling``) read it as NULL.
        cols = ", ".join(f"CAST(NULL AS {_duck_type(f.type)}) AS {f.name}" for f in schema)
        # (FROM-first, so it does not read as the empty relation above, which starts "(SELECT".)
        return (f"(FROM read_parquet([{listing}], union_by_name = true) "
                f"UNION ALL BY NAME SELECT {cols} WHERE false)")

    def records_sql(self, venues: Iterable[str] | None = None) -> str:
        return self.relation_sql(self.record_files(venues), RECORD_SCHEMA)


def _duck_type(t: pa.DataType) -> str:
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision}, {t.scale})"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_int32(t):
        return "INTEGER"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    return "VARCHAR"


_DATABASE: list[duckdb.DuckDBPyConnection] = []
_DATABASE_LOCK = threading.Lock()


def _database() -> duckdb.DuckDBPyConnection:
    with _DATABASE_LOCK:
        if not _DATABASE:
            _DATABASE.append(duckdb.connect(":memory:"))
        return _DATABASE[0]
