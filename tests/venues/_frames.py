"""Read one real fixture frame by venue, file and 1-based line (tests edit copies in memory, never files)."""

from __future__ import annotations

from liqscope.events import Received
from liqscope.venues import venues
from tests.venues._cases import FIXED_RECV_NS, ROOT

RX = Received(ts_ns=FIXED_RECV_NS, ref="test:1")


def frame(venue: str, name: str, line: int) -> bytes:
    """The raw bytes of one fixture line."""
    return (ROOT / venue / name).read_bytes().splitlines()[line - 1]


def parse(venue: str, raw: bytes, rx: Received = RX):
    """Decode and parse one raw frame with the registered venue (raises what the parser raises)."""
    spec = venues()[venue]
    return spec.parse(spec.decode(raw), rx)
