"""Transcript format: verbatim frames, escaped oddities, markers, crash safety, day rotation."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liqscope.errors import InputUnreadable
from liqscope.store.transcript import (
    Marker,
    TranscriptWriter,
    decode_payload,
    encode_payload,
    gzip_members,
    is_transcript,
    iter_lines,
    looks_like_transcript,
    read_transcript,
    transcript_files,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "venues"
OKX = (FIXTURES / "okx_swap" / "ws_liquidation_orders.jsonl").read_bytes().splitlines()
DAY = 86_400 * 10**9
T0 = 1_766_880_000 * 10**9 - 5 * 10**9  # 2025-12-27T23:59:55Z


def test_real_frames_are_kept_verbatim_and_only_unsafe_ones_are_escaped():
    assert OKX[1] == b"pong"
    for frame in OKX:
        assert encode_payload(frame) == frame  # JSON and "pong" stay greppable
    odd = [b'{"a":\n1}', b"#not a marker", b"%looks escaped", b"\x1f\x8b\x08binary", b"tab\tinside"]
    encoded = [encode_payload(f) for f in odd]
    assert [e[:1] for e in encoded[:4]] == [b"%"] * 4
    assert encoded[4] == b"tab\tinside"  # the payload is the rest of the line: tabs need no escape
    assert [decode_payload(e) for e in encoded] == odd


def test_lines_round_trip_frames_and_markers_in_order(tmp_path):
    w = TranscriptWriter(tmp_path, "okx_swap", "s1", {"url": "wss://x"})
    w.marker(T0, "s1.1", Marker.CONNECT, url="wss://x")
    for i, frame in enumerate(OKX):
        w.frame(T0 + i, "s1.1", frame)
    w.frame(T0 + 10, "s1.1", b"line\nbreak")
    w.marker(T0 + 11, "s1.1", Marker.DISCONNECT, reason="stopped")
    (flushed,) = w.flush()
    data, torn = read_transcript(flushed.path)
    assert not torn and data == flushed.data
    lines = list(iter_lines(data))
    assert [ln.marker for ln in lines] == [Marker.TRANSCRIPT, Marker.CONNECT] + [None] * 7 + [Marker.DISCONNECT]
    assert lines[0].detail == {"version": 1, "venue": "okx_swap", "session": "s1", "url": "wss://x"}
    assert [ln.payload for ln in lines[2:9]] == [*OKX, b"line\nbreak"]
    assert [ln.ts for ln in lines[2:9]] == [T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4, T0 + 5, T0 + 10]
    assert data.split(b"\n")[2] == b"%d\ts1.1\t%s" % (T0, OKX[0])  # ts<TAB>conn<TAB>payload, verbatim
    assert lines[-1].detail == {"reason": "stopped"}
    assert is_transcript(data) and looks_like_transcript(flushed.path)
    assert not is_transcript(OKX[0])
    assert not looks_like_transcript(FIXTURES / "okx_swap" / "ws_liquidation_orders.jsonl")


def test_each_flush_appends_one_gzip_member_and_a_torn_tail_loses_only_itself(tmp_path):
    w = TranscriptWriter(tmp_path, "okx_swap", "s1")
    w.frame(T0, "s1.1", OKX[0])
    (first,) = w.flush()
    w.frame(T0 + 1, "s1.1", OKX[3])
    (second,) = w.flush()
    path = first.path
    whole = path.read_bytes()
    assert gzip.decompress(whole) == first.data + second.data  # plain gzip to any reader
    size_first = len(gzip.compress(first.data, compresslevel=6, mtime=0))
    path.write_bytes(whole[: size_first + 10])  # a crash in the middle of the second member
    data, torn = read_transcript(path)
    assert torn and data == first.data
    assert [ln.payload for ln in iter_lines(data) if ln.payload] == [OKX[0]]


def test_a_new_file_starts_at_the_utc_day_and_re_announces_the_open_connection(tmp_path):
    w = TranscriptWriter(tmp_path, "binance_usdm", "s1")
    w.marker(T0, "s1.1", Marker.CONNECT, url="wss://x")
    w.frame(T0 + 1, "s1.1", OKX[0])
    assert w.flush(T0 + 2)[0].path.parent.name == "date=2025-12-27"
    flushed = w.flush(T0 + 6 * 10**9)  # 2025-12-28T00:00:01Z: rotation without any new frame
    assert [f.path.parent.name for f in flushed] == ["date=2025-12-28"]
    lines = list(iter_lines(flushed[0].data))
    assert [ln.marker for ln in lines] == [Marker.TRANSCRIPT, Marker.CONNECT]
    assert lines[1].conn == "s1.1" and lines[1].detail == {"since_ns": T0, "continued": True}
    w.marker(T0 + 7 * 10**9, "s1.1", Marker.DISCONNECT, reason="stopped")
    w.flush()
    files = transcript_files(tmp_path, "binance_usdm")
    assert [p.parent.name for p in files] == ["date=2025-12-27", "date=2025-12-28"]
    assert transcript_files(tmp_path, "binance_usdm", T0 + DAY // 2, T0 + DAY) == files[1:]


@pytest.mark.parametrize(("text", "problem"), [
    (b"123\tc\n", "not a transcript line"),
    (b"abc\tc\tpayload\n", "not a transcript line"),
    (b"1\tc\t#NOPE {}\n", "bad marker"),
    (b"1\tc\t%%%not-base64\n", "bad base64"),
])
def test_a_damaged_line_is_named_by_file_and_line(text, problem):
    with pytest.raises(InputUnreadable, match=rf"t\.tsv:\d+: {problem}"):
        list(iter_lines(b"1\tc\t" + json.dumps({}).encode() + b"\n" + text, name="t.tsv"))


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(min_value=0, max_value=300_000), max_size=6), cut=st.integers(min_value=1))
def test_gzip_members_reads_every_member_across_feed_slices_and_drops_only_a_torn_tail(sizes, cut):
    # Incompressible halves make members of up to ~150 KB compressed: several of the reader's 64 KiB slices.
    members = [os.urandom(n // 2) + OKX[0] * (n // 2 // len(OKX[0])) for n in sizes]
    packed = [gzip.compress(m, mtime=0) for m in members]
    blob = b"".join(packed)
    assert gzip_members(blob) == (members, False)
    if members:
        torn = blob[:-min(cut, len(packed[-1]) - 1)]  # a crash cut into the last member: the others survive
        assert gzip_members(torn) == (members[:-1], True)
        assert gzip_members(torn + b"\xffgarbage") == (members[:-1], True)
