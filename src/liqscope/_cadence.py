# THE check of a third-party file's row times against its declared format: units and row spacing.
#
# A CSV export says nothing about itself: a 5-minute CoinGlass file has the same header as an hourly one, a
# Binance archive in microseconds the same columns as one in milliseconds. Read under the wrong declaration
# every number is wrong in a way no row-level check sees (funding 12x too small, times 1,000x off), so each
# importer states its cadence here and refuses a file that contradicts it, whole, with the line that does.
# Every CSV importer goes through `check` (market/_csv.py for the CoinGlass and Hyperliquid exports; the
# Binance archive and Tardis readers in their venue folders); tests/market/test_csv_spacing.py and
# tests/venues/test_archive_units.py hold one real file per importer and its mutations.
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from liqscope._time import MAX_NS, MIN_NS, TIME_RANGE

__all__ = ["Cadence", "Point", "check"]

_S = 1_000_000_000


@dataclass(frozen=True, kw_only=True)
class Cadence:
    """What a format declares about its rows' times.

    Attributes:
        fmt: The format's name, for messages.
        unit: How the time column is written ("epoch milliseconds", "ISO-8601 UTC", ...), for messages.
        step_ns: One row per ``step_ns`` per series; None for event files (rows at any time).
        on_grid: Rows sit on multiples of ``step_ns`` (an aggregator's buckets), not just that far apart.
        slack_ns: How much earlier than ``step_ns`` a row may come (venue settlements jitter).
        start_ns / end_ns: The window every row must fall in (a dated archive file: its day).
    """

    fmt: str
    unit: str
    step_ns: int | None = None
    on_grid: bool = False
    slack_ns: int = 0
    start_ns: int | None = None
    end_ns: int | None = None


@dataclass(frozen=True)
class Point:
    """One row's time: its line, the series it belongs to, the time as read, the text it was read from
    (``timestamp 1764828000000``), and what a second column of the same row states it to be (a
    ``datetime_utc`` twin: its time and text), if there is one."""

    line: int
    series: str
    ts_ns: int
    text: str
    stated_ns: int | None = None
    stated_text: str = ""


def _when(ns: int) -> str:
    t = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ns // 1000)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def check(points: Iterable[Point], cadence: Cadence) -> str | None:
    """Why the rows do not fit ``cadence`` (the first contradiction, naming its line), or None when they fit."""
    c = cadence
    last: dict[str, tuple[int, int]] = {}
    for p in points:
        if p.stated_ns is not None and p.stated_ns != p.ts_ns:
            return (f"line {p.line}: {p.text} is not {p.stated_text} (a unit or time-zone mismatch); {c.fmt} "
                    f"times are {c.unit} in UTC")
        if not MIN_NS <= p.ts_ns <= MAX_NS:
            return (f"line {p.line}: {p.text} read as {c.unit} is outside {TIME_RANGE}; {c.fmt} times are "
                    f"{c.unit} (a unit mismatch)")
        if c.start_ns is not None and c.end_ns is not None and not c.start_ns <= p.ts_ns < c.end_ns:
            return (f"line {p.line}: {p.text} read as {c.unit} is {_when(p.ts_ns)}, outside the file's "
                    f"{_when(c.start_ns)} .. {_when(c.end_ns)}; {c.fmt} times are {c.unit} (a unit mismatch?)")
        if c.step_ns is None:
            continue
        step_s = c.step_ns // _S
        prev = last.get(p.series)
        if prev is not None and p.ts_ns - prev[1] < c.step_ns - c.slack_ns:
            return (f"lines {prev[0]}-{p.line} are {(p.ts_ns - prev[1]) // _S:,} s apart; {c.fmt} has one row per "
                    f"{step_s:,} s{' per ' + p.series if p.series else ''} (rows of another spacing would be read "
                    f"{step_s:,} s wide and their units misread)")
        if c.on_grid and p.ts_ns % c.step_ns:
            return f"line {p.line}: {p.text} is not on a {step_s:,} s boundary; {c.fmt} has one row per {step_s:,} s"
        last[p.series] = (p.line, p.ts_ns)
    return None
