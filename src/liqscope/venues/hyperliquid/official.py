"""The official liquidations CSV -> ``OfficialLiquidation`` rows (format ``hyperliquid-official``).

Source: https://github.com/hyperliquid-dex/historical_data ``liquidations.csv`` ("lists all
liquidations"), header ``time,user,liquidated_ntl_pos,liquidated_account_value,leverage_type``. A row
names the account, not the coin, side or price, so it normalizes to an account-level event.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

import msgspec

from liqscope.errors import UnexpectedPayload
from liqscope.venues.hyperliquid import wire

HEADER = ("time", "user", "liquidated_ntl_pos", "liquidated_account_value", "leverage_type")


def split(data: bytes, filename: str) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_no, row bytes)`` for every data row (1-based line numbers; header skipped)."""
    for line_no, line in enumerate(data.splitlines(), start=1):
        if (line_no == 1 and line.startswith(b"time,")) or not line.strip():
            continue
        yield line_no, line


def decode_row(raw: bytes, filename: str) -> wire.OfficialLiquidation:
    """One CSV row -> ``OfficialLiquidation``; a bad cell names its column as ``field``."""
    try:
        (cells,) = list(csv.reader([raw.decode("utf-8")]))
    except (UnicodeDecodeError, ValueError, csv.Error) as e:
        raise UnexpectedPayload(f"unreadable CSV row: {e}", field="row") from None
    if len(cells) != len(HEADER):
        raise UnexpectedPayload(f"expected {len(HEADER)} columns ({','.join(HEADER)}), got {len(cells)}",
                                field="row")
    try:
        return msgspec.convert(dict(zip(HEADER, cells, strict=True)), wire.OfficialLiquidation)
    except msgspec.ValidationError as e:
        column = str(e).rsplit("`$.", 1)[-1].rstrip("`")
        raise UnexpectedPayload(str(e), field=column if column in HEADER else "row") from None
