# A SIMULATED complete liquidation feed, for calibrating and testing the throttle-aware estimate only.
#
# liqscope has no real complete feed long enough (the bundled Bybit and Hyperliquid samples hold a
# handful of liquidations), so the estimate is calibrated on this simulator and says so. Arrivals per
# market are a self-exciting (Hawkes) process in its cluster form: background liquidations, each of
# which triggers Poisson(branching) more after Exp(decay) seconds, recursively; market-wide shocks add
# bursts across all markets at once. Sizes and market weights are passed in: the tests and the bench
# resample the notional sizes and per-symbol counts of a real Binance recording. The default
# branching/decay make 33 % of occupied seconds hold two or more liquidations, close to the one
# published complete-tape figure we have (Bybit 32.3 %, min66633/liquidation-cascade-research).
from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence

from liqscope.metrics.estimate import FeedEvent

_NS = 1_000_000_000


def _poisson(rng: random.Random, lam: float) -> int:
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p < limit:
                return k
            k += 1
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))  # normal approximation for large means


def simulate_complete_feed(seed: int, hours: float, sizes: Sequence[float], weights: Mapping[str, float], *,
                           start_ns: int = 1_735_689_600 * _NS, background_per_hour: float = 600.0,
                           branching: float = 0.55, decay_per_second: float = 1.0, shocks_per_hour: float = 2.0,
                           shock_mean: float = 400.0, shock_spread_seconds: float = 20.0) -> list[FeedEvent]:
    """Every liquidation of a simulated feed, time-ordered: (market, ts_event ns, notional USD)."""
    rng = random.Random(seed)
    markets, w = list(weights), list(weights.values())
    span = hours * 3_600.0
    roots: list[tuple[str, float]] = []
    for _ in range(_poisson(rng, background_per_hour * hours)):
        roots.append((rng.choices(markets, w)[0], rng.uniform(0, span)))
    for _ in range(_poisson(rng, shocks_per_hour * hours)):
        t0, size = rng.uniform(0, span), rng.expovariate(1 / shock_mean)
        for _ in range(_poisson(rng, size)):
            t = t0 + rng.expovariate(1 / shock_spread_seconds)
            if t < span:
                roots.append((rng.choices(markets, w)[0], t))
    events: list[tuple[str, float]] = []
    stack = list(roots)
    while stack:
        market, t = stack.pop()
        events.append((market, t))
        for _ in range(_poisson(rng, branching)):
            child = t + rng.expovariate(decay_per_second)
            if child < span:
                stack.append((market, child))
    events.sort(key=lambda e: e[1])
    return [(m, start_ns + int(t * _NS), rng.choice(sizes)) for m, t in events]
