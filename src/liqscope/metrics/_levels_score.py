# Scores of the levels backtest: Spearman rank correlation and mean absolute error of the map and of the naive
# baseline against realized liquidations, each with a scale calibrated on an earlier period (docs/levels.md).
from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

import msgspec

from liqscope._time import iso_ns

if TYPE_CHECKING:
    from liqscope.metrics._levels_model import Step


def _usd(x: float | None) -> Decimal | None:
    return None if x is None else Decimal(round(x))


class BacktestHour(msgspec.Struct, kw_only=True):
    """One hour: the map's raw prediction (before calibration), the baseline's, and what was liquidated."""

    ts: str
    predicted_long_usd: Decimal | None
    predicted_short_usd: Decimal | None
    baseline_long_usd: Decimal | None
    baseline_short_usd: Decimal | None
    realized_long_usd: Decimal | None
    realized_short_usd: Decimal | None
    oi_usd: Decimal | None
    warm: bool
    start_ns: int = msgspec.field(default=0, name="ts_ns")

    @classmethod
    def of(cls, s: Step, real: tuple[Decimal, Decimal] | None, *, warm: bool) -> BacktestHour:
        return cls(ts=iso_ns(s.start_ns), start_ns=s.start_ns, predicted_long_usd=_usd(s.predicted_long),
                   predicted_short_usd=_usd(s.predicted_short), baseline_long_usd=_usd(s.baseline_long),
                   baseline_short_usd=_usd(s.baseline_short), realized_long_usd=real[0] if real else None,
                   realized_short_usd=real[1] if real else None, oi_usd=_usd(s.oi_usd), warm=warm)

    def scored(self) -> bool:
        return self.warm and None not in (self.predicted_long_usd, self.predicted_short_usd, self.baseline_long_usd,
                                          self.baseline_short_usd, self.realized_long_usd, self.realized_short_usd)


class Score(msgspec.Struct, kw_only=True):
    """One predictor over one period. ``spearman_*``: rank correlation with realized USD per hour (total, longs,
    shorts). ``mae_usd``: mean absolute error per hour of the calibrated total; ``mae_constant_usd``: the same
    for a constant equal to the calibration period's mean hourly total (the bar any predictor should clear)."""

    start: str
    end: str
    hours: int
    scale: float | None
    spearman_total: float | None
    spearman_long: float | None
    spearman_short: float | None
    mae_usd: float | None
    mae_constant_usd: float | None
    predicted_total_usd: float | None
    realized_total_usd: float


def _ranks(xs: Sequence[float]) -> list[float]:
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1   # ties share their average rank
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rank correlation (Pearson on average ranks); None if fewer than 3 points or no variation."""
    if len(xs) != len(ys) or len(xs) < 3:
        return None
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx, syy = sum((a - mx) ** 2 for a in rx), sum((b - my) ** 2 for b in ry)
    return None if sxx == 0 or syy == 0 else sxy / math.sqrt(sxx * syy)


def _f(d: Decimal | None) -> float:
    return float(d) if d is not None else 0.0


def _period(hours: list[BacktestHour], which: str, scale: float | None, constant: float | None) -> Score:
    pl = [_f(getattr(h, f"{which}_long_usd")) for h in hours]
    ps = [_f(getattr(h, f"{which}_short_usd")) for h in hours]
    rl, rs = [_f(h.realized_long_usd) for h in hours], [_f(h.realized_short_usd) for h in hours]
    pt = [a + b for a, b in zip(pl, ps, strict=True)]
    rt = [a + b for a, b in zip(rl, rs, strict=True)]
    n = len(hours)
    mae = sum(abs(scale * p - r) for p, r in zip(pt, rt, strict=True)) / n if n and scale is not None else None
    mae_c = sum(abs(constant - r) for r in rt) / n if n and constant is not None else None
    return Score(start=hours[0].ts if hours else "", end=hours[-1].ts if hours else "", hours=n, scale=scale,
                 spearman_total=_round(spearman(pt, rt)), spearman_long=_round(spearman(pl, rl)),
                 spearman_short=_round(spearman(ps, rs)), mae_usd=_round(mae, 0), mae_constant_usd=_round(mae_c, 0),
                 predicted_total_usd=_round(scale * sum(pt), 0) if scale is not None else None,
                 realized_total_usd=round(sum(rt)))


def _round(x: float | None, places: int = 4) -> float | None:
    return None if x is None else round(x, places)


def _scale(hours: list[BacktestHour], which: str) -> float | None:
    p = sum(_f(getattr(h, f"{which}_long_usd")) + _f(getattr(h, f"{which}_short_usd")) for h in hours)
    r = sum(_f(h.realized_long_usd) + _f(h.realized_short_usd) for h in hours)
    return r / p if p > 0 else None


def score(hours: list[BacktestHour], split_ns: int) -> tuple[dict[str, Score], dict[str, Score], float | None,
                                                             float | None]:
    """Scores of the map and the baseline on [.., split) (calibration) and [split, ..) (out of sample)."""
    used = [h for h in hours if h.scored()]
    cal = [h for h in used if h.start_ns < split_ns]
    oos = [h for h in used if h.start_ns >= split_ns]
    k_map, k_base = _scale(cal, "predicted"), _scale(cal, "baseline")
    constant = (sum(_f(h.realized_long_usd) + _f(h.realized_short_usd) for h in cal) / len(cal)) if cal else None
    return ({"map": _period(cal, "predicted", k_map, constant), "baseline": _period(cal, "baseline", k_base, constant)},
            {"map": _period(oos, "predicted", k_map, constant), "baseline": _period(oos, "baseline", k_base, constant)},
            _round(k_map, 8), _round(k_base, 8))
