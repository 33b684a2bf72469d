# The commit worker: one process per capture that appends transcript members and commits them to the lake,
# so the receive loop never shares a GIL with gzip, fsync, parsing or Parquet.
#
# It is a plain child process (`python -c ...`, a socketpair wrapped as a multiprocessing Connection), not a
# multiprocessing.Process: spawn and forkserver re-run the parent's `__main__` script in the child, which
# breaks any caller's script without an `if __name__ == "__main__"` guard, and fork is unsafe in an asyncio
# program. It costs one interpreter start per capture (~1 s of imports), paid before the recorders connect:
# every frame received while it was still importing would wait for it.
#
# Protocol (length-prefixed pickles; one request in flight at a time):
#
#   worker -> parent  ("started",)                         imports done; nothing in the data dir touched yet
#   worker -> parent  ("ready", {venue: frames resumed})   after committing what a killed capture left behind
#   parent -> worker  ("commit", {venue: [(path, first_line, text)]})
#   worker -> parent  ("done", {venue: counters})           every member fsynced, then committed
#   parent -> worker  ("stop",)                             exit (EOF, i.e. the parent died, does the same)
#   worker -> parent  ("error", message)                    instead of "started"/"ready"/"done"; the worker then exits
#
# The parent waits for "started" before its recorders connect, and for "ready" (while they record) before its
# first commit: resuming may take seconds, and no frame of this session is in a transcript until that first
# commit appends it, so the resume sees only what earlier sessions left (see the lock paragraph below).
#
# Group commit: the parent sends everything pending whenever the previous request is done and at least
# `flush_s` has passed since it was sent, so batches are small when the feed is quiet and grow with the load.
#
# The worker rolls its small batches up (capture/_rollup.py), so readers list a few dozen: on a thread of its
# own, off the commit path, so a merge of up to 2M rows never holds the next commit back (the merge is Arrow
# and file I/O, which release the GIL). The two only meet in the lake, under its commit lock, exactly as a
# `liqscope compact` beside a capture does (a rollup that loses a race gives up, as there).
#
# Raw first holds inside the worker: each text is appended to its transcript as one gzip member and fsynced
# before its frames are committed (one batch per member, raw blob = the member's text), exactly as before.
#
# The worker holds `transcripts/venue=<v>/.commit.lock` (flock) for its whole life and resumes only once it
# has it: a capture SIGKILLed mid-commit leaves an orphaned worker that finishes its batch (it sees EOF on
# the pipe) and exits; the next capture's worker waits for that before it looks for uncommitted members,
# so the two never commit the same member.
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from liqscope.errors import StoreError

# (transcript path, its file line of the text's first line, the text: complete lines, each ending in \n)
Chunk = tuple[str, int, bytes]
COUNTERS = ("records", "accepted", "duplicate", "skipped", "quarantined")
_LOCK_WAIT_S = 60.0


def commit_lock_path(root: Path, venue: str) -> Path:
    """The lock a venue's commit worker holds (under the data dir's transcripts directory)."""
    return Path(root) / "transcripts" / f"venue={venue}" / ".commit.lock"


def _lock(root: Path, venue: str) -> int:
    path = commit_lock_path(root, venue)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + _LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise StoreError(f"{path}: still locked after {_LOCK_WAIT_S:g} s by the commit worker of an "
                                 "earlier capture of this data dir; is it stuck?") from None
            time.sleep(0.05)


def _main(conn: Connection, root: str, session: str, venues: list[str], *, fanout: int = 16,
          grace_s: float = 10.0) -> None:
    # The worker process. Every failure is reported as ("error", message) before exiting.
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops us
    try:
        from liqscope._ingest_transcript import Frame, RecentIds, commit_frames
        from liqscope.capture._resume import commit_uncommitted
        from liqscope.capture._rollup import Rollup
        from liqscope.ingest import IngestResult
        from liqscope.store import Catalog
        from liqscope.store._writer import recover
        from liqscope.store.transcript import append_member, iter_lines
        from liqscope.venues import get_venue
        from liqscope.venues._vectorized import _database

        for v in venues:
            get_venue(v)  # loads every venue's parsers (~0.1 s the first commit would pay otherwise)
        _database()  # the in-memory DuckDB every batch's parse uses (opening it costs 20-40 ms)
        catalog = Catalog(Path(root))
        conn.send(("started",))
        for v in venues:
            _lock(catalog.root, v)  # held until this process exits (the kernel drops it, even after SIGKILL)
        recover(catalog.layout)  # a writer: clean what crashed writers left (unlisted files are moved aside)
        resumed = {}
        for v in venues:
            r = commit_uncommitted(catalog, v, session=session)
            resumed[v] = r.records - r.already_present
        conn.send(("ready", resumed))
        results = {v: IngestResult(file="", venue=v, format="transcript") for v in venues}
        recent = {v: RecentIds() for v in venues}
        catalog.invalidate()
        known = catalog.snapshot()  # what the commit re-check may skip: grows with every commit
        merger = _Merger(Rollup(Catalog(Path(root)), fanout=fanout, grace_s=grace_s))
        while True:
            try:
                msg = conn.recv()
            # The parent is gone (pipe closed or reset): what it had not sent was never fsynced, so never accepted.
            except (EOFError, ConnectionResetError):
                merger.close()
                return
            if msg[0] == "stop":
                merger.close()
                return
            committed: list = []
            for venue, chunks in msg[1].items():
                for path, first_line, text in chunks:
                    member = append_member(Path(path), text)
                    frames = [Frame(ln.line, first_line + ln.line - 1, ln.ts, ln.conn, ln.payload)
                              for ln in iter_lines(text, name=path) if ln.payload is not None]
                    if frames:
                        commit_frames(catalog, venue, text, frames, file=path,
                                      meta={"session": session, "first_line": str(first_line)},
                                      check_existing=False, recent=recent[venue], result=results[venue],
                                      committed=committed, known=known, compressed=member)
            merger.put(committed)
            try:
                conn.send(("done", {v: {c: getattr(r, c) for c in COUNTERS} for v, r in results.items()}))
            except (BrokenPipeError, ConnectionResetError):
                return
    except BaseException as e:
        with contextlib.suppress(Exception):
            conn.send(("error", f"{type(e).__name__}: {e}"))
        raise


