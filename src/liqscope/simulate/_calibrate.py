# Calibration of the simulator on the real recordings bundled in liqscope/demo_data (see PROVENANCE.md):
# the two complete Binance USD-M `!forceOrder@arr` sessions (2024-08-17 and 2025-12-27/28; the ">10k"
# file is filtered, so it is left out). Those recordings are themselves sampled (1 per symbol per
# second), so every figure here describes the observed stream: a floor for rates, and sizes biased
# towards whatever Binance happened to keep.
from __future__ import annotations

import functools
import gzip
import itertools
import math
import statistics
from collections import Counter, defaultdict
from importlib.resources import files

import msgspec

from liqscope._hawkes import fit_sessions

RECORDINGS = (
    "binance_usdm_bandsthobaby_2024-08-17_all.frames.jsonl.gz",
    "binance_usdm_riftfern_2025-12-27_to_28_all.frames.jsonl.gz",
)
_SESSION_GAP_S = 600.0   # a recorder pause longer than this starts a new session
TAIL_SHARE = 0.10        # the Pareto tail covers the largest 10 % of sizes


class Symbol(msgspec.Struct, frozen=True, kw_only=True):
    """One USD-M symbol seen in the recordings: its typical price and the decimals Binance used."""

    symbol: str
    price: float            # median average fill price
    price_decimals: int     # most decimals seen in p / ap
    qty_decimals: int       # most decimals seen in z
    weight: int             # liquidations observed


class SizeModel(msgspec.Struct, frozen=True, kw_only=True):
    """USD notional per liquidation: log-normal body below ``threshold``, Pareto tail above it."""

    log_mu: float
    log_sigma: float
    threshold: float        # the (1 - TAIL_SHARE) quantile
    tail_alpha: float       # Hill estimate over the tail
    tail_share: float
    cap: float              # no single liquidation above this (the largest seen on 2025-10-10 was ~$203M)


class Calibration(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the simulator takes from real data, with where it came from."""

    sources: tuple[str, ...]
    events: int
    long_share: float       # share of liquidations that closed a LONG
    hawkes_mu: float        # immigrant rate, 1/s
    hawkes_n: float         # branching ratio
    hawkes_beta: float      # kernel decay, 1/s
    sizes: SizeModel
    symbols: tuple[Symbol, ...]


class _Order(msgspec.Struct):
    s: str
    S: str
    p: str
    ap: str
    z: str
    T: int


class _Frame(msgspec.Struct):
    o: _Order


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def _recordings() -> list[list[_Order]]:
    decode = msgspec.json.Decoder(_Frame).decode
    out = []
    for name in RECORDINGS:
        data = gzip.decompress(files("liqscope.demo_data").joinpath(name).read_bytes())
        out.append([decode(line).o for line in data.splitlines() if line.strip()])
    return out


def _sessions(times_ms: list[list[int]]) -> list[list[float]]:
    sessions: list[list[float]] = []
    for recording in times_ms:
        ts = sorted(t / 1000 for t in recording)
        sessions.append([ts[0]])
        for a, b in itertools.pairwise(ts):
            if b - a > _SESSION_GAP_S:
                sessions.append([b])
            else:
                sessions[-1].append(b)
    return sessions


def size_model(usd: list[float]) -> SizeModel:
    """Fit the body (log-normal, all sizes) and the tail (Hill estimator over the top ``TAIL_SHARE``)."""
    usd = sorted(usd)
    k = max(2, int(len(usd) * TAIL_SHARE))
    threshold = usd[-k - 1]
    alpha = k / sum(math.log(u / threshold) for u in usd[-k:])
    logs = [math.log(u) for u in usd]
    return SizeModel(log_mu=statistics.fmean(logs), log_sigma=statistics.stdev(logs), threshold=threshold,
                     tail_alpha=alpha, tail_share=TAIL_SHARE, cap=250_000_000.0)


@functools.cache
def calibration() -> Calibration:
    """Fit the simulator to the bundled recordings (deterministic; computed once per process)."""
    recordings = _recordings()
    orders = [o for recording in recordings for o in recording]
    by_symbol: dict[str, list[_Order]] = defaultdict(list)
    for o in orders:
        by_symbol[o.s].append(o)
    counts = Counter(o.s for o in orders)
    symbols = tuple(
        Symbol(symbol=s, price=statistics.median(float(o.ap) for o in rows),
               price_decimals=max(max(_decimals(o.p), _decimals(o.ap)) for o in rows),
               qty_decimals=max(_decimals(o.z) for o in rows), weight=counts[s])
        for s, rows in sorted(by_symbol.items())
    )
    # Sessions never span two recordings.
    fit = fit_sessions(_sessions([[o.T for o in recording] for recording in recordings]))
    mu, n, beta = fit.mu, fit.branching_ratio, fit.beta
    if mu is None or n is None or beta is None:
        raise ValueError("the bundled recordings gave no Hawkes fit (too few liquidations)")
    return Calibration(
        sources=RECORDINGS,
        events=len(orders),
        long_share=sum(o.S == "SELL" for o in orders) / len(orders),
        hawkes_mu=mu, hawkes_n=n, hawkes_beta=beta,
        sizes=size_model([float(o.z) * float(o.ap) for o in orders]),
        symbols=symbols,
    )
