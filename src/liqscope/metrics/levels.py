"""Liquidation levels: the estimated map (a declared model over OI and prices), the measured map (positions a
venue publishes), the heatmap over time, and the backtest that scores the map against what was liquidated.

The model is the methodology's ``levels`` section; the formula and the source of every default are in
docs/levels.md. Estimated maps are labelled ``estimated`` / ``inferred``; measured maps ``measured`` / ``exact``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

import msgspec

from liqscope._market_types import AccountPosition
from liqscope._time import iso_ns
from liqscope.errors import ConfigError
from liqscope.methodology import Levels, Methodology
from liqscope.metrics._counted import Counted
from liqscope.metrics._levels_model import HOUR_NS, Book, Hour, Inputs, nice_step, read_inputs, run
from liqscope.metrics._levels_score import BacktestHour, Score, score
from liqscope.store import Catalog

__all__ = ["Backtest", "BacktestHour", "HeatmapHour", "LevelBucket", "LevelPoint", "LevelsHeatmap", "LevelsMap",
           "MapCoverage", "Score", "backtest_levels", "levels_heatmap", "liquidation_map", "measured_map"]

MapKind = Literal["estimated", "measured"]
Realized = Literal["counted", "coinglass"]
REALIZED: tuple[Realized, ...] = ("counted", "coinglass")


def _usd(x: float) -> Decimal:
    return Decimal(round(x))


class LevelBucket(msgspec.Struct, kw_only=True):
    """One price bucket of a map: USD of longs / shorts liquidated there, and the cumulative USD a move from
    the current price to the bucket's far edge would liquidate (longs below the price, shorts above)."""

    price_low: Decimal
    price_high: Decimal
    long_usd: Decimal
    short_usd: Decimal
    long_cumulative_usd: Decimal
    short_cumulative_usd: Decimal


class LevelPoint(msgspec.Struct, kw_only=True):
    """A bucket singled out (nearest cluster, max pain): its side, edges, USD, distance and cumulative USD."""

    side: Literal["LONG", "SHORT"]
    price_low: Decimal
    price_high: Decimal
    usd: Decimal
    distance_pct: Decimal
    cumulative_usd: Decimal


class MapCoverage(msgspec.Struct, kw_only=True):
    """What a map stands on: the OI and price series, and (measured maps) the share of OI they cover."""

    oi_series: list[str]
    price_series: str
    oi_usd: Decimal | None
    covered_long_usd: Decimal | None = None
    covered_short_usd: Decimal | None = None
    long_share_of_oi: Decimal | None = None
    short_share_of_oi: Decimal | None = None
    accounts: int | None = None
    positions_without_liquidation_price: int | None = None


class LevelsMap(msgspec.Struct, kw_only=True):
    """The liquidation map of one asset at one time."""

    asset: str
    at: str
    kind: MapKind
    exactness: Literal["inferred", "exact"]
    price: Decimal
    bucket_usd: Decimal
    range_pct: Decimal
    long_total_usd: Decimal
    short_total_usd: Decimal
    buckets: list[LevelBucket]
    nearest_above: LevelPoint | None
    nearest_below: LevelPoint | None
    max_pain_long: LevelPoint | None
    max_pain_short: LevelPoint | None
    coverage: MapCoverage
    methodology: dict[str, object]
    model: dict[str, object] | None
    notes: list[str]


def _width_dec(w: float) -> Decimal:
    return Decimal(int(w)) if w == int(w) else Decimal(str(w))


def _bucket_width(price: float, rules: Levels) -> float:
    return nice_step(price * float(rules.bucket_bp) / 10_000)


def _point(side: Literal["LONG", "SHORT"], b: LevelBucket, price: float) -> LevelPoint:
    if side == "LONG":
        usd, edge, cum = b.long_usd, float(b.price_high), b.long_cumulative_usd
    else:
        usd, edge, cum = b.short_usd, float(b.price_low), b.short_cumulative_usd
    return LevelPoint(side=side, price_low=b.price_low, price_high=b.price_high, usd=usd,
                      distance_pct=Decimal(f"{(edge - price) / price * 100:.3f}"), cumulative_usd=cum)


