"""Self-excitation of liquidations: the Hawkes fit (``liqscope._hawkes``) over a counted relation."""

from __future__ import annotations

import math
from decimal import Decimal

from liqscope._hawkes import HawkesFit, fit_hawkes, ks_pvalue, simulate_hawkes
from liqscope._time import iso_ns
from liqscope.metrics._counted import Counted

__all__ = ["HawkesFit", "fit_hawkes", "hawkes", "ks_pvalue", "simulate_hawkes"]


def hawkes(c: Counted, *, marked: bool = False) -> HawkesFit:
    """Fit the Hawkes model to the counted liquidations' times (the observed ones: an estimate adds
    notional, not event times).

    With ``marked``, each event's mark is log(1 + usd / median usd), at the observed notional, rescaled
    to mean 1.
    """
    with c.connect(("ts_event", "event_id", "usd_floor")) as con:
        rows = con.execute("SELECT ts_event, usd_floor FROM counted ORDER BY ts_event, event_id").fetchall()
    start_ns, end_ns = c.start_ns, c.end_ns
    times = [(t - start_ns) / 1e9 for t, _ in rows]
    marks = None
    if marked and rows:
        usd = sorted(Decimal(u) for _, u in rows)
        median = usd[len(usd) // 2] or Decimal(1)
        marks = [math.log1p(float(Decimal(u) / median)) for _, u in rows]
    fit = fit_hawkes(times, (end_ns - start_ns) / 1e9, marks)
    fit.window = {"start": iso_ns(start_ns), "end": iso_ns(end_ns)}
    ties = len(times) - len(set(times))
    if ties:
        fit.notes.append(f"{ties} events share a timestamp with another (ms resolution, sampled feeds): the KS "
                         "test is sensitive to such ties")
    fit.notes.append("a window that spans recorder gaps biases n: fit within one continuous recording")
    return fit
