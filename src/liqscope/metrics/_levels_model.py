# The estimated liquidation map's engine (docs/levels.md): hourly inputs read from the lake, and a book of
# liquidation levels per venue that is stepped one hour at a time. It reads only what lies before the hour it
# is asked about: `Inputs.hour(t)` gives the state known at t and the path of [t, t + 1 h), nothing later.
#
# Arithmetic is float64: the map is an estimate, and its USD figures are rounded to whole dollars at the
# boundary (exact decimals would only dress an estimate up as a measurement).
from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from liqscope import market
from liqscope.methodology import Levels
from liqscope.store import Catalog

HOUR_NS = 3_600_000_000_000
_OI_STALE_NS = 6 * HOUR_NS      # an OI reading older than this at an hour boundary is not carried forward


def nice_step(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is >= x (a readable bucket width)."""
    if x <= 0:
        raise ValueError("a bucket width must be > 0")
    k = math.floor(math.log10(x))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * 10**k >= x * (1 - 1e-12):
            return float(m * 10**k)
    return float(10.0 ** (k + 1))


@dataclass(frozen=True)
class Hour:
    """What is known at ``start_ns`` and the price path of [start_ns, start_ns + 1 h)."""

    start_ns: int
    price: float | None              # the last price at or before start_ns
    high: float | None               # the path of the hour (None: no price observed in it)
    low: float | None
    close: float | None              # the last price at or before the hour's end
    oi_start: dict[str, float]       # venue -> OI USD known at start_ns
    oi_end: dict[str, float]         # venue -> OI USD known at the hour's end


@dataclass
class Inputs:
    """The hourly series of one asset, read once from the lake over [first, last)."""

    asset: str
    price_series: str                # "venue:market" of the prices used
    oi_series: list[str]             # "venue:market" of each OI series summed per venue
    closes: list[tuple[int, float]]  # (ts, price): a close or a single observation, time order
    highs: list[tuple[int, float]]   # (ts, high of the period ending at ts)
    lows: list[tuple[int, float]]
    oi: dict[str, list[tuple[int, float]]]   # venue -> (ts, OI USD summed over its markets)
    notes: list[str] = field(default_factory=list)

    def _price_at(self, t: int) -> float | None:
        i = bisect.bisect_right(self.closes, (t, math.inf)) - 1
        return self.closes[i][1] if i >= 0 else None

    def _oi_at(self, t: int) -> dict[str, float]:
        out = {}
        for venue, series in self.oi.items():
            i = bisect.bisect_right(series, (t, math.inf)) - 1
            if i >= 0 and t - series[i][0] <= _OI_STALE_NS:
                out[venue] = series[i][1]
        return out

    def hour(self, t: int) -> Hour:
        end = t + HOUR_NS
        price = self._price_at(t)
        inside = [p for series in (self.closes, self.highs, self.lows) for p in _between(series, t, end)]
        path = inside + ([price] if price is not None else [])
        return Hour(start_ns=t, price=price, high=max(path) if inside else None, low=min(path) if inside else None,
                    close=self._price_at(end), oi_start=self._oi_at(t), oi_end=self._oi_at(end))


def _between(series: list[tuple[int, float]], lo: int, hi: int) -> list[float]:
    # Observations with lo < ts <= hi: a period's high/low is stamped at the period's end.
    i, j = bisect.bisect_right(series, (lo, math.inf)), bisect.bisect_right(series, (hi, math.inf))
    return [v for _, v in series[i:j]]


def read_inputs(catalog: Catalog, asset: str, start_ns: int, end_ns: int) -> Inputs:
    """OI per venue and one price series of ``asset`` with ``ts_event`` in [start_ns, end_ns]."""
    asset = asset.upper()
    notes: list[str] = []
    rows = market.prices(catalog, start_ns, end_ns + 1, assets=[asset])
    by_series: dict[str, list[tuple[int, str, float]]] = defaultdict(list)
    for p in rows:
        by_series[f"{p.venue}:{p.market}"].append((p.ts_event, p.price_type, float(p.price)))
    if not by_series:  # no imported price series: the venues' own mark prices
        for m in market.premiums(catalog, start_ns, end_ns + 1, assets=[asset]):
            if m.mark_price is not None:
                by_series[f"{m.venue}:{m.market}"].append((m.ts_event, "mark", float(m.mark_price)))
    closes: list[tuple[int, float]] = []
    highs: list[tuple[int, float]] = []
    lows: list[tuple[int, float]] = []
    name = ""
    if by_series:
        # The series with the most observations; the others are named in the notes.
        name = max(sorted(by_series), key=lambda k: len(by_series[k]))
        if len(by_series) > 1:
            notes.append(f"prices from {name}; not used: {', '.join(k for k in sorted(by_series) if k != name)}")
        for ts, kind, v in by_series[name]:
            (highs if kind.endswith("high") else lows if kind.endswith("low") else closes).append((ts, v))
    oi: dict[str, dict[int, float]] = defaultdict(dict)
    series: set[str] = set()
    skipped = 0
    per_market: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    for o in market.open_interest(catalog, start_ns, end_ns + 1, assets=[asset]):
        if o.oi_usd is None:
            skipped += 1
            continue
        per_market[(o.venue, o.market)].append((o.ts_event, float(o.oi_usd)))
        series.add(f"{o.venue}:{o.market}")
    if skipped:
        notes.append(f"{skipped:,} OI readings without a USD value were left out")
    # A venue's OI is the sum of its markets' latest readings at each of their timestamps.
    for (venue, _), obs in sorted(per_market.items()):
        for ts, _v in obs:
            oi[venue][ts] = 0.0
    for (venue, _), obs in sorted(per_market.items()):
        for ts in oi[venue]:
            i = bisect.bisect_right(obs, (ts, math.inf)) - 1
            if i >= 0:
                oi[venue][ts] += obs[i][1]
    return Inputs(asset=asset, price_series=name, oi_series=sorted(series), closes=sorted(closes),
                  highs=sorted(highs), lows=sorted(lows),
                  oi={v: sorted(d.items()) for v, d in sorted(oi.items())}, notes=notes)


class _Side:
    # Liquidation levels of one side of one venue: amount per quantized price key, all times one multiplier
    # (decay and pro-rata closing scale every level alike: one multiplication instead of one per level).
    def __init__(self) -> None:
        self.keys: list[float] = []
        self.amount: dict[float, float] = {}
        self.mult = 1.0

    def add(self, key: float, usd: float) -> None:
        if key not in self.amount:
            bisect.insort(self.keys, key)
            self.amount[key] = 0.0
        self.amount[key] += usd / self.mult

    def scale(self, f: float) -> None:
        self.mult *= f
        if self.mult < 1e-150:  # renormalize before underflow
            self.amount = {k: v * self.mult for k, v in self.amount.items()}
            self.mult = 1.0

    def take(self, lo: int, hi: int) -> float:
        # Remove keys[lo:hi] and return their USD.
        gone = self.keys[lo:hi]
        del self.keys[lo:hi]
        return sum(self.amount.pop(k) for k in gone) * self.mult

    def clear_at_or_above(self, price: float) -> float:
        return self.take(bisect.bisect_left(self.keys, price), len(self.keys))

    def clear_at_or_below(self, price: float) -> float:
        return self.take(0, bisect.bisect_right(self.keys, price))

    def within(self, lo: float, hi: float) -> Iterator[tuple[float, float]]:
        i, j = bisect.bisect_left(self.keys, lo), bisect.bisect_right(self.keys, hi)
        for k in self.keys[i:j]:
            yield k, self.amount[k] * self.mult

    def total(self) -> float:
        return sum(self.amount.values()) * self.mult


@dataclass
class Step:
    """One hour of the model: what the map held before the hour would have liquidated over its path."""

    start_ns: int
    predicted_long: float | None
    predicted_short: float | None
    baseline_long: float | None
    baseline_short: float | None
    oi_usd: float | None


class Book:
    """The estimated liquidation levels of one asset: one long and one short side per venue."""

    def __init__(self, rules: Levels, first_price: float) -> None:
        self.rules = rules
        self.quantum = nice_step(first_price * 1e-4)   # levels are kept at ~1 bp of the first price
        self.longs: dict[str, _Side] = {}
        self.shorts: dict[str, _Side] = {}
        self.seen: set[str] = set()
        self.decay = 2.0 ** (-1.0 / float(rules.half_life_hours))
        lev = [float(x) for x in rules.leverage]
        w = [float(x) for x in rules.weights]
        self._tiers = list(zip(lev, w, strict=True))

    def _mm(self, venue: str) -> float:
        mm = self.rules.maintenance_margin
        return float(mm.get(venue, mm["default"]))

    def _key(self, price: float) -> float:
        return round(price / self.quantum) * self.quantum

    def enter(self, venue: str, usd: float, price: float) -> None:
        """Open ``usd`` of positions at ``price``: split long/short and over the leverage tiers."""
        if usd <= 0:
            return
        mm, ls = self._mm(venue), float(self.rules.long_share)
        longs, shorts = self.longs.setdefault(venue, _Side()), self.shorts.setdefault(venue, _Side())
        for tier, w in self._tiers:
            if w == 0:
                continue
            # A venue allows at most 1 / (2 mm) (its maintenance margin is half the initial margin at maximum
            # leverage: Binance BTCUSDT 0.4 % -> 125x, Hyperliquid BTC 1.25 % -> 40x); a higher tier is capped.
            lev = min(tier, 1 / (2 * mm))
            longs.add(self._key(price * (1 - 1 / lev + mm)), usd * ls * w)
            shorts.add(self._key(price * (1 + 1 / lev - mm)), usd * (1 - ls) * w)

    def step(self, h: Hour, entry: float | None) -> Step:
        """Score the hour against the book held at its start, then move the book to the hour's end."""
        oi_start = sum(h.oi_start.values()) if h.oi_start else None
        if h.low is None or h.high is None or h.price is None:
            pl = ps = bl = bs = None
        else:
            pl = sum(s.clear_at_or_above(h.low) for s in self.longs.values())
            ps = sum(s.clear_at_or_below(h.high) for s in self.shorts.values())
            bl = oi_start * max(0.0, (h.price - h.low) / h.price) if oi_start is not None else None
            bs = oi_start * max(0.0, (h.high - h.price) / h.price) if oi_start is not None else None
        for venue in sorted(set(h.oi_start) | set(h.oi_end)):
            before, after = h.oi_start.get(venue), h.oi_end.get(venue)
            for side in (self.longs.get(venue), self.shorts.get(venue)):
                if side is not None:
                    side.scale(self.decay)
                    if before and after is not None and after < before:
                        side.scale(after / before)
            if entry is None or after is None:
                continue
            if venue not in self.seen:  # the venue's first reading: its OI enters at once (the seed; docs/levels.md)
                self.seen.add(venue)
                self.enter(venue, after, entry)
            elif before is None:  # back after a gap in its OI: only the hour's turnover enters
                self.enter(venue, (1 - self.decay) * after, entry)
            else:
                self.enter(venue, max(after - before, 0.0) + (1 - self.decay) * min(before, after), entry)
        return Step(start_ns=h.start_ns, predicted_long=pl, predicted_short=ps, baseline_long=bl,
                    baseline_short=bs, oi_usd=oi_start)

    def levels(self, lo: float, hi: float) -> tuple[dict[float, float], dict[float, float]]:
        """Long and short USD per level key within [lo, hi], over every venue."""
        longs: dict[float, float] = defaultdict(float)
        shorts: dict[float, float] = defaultdict(float)
        for s in self.longs.values():
            for k, v in s.within(lo, hi):
                longs[k] += v
        for s in self.shorts.values():
            for k, v in s.within(lo, hi):
                shorts[k] += v
        return dict(longs), dict(shorts)

    def totals(self) -> tuple[float, float]:
        return sum(s.total() for s in self.longs.values()), sum(s.total() for s in self.shorts.values())


def entry_price(h: Hour, rules: Levels) -> float | None:
    """Where the hour's entries are placed: its typical price (high + low + close) / 3, or its close."""
    if h.close is None:
        return None
    if rules.entry_price == "close" or h.high is None or h.low is None:
        return h.close
    return (h.high + h.low + h.close) / 3


def run(inputs: Inputs, rules: Levels, start_ns: int, end_ns: int,
        on_hour: object = None) -> tuple[Book | None, list[Step]]:
    """Step the model over the hours [start_ns, end_ns) (hour-aligned); returns the book at end_ns."""
    book: Book | None = None
    steps: list[Step] = []
    t = start_ns
    while t < end_ns:
        h = inputs.hour(t)
        if book is None and h.price is not None and h.oi_end:
            book = Book(rules, h.price)
        if callable(on_hour):
            on_hour(t, book, h)
        if book is not None:
            steps.append(book.step(h, entry_price(h, rules)))
        else:
            steps.append(Step(start_ns=t, predicted_long=None, predicted_short=None, baseline_long=None,
                              baseline_short=None, oi_usd=None))
        t += HOUR_NS
    return book, steps