def _assemble(longs: dict[float, float], shorts: dict[float, float], price: float, rules: Levels,
              range_pct: float) -> tuple[float, list[LevelBucket], dict[str, LevelPoint | None]]:
    width = _bucket_width(price, rules)
    lo, hi = price * (1 - range_pct / 100), price * (1 + range_pct / 100)
    first, last = math.floor(lo / width), math.floor(hi / width)
    long_b = [0.0] * (last - first + 1)
    short_b = [0.0] * (last - first + 1)
    for levels, into in ((longs, long_b), (shorts, short_b)):
        for k, v in levels.items():
            if lo <= k <= hi:
                into[math.floor(k / width) - first] += v
    # Cumulative: longs from the price downward, shorts from the price upward.
    long_cum = [0.0] * len(long_b)
    short_cum = [0.0] * len(short_b)
    acc = 0.0
    for i in range(len(long_b) - 1, -1, -1):
        acc += long_b[i]
        long_cum[i] = acc
    acc = 0.0
    for i in range(len(short_b)):
        acc += short_b[i]
        short_cum[i] = acc
    step = _width_dec(width)
    buckets = [LevelBucket(price_low=(first + i) * step, price_high=(first + i + 1) * step, long_usd=_usd(long_b[i]),
                           short_usd=_usd(short_b[i]), long_cumulative_usd=_usd(long_cum[i]),
                           short_cumulative_usd=_usd(short_cum[i])) for i in range(len(long_b))]
    buckets = [b for b in buckets if b.long_usd or b.short_usd]
    lt, st = sum(long_b), sum(short_b)
    share = float(rules.cluster_share)
    below = [b for b in buckets if b.long_usd and float(b.price_high) <= price + width]
    above = [b for b in buckets if b.short_usd and float(b.price_low) >= price - width]
    near_below = next((b for b in reversed(below) if float(b.long_usd) >= share * lt), None)
    near_above = next((b for b in above if float(b.short_usd) >= share * st), None)
    pain_long = max(below, key=lambda b: b.long_usd, default=None)
    pain_short = max(above, key=lambda b: b.short_usd, default=None)
    points = {"nearest_below": _point("LONG", near_below, price) if near_below else None,
              "nearest_above": _point("SHORT", near_above, price) if near_above else None,
              "max_pain_long": _point("LONG", pain_long, price) if pain_long else None,
              "max_pain_short": _point("SHORT", pain_short, price) if pain_short else None}
    return width, buckets, points


def _meta(m: Methodology) -> dict[str, object]:
    return {"name": m.name, "version": m.version, "fingerprint": m.fingerprint()}


def _hour_floor(ns: int) -> int:
    return ns - ns % HOUR_NS


def liquidation_map(catalog: Catalog, methodology: Methodology, asset: str, at_ns: int, *,
                    range_pct: float = 15.0) -> LevelsMap:
    """The estimated liquidation map of ``asset`` at ``at_ns`` (the last whole hour at or before it).

    Built from the lake's OI and prices over the methodology's ``levels.history_hours`` before that hour;
    nothing after it is read.

    Raises:
        ConfigError: The lake holds no OI in USD or no price of the asset in that history.
    """
    rules = methodology.levels
    at = _hour_floor(at_ns)
    start = at - rules.history_hours * HOUR_NS
    inputs = read_inputs(catalog, asset, start - HOUR_NS, at)
    book, _ = run(inputs, rules, start, at)
    price = inputs.hour(at).price
    if book is None or price is None:
        raise ConfigError(_missing(inputs, start, at))
    longs, shorts = book.levels(price * (1 - range_pct / 100), price * (1 + range_pct / 100))
    width, buckets, points = _assemble(longs, shorts, price, rules, range_pct)
    lt, st = book.totals()
    oi = inputs.hour(at).oi_start
    return LevelsMap(asset=inputs.asset, at=iso_ns(at), kind="estimated", exactness="inferred",
                     price=Decimal(str(price)), bucket_usd=_width_dec(width), range_pct=Decimal(str(range_pct)),
                     long_total_usd=_usd(lt), short_total_usd=_usd(st), buckets=buckets, **points,
                     coverage=MapCoverage(oi_series=inputs.oi_series, price_series=inputs.price_series,
                                          oi_usd=_usd(sum(oi.values())) if oi else None),
                     methodology=_meta(methodology), model=msgspec.to_builtins(rules), notes=inputs.notes)


