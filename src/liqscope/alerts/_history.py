# The alert history: DATA_DIR/alerts/history.jsonl, one fired alert per line with its deliveries. Rewritten
# whole and atomically on every change (temp file, fsync, rename) under a lock, so a crash leaves the old or
# the new history, never half of one; it is what keeps an alert from being sent twice across restarts.
from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import msgspec

from liqscope.alerts._deliver import Delivery
from liqscope.alerts._evaluate import Alert

HISTORY = Path("alerts") / "history.jsonl"


class Fired(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the history: the alert, when it was recorded, and what each channel made of it."""

    alert: Alert
    recorded_ns: int
    deliveries: list[Delivery] = []


class AlertHistory:
    """The alert history of one data directory (see the module comment).

    Args:
        root: The data directory.
    """

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / HISTORY

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(".history.lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def read(self) -> list[Fired]:
        """Every recorded alert, oldest first ([] when there is no history yet)."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        return [msgspec.json.decode(line, type=Fired) for line in data.splitlines() if line.strip()]

    def recent(self, limit: int = 50) -> list[Fired]:
        """The ``limit`` most recent alerts, newest first."""
        return sorted(self.read(), key=lambda f: (f.alert.ts_ns, f.recorded_ns), reverse=True)[:limit]

    def last_fired(self) -> dict[str, int]:
        """Rule name -> venue time of its latest recorded alert."""
        out: dict[str, int] = {}
        for f in self.read():
            out[f.alert.rule] = max(out.get(f.alert.rule, f.alert.ts_ns), f.alert.ts_ns)
        return out

    def _write(self, fired: Sequence[Fired]) -> None:
        tmp = self.path.with_name(f".{self.path.name}.unconfirmed")
        with tmp.open("wb") as f:
            for x in fired:
                f.write(msgspec.json.encode(x) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def record(self, alerts: Sequence[Alert], recorded_ns: int) -> list[Alert]:
        """Record ``alerts`` that are not in the history yet (by key); return those (to be delivered)."""
        with self._locked():
            old = self.read()
            known = {f.alert.key for f in old}
            new = [a for a in alerts if a.key not in known]
            if new:
                self._write([*old, *(Fired(alert=a, recorded_ns=recorded_ns) for a in new)])
            return new

    def deliveries(self, key: str, results: Sequence[Delivery]) -> None:
        """Attach the delivery results of the alert ``key``."""
        with self._locked():
            self._write([msgspec.structs.replace(f, deliveries=list(results)) if f.alert.key == key else f
                         for f in self.read()])
