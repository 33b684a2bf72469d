# Coverage from transcript markers: which seconds of a window each venue was really being recorded.
#
# Covered = the union of every connection's [CONNECT since_ns, end] minus every SILENT [since_ns, ts) and
# GAP [from_ns, to_ns) interval. A connection ends at its DISCONNECT, or, after a crash, at its last
# recorded line (never later: what was not written down was not seen). Everything else in the window is a
# gap, labelled with the marker that explains it, else "not capturing".
from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path

import msgspec

from liqscope._time import iso_ns
from liqscope.store._catalog import Catalog
from liqscope.store.transcript import Marker, iter_lines, read_transcript, transcript_files

__all__ = ["CaptureCoverage", "Gap", "coverage", "transcripts_dir"]

NOT_CAPTURING = "not capturing"


class Gap(msgspec.Struct, kw_only=True):
    """A stretch of the window that was not captured, and why."""

    start: str
    end: str
    start_ns: int
    end_ns: int
    seconds: float
    reason: str


class CaptureCoverage(msgspec.Struct, kw_only=True):
    """One venue's live-capture coverage over a window (receipt time, UTC)."""

    venue: str
    window_seconds: float
    covered_seconds: float
    gaps: list[Gap]
    connections: int
    silences: int
    torn_files: list[str] = []


def transcripts_dir(catalog: Catalog) -> Path:
    """Where capture transcripts live: ``DATA_DIR/transcripts``."""
    return catalog.root / "transcripts"


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(i for i in intervals if i[1] > i[0]):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _subtract(base: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for lo, hi in base:
        cur = lo
        for hlo, hhi in holes:
            if hhi <= cur or hlo >= hi:
                continue
            if hlo > cur:
                out.append((cur, hlo))
            cur = max(cur, hhi)
            if cur >= hi:
                break
        if cur < hi:
            out.append((cur, hi))
    return out


def _seconds(ns: int) -> float:
    return round(ns / 1e9, 3)


def _venue_coverage(root: Path, venue: str, start_ns: int, end_ns: int) -> CaptureCoverage:
    spans: dict[str, list[int]] = {}
    closed: set[str] = set()
    holes: list[tuple[int, int, str]] = []
    torn: list[str] = []
    silences = 0
    for path in transcript_files(root, venue, start_ns, end_ns):
        data, was_torn = read_transcript(path)
        if was_torn:
            torn.append(str(path))
        for ln in iter_lines(data, name=str(path)):
            c, ts = ln.conn, ln.ts
            if ln.marker is Marker.CONNECT:
                since = int(ln.detail.get("since_ns", ts))
                lo, hi = spans.get(c, [since, ts])
                spans[c] = [min(lo, since), max(hi, ts)]
            elif ln.marker is Marker.DISCONNECT:
                if c in spans and c not in closed:
                    spans[c][1] = max(spans[c][1], ts)
                    closed.add(c)
            elif ln.marker is Marker.SILENT:  # the feed is dead from since_ns; the connection ends here
                silences += 1
                since = int(ln.detail.get("since_ns", ts))
                why = ln.detail.get("reason") or f"no market data for {_seconds(ts - since)} s"
                holes.append((since, ts, f"silent: {why}"))
                if c in spans and c not in closed:
                    spans[c][1] = max(spans[c][1], ts)
                    closed.add(c)
            elif ln.marker is Marker.GAP:
                holes.append((int(ln.detail["from_ns"]), int(ln.detail["to_ns"]), str(ln.detail.get("reason", "gap"))))
            elif c in spans and c not in closed:
                spans[c][1] = max(spans[c][1], ts)
    window = [(start_ns, end_ns)]
    up = _subtract(_merge((lo, hi) for lo, hi in spans.values()), _merge((lo, hi) for lo, hi, _ in holes))
    covered = _subtract(window, _subtract(window, up))  # clip to the window
    gaps: list[Gap] = []
    for lo, hi in _subtract(window, covered):
        # Cut at marker boundaries so each piece has one reason; join neighbours with the same reason.
        cuts = sorted({lo, hi, *(t for h in holes for t in h[:2] if lo < t < hi)})
        for a, b in itertools.pairwise(cuts):
            reason = next((why for hlo, hhi, why in holes if hlo <= a and b <= hhi), NOT_CAPTURING)
            if gaps and gaps[-1].end_ns == a and gaps[-1].reason == reason:
                a = gaps.pop().start_ns
            gaps.append(Gap(start=iso_ns(a), end=iso_ns(b), start_ns=a, end_ns=b, seconds=_seconds(b - a),
                            reason=reason))
    return CaptureCoverage(venue=venue, window_seconds=_seconds(end_ns - start_ns),
                           covered_seconds=_seconds(sum(hi - lo for lo, hi in covered)), gaps=gaps,
                           connections=len(spans), silences=silences, torn_files=torn)


def coverage(catalog: Catalog, venues: Iterable[str] | None, start_ns: int, end_ns: int) -> dict[str, CaptureCoverage]:
    """Seconds of [start_ns, end_ns) each venue was captured live, and the gaps, from transcript markers.

    Args:
        catalog: The data directory whose ``transcripts/`` to read.
        venues: Venue ids; None means every venue with transcripts. A venue that was never captured
            live (no transcripts at all) is left out: its coverage is unknown, not zero.
        start_ns: Window start, ns UTC (receipt time), inclusive.
        end_ns: Window end, exclusive.

    Returns:
        Coverage per venue id, sorted by id.
    """
    root = transcripts_dir(catalog)
    if not root.is_dir() or end_ns <= start_ns:
        return {}
    captured = {p.name.removeprefix("venue=") for p in root.glob("venue=*") if p.is_dir()}
    wanted = captured if venues is None else captured & set(venues)
    return {v: _venue_coverage(root, v, start_ns, end_ns) for v in sorted(wanted)}
