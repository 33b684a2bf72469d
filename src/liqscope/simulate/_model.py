# The "true" liquidations a venue would have had: Hawkes arrival times, a market per event, the side
# of the liquidated position, a heavy-tailed USD size and a price on the venue's own tick grid.
# Everything is drawn from one seeded random.Random, so a seed reproduces a run exactly.
from __future__ import annotations

import bisect
import itertools
import math
import random
import statistics
from decimal import Decimal
from importlib.resources import files

import msgspec

from liqscope.events import mul
from liqscope.simulate import _hawkes
from liqscope.simulate._calibrate import Calibration, SizeModel

_NORMAL = statistics.NormalDist()


class Params(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a simulation draws from. ``None`` fields take the calibrated value.

    Attributes:
        rate: Mean liquidations per second on the venue (true stream, before sampling).
        branching: Hawkes branching ratio n in [0, 1): the share of liquidations triggered by others.
        decay: Hawkes kernel decay beta, 1/s (a child follows its parent after Exp(beta) seconds).
        long_share: Probability that a cascade starts by liquidating LONG positions.
        side_persistence: Probability that a triggered liquidation closes the same side as its parent.
        market_persistence: Probability that a triggered liquidation is in its parent's market.
    """

    rate: float | None = None
    branching: float | None = None
    decay: float | None = None
    long_share: float | None = None
    side_persistence: float = 0.9
    market_persistence: float = 0.5

    def resolved(self, cal: Calibration) -> Params:
        n = cal.hawkes_n if self.branching is None else self.branching
        rate = cal.hawkes_mu / (1 - cal.hawkes_n) if self.rate is None else self.rate
        out = Params(rate=rate, branching=n, decay=cal.hawkes_beta if self.decay is None else self.decay,
                     long_share=cal.long_share if self.long_share is None else self.long_share,
                     side_persistence=self.side_persistence, market_persistence=self.market_persistence)
        for name, value, lo, hi in (("rate", out.rate, 0.0, math.inf), ("branching", out.branching, 0.0, 1.0),
                                    ("decay", out.decay, 0.0, math.inf)):
            if not (lo < value < hi or (name == "branching" and value == 0.0)):  # type: ignore[operator]  # set above
                raise ValueError(f"{name} must be in ({lo}, {hi}), got {value}")
        for name in ("long_share", "side_persistence", "market_persistence"):
            if not 0.0 <= getattr(out, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(out, name)}")
        return out


class Market(msgspec.Struct, frozen=True, kw_only=True):
    """A market on the simulated venue, priced and sized like its calibration source."""

    name: str
    price: float
    price_decimals: int
    qty_decimals: int
    weight: int
    contract_size: Decimal | None = None  # venue units per contract (OKX ctVal, COIN-M face value)
    inverse: bool = False                  # contract_size is USD: notional = qty x contract_size


class Truth(msgspec.Struct, kw_only=True):
    """One true liquidation, before the venue's sampling. ``line`` is the output line carrying it."""

    seq: int
    ts_event: int            # ns UTC
    market: str
    side: str                # LONG / SHORT: the liquidated position
    price: str               # the price the venue's parser values it at (fill, or bankruptcy)
    order_price: str         # bankruptcy-side order price
    quantity: str            # in the venue's unit (base, or contracts)
    notional_usd: Decimal    # exactly what the venue's parser computes from the frame
    cascade: int             # seq of the immigrant that started its cascade
    observed: bool = True
    line: int | None = None


def draw_usd(rng: random.Random, m: SizeModel) -> float:
    """One USD size: log-normal body below the threshold, Pareto tail above it, capped."""
    if rng.random() >= m.tail_share:
        # Inverse CDF of the log-normal restricted to (0, threshold].
        top = _NORMAL.cdf((math.log(m.threshold) - m.log_mu) / m.log_sigma)
        u = max(rng.random() * top, 1e-12)
        return math.exp(m.log_mu + m.log_sigma * _NORMAL.inv_cdf(u))
    while True:
        usd = m.threshold * (1.0 - rng.random()) ** (-1.0 / m.tail_alpha)
        if usd <= m.cap:
            return usd


def _fmt(x: float, decimals: int) -> str:
    return f"{x:.{decimals}f}"


def _quantity(usd: float, price: float, market: Market) -> str:
    unit = float(market.contract_size or 1) * (1.0 if market.inverse else price)
    step = 10.0 ** -market.qty_decimals
    qty = max(step, round(usd / unit / step) * step)
    return _fmt(qty, market.qty_decimals)


def notional(market: Market, quantity: str, price: str) -> Decimal:
    """USD notional exactly as the venue parsers compute it."""
    q = Decimal(quantity)
    if market.contract_size is None:
        return mul(q, Decimal(price))
    if market.inverse:
        return mul(q, market.contract_size)
    return mul(q, market.contract_size, Decimal(price))


def truths(rng: random.Random, markets: list[Market], params: Params, sizes: SizeModel, start_ns: int,
           seconds: float) -> list[Truth]:
    """Draw the true liquidations of ``seconds`` starting at ``start_ns``, in time order."""
    assert params.rate is not None and params.branching is not None and params.decay is not None
    arrivals = _hawkes.simulate(rng, params.rate * (1 - params.branching), params.branching, params.decay, seconds)
    cumulative = list(itertools.accumulate(m.weight for m in markets))
    level = {m.name: m.price for m in markets}
    index = {m.name: i for i, m in enumerate(markets)}
    out: list[Truth] = []
    for seq, (t, parent) in enumerate(arrivals):
        if parent < 0:
            side = "LONG" if rng.random() < params.long_share else "SHORT"  # type: ignore[operator]  # resolved Params
            cascade = seq
        else:
            side = out[parent].side if rng.random() < params.side_persistence else (
                "LONG" if rng.random() < params.long_share else "SHORT")  # type: ignore[operator]  # resolved Params
            cascade = out[parent].cascade
        if parent >= 0 and rng.random() < params.market_persistence:
            market = markets[index[out[parent].market]]
        else:
            market = markets[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]
        # Each liquidation nudges its market against the liquidated side (longs are sold into the book).
        impact = -0.0002 if side == "LONG" else 0.0002
        level[market.name] *= math.exp(impact + rng.gauss(0.0, 0.0005))
        price = _fmt(level[market.name], market.price_decimals)
        if float(price) <= 0:
            price = _fmt(10.0 ** -market.price_decimals, market.price_decimals)
        slip = rng.uniform(0.002, 0.02)  # the order/bankruptcy price sits beyond the fill
        order_price = _fmt(float(price) * (1 - slip if side == "LONG" else 1 + slip), market.price_decimals)
        if float(order_price) <= 0:
            order_price = price
        quantity = _quantity(draw_usd(rng, sizes), float(price), market)
        out.append(Truth(seq=seq, ts_event=start_ns + int(t * 1e9) // 1_000_000 * 1_000_000, market=market.name,
                         side=side, price=price, order_price=order_price, quantity=quantity,
                         notional_usd=notional(market, quantity, price), cascade=cascade))
    return out


def instruments(package: str) -> dict[str, dict[str, str]]:
    """A venue's bundled instruments.json entries, by instrument key."""
    raw = files(package).joinpath("instruments.json").read_bytes()
    return msgspec.json.decode(raw)["instruments"]
