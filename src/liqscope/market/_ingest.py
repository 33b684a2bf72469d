"""Ingest market-data files into the lake: keep the raw bytes, parse, normalize funding, commit."""

from __future__ import annotations

import gzip
import hashlib
import time
from pathlib import Path

import msgspec

from liqscope.errors import InputUnreadable
from liqscope.market._formats import FileContext, get_format
from liqscope.market._funding import resolve_intervals
from liqscope.market._store import BY_NAME, relation, stage
from liqscope.market._types import FundingRate, FundingSchedule
from liqscope.store import Catalog
from liqscope.store._writer import BatchWriter, store_raw

__all__ = ["MarketIngestResult", "ingest_market"]


class MarketIngestResult(msgspec.Struct, kw_only=True):
    """What one market file added: rows per table, records skipped or quarantined."""

    file: str
    format: str
    venue: str
    records: int = 0
    rows: dict[str, int] = {}
    skipped: int = 0
    quarantined: int = 0
    quarantine: list[dict[str, object]] = []
    already_present: bool = False
    raw_sha256: str = ""


def _known_intervals(catalog: Catalog, venues: set[str], batch: list[object]) -> dict[tuple[str, str], int]:
    # Intervals a venue stated before (fundingInfo) or that its realized history showed, latest wins.
    known: dict[tuple[str, str], int] = {}
    con = catalog.connect()
    try:
        sched = relation(catalog, BY_NAME["funding_schedule"], venues)
        hist = relation(catalog, BY_NAME["funding"], venues)
        for v, m, h in con.execute(
            f"SELECT venue, market, arg_max(interval_hours, ts_event) FROM {hist} WHERE kind = 'realized' "
            "AND interval_source IN ('stated', 'inferred') GROUP BY ALL").fetchall():
            known[(v, m)] = int(h)
        for v, m, h in con.execute(
                f"SELECT venue, market, arg_max(interval_hours, ts_event) FROM {sched} GROUP BY ALL").fetchall():
            known[(v, m)] = int(h)
    finally:
        con.close()
    for o in batch:
        if isinstance(o, FundingSchedule):
            known[(o.venue, o.market)] = o.interval_hours
    return known


def ingest_market(catalog: Catalog, fmt: str, path: Path) -> MarketIngestResult:
    """Ingest one market-data file (a saved REST response, a websocket recording or a CSV export).

    Ingesting the same bytes again in the same format adds nothing.

    Raises:
        UnknownName: Unknown format (the message lists the valid ones).
        InputUnreadable: The file cannot be read at all, or does not match its declared format (row
            spacing, units): then nothing of it is imported.
    """
    spec = get_format(fmt)
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise InputUnreadable(f"{path}: cannot read: {e.strerror or e}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise InputUnreadable(f"{path}: cannot decompress: {e}") from None
    sha = hashlib.sha256(data).hexdigest()
    result = MarketIngestResult(file=str(path), format=fmt, venue=spec.venue, raw_sha256=sha)
    done = {m.meta.get("format") for m in catalog.manifests() if sha in m.inputs and m.meta.get("kind") == "market"}
    if fmt in done:
        result.already_present = True
        return result
    parsed = spec.read(data, FileContext(sha=sha, name=Path(path).name, ts_recv=time.time_ns()))
    if parsed.refused:
        raise InputUnreadable(f"{path}: does not match --format {fmt}: {parsed.refused}. Nothing was imported")
    funding = [o for o in parsed.observations if isinstance(o, FundingRate)]
    others = [o for o in parsed.observations if not isinstance(o, FundingRate)]
    if funding:
        funding = resolve_intervals(funding, _known_intervals(catalog, {f.venue for f in funding}, others))
    result.records, result.skipped = parsed.records, parsed.skipped
    result.quarantined = len(parsed.quarantined)
    result.quarantine = [{"file": str(path), "line": n, "field": f, "reason": r} for n, f, r in parsed.quarantined[:50]]
    writer = BatchWriter(catalog.layout)
    result.rows = stage(writer, catalog, [*funding, *others])
    if parsed.quarantined:
        qpath = catalog.layout.quarantine / f"{writer.batch}.jsonl"
        writer.add_lines(qpath, (msgspec.json.encode(q) for q in result.quarantine))
    store_raw(catalog.layout, sha, data)
    writer.inputs.append(sha)
    writer.commit({"kind": "market", "format": fmt, "file": str(path), "venue": spec.venue})
    catalog.invalidate()
    return result
