# A self-exciting (Hawkes) point process with an exponential kernel: the simulator's cluster sampler.
# (The one fitter is liqscope._hawkes.fit_sessions; calibration uses it.)
#
# Intensity λ(t) = μ + Σ_{t_i < t} α·e^{-β (t - t_i)}; branching ratio n = α/β (< 1), mean rate μ/(1-n).
# Simulation uses the cluster (branching) representation, which is exact: immigrants arrive as a
# Poisson(μ) process and every event begets Poisson(n) children at Exp(β) delays. Each event keeps
# its parent's index, so marks (side, asset) can be inherited along a cascade.
from __future__ import annotations

import math
import random


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means (n < 1) a branching ratio gives.
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def simulate(rng: random.Random, mu: float, n: float, beta: float, horizon: float) -> list[tuple[float, int]]:
    """Event times in [0, horizon) seconds, sorted, each with its parent's index (-1 for an immigrant)."""
    if not (mu > 0 and 0 <= n < 1 and beta > 0 and horizon > 0):
        raise ValueError(f"need mu > 0, 0 <= n < 1, beta > 0, horizon > 0; got {mu}, {n}, {beta}, {horizon}")
    times: list[float] = []
    parents: list[int] = []
    t = rng.expovariate(mu)
    while t < horizon:
        times.append(t)
        parents.append(-1)
        t += rng.expovariate(mu)
    i = 0
    while i < len(times):  # breadth-first over generations: children are appended as they are born
        for _ in range(_poisson(rng, n)):
            child = times[i] + rng.expovariate(beta)
            if child < horizon:
                times.append(child)
                parents.append(i)
        i += 1
    order = sorted(range(len(times)), key=times.__getitem__)
    rank = {old: new for new, old in enumerate(order)}
    return [(times[old], rank[parents[old]] if parents[old] >= 0 else -1) for old in order]
