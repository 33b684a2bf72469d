# Where everything lives under a data directory.
from __future__ import annotations

import datetime as dt
from pathlib import Path

# Raw blob codecs, named by their file suffix; a reader goes by the content's magic bytes, not by the name.
ZSTD = "zst"
GZIP = "gz"


class Layout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.raw = root / "raw"                 # content-addressed raw inputs: <sha[:2]>/<sha>.zst (or .gz)
        self.lake = root / "lake"
        # Part files are part-<batch>.parquet, or part-<batch>-<n>.parquet for the n-th chunk (n >= 1) of a
        # batch written in chunks (a streamed ingest): the name always carries the batch id.
        self.events = self.lake / "events"      # venue=<v>/date=<YYYY-MM-DD>/part-<batch>[-<n>].parquet
        self.records = self.lake / "records"    # venue=<v>/part-<batch>[-<n>].parquet
        self.batches = self.lake / "_batches"   # <batch>.json: the commit point of a batch
        self.quarantine = root / "quarantine"   # <batch>.jsonl

    def raw_blob(self, sha: str) -> Path:
        # The kept input's path: <sha>.zst (zstd, what ingest writes) or <sha>.gz (gzip: blobs kept before, and
        # capture transcript members kept as they are); the .zst name when neither is there yet.
        zst = self.raw_blob_as(sha, ZSTD)
        if zst.exists():
            return zst
        gz = self.raw_blob_as(sha, GZIP)
        return gz if gz.exists() else zst

    def raw_blob_as(self, sha: str, codec: str) -> Path:
        return self.raw / sha[:2] / f"{sha}.{codec}"

    def event_part(self, venue: str, day: dt.date, batch: str, chunk: int = 0) -> Path:
        return self.events / f"venue={venue}" / f"date={day.isoformat()}" / _part_name(batch, chunk)

    def record_part(self, venue: str, batch: str, chunk: int = 0) -> Path:
        return self.records / f"venue={venue}" / _part_name(batch, chunk)


def _part_name(batch: str, chunk: int) -> str:
    # Chunk 0 keeps the one-part name, so a batch written in one go is laid out as it always was.
    return f"part-{batch}.parquet" if chunk == 0 else f"part-{batch}-{chunk:05d}.parquet"


def day_of_ns(ts_ns: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=dt.UTC).date()
