# A self-exciting (Hawkes) point process with an exponential kernel: simulate and fit.
#
# Intensity λ(t) = μ + Σ_{t_i < t} α·e^{-β (t - t_i)}; branching ratio n = α/β (< 1), mean rate μ/(1-n).
# Simulation uses the cluster (branching) representation, which is exact: immigrants arrive as a
# Poisson(μ) process and every event begets Poisson(n) children at Exp(β) delays. Each event keeps
# its parent's index, so marks (side, asset) can be inherited along a cascade.
from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence


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


def log_likelihood(sessions: Sequence[Sequence[float]], mu: float, n: float, beta: float) -> float:
    """Exact log-likelihood of an exponential Hawkes process over sessions of sorted times (seconds,
    each session starting at its first event and ending at its last)."""
    alpha = n * beta
    total = 0.0
    for times in sessions:
        if len(times) < 2:
            continue
        t0, horizon = times[0], times[-1] - times[0]
        a, prev = 0.0, t0
        for t in times:
            a *= math.exp(-beta * (t - prev))
            total += math.log(mu + alpha * a)
            a += 1.0
            prev = t
        total -= mu * horizon + n * sum(1.0 - math.exp(-beta * (times[-1] - t)) for t in times)
    return total


def fit(sessions: Sequence[Sequence[float]]) -> tuple[float, float, float]:
    """Maximum-likelihood (mu, n, beta) of an exponential Hawkes process (Nelder-Mead on
    log mu, logit n, log beta). Deterministic: same input, same estimate."""
    span = sum(s[-1] - s[0] for s in sessions if len(s) > 1)
    count = sum(len(s) for s in sessions)
    if span <= 0 or count < 10:
        raise ValueError("need at least 10 events over a positive span to fit a Hawkes process")

    def unpack(x: Sequence[float]) -> tuple[float, float, float]:
        return math.exp(x[0]), 1.0 / (1.0 + math.exp(-x[1])), math.exp(x[2])

    def cost(x: Sequence[float]) -> float:
        mu, n, beta = unpack(x)
        if not 1e-9 < n < 0.999 or beta > 1e4:
            return math.inf
        return -log_likelihood(sessions, mu, n, beta)

    start = [math.log(count / span / 2), 0.0, math.log(0.1)]
    return unpack(_nelder_mead(cost, start, step=1.0, iterations=400))


def _nelder_mead(f: Callable[[Sequence[float]], float], x0: list[float], step: float, iterations: int) -> list[float]:
    dim = len(x0)
    simplex = [list(x0)] + [[x0[j] + (step if j == i else 0.0) for j in range(dim)] for i in range(dim)]
    values = [f(x) for x in simplex]
    for _ in range(iterations):
        order = sorted(range(dim + 1), key=values.__getitem__)
        simplex, values = [simplex[i] for i in order], [values[i] for i in order]
        centroid = [sum(x[j] for x in simplex[:-1]) / dim for j in range(dim)]
        worst = simplex[-1]
        reflected = _towards(centroid, worst, -1.0)
        fr = f(reflected)
        if fr < values[0]:
            expanded = _towards(centroid, worst, -2.0)
            fe = f(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            contracted = _towards(centroid, worst, 0.5)
            fc = f(contracted)
            if fc < values[-1]:
                simplex[-1], values[-1] = contracted, fc
            else:  # shrink towards the best point
                best = simplex[0]
                simplex = [best] + [[b + 0.5 * (x - b) for b, x in zip(best, p, strict=True)] for p in simplex[1:]]
                values = [values[0]] + [f(p) for p in simplex[1:]]
    return simplex[min(range(dim + 1), key=values.__getitem__)]


def _towards(centroid: list[float], point: list[float], coef: float) -> list[float]:
    return [c + coef * (p - c) for c, p in zip(centroid, point, strict=True)]