_ROLLUP_NICE = 10  # added to the rollup thread's nice value (Linux; elsewhere it runs at the worker's)


class _Merger:
    # Runs the rollup on its own thread; a failure there is raised on the commit path at its next commit.
    def __init__(self, rollup: Any) -> None:
        self._rollup = rollup
        self._todo: queue.SimpleQueue[list[tuple[Any, int]] | None] = queue.SimpleQueue()
        self._failed: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name="liqscope-rollup", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # A merge is a burst of CPU (a level-1 rollup reads and rewrites ~150k rows) that must not delay the
        # group commits, on which the frame-to-queryable latency waits: this thread yields the CPU to them.
        with contextlib.suppress(AttributeError, OSError):  # Linux: a thread's own nice value (its native id)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _ROLLUP_NICE)
        while (committed := self._todo.get()) is not None:
            try:
                for manifest, rows in committed:
                    self._rollup.committed(manifest, rows)
                self._rollup.collect()
            except BaseException as e:
                self._failed.append(e)
                return

    def put(self, committed: list[tuple[Any, int]]) -> None:
        if self._failed:
            raise self._failed[0]
        self._todo.put(committed)

    def close(self) -> None:
        # Finish the merges already asked for (their inputs are committed either way: nothing is lost if not).
        self._todo.put(None)
        self._thread.join()
        if self._failed:
            raise self._failed[0]


def _cli() -> None:
    # Entry point of the worker process: argv = [fd, data dir, session, fanout, grace_s, venue...].
    fd, root, session, fanout, grace_s, *venues = sys.argv[1:]
    _main(Connection(int(fd)), root, session, venues, fanout=int(fanout), grace_s=float(grace_s))


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "closed its pipe"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
        return f"was killed by signal {-code}"
    return f"exited with status {code}"


class Committer:
    """The parent's handle on a commit worker (see the module comment).

    Args:
        root: The data directory.
        session: The capture session (in each batch's manifest).
        venues: The venues it commits.
        rollup_fanout: Batches merged into one as the capture goes (capture/_rollup.py; 0: never).
        rollup_grace_s: Seconds a replaced batch stays readable after the rollup that replaced it.
    """

    def __init__(self, root: Path, session: str, venues: Sequence[str], *, rollup_fanout: int = 16,
                 rollup_grace_s: float = 10.0) -> None:
        self.root, self.session, self.venues = Path(root), session, list(venues)
        self.rollup = (rollup_fanout, rollup_grace_s)
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self.commits = 0

    def start(self) -> None:
        """Start the worker process."""
        ours, theirs = socket.socketpair()
        import liqscope

        src = str(Path(liqscope.__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
        self._proc = subprocess.Popen(
            [sys.executable, "-c", "from liqscope.capture._committer import _cli; _cli()", str(theirs.fileno()),
             str(self.root), self.session, str(self.rollup[0]), repr(self.rollup[1]), *self.venues],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, env=env)
        theirs.close()  # only the worker holds its end: its death is EOF here, and ours is EOF there
        self._conn = Connection(ours.detach())

    @property
    def pid(self) -> int | None:
        """The worker's process id (None before ``start``)."""
        return self._proc.pid if self._proc is not None else None

    async def _reply(self, expect: str) -> Any:
        conn = self._conn
        assert conn is not None
        loop = asyncio.get_running_loop()
        ready = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(conn.fileno(), wake)
        try:
            await ready
        finally:
            loop.remove_reader(conn.fileno())
        try:
            kind, *rest = conn.recv()  # ("started",) has no body
        except (EOFError, OSError):
            kind, rest = "died", []
        body = rest[0] if rest else None
        if kind == expect:
            return body
        assert self._proc is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(5)
        how = _describe_exit(self._proc.returncode)
        why = f": {body}" if kind == "error" else ""
        raise StoreError(f"capture commit worker (pid {self._proc.pid}) {how}{why}. Frames fsynced to the "
                         f"transcripts under {self.root / 'transcripts'} are committed by the next `capture` "
                         "of this data dir (or `ingest --format transcript`); frames not yet flushed are lost")

    async def started(self) -> None:
        """Wait until the worker has imported what it runs (it has not touched the data dir yet).

        Raises:
            StoreError: The worker failed or died (the message says how).
        """
        await self._reply("started")

    async def ready(self) -> dict[str, int]:
        """Wait until the worker has resumed what an earlier capture left uncommitted; frames per venue."""
        return dict(await self._reply("ready"))

    async def commit(self, chunks: Mapping[str, list[Chunk]]) -> dict[str, dict[str, int]]:
        """Append and commit ``chunks``; the cumulative counters of each venue once they are in the lake.

        Raises:
            StoreError: The worker failed or died (the message says how).
        """
        conn = self._conn
        assert conn is not None
        with contextlib.suppress(OSError):  # the worker is gone: _reply says how
            await asyncio.to_thread(conn.send, ("commit", dict(chunks)))  # a big text: write off the loop
        counters = await self._reply("done")
        self.commits += 1
        return counters

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the worker and wait for it (killed after ``timeout_s``)."""
        if self._proc is None:
            return
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(("stop",))
            self._conn.close()
            self._conn = None
        try:
            self._proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
