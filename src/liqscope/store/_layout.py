# Where everything lives under a data directory.
from __future__ import annotations

import datetime as dt
from pathlib import Path


class Layout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.raw = root / "raw"                 # content-addressed raw inputs: <sha[:2]>/<sha>.gz
        self.lake = root / "lake"
        self.events = self.lake / "events"      # venue=<v>/date=<YYYY-MM-DD>/part-<batch>.parquet
        self.records = self.lake / "records"    # venue=<v>/part-<batch>.parquet
        self.batches = self.lake / "_batches"   # <batch>.json: the commit point of a batch
        self.quarantine = root / "quarantine"   # <batch>.jsonl

    def raw_blob(self, sha: str) -> Path:
        return self.raw / sha[:2] / f"{sha}.gz"

    def event_part(self, venue: str, day: dt.date, batch: str) -> Path:
        return self.events / f"venue={venue}" / f"date={day.isoformat()}" / f"part-{batch}.parquet"

    def record_part(self, venue: str, batch: str) -> Path:
        return self.records / f"venue={venue}" / f"part-{batch}.parquet"


def day_of_ns(ts_ns: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts_ns // 1_000_000_000, tz=dt.UTC).date()
