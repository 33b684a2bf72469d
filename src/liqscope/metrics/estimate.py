"""Throttle-aware estimate for sampled feeds: the model, its interval, calibration and sampling.

The model (written down in docs/methodology.md, computed in SQL by ``methodology.compile``; the
functions here are its plain-Python reference, used to calibrate and to test):

1. A sampled venue (Binance: the latest liquidation per symbol per 1000 ms) reveals, per market,
   which one-second windows held at least one liquidation, and one liquidation from each.
2. For an occupied window, let ``p`` be the share of the ``2K`` neighbouring windows (K on each side)
   that are occupied. A locally constant Poisson rate ``lam = -ln(1 - p)`` per window would put
   ``g = lam / (1 - exp(-lam)) - 1`` more liquidations in an occupied window than the one we see.
3. Real arrivals cluster more than Poisson, so the expected hidden count is ``base + slope * g``, with
   ``base`` and ``slope`` fitted on a complete feed sampled the same way.
4. Hidden liquidations are valued at the mean observed notional of the neighbouring windows; their
   variance is ``dispersion * hidden count * mean squared notional`` (compound Poisson, scaled).
5. The interval is the ``level`` interval of a log-normal with the hidden sum's mean and variance,
   added to the observed floor (the truth can never be below the floor).
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

import msgspec

from liqscope.methodology.spec import Estimation

__all__ = ["CoverageResult", "Estimate", "EstimateCalibration", "FeedEvent", "calibrate", "hidden_by_window",
           "interval", "measure_coverage", "sample_like_binance"]

FeedEvent = tuple[str, int, float]  # (market, ts_event ns, notional USD): a complete or sampled feed
_NS = 1_000_000_000
_CENT = Decimal("0.01")


class Estimate(msgspec.Struct, kw_only=True):
    """The observed floor, the throttle-adjusted estimate and its interval, for the sampled venues."""

    floor_usd: Decimal
    estimate_usd: Decimal
    low_usd: Decimal
    high_usd: Decimal
    level: Decimal
    sampled_venues: list[str]
    model: str


def interval(floor: Decimal, hidden: Decimal, variance: float, level: Decimal) -> tuple[Decimal, Decimal]:
    """The ``level`` interval of the true total, given the floor and the hidden sum's mean and variance.

    The hidden sum is taken as log-normal with that mean and variance; the interval is added to the
    floor and rounded outward to cents.
    """
    if hidden <= 0:
        return floor, floor
    lo, hi = _lognormal(float(hidden), variance, float(level))
    return (floor + Decimal(repr(lo))).quantize(_CENT, "ROUND_FLOOR"), \
        (floor + Decimal(repr(hi))).quantize(_CENT, "ROUND_CEILING")


def _lognormal(mean: float, variance: float, level: float) -> tuple[float, float]:
    z = statistics.NormalDist().inv_cdf((1 + level) / 2)
    s2 = math.log1p(max(variance, 0.0) / (mean * mean))
    mu, s = math.log(mean) - s2 / 2, math.sqrt(s2)
    return math.exp(mu - z * s), math.exp(mu + z * s)


def sample_like_binance(feed: Iterable[FeedEvent], window_ns: int = _NS) -> list[FeedEvent]:
    """Keep what Binance would push: the latest liquidation per market per ``window_ns`` window.

    Ties on time keep the later one in feed order, as the venue keeps the last order it processed.
    """
    last: dict[tuple[str, int], FeedEvent] = {}
    for market, ts, usd in feed:
        key = (market, ts // window_ns)
        if key not in last or ts >= last[key][1]:
            last[key] = (market, ts, usd)
    return sorted(last.values(), key=lambda e: (e[1], e[0]))


def _windows(observed: Iterable[FeedEvent]) -> dict[str, list[tuple[int, int, float, float]]]:
    occ: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for market, ts, usd in observed:
        row = occ[(market, ts // _NS)]
        row[0] += 1
        row[1] += usd
        row[2] += usd * usd
    by_market: dict[str, list[tuple[int, int, float, float]]] = defaultdict(list)
    for (market, second), (n, s, s2) in sorted(occ.items()):
        by_market[market].append((second, int(n), s, s2))
    return by_market


def _excess(neighbours: int, k: int) -> float:
    p = min(neighbours / (2 * k), 1 - 1 / (4 * k))
    lam = -math.log(1 - p)
    return lam / (1 - math.exp(-lam)) - 1 if lam > 0 else 0.0


def _features(observed: Iterable[FeedEvent], k: int) -> dict[tuple[str, int], tuple[float, float, float]]:
    # (market, second) -> (g, mean notional, mean squared notional) over the neighbourhood.
    out = {}
    for market, rows in _windows(observed).items():
        seconds = [r[0] for r in rows]
        cum = [(0, 0.0, 0.0)]
        for _, n, s, s2 in rows:
            c = cum[-1]
            cum.append((c[0] + n, c[1] + s, c[2] + s2))
        for second, *_ in rows:
            lo, hi = bisect.bisect_left(seconds, second - k), bisect.bisect_right(seconds, second + k)
            n = cum[hi][0] - cum[lo][0]
            out[(market, second)] = (_excess(hi - lo - 1, k), (cum[hi][1] - cum[lo][1]) / n,
                                     (cum[hi][2] - cum[lo][2]) / n)
    return out


def hidden_by_window(observed: Iterable[FeedEvent], e: Estimation) -> dict[tuple[str, int], tuple[float, float]]:
    """The model's hidden notional and its variance per occupied (market, second) of a sampled feed."""
    base, slope, dispersion = float(e.base), float(e.slope), float(e.dispersion)
    out = {}
    for key, (g, mean, mean2) in _features(observed, e.neighbourhood_seconds).items():
        n = base + slope * g
        out[key] = (n * mean, dispersion * n * mean2)
    return out


