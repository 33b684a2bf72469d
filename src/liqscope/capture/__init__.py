"""Live capture: raw transcripts with explicit gaps, the same lake as ``ingest``, and a replay server.

- ``capture`` / ``capture_async``: connect to each venue (lending venues: ``eth_subscribe`` to a node),
  subscribe, keep heartbeats, reconnect with backoff and jitter, flag silent feeds (watchdog), record every
  frame, commit small batches to the lake.
- ``coverage``: seconds captured per venue and the gaps, from the transcript markers.
- ``ReplayServer``: a real websocket server on loopback that speaks each venue's subscribe dialect and
  replays recorded frames, with drops, stalls, resend bursts and malformed frames on request.
- ``refresh_instruments``: contract sizes from REST when online, the bundled snapshot otherwise.

The websockets package (``pip install 'liqscope[live]'``) is imported only when a socket is opened.
See docs/capture.md.
"""

from liqscope._ingest_transcript import ingest_transcript
from liqscope.capture._capture import Capture, CaptureResult, capture, capture_async
from liqscope.capture._refresh import INSTRUMENT_ENDPOINTS, InstrumentsOrigin, refresh_instruments
from liqscope.capture._runner import Backoff, CaptureOptions, VenueStats
from liqscope.capture._server import FAULT_KINDS, Fault, Feed, ReplayServer
from liqscope.store._coverage import CaptureCoverage, Gap, coverage, transcripts_dir
from liqscope.venues._stream import StreamSpec, get_stream, stream_venues

__all__ = [
    "FAULT_KINDS",
    "INSTRUMENT_ENDPOINTS",
    "Backoff",
    "Capture",
    "CaptureCoverage",
    "CaptureOptions",
    "CaptureResult",
    "Fault",
    "Feed",
    "Gap",
    "InstrumentsOrigin",
    "ReplayServer",
    "StreamSpec",
    "VenueStats",
    "capture",
    "capture_async",
    "coverage",
    "get_stream",
    "ingest_transcript",
    "refresh_instruments",
    "stream_venues",
    "transcripts_dir",
]
