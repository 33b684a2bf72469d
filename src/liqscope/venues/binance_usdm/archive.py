"""Binance public-archive ``liquidationSnapshot`` CSV rows -> the same wire struct as the stream.

Path: ``data.binance.vision/data/futures/{um|cm}/daily/liquidationSnapshot/<SYMBOL>/
<SYMBOL>-liquidationSnapshot-YYYY-MM-DD.zip``. The CSV has no symbol column (it is in the file name)
and every row appears twice, so the format drops exact repeats within a file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

import msgspec

from liqscope._cadence import Cadence, Point, check
from liqscope._time import utc_stamp_ns
from liqscope.errors import InputUnreadable, UnexpectedPayload
from liqscope.venues.binance_usdm import wire

HEADER = (
    "time", "side", "order_type", "time_in_force", "original_quantity", "price", "average_price",
    "order_status", "last_fill_quantity", "accumulated_fill_quantity",
)
_WIRE_NAME = dict(zip(HEADER, ("T", "S", "o", "f", "q", "p", "ap", "X", "l", "z"), strict=True))
_COLUMN_OF = {v: k for k, v in _WIRE_NAME.items()}
_SYMBOL = re.compile(r"^(?P<symbol>[A-Z0-9_]+)-liquidationSnapshot-(?P<day>\d{4}-\d{2}-\d{2})")
FORMAT = "binance-archive"
# `time` is epoch MILLISECONDS (the stream's T); Binance moved its spot archives to microseconds in 2025, so the
# unit is checked against the day the file name gives (liqscope._cadence), not assumed.
_UNIT = "epoch milliseconds"
_DAY_NS = 86_400 * 10**9


def symbol_from_name(filename: str) -> str:
    """``BTCUSD_PERP-liquidationSnapshot-2024-10-01.csv`` -> ``BTCUSD_PERP``."""
    m = _SYMBOL.match(filename.rsplit("/", 1)[-1])
    if not m:
        raise UnexpectedPayload(
            f"archive file name {filename!r} does not look like <SYMBOL>-liquidationSnapshot-YYYY-MM-DD.csv "
            "(the symbol is only in the name)", field="filename")
    return m.group("symbol")


def _day_cadence(filename: str) -> Cadence | None:
    m = _SYMBOL.match(filename.rsplit("/", 1)[-1])
    if m is None:
        return None  # decode_row quarantines every row, naming the file name
    try:
        start = utc_stamp_ns(m.group("day") + "T00:00:00Z")
    except ValueError:
        return None
    return Cadence(fmt=FORMAT, unit=_UNIT, start_ns=start, end_ns=start + _DAY_NS)


def _first_time(lines: list[bytes]) -> Point | None:
    # The unit is a property of the file: the first row whose time reads as an integer decides it (a later odd
    # row is that row's problem, and its check quarantines it).
    for line_no, line in enumerate(lines, start=1):
        cell = line.split(b",", 1)[0].strip()
        if cell.isdigit() and len(cell) < 25:
            return Point(line_no, "", int(cell) * 1_000_000, f"time {cell.decode()}")
    return None


def split(data: bytes, filename: str) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_no, row bytes)`` for every data row (1-based line numbers; header skipped).

    Raises:
        InputUnreadable: The times are not epoch milliseconds of the day the file name gives.
    """
    lines = data.splitlines()
    cadence, first = _day_cadence(filename), _first_time(lines)
    if cadence is not None and first is not None and (why := check([first], cadence)) is not None:
        raise InputUnreadable(f"{filename}: does not match --format {FORMAT}: {why}. Nothing was imported")
    for line_no, line in enumerate(lines, start=1):
        if line_no == 1 and line.startswith(b"time,"):
            continue
        yield line_no, line


def decode_row(raw: bytes, filename: str) -> wire.ForceOrderBody:
    """One CSV row -> ``ForceOrderBody`` (``s`` from the file name)."""
    symbol = symbol_from_name(filename)
    try:
        (cells,) = list(csv.reader([raw.decode("utf-8")]))
    except (UnicodeDecodeError, ValueError, csv.Error) as e:
        raise UnexpectedPayload(f"unreadable CSV row: {e}", field="row") from None
    if len(cells) != len(HEADER):
        raise UnexpectedPayload(f"expected {len(HEADER)} columns ({','.join(HEADER)}), got {len(cells)}",
                                field="row")
    record: dict[str, object] = {_WIRE_NAME[k]: v for k, v in zip(HEADER, cells, strict=True)}
    record["s"] = symbol
    try:
        record["T"] = int(cells[0])
        return msgspec.convert(record, wire.ForceOrderBody)
    except ValueError:
        raise UnexpectedPayload(f"time {cells[0]!r} is not integer epoch ms", field="time") from None
    except msgspec.ValidationError as e:
        path = str(e).rsplit("`$.", 1)[-1].rstrip("`")
        raise UnexpectedPayload(f"{e}", field=_COLUMN_OF.get(path, path)) from None
