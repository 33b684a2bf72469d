"""Rebuild a lake whose event ids follow an older id scheme, from its raw journal (``liqscope migrate``).

Event ids of venues that send none are digests (``liqscope._identity``); scheme 2 replaced scheme 1's
blake2b by md5 so that SQL computes them too. Dedupe compares ids, so a lake never mixes schemes: the writer
refuses to add scheme-2 rows to a lake holding scheme-1 batches, and this module rebuilds such a lake.

How: under the exclusive lake lock, every ingest and capture batch ever committed is replayed from the raw
journal, oldest first and under its own batch id, into a fresh lake beside the old one (exactly what
``liqscope verify`` replays); files of other kinds (market tables) are carried over unchanged in one batch.
Only when every batch replayed is the new lake swapped in; the old one is kept, renamed
``lake-id-scheme-<n>-<time>/``, for the user to delete. Raw blobs and quarantine files do not depend on the
id scheme and stay where they are.
"""

from __future__ import annotations

import os
import shutil
import time

import msgspec
import pyarrow.parquet as pq

from liqscope._identity import ID_SCHEME
from liqscope.errors import StoreError
from liqscope.store import Catalog
from liqscope.store._writer import (
    BatchWriter,
    _fsync_dir,
    _lock,
    _unlock,
    older_id_schemes,
)
from liqscope.verify import Problem, _read_manifests, _replay

__all__ = ["MigrateReport", "migrate_lake"]

_TABLES_BY_ID = ("events/", "records/")  # rebuilt by the replay; every other lake file is carried over


class MigrateReport(msgspec.Struct, kw_only=True):
    """What ``migrate_lake`` did.

    Attributes:
        id_scheme: The id scheme the lake holds now.
        migrated: Live batches that held ids of an older scheme (none: the lake was current, nothing done).
        replayed: Ingest and capture batches rebuilt from the raw journal.
        carried: Lake files of other kinds (market tables) carried over unchanged.
        kept_aside: Where the old lake was moved (relative to the data directory), or None.
    """

    id_scheme: int
    migrated: list[str]
    replayed: int = 0
    carried: int = 0
    kept_aside: str | None = None


def migrate_lake(catalog: Catalog) -> MigrateReport:
    """Rebuild every event id of ``catalog``'s lake under the current id scheme, from the raw journal.

    Raises:
        StoreError: A writer is busy, or a batch cannot be replayed (its raw input is gone or no longer
            ingests): then nothing is changed, and the error names each such batch.
    """
    layout = catalog.layout
    problems: list[Problem] = []
    _, live = _read_manifests(catalog, problems)
    old = older_id_schemes(live)
    if not old:
        return MigrateReport(id_scheme=ID_SCHEME, migrated=[])
    fd = _lock(layout, exclusive=True)
    if fd is None:
        raise StoreError(f"{layout.lake}: a writer is busy; run `liqscope migrate` again when it is done")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    work = catalog.root / f".migrate-{stamp}"
    try:
        every, live = _read_manifests(catalog, problems)
        rebuilt = Catalog(work)
        replayed = carried = 0
        for m in every:
            kind = m.meta.get("kind", "?")
            if kind == "compact" or (kind == "capture" and m.replaces):
                continue  # holds rows of batches replayed here
            if kind in ("ingest", "capture"):
                replayed += _replay(catalog, rebuilt, m, problems)
        if problems:
            raise StoreError(f"{layout.lake}: cannot migrate, {len(problems)} batch(es) do not replay from the raw "
                             "journal (nothing was changed): " + "; ".join(
                                 f"{p.batch}: {p.kind}, {p.detail}" for p in problems[:5]))
        carry = [rel for m in live for rel in m.files if not rel.startswith(_TABLES_BY_ID)
                 and not rel.startswith("../")]
        if carry:
            writer = BatchWriter(rebuilt.layout)
            for rel in carry:
                writer.add_table(rebuilt.layout.lake / rel, pq.read_table(layout.lake / rel))
            writer.commit({"kind": "carried", "reason": f"id scheme {ID_SCHEME} migration"})
            carried = len(carry)
        aside = catalog.root / f"lake-id-scheme-{min(m.id_scheme for m in live)}-{stamp}"
        os.replace(layout.lake, aside)
        os.replace(rebuilt.layout.lake, layout.lake)
        _fsync_dir(catalog.root)
    finally:
        _unlock(fd)
        shutil.rmtree(work, ignore_errors=True)
        catalog.invalidate()
    return MigrateReport(id_scheme=ID_SCHEME, migrated=old, replayed=replayed, carried=carried,
                         kept_aside=aside.name)
