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


def both(venue: str, raws: list[bytes], ts_recv: list[object] | None = None, recv: int = 1_800_000_000_000_000_000):
    """``normalize_batch`` of ``raws`` with and without ``venue``'s fast path (receipt times ``recv + i``)."""
    from liqscope.events import Source
    from liqscope.normalize import normalize_batch

    spec = venues()[venue]
    n = len(raws)
    args = (spec.decode, spec.parse, raws, ts_recv or [recv + i for i in range(n)], [f"ref:{i}" for i in range(n)],
            [f"key:{i}" for i in range(n)])
    return (normalize_batch(*args, source=Source.WS, fast=True),  # type: ignore[arg-type]
            normalize_batch(*args, source=Source.WS, fast=False))  # type: ignore[arg-type]


def assert_same(fast, slow) -> None:  # type: ignore[no-untyped-def]
    """The two batches have the same rows (column by column), counts and outcomes."""
    assert fast.table.schema == slow.table.schema
    for name in slow.table.column_names:
        assert fast.table[name].to_pylist() == slow.table[name].to_pylist(), name
    assert fast.counts == slow.counts
    assert fast.outcomes == slow.outcomes