def _missing(inputs: Inputs, start: int, end: int) -> str:
    what = [w for w, ok in (("open interest in USD", bool(inputs.oi)), ("prices", bool(inputs.closes))) if not ok]
    return (f"no {' or '.join(what) or 'hour with both price and open interest'} for {inputs.asset} in "
            f"{iso_ns(start)} .. {iso_ns(end)}: import them first (liqscope market ingest; see docs/levels.md)")


def measured_map(positions: Sequence[AccountPosition], methodology: Methodology, asset: str, *,
                 price: Decimal, oi_usd: Decimal | None = None, range_pct: float = 15.0) -> LevelsMap:
    """The measured liquidation map of ``asset`` from account positions with the venue's liquidation price.

    ``oi_usd`` (single-sided open interest of the venue's market) gives the share of OI the positions cover.
    """
    mine = [p for p in positions if p.coin.upper() == asset.upper()]
    longs: dict[float, float] = {}
    shorts: dict[float, float] = {}
    cov_long = cov_short = Decimal(0)
    no_px = 0
    for p in mine:
        if p.side == "LONG":
            cov_long += p.position_value_usd
        else:
            cov_short += p.position_value_usd
        if p.liquidation_price is None:
            no_px += 1
            continue
        into = longs if p.side == "LONG" else shorts
        k = float(p.liquidation_price)
        into[k] = into.get(k, 0.0) + float(p.position_value_usd)
    f = float(price)
    width, buckets, points = _assemble(longs, shorts, f, methodology.levels, range_pct)
    at = max((p.ts_ns for p in mine), default=0)
    notes = [] if oi_usd else ["no open interest given: the share of OI covered is unknown"]
    return LevelsMap(
        asset=asset.upper(), at=iso_ns(at) if at else "", kind="measured", exactness="exact", price=price,
        bucket_usd=_width_dec(width), range_pct=Decimal(str(range_pct)), long_total_usd=_usd(sum(longs.values())),
        short_total_usd=_usd(sum(shorts.values())), buckets=buckets, **points,
        coverage=MapCoverage(
            oi_series=sorted({f"{p.venue}:{p.coin}" for p in mine}), price_series="given", oi_usd=oi_usd,
            covered_long_usd=cov_long, covered_short_usd=cov_short,
            long_share_of_oi=(cov_long / oi_usd).quantize(Decimal("0.000001")) if oi_usd else None,
            short_share_of_oi=(cov_short / oi_usd).quantize(Decimal("0.000001")) if oi_usd else None,
            accounts=len({p.account for p in mine}), positions_without_liquidation_price=no_px),
        methodology=_meta(methodology), model=None, notes=notes)


# --- the heatmap ------------------------------------------------------------------------------------------

class HeatmapHour(msgspec.Struct, kw_only=True):
    """One hour: the map held at its start (USD per price row), its price path, and what was liquidated."""

    ts: str
    price: Decimal | None
    high: Decimal | None
    low: Decimal | None
    long_usd: list[Decimal]
    short_usd: list[Decimal]
    realized_long_usd: Decimal | None
    realized_short_usd: Decimal | None


class LevelsHeatmap(msgspec.Struct, kw_only=True):
    """Price x time x USD at risk: ``rows`` are the lower edges of the price rows (``bucket_usd`` wide)."""

    asset: str
    start: str
    end: str
    bucket_usd: Decimal
    rows: list[Decimal]
    hours: list[HeatmapHour]
    realized_source: str
    methodology: dict[str, object]
    coverage: MapCoverage
    notes: list[str]


MAX_HEATMAP_ROWS = 160


