# Live updates: poll the lake's manifest folder (a commit is an atomic rename there) and push a
# server-sent event whenever a batch lands, so the dashboard refreshes while capture runs.
from __future__ import annotations

import asyncio
import os
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from pathlib import Path
from typing import Any

import msgspec

from liqscope._time import iso_ns


class LakeVersion(msgspec.Struct, frozen=True, kw_only=True):
    """How many batches are committed, and when the manifest folder last changed."""

    batches: int
    changed: str | None
    changed_ns: int | None


def lake_version(batches_dir: Path) -> LakeVersion:
    try:
        st = os.stat(batches_dir)
        n = sum(1 for e in os.scandir(batches_dir) if e.name.endswith(".json"))
    except FileNotFoundError:
        return LakeVersion(batches=0, changed=None, changed_ns=None)
    return LakeVersion(batches=n, changed=iso_ns(st.st_mtime_ns), changed_ns=st.st_mtime_ns)


async def lake_events(batches_dir: Path, poll_s: float, heartbeat_s: float = 15.0,
                      stop: asyncio.Event | None = None) -> AsyncIterator[bytes]:
    """``event: lake`` now and after every change; a comment line every ``heartbeat_s`` keeps proxies open."""
    last: LakeVersion | None = None
    idle = 0.0
    while stop is None or not stop.is_set():
        now = await asyncio.to_thread(lake_version, batches_dir)
        if last is None or now.batches != last.batches:  # a commit adds a manifest; a temp file does not
            last, idle = now, 0.0
            yield b"event: lake\ndata: " + msgspec.json.encode(now) + b"\n\n"
        elif idle >= heartbeat_s:
            idle = 0.0
            yield b": heartbeat\n\n"
        await asyncio.sleep(poll_s)
        idle += poll_s


class LakeHandle:
    """One Catalog for the server's life; its cached manifests are dropped whenever a batch lands.

    The Catalog is opened once because opening one runs crash recovery (which deletes uncommitted
    temporary files): a read-only server must not do that on every request while capture writes.
    """

    def __init__(self, root: Path, cache_size: int = 256) -> None:
        from liqscope.store import Catalog

        self.catalog = Catalog(root)
        self._seen = lake_version(self.catalog.layout.batches)
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def current(self):  # -> Catalog
        now = lake_version(self.catalog.layout.batches)
        with self._lock:
            if now != self._seen:
                self._seen = now
                self._cache.clear()
                self.catalog.invalidate()
        return self.catalog

    def cached(self, key: Hashable, compute: Callable[[Any], Any]) -> Any:
        """``compute(catalog)``, memoized per ``key`` until the next batch lands (results are read-only)."""
        catalog = self.current()
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = compute(catalog)
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return value
