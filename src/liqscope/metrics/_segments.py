# Resolve a methodology's window against the lake: event segments need the cascades detected there.
from __future__ import annotations

from collections.abc import Callable, Sequence

from liqscope.errors import ConfigError
from liqscope.methodology import Methodology, ResolvedWindow, Segment, resolve_window
from liqscope.store import Catalog

# (catalog, methodology, anchor start ns, anchor end ns) -> the cascades detected in the anchor.
SegmentFinder = Callable[[Catalog, Methodology, int, int], Sequence[Segment]]


def lake_cascades(catalog: Catalog, m: Methodology, start_ns: int, end_ns: int) -> Sequence[Segment]:
    # Imported here: cascades builds on the report module, which resolves windows through this one.
    try:
        from liqscope.metrics.cascades import detect_cascades
    except ImportError:
        raise ConfigError("window.kind 'event_segment' needs cascade detection (liqscope.metrics.cascades), "
                          "which this build does not have; use fixed, calendar_day or rolling") from None
    return detect_cascades(catalog, m, start_ns, end_ns)


def resolve_in_lake(catalog: Catalog, m: Methodology, start_ns: int, end_ns: int,
                    finder: SegmentFinder | None = None) -> ResolvedWindow:
    segments = None
    if m.window.kind == "event_segment":
        segments = (finder or lake_cascades)(catalog, m, start_ns, end_ns)
    return resolve_window(m.window, start_ns, end_ns, segments)
