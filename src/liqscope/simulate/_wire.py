# What every venue's simulator wire writer shares (each venue's writer is its ``venues/<id>/simulate.py``).
#
# A writer takes the true liquidations (time-ordered) and returns (push time, frame bytes, truths it
# carries). Truths a sampled feed drops are marked ``observed=False``. Frames copy the key order of the
# real frames in tests/fixtures/venues/*, so the venue's own decoder and parser read them unchanged.
#
# A venue's ``simulate.py`` declares ``SAMPLING`` (one line, or None when the feed sends every
# liquidation), ``markets(cal)`` (the markets it draws from, priced from the recordings) and
# ``write(truths, rng)`` (the frames).
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from liqscope.simulate._calibrate import Calibration
from liqscope.simulate._model import Market, Truth, instruments

__all__ = ["MS", "Frame", "contract_markets", "latest_per_window", "linear_symbols"]

Frame = tuple[int, bytes, list[Truth]]  # (push time ns, one line, the truths it carries)

MS = 1_000_000


def linear_symbols(cal: Calibration) -> list[Market]:
    """The USD-M perpetuals of the recordings (dated symbols carry a suffix and are left out)."""
    return [Market(name=s.symbol, price=s.price, price_decimals=s.price_decimals, qty_decimals=s.qty_decimals,
                   weight=s.weight) for s in cal.symbols if "_" not in s.symbol]


def _usdt_prices(cal: Calibration) -> dict[str, tuple[float, int, int]]:
    return {s.symbol.removesuffix("USDT"): (s.price, s.price_decimals, s.weight)
            for s in cal.symbols if s.symbol.endswith("USDT")}


def contract_markets(package: str, name_of: Callable[[str], str], cal: Calibration) -> list[Market]:
    """The contracts of a venue's bundled ``instruments.json`` whose base asset has a real price to calibrate on."""
    prices = _usdt_prices(cal)
    out = []
    for key, inst in sorted(instruments(package).items()):
        if inst["base_asset"] not in prices:
            continue  # no real price to calibrate on: leave the instrument out rather than invent one
        price, decimals, weight = prices[inst["base_asset"]]
        out.append(Market(name=name_of(key), price=price, price_decimals=decimals, qty_decimals=0, weight=weight,
                          contract_size=Decimal(inst["contract_size"]), inverse=inst["margining"] == "inverse"))
    return out


def latest_per_window(truths: list[Truth], window_ns: int) -> list[Truth]:
    """The latest liquidation per market per window; the others are marked unobserved (a sampled feed)."""
    latest: dict[tuple[str, int], Truth] = {}
    for t in truths:  # time-ordered: a later liquidation in the same window replaces the earlier one
        key = (t.market, t.ts_event // window_ns)
        if key in latest:
            latest[key].observed = False
        latest[key] = t
    return list(latest.values())