def levels_heatmap(c: Counted, asset: str, *, realized: Realized = "counted") -> LevelsHeatmap:
    """The map held at the start of every hour of ``c``'s window, on one price grid, with the realized
    liquidations of each hour (the counted relation, or the CoinGlass reference series).

    Without OI in USD or prices for the asset, the heatmap is empty and its ``notes`` say what is missing.
    """
    rules = c.methodology.levels
    start, end = _hour_floor(c.start_ns), _hour_floor(c.end_ns - 1) + HOUR_NS
    inputs = read_inputs(c.catalog, asset, start - (rules.history_hours + 1) * HOUR_NS, end)
    states: list[tuple[Hour, dict[float, float], dict[float, float]]] = []

    def snap(t: int, book: Book | None, h: Hour) -> None:
        if t >= start:
            ls, ss = book.levels(0.0, math.inf) if book is not None else ({}, {})
            states.append((h, ls, ss))

    run(inputs, rules, start - rules.history_hours * HOUR_NS, end, on_hour=snap)
    path = [x for h, _, _ in states for x in (h.low, h.high, h.price) if x is not None]
    cov = MapCoverage(oi_series=inputs.oi_series, price_series=inputs.price_series, oi_usd=None)
    if not path or not inputs.oi:  # nothing to draw: an empty heatmap that says why (not an error)
        return LevelsHeatmap(asset=inputs.asset, start=iso_ns(start), end=iso_ns(end), bucket_usd=Decimal(0), rows=[],
                             hours=[], realized_source=_source(realized), methodology=c.meta(), coverage=cov,
                             notes=[*inputs.notes, _missing(inputs, start - rules.history_hours * HOUR_NS, end)])
    lo, hi = min(path) * 0.9, max(path) * 1.1
    width = max(_bucket_width(max(path), rules), nice_step((hi - lo) / MAX_HEATMAP_ROWS))
    first, last = math.floor(lo / width), math.floor(hi / width)
    n = last - first + 1
    real = _realized(c, inputs.asset, realized, start, end)
    hours = []
    for h, ls, ss in states:
        cells = []
        for levels in (ls, ss):
            row = [0.0] * n
            for k, v in levels.items():
                if lo <= k <= hi:
                    row[math.floor(k / width) - first] += v
            cells.append([_usd(x) for x in row])
        r = real.get(h.start_ns)
        hours.append(HeatmapHour(ts=iso_ns(h.start_ns), price=_dec(h.price), high=_dec(h.high), low=_dec(h.low),
                                 long_usd=cells[0], short_usd=cells[1], realized_long_usd=r[0] if r else None,
                                 realized_short_usd=r[1] if r else None))
    step = _width_dec(width)
    return LevelsHeatmap(asset=inputs.asset, start=iso_ns(start), end=iso_ns(end), bucket_usd=step,
                         rows=[(first + i) * step for i in range(n)], hours=hours, realized_source=_source(realized),
                         methodology=c.meta(), coverage=cov, notes=inputs.notes)


def _dec(x: float | None) -> Decimal | None:
    return None if x is None else Decimal(str(x))


def _source(realized: Realized) -> str:
    return {"counted": "the counted relation (liqscope.counted, this methodology)",
            "coinglass": "CoinGlass aggregated liquidation history (reference series; Binance+Bybit+OKX)"}[realized]


