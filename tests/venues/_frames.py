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


def fast(venue: str, raws: list[bytes], recv: int = 1_800_000_000_000_000_000):
    """(the fast path's part, its rows as dicts) of a batch of ``venue``; asserts that ``normalize_batch`` gives
    the reference's rows, counts and outcomes with and without the fast path."""
    from liqscope.events import Source
    from liqscope.normalize import normalize_batch

    spec = venues()[venue]
    n = len(raws)
    part = spec.parse_batch(raws, [recv] * n, ["r"] * n, Source.WS)  # type: ignore[misc]
    args = (spec.decode, spec.parse, raws, [recv] * n, ["r"] * n, ["k"] * n)
    with_fast, without = (normalize_batch(*args, source=Source.WS, fast=f) for f in (True, False))
    assert with_fast.table.to_pylist() == without.table.to_pylist() and with_fast.counts == without.counts
    assert with_fast.outcomes == without.outcomes
    return part, part.table.to_pylist() if part.table is not None else []
