"""Window kinds resolve the anchor to the counted window; times computed by hand from the calendar."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from liqscope._time import parse_iso_ns
from liqscope.errors import ConfigError
from liqscope.methodology import Window, resolve_window

DAY = (parse_iso_ns("2025-12-27T00:00:00Z"), parse_iso_ns("2025-12-28T00:00:00Z"))
H = 3_600_000_000_000


class _Cascade(msgspec.Struct):
    start_ns: int
    end_ns: int
    total_usd: Decimal


@pytest.mark.parametrize(("window", "anchor", "start", "end"), [
    (Window(), DAY, "2025-12-27T00:00:00Z", "2025-12-28T00:00:00Z"),
    (Window(kind="calendar_day"), DAY, "2025-12-27T00:00:00Z", "2025-12-28T00:00:00Z"),
    # 27 December in UTC+8 starts at 16:00 UTC on the 26th.
    (Window(kind="calendar_day", timezone="UTC+8"), DAY, "2025-12-26T16:00:00Z", "2025-12-27T16:00:00Z"),
    (Window(kind="calendar_day", timezone="Asia/Shanghai"), DAY, "2025-12-26T16:00:00Z", "2025-12-27T16:00:00Z"),
    (Window(kind="calendar_day", timezone="UTC-05:30"), DAY, "2025-12-27T05:30:00Z", "2025-12-28T05:30:00Z"),
    # New York is on EST (UTC-5) in December.
    (Window(kind="calendar_day", timezone="America/New_York"), DAY, "2025-12-27T05:00:00Z", "2025-12-28T05:00:00Z"),
    # An anchor inside one day still means that whole day; a two-day anchor means both days.
    (Window(kind="calendar_day"), (parse_iso_ns("2025-12-27T14:00:00Z"), parse_iso_ns("2025-12-27T15:00:00Z")),
     "2025-12-27T00:00:00Z", "2025-12-28T00:00:00Z"),
    (Window(kind="calendar_day", timezone="UTC+8"), (DAY[0], DAY[1] + 24 * H),
     "2025-12-26T16:00:00Z", "2025-12-28T16:00:00Z"),
    # 2025-03-09 has 23 hours in New York (clocks go forward at 02:00 EST = 07:00 UTC).
    (Window(kind="calendar_day", timezone="America/New_York"),
     (parse_iso_ns("2025-03-09"), parse_iso_ns("2025-03-10")), "2025-03-09T05:00:00Z", "2025-03-10T04:00:00Z"),
    (Window(kind="rolling", hours=24), (DAY[0] - 48 * H, DAY[1]), "2025-12-27T00:00:00Z", "2025-12-28T00:00:00Z"),
    (Window(kind="rolling", hours=1), DAY, "2025-12-27T23:00:00Z", "2025-12-28T00:00:00Z"),
], ids=["fixed", "utc-day", "utc+8-day", "shanghai-day", "utc-0530-day", "new-york-day", "day-of-a-short-anchor",
        "two-days-utc+8", "new-york-dst-day", "rolling-24h", "rolling-1h"])
def test_window_kind_resolves_the_anchor(window, anchor, start, end):
    w = resolve_window(window, *anchor)
    assert (w.start_ns, w.end_ns) == (parse_iso_ns(start), parse_iso_ns(end))
    assert (w.anchor_start, w.anchor_end) == (resolve_window(Window(), *anchor).start,
                                             resolve_window(Window(), *anchor).end)


def test_event_segment_picks_the_largest_first_or_last_cascade():
    cascades = [_Cascade(DAY[0] + 2 * H, DAY[0] + 3 * H, Decimal("5")),
                _Cascade(DAY[0] + 1 * H, DAY[0] + H + 600_000_000_000, Decimal("9")),
                _Cascade(DAY[0] + 5 * H, DAY[0] + 6 * H, Decimal("1"))]
    picked = {pick: resolve_window(Window(kind="event_segment", segment=pick), *DAY, cascades)
              for pick in ("largest", "first", "last")}
    assert (picked["largest"].start_ns, picked["largest"].end_ns) == (DAY[0] + H, DAY[0] + H + 600_000_000_000)
    assert picked["first"].start_ns == DAY[0] + H
    assert picked["last"].start_ns == DAY[0] + 5 * H
    assert "of 3 detected cascade(s)" in picked["largest"].detail


def test_event_segment_with_no_cascade_is_an_empty_window_and_without_a_detector_an_error():
    w = resolve_window(Window(kind="event_segment"), *DAY, [])
    assert w.start_ns == w.end_ns == DAY[0] and "no cascade" in w.detail
    with pytest.raises(ConfigError, match="needs the cascades"):
        resolve_window(Window(kind="event_segment"), *DAY)


def test_an_empty_anchor_is_an_error():
    with pytest.raises(ConfigError, match="is not after start"):
        resolve_window(Window(), DAY[0], DAY[0])