def _realized(c: Counted, asset: str, realized: Realized, start: int, end: int) -> dict[int, tuple[Decimal, Decimal]]:
    # Realized liquidations per hour start: (long USD, short USD). Hours the source does not hold are absent.
    if realized not in REALIZED:
        raise ConfigError(f"realized source {realized!r}; valid values: {', '.join(REALIZED)}")
    if realized == "coinglass":
        from liqscope import market

        return {b.ts_start: (b.long_usd, b.short_usd)
                for b in market.reference_buckets(c.catalog, start, end, asset=asset)}
    cs = c.span(max(start, c.start_ns), min(end, c.end_ns)) if (start, end) != (c.start_ns, c.end_ns) else c
    if not cs.coverage.covered:
        return {}
    out: dict[int, list[Decimal]] = {t: [Decimal(0), Decimal(0)] for t in range(start, end, HOUR_NS)}
    with cs.connect(("base_asset", "liquidated_side", "ts_event", "usd")) as con:
        rows = con.execute("SELECT ts_event - ts_event % $h AS hour, liquidated_side, sum(usd) FROM counted "
                           "WHERE upper(base_asset) = $asset GROUP BY ALL", {"h": HOUR_NS, "asset": asset}).fetchall()
    for hour, side, usd in rows:
        if hour in out and side in ("LONG", "SHORT"):
            out[hour][0 if side == "LONG" else 1] += Decimal(usd)
    return {t: (v[0], v[1]) for t, v in out.items()}


# --- the backtest -----------------------------------------------------------------------------------------

class Backtest(msgspec.Struct, kw_only=True):
    """Every hour's prediction by the map (and the naive baseline) against realized liquidations, with the
    scale calibrated on [start, calibrate_end) and the scores on each period (docs/levels.md)."""

    asset: str
    start: str
    end: str
    calibrate_end: str
    realized_source: str
    scale_map: float | None
    scale_baseline: float | None
    calibration: dict[str, Score]
    out_of_sample: dict[str, Score]
    hours: list[BacktestHour]
    methodology: dict[str, object]
    coverage: MapCoverage
    notes: list[str]


def backtest_levels(c: Counted, asset: str, *, realized: Realized = "counted",
                    calibrate_end_ns: int | None = None) -> Backtest:
    """Score the map hour by hour over ``c``'s window.

    For every hour, the map is the book built from data strictly before the hour; its prediction is what the
    hour's actual low (longs) and high (shorts) would have liquidated. The baseline is OI at the hour's start
    times the hour's adverse move. Hours before the book has ``history_hours`` of history are listed but not
    scored. A scale (realized / predicted, ratio of sums) is fitted on [start, calibrate_end) and applied to
    the scores of [calibrate_end, end) (default: the middle of the window, on an hour).

    Raises:
        ConfigError: ``calibrate_end`` is outside the window, or the lake holds no prices / OI for the asset.
    """
    rules = c.methodology.levels
    start, end = _hour_floor(c.start_ns), _hour_floor(c.end_ns - 1) + HOUR_NS
    split = _hour_floor(calibrate_end_ns) if calibrate_end_ns is not None else _hour_floor((start + end) // 2)
    if not start < split < end:
        raise ConfigError(f"calibrate_end {iso_ns(split)} must lie strictly inside {iso_ns(start)} .. {iso_ns(end)}")
    begin = start - rules.history_hours * HOUR_NS
    inputs = read_inputs(c.catalog, asset, begin - HOUR_NS, end)
    book_born: list[int] = []

    def born(t: int, book: Book | None, h: Hour) -> None:
        if book is not None and not book_born:
            book_born.append(t)

    _, steps = run(inputs, rules, begin, end, on_hour=born)
    if not book_born:
        raise ConfigError(_missing(inputs, begin, end))
    warm_from = book_born[0] + rules.history_hours * HOUR_NS
    real = _realized(c, inputs.asset, realized, start, end)
    hours = [BacktestHour.of(s, real.get(s.start_ns), warm=s.start_ns >= warm_from)
             for s in steps if s.start_ns >= start]
    cal, oos, k_map, k_base = score(hours, split)
    notes = list(inputs.notes)
    if warm_from > start:
        notes.append(f"hours before {iso_ns(warm_from)} are not scored: the map had less than "
                     f"{rules.history_hours} h of history")
    return Backtest(asset=inputs.asset, start=iso_ns(start), end=iso_ns(end), calibrate_end=iso_ns(split),
                    realized_source=_source(realized), scale_map=k_map, scale_baseline=k_base, calibration=cal,
                    out_of_sample=oos, hours=hours, methodology=c.meta(),
                    coverage=MapCoverage(oi_series=inputs.oi_series, price_series=inputs.price_series, oi_usd=None),
                    notes=notes)
