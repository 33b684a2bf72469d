"""Importers for third-party CSV exports of venue and aggregator series (see each format's description).

Every row keeps ``raw_ref = <file sha256>:<line>``; a bad row is quarantined with its line and column,
the rest of the file goes on.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

from liqscope._cadence import Cadence, Point, check
from liqscope._market_types import (
    FileContext,
    FundingRate,
    MarketFormat,
    ObservationFields,
    OpenInterest,
    Parsed,
    Premium,
    Price,
    ReferenceBucket,
)
from liqscope.errors import UnexpectedPayload
from liqscope.events import Source

HOUR_NS = 3_600_000_000_000
_PERCENT = Decimal(100)


def _rows(data: bytes, header: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    first = next(reader, None)
    if first is None or tuple(first[: len(header)]) != header:
        raise UnexpectedPayload(f"expected a header starting {','.join(header)}, got {first!r}", field="header")
    for row in reader:
        if not any(row):
            continue
        yield reader.line_num, dict(zip(first, row, strict=False))


def _dec(row: dict[str, str], col: str) -> Decimal:
    try:
        d = Decimal(row[col])
    except (KeyError, InvalidOperation):
        raise UnexpectedPayload(f"column {col} is {row.get(col)!r}, not a decimal number", field=col) from None
    if not d.is_finite():
        raise UnexpectedPayload(f"column {col} is not finite", field=col)
    return d


def _ms(row: dict[str, str], col: str) -> int:
    try:
        return int(row[col]) * 1_000_000
    except (KeyError, ValueError):
        raise UnexpectedPayload(f"column {col} is {row.get(col)!r}, not integer epoch ms", field=col) from None


def _iso(row: dict[str, str], col: str) -> int:
    try:
        t = dt.datetime.fromisoformat(row[col].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        raise UnexpectedPayload(f"column {col} is {row.get(col)!r}, not an ISO-8601 time", field=col) from None
    if t.tzinfo is None:
        raise UnexpectedPayload(f"column {col} {row[col]!r} has no UTC offset", field=col)
    delta = t - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _points(rows: list[tuple[int, dict[str, str]]], col: str, read: Callable[[dict[str, str], str], int],
            series: str | None = None, twin: str | None = None) -> Iterator[Point]:
    # Each row's time for THE cadence check (liqscope._cadence); a row whose own time is unreadable is left to
    # its row check, which quarantines it.
    for line, row in rows:
        try:
            ts = read(row, col)
        except UnexpectedPayload:
            continue
        stated: int | None = None
        if twin is not None and twin in row:
            try:
                stated = _iso(row, twin)
            except UnexpectedPayload:
                stated = None
        yield Point(line, row.get(series, "") if series else "", ts, f"{col} {row[col]}", stated,
                    f"{twin} {row.get(twin, '')}" if twin else "")


def _reader(header: tuple[str, ...], row_fn: Callable[[int, dict[str, str], FileContext], list[Any]],
            cadence: Cadence, points: Callable[[list[tuple[int, dict[str, str]]]], Iterable[Point]],
            ) -> Callable[[bytes, FileContext], Parsed]:
    def read(data: bytes, ctx: FileContext) -> Parsed:
        out = Parsed()
        try:
            rows = list(_rows(data, header))
        except (UnexpectedPayload, UnicodeDecodeError, csv.Error) as e:
            out.quarantined.append((1, getattr(e, "field", None), f"{type(e).__name__}: {e}"))
            return out
        if (why := check(points(rows), cadence)) is not None:
            out.records, out.refused = len(rows), why
            return out
        for line, row in rows:
            out.records += 1
            try:
                out.observations.extend(row_fn(line, row, ctx))
            except UnexpectedPayload as e:
                out.quarantined.append((line, e.field, f"UnexpectedPayload: {e}"))
        return out

    return read


# --- Hyperliquid fundingHistory export: timestamp,symbol,funding_rate,premium ---------------------------
_HL_HEADER = ("timestamp", "symbol", "funding_rate", "premium")
# One row per funding settlement of each symbol: hourly since 2023-06-08, 8-hourly before. Settlements land a
# few ms past the hour (up to a second early or late in the real export), so the check is a minimum spacing of
# one hour less 60 s per symbol, not a grid: a sub-hourly file (premium samples, a 5-minute export) is refused.
_HL_CADENCE = Cadence(fmt="hyperliquid-funding-csv", unit="ISO-8601 UTC", step_ns=HOUR_NS, slack_ns=60_000_000_000)


def _hl_row(line: int, row: dict[str, str], ctx: FileContext) -> list[Any]:
    ts, coin = _iso(row, "timestamp"), row["symbol"]
    if not coin:
        raise UnexpectedPayload("symbol is empty", field="symbol")
    common: ObservationFields = {"venue": "hyperliquid", "market": coin, "base_asset": coin, "ts_event": ts,
                                 "ts_recv": ctx.ts_recv, "source": Source.FILE.value, "raw_ref": f"{ctx.sha}:{line}"}
    return [FundingRate(**common, kind="realized", rate=_dec(row, "funding_rate")),
            Premium(**common, premium_index=_dec(row, "premium"))]


# --- CoinGlass hourly regime export (Binance BTCUSDT funding %, OI USD; Binance spot price) -------------
_CG_REGIME_HEADER = ("timestamp", "datetime_utc", "price_open", "price_high", "price_low", "price_close")
# CoinGlass hourly buckets: epoch-ms `timestamp` on the hour, one row per hour, its `datetime_utc` twin equal.
_CG_UNIT = "epoch milliseconds"


def _cg_cadence(fmt: str) -> Cadence:
    return Cadence(fmt=fmt, unit=_CG_UNIT, step_ns=HOUR_NS, on_grid=True)


def _cg_points(rows: list[tuple[int, dict[str, str]]]) -> Iterator[Point]:
    return _points(rows, "timestamp", _ms, twin="datetime_utc")


class _Stamp(TypedDict):  # what the three observations of a regime row share (each names its own market)
    ts_event: int
    ts_recv: int
    source: str
    provider: str
    raw_ref: str


def _cg_regime_row(line: int, row: dict[str, str], ctx: FileContext) -> list[Any]:
    # Each row is one hour's OHLC; the close is what was known at the END of the hour.
    ts = _ms(row, "timestamp") + HOUR_NS
    ref = f"{ctx.sha}:{line}"
    common: _Stamp = {"ts_event": ts, "ts_recv": ctx.ts_recv, "source": Source.FILE.value, "provider": "coinglass",
                      "raw_ref": ref}
    return [
        # CoinGlass returns funding in PERCENT per funding interval (0.005673 = 0.005673 %): /100.
        FundingRate(venue="binance_usdm", market="BTCUSDT", base_asset="BTC", kind="predicted",
                    rate=_dec(row, "funding_close") / _PERCENT, **common),
        OpenInterest(venue="binance_usdm", market="BTCUSDT", base_asset="BTC", oi_usd=_dec(row, "oi_close"),
                     method="CoinGlass open-interest history in USD (single-sided, as Binance reports)",
                     **common),
        # The hour's close, high and low, all stamped at the hour's end (when the high and low are known).
        *(Price(venue="binance_spot", market="BTCUSDT", base_asset="BTC", price=_dec(row, f"price_{part}"),
                price_type=f"spot_{part}", **common) for part in ("close", "high", "low")),
    ]


# --- CoinGlass aggregated liquidation history, hourly: timestamp,datetime_utc,longUsd,shortUsd,totalUsd --
_CG_LIQ_HEADER = ("timestamp", "datetime_utc", "longUsd", "shortUsd", "totalUsd")
_CG_LIQ_NAME = re.compile(r"coinglass_(?P<asset>[a-z0-9]+)_liquidations_(?P<bucket>1h)_(?P<covers>[a-z_]+?)_\d{4}-")
_CG_COVERS = ("binance", "bybit", "okx", "bitget", "hyperliquid", "gate", "bitmex", "deribit", "htx")


def _read_cg_liquidations(data: bytes, ctx: FileContext) -> Parsed:
    m = _CG_LIQ_NAME.match(ctx.name)
    if not m or not set(m.group("covers").split("_")) <= set(_CG_COVERS):
        out = Parsed()
        out.quarantined.append((0, "filename", (
            f"file name {ctx.name!r} must say the asset and the exchanges the aggregate covers, as "
            "coinglass_<asset>_liquidations_1h_<exchange>_<exchange>..._<YYYY-MM-DD>....csv "
            f"(exchanges: {', '.join(_CG_COVERS)})")))
        return out
    asset, covers = m.group("asset").upper(), ",".join(m.group("covers").split("_"))

    def row_fn(line: int, row: dict[str, str], ctx: FileContext) -> list[Any]:
        start = _ms(row, "timestamp")
        return [ReferenceBucket(provider="coinglass", series="liquidations_1h", asset=asset, covers=covers,
                                ts_start=start, ts_end=start + HOUR_NS, long_usd=_dec(row, "longUsd"),
                                short_usd=_dec(row, "shortUsd"), total_usd=_dec(row, "totalUsd"),
                                raw_ref=f"{ctx.sha}:{line}", ts_recv=ctx.ts_recv)]

    return _reader(_CG_LIQ_HEADER, row_fn, _cg_cadence("coinglass-liquidations-csv"), _cg_points)(data, ctx)


FORMATS = {
    "hyperliquid-funding-csv": MarketFormat(
        name="hyperliquid-funding-csv", venue="hyperliquid",
        read=_reader(_HL_HEADER, _hl_row, _HL_CADENCE, lambda rows: _points(rows, "timestamp", _iso, "symbol")),
        description="CSV export of Hyperliquid fundingHistory: timestamp,symbol,funding_rate,premium"),
    "coinglass-regime-csv": MarketFormat(
        name="coinglass-regime-csv", venue="coinglass",
        read=_reader(_CG_REGIME_HEADER, _cg_regime_row, _cg_cadence("coinglass-regime-csv"), _cg_points),
        description=("CoinGlass hourly regime CSV: Binance BTCUSDT funding (percent -> fraction), OI USD, spot close, "
                     "high and low")),
    "coinglass-liquidations-csv": MarketFormat(
        name="coinglass-liquidations-csv", venue="coinglass", read=_read_cg_liquidations,
        description="CoinGlass aggregated liquidation history, hourly long/short USD (reference series)"),
}
