# Capture restart: commit what the previous session of this data dir flushed to its transcript but did not
# commit to the lake (a SIGKILL, an OOM, a power cut between the fsync and the lake commit).
#
# The commit worker (capture/_committer.py) appends one gzip member per commit and commits exactly that
# member's frames as one batch whose raw input is the member's bytes (sha256 in the manifest's `inputs`;
# a rollup that merges such batches lists all their inputs). So an uncommitted flush is a
# complete member whose sha256 no manifest lists; committing it here writes the very batch the crashed
# process would have written (same raw blob, same raw_ref lines, same record keys), and record keys are
# checked against the lake first, so nothing is ever stored twice. A torn last member (the crash hit the
# write itself) was never fsynced, so no frame of it was ever accepted: it is left to the readers, which
# drop it. Files untouched since their last commit are skipped without being read (a commit whose batch a
# rollup has retired no longer says so: its file is read and every member found committed).
from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

from liqscope._ingest_transcript import Frame, commit_frames
from liqscope.errors import ConfigError
from liqscope.ingest import IngestResult
from liqscope.store import Catalog
from liqscope.store._coverage import transcripts_dir
from liqscope.store.transcript import Marker, gzip_members, iter_lines, transcript_files


def _last_commit_ns(catalog: Catalog) -> dict[str, int]:
    last: dict[str, int] = {}
    for m in catalog.manifests():
        if m.meta.get("kind") == "capture" and "file" in m.meta:
            last[m.meta["file"]] = max(last.get(m.meta["file"], 0), m.created_ns)
    return last


def commit_uncommitted(catalog: Catalog, venue: str, *, session: str) -> IngestResult:
    """Commit every flushed-but-uncommitted transcript member of ``venue`` in this data dir.

    Args:
        catalog: The data directory.
        venue: Venue id (its ``transcripts/venue=<venue>`` files are examined).
        session: The session doing it (recorded as ``resumed_by`` in each batch it commits).

    Returns:
        Counts over what was committed now (``records`` = frames recovered; 0 after a clean stop).
    """
    result = IngestResult(file="", venue=venue, format="transcript")
    committed = catalog.ingested_inputs()
    last = _last_commit_ns(catalog)
    for path in transcript_files(transcripts_dir(catalog), venue):
        if os.stat(path).st_mtime_ns <= last.get(str(path), -1):
            continue  # nothing was appended after its last commit
        file_line, header_session = 0, ""
        for member in gzip_members(path.read_bytes())[0]:  # a torn tail was never fsynced, never accepted
            lines = list(iter_lines(member, name=str(path)))
            if not header_session and lines and lines[0].marker is Marker.TRANSCRIPT:
                header_session = str(lines[0].detail.get("session", ""))
            frames = [Frame(ln.line, file_line + ln.line, ln.ts, ln.conn, ln.payload)
                      for ln in lines if ln.payload is not None]
            file_line += member.count(b"\n")
            if not frames or hashlib.sha256(member).hexdigest() in committed:
                continue
            commit_frames(catalog, venue, member, frames, file=str(path),
                          meta={"session": header_session, "resumed_by": session,
                                "first_line": str(file_line - member.count(b"\n") + 1)}, check_existing=True,
                          result=result)
    return result


class VenueLock:
    """One capture per venue and data dir: an exclusive ``flock`` held while capturing (the kernel drops it
    when the process dies, even by SIGKILL), so resuming never races a live writer of the same transcripts.

    Raises:
        ConfigError: Another process is capturing this venue into this data dir.
    """

    def __init__(self, catalog: Catalog, venue: str) -> None:
        directory = transcripts_dir(catalog) / f"venue={venue}"
        directory.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(directory / ".capture.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise ConfigError(f"another `liqscope capture` is recording {venue} into {catalog.root}; "
                              "run one capture per venue and data directory") from None

    def release(self) -> None:
        """Let the next capture of this venue start."""
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


def lock_path(catalog: Catalog, venue: str) -> Path:
    """Where the venue's capture lock lives (tests and operators look here)."""
    return transcripts_dir(catalog) / f"venue={venue}" / ".capture.lock"
