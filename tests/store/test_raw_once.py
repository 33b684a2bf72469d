"""One gzip, not two: a capture commit keeps its transcript member as the batch's raw blob as it is."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from liqscope._ingest_transcript import Frame, commit_frames
from liqscope.store import Catalog
from liqscope.store._writer import read_raw
from liqscope.store.transcript import append_member, iter_lines
from liqscope.verify import repair_lake, verify_lake

FIXTURE = Path(__file__).parents[1] / "fixtures/venues/binance_usdm/ws_force_order.jsonl"
T0 = 1_766_845_900_000_000_000


def test_a_precompressed_member_is_kept_as_the_raw_blob_and_replays(tmp_path: Path) -> None:
    text = b"".join(b"%d\tc1\t%s\n" % (T0 + i, line) for i, line in enumerate(FIXTURE.read_bytes().splitlines()))
    # Level 1, unlike store_raw's own level 6: so the blob's bytes show which of the two was kept.
    member = gzip.compress(text, compresslevel=1, mtime=0)
    assert member != gzip.compress(text, compresslevel=6, mtime=0)
    catalog = Catalog(tmp_path)
    frames = [Frame(ln.line, ln.line, ln.ts, ln.conn, ln.payload) for ln in iter_lines(text, name="t")
              if ln.payload is not None]
    result = commit_frames(catalog, "binance_usdm", text, frames, file="t", meta={}, check_existing=True,
                           compressed=member)
    assert (result.accepted, result.quarantined) == (43, 0)
    (manifest,) = catalog.manifests()
    assert catalog.layout.raw_blob(manifest.inputs[0]).read_bytes() == member
    assert read_raw(catalog.layout, manifest.inputs[0]) == text
    assert verify_lake(catalog).ok  # the batch replays from that blob to the same rows


@pytest.mark.parametrize("damage", ["delete", "tear"])
def test_a_lost_capture_blob_is_restored_from_its_transcript_member(tmp_path: Path, damage: str) -> None:
    """Capture keeps the blob without an fsync: the fsynced transcript member is where it comes back from."""
    text = b"".join(b"%d\tc1\t%s\n" % (T0 + i, line) for i, line in enumerate(FIXTURE.read_bytes().splitlines()))
    catalog = Catalog(tmp_path / "data")
    path = tmp_path / "data/transcripts/venue=binance_usdm/2025-12-27.jsonl.gz"
    path.parent.mkdir(parents=True)
    member = append_member(path, text)
    frames = [Frame(ln.line, ln.line, ln.ts, ln.conn, ln.payload) for ln in iter_lines(text, name=str(path))
              if ln.payload is not None]
    commit_frames(catalog, "binance_usdm", text, frames, file=str(path), meta={}, check_existing=False,
                  compressed=member)
    (manifest,) = catalog.manifests()
    blob = catalog.layout.raw_blob(manifest.inputs[0])
    if damage == "delete":
        blob.unlink()
    else:
        blob.write_bytes(member[: len(member) // 2])
    assert [p.kind for p in verify_lake(catalog).problems] == ["raw_missing" if damage == "delete" else "raw_corrupt"]
    fixed = repair_lake(catalog)
    assert fixed.restored_raw == [manifest.inputs[0]] and fixed.after.ok
    assert read_raw(catalog.layout, manifest.inputs[0]) == text