class CoverageResult(msgspec.Struct, kw_only=True):
    """How often the interval held the truth over fixed blocks of a complete feed."""

    blocks: int
    covered: int
    rate: float
    mean_estimate_over_truth: float
    mean_floor_over_truth: float


def _blocks(complete: Sequence[FeedEvent], e: Estimation, block_seconds: int,
            features: dict[tuple[str, int], tuple[float, float, float]] | None = None,
            observed: Sequence[FeedEvent] | None = None) -> list[tuple[float, float, float, float]]:
    # Per block: (floor, hidden, variance, truth). Features may be passed in when already computed.
    observed = sample_like_binance(complete) if observed is None else observed
    feats = _features(observed, e.neighbourhood_seconds) if features is None else features
    base, slope, dispersion = float(e.base), float(e.slope), float(e.dispersion)
    per: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for market, ts, usd in observed:
        row = per[ts // _NS // block_seconds]
        g, mean, mean2 = feats[(market, ts // _NS)]
        n = base + slope * g
        row[0] += usd
        row[1] += n * mean   # one observation per occupied window: the sampled feed's shape
        row[2] += dispersion * n * mean2
    for _, ts, usd in complete:
        per[ts // _NS // block_seconds][3] += usd
    return [(r[0], r[1], r[2], r[3]) for _, r in sorted(per.items())]


def _covered(blocks: Sequence[tuple[float, float, float, float]], level: float, dispersion_scale: float) -> int:
    ok = 0
    for floor, hidden, var, truth in blocks:
        if hidden <= 0:
            ok += truth == floor
            continue
        lo, hi = _lognormal(hidden, var * dispersion_scale, level)
        ok += floor + lo <= truth <= floor + hi
    return ok


def measure_coverage(complete: Sequence[FeedEvent], e: Estimation, block_seconds: int = 3_600) -> CoverageResult:
    """Sample a complete feed as Binance does, estimate back per block, and count the blocks whose
    interval held the true total."""
    return _coverage(_blocks(complete, e, block_seconds), e.level)


def _coverage(blocks: Sequence[tuple[float, float, float, float]], level: Decimal) -> CoverageResult:
    covered = _covered(blocks, float(level), 1.0)
    return CoverageResult(blocks=len(blocks), covered=covered, rate=covered / len(blocks),
                          mean_estimate_over_truth=statistics.fmean((f + h) / t for f, h, _, t in blocks),
                          mean_floor_over_truth=statistics.fmean(f / t for f, _, _, t in blocks))


class EstimateCalibration(msgspec.Struct, kw_only=True):
    """Fitted estimation constants and how they did on the feed they were fitted on."""

    base: Decimal
    slope: Decimal
    dispersion: Decimal
    occupied_windows: int
    coverage: CoverageResult


def calibrate(complete: Sequence[FeedEvent], *, neighbourhood_seconds: int = 5, level: Decimal = Decimal("0.9"),
              block_seconds: int = 3_600) -> EstimateCalibration:
    """Fit ``base``, ``slope`` and ``dispersion`` on a complete feed (every liquidation, e.g. Bybit
    ``allLiquidation`` or Hyperliquid fills) sampled the way Binance samples.

    ``base`` and ``slope`` are the least-squares line of the hidden count per occupied window on ``g``;
    ``dispersion`` is the smallest (to 2 decimals) that makes the ``level`` interval hold the true total
    in at least ``level`` of the ``block_seconds`` blocks.
    """
    truth: dict[tuple[str, int], int] = defaultdict(int)
    for market, ts, _ in complete:
        truth[(market, ts // _NS)] += 1
    observed = sample_like_binance(complete)
    feats = _features(observed, neighbourhood_seconds)
    xs = [feats[k][0] for k in truth]
    ys = [truth[k] - 1 for k in truth]
    slope, base = statistics.linear_regression(xs, ys)
    if slope < 0:
        slope, base = 0.0, statistics.fmean(ys)
    e = Estimation(mode="throttle_adjusted", level=level, neighbourhood_seconds=neighbourhood_seconds,
                   base=_round(max(base, 0.0), "ROUND_HALF_EVEN"), slope=_round(slope, "ROUND_HALF_EVEN"),
                   dispersion=Decimal(1))
    blocks = _blocks(complete, e, block_seconds, feats, observed)
    lo, hi = 0.01, 1_000.0
    for _ in range(60):  # bisection on a log scale: coverage grows with the dispersion
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if _covered(blocks, float(level), mid) >= float(level) * len(blocks) else (mid, hi)
    dispersion = _round(hi, "ROUND_CEILING")
    final = [(f, h, v * float(dispersion), t) for f, h, v, t in blocks]
    return EstimateCalibration(base=e.base, slope=e.slope, dispersion=dispersion, occupied_windows=len(truth),
                       coverage=_coverage(final, level))


def _round(x: float, mode: str) -> Decimal:
    return Decimal(repr(x)).quantize(_CENT, mode)
