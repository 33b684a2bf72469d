"""Read a lake the way a reader sees it (committed manifests only), without running recovery."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import msgspec
import pyarrow.parquet as pq

from liqscope.store._writer import Manifest

# ts_recv of file records is the wall clock at ingest: the only column two runs may differ in.
VOLATILE = {"ts_recv"}


def manifests(root: Path) -> list[Manifest]:
    """Committed manifests, oldest first (a manifest is visible only once renamed into place)."""
    batches = root / "lake" / "_batches"
    paths = sorted(batches.glob("*.json")) if batches.exists() else []
    return [msgspec.json.decode(p.read_bytes(), type=Manifest) for p in paths]


def listed_files(root: Path) -> list[Path]:
    return [root / "lake" / rel for m in manifests(root) for rel in m.files]


def visible_files(root: Path) -> list[Path]:
    """The files a reader sees: those of committed manifests no other committed manifest replaces (a capture's
    rollup or a compaction lists both until the replaced manifests are retired)."""
    every = manifests(root)
    replaced = {b for m in every for b in m.replaces}
    return [root / "lake" / rel for m in every if m.batch not in replaced for rel in m.files]


def rows(root: Path, table: str) -> list[dict]:
    """Every row of ``events`` or ``records`` a reader sees; a missing or torn file raises."""
    out = []
    for path in visible_files(root):
        if path.relative_to(root / "lake").parts[0] == table:
            out.extend(pq.read_table(path).to_pylist())
    return out


def multiset(root: Path, table: str) -> Counter[tuple]:
    """The table as a multiset of rows, without the wall-clock column."""
    return Counter(tuple(sorted((k, v) for k, v in r.items() if k not in VOLATILE)) for r in rows(root, table))


def leftovers(root: Path) -> list[Path]:
    """Files on disk that no committed manifest lists (temp files, uncommitted batches' files)."""
    listed = {p.resolve() for p in listed_files(root)}
    out = []
    for sub in ("lake/events", "lake/records", "quarantine"):
        base = root / sub
        if base.exists():
            out += [p for p in base.rglob("*") if p.is_file() and p.resolve() not in listed]
    batches = root / "lake" / "_batches"
    if batches.exists():
        out += list(batches.glob("*.tmp"))
    return sorted(out)
