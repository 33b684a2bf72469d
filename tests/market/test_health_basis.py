"""The leverage-health index says what it rests on (issue 15, item 8), on real data.

Below ``MIN_COMPONENTS`` components with ``MIN_HISTORY`` history points it is "not computable", with the
reason; above, its headline names the components used and their weights. Expected values are computed
here from the fixture files with plain loops, independently of liqscope.
"""

from __future__ import annotations

import csv
import gzip
import json
from decimal import Decimal, localcontext

import pytest

from liqscope._time import parse_iso_ns
from liqscope.ingest import ingest_file
from liqscope.market import ingest_market
from liqscope.methodology import load
from liqscope.metrics import counted, health_index
from liqscope.metrics.health import HEALTH_INDEX_VERSION, MIN_COMPONENTS, MIN_HISTORY
from liqscope.store import Catalog
from tests._data import BINANCE_RIFTFERN
from tests.market.test_parsers import MARKET

REGIME = MARKET / "csv" / "coinglass_btc_regime_1h_2025-12-04_to_2025-12-28.csv"
AT = parse_iso_ns("2025-12-28T21:00:00Z")   # the example: lhi-1 printed "98.0 / 100" here
HOUR = 3_600_000_000_000
DAY = 24 * HOUR


def _health(catalog: Catalog):
    return health_index(counted(catalog, load("standard"), AT - DAY, AT + 1), asset="BTC")


@pytest.fixture(scope="module")
def liquidations_only(tmp_path_factory) -> Catalog:
    cat = Catalog(tmp_path_factory.mktemp("liq-only"))
    ingest_file(cat, "binance_usdm", BINANCE_RIFTFERN)
    return cat


@pytest.fixture(scope="module")
def with_market(tmp_path_factory) -> Catalog:
    cat = Catalog(tmp_path_factory.mktemp("with-market"))
    ingest_file(cat, "binance_usdm", BINANCE_RIFTFERN)
    ingest_market(cat, "coinglass-regime-csv", REGIME)
    return cat


def _btc_liquidations() -> list[tuple[int, Decimal]]:
    """(ts ns, signed notional: + long liquidated, - short) of the recording's BTC markets."""
    out = []
    for line in gzip.decompress(BINANCE_RIFTFERN.read_bytes()).splitlines():
        o = json.loads(line)["o"]
        if o["s"] in ("BTCUSDT", "BTCUSDC"):
            usd = Decimal(o["z"]) * Decimal(o["ap"])
            out.append((o["T"] * 1_000_000, usd if o["S"] == "SELL" else -usd))
    return out


def _mid_rank(value: Decimal, history: list[Decimal]) -> Decimal:
    below = sum(1 for h in history if h < value)
    equal = sum(1 for h in history if h == value)
    with localcontext() as ctx:
        ctx.prec = 40
        return (Decimal(below) + Decimal(equal) / 2) / Decimal(len(history))


def test_liquidations_alone_are_not_computable_and_say_why(liquidations_only):
    liq = _btc_liquidations()
    # Hours of the 30-day grid whose trailing 24 h hold a BTC liquidation: the imbalance's history.
    history = [g for g in range(720, 0, -1)
               if any(AT - g * HOUR - DAY < t <= AT - g * HOUR for t, _ in liq)]
    now = [u for t, u in liq if AT - DAY < t <= AT]
    imbalance = sum(now) / sum(abs(u) for u in now)
    assert (len(history), imbalance) == (25, 1)   # lhi-1 ranked this 1 against 25 points: "98.0 / 100"

    h = _health(liquidations_only)
    assert (h.version, h.computable, h.index, h.used) == (HEALTH_INDEX_VERSION, False, None, [])
    assert (MIN_COMPONENTS, MIN_HISTORY) == (2, 360)
    c = {x.name: x for x in h.components}
    assert (c["liq_imbalance"].value, c["liq_imbalance"].history_points, c["liq_imbalance"].weight) == (1, 25, None)
    assert h.missing == ["funding", "premium", "oi_change", "liq_imbalance"]
    assert h.reason == ("0 of 4 components usable (none), needs at least 2 with a value at t and 360 hourly history "
                        "points - funding: no value at t; premium: no value at t; oi_change: no value at t; "
                        "liq_imbalance: only 25 hourly history points (needs 360)")
    assert h.headline == f"BTC leverage-health index lhi-2 at 2025-12-28T21:00:00.000Z: not computable: {h.reason}"


def test_with_funding_and_oi_the_headline_names_the_components_and_their_weights(with_market):
    # The hourly regime rows as liqscope must read them: a bar's close is known at its open + 1 h.
    rows = list(csv.DictReader(REGIME.read_text().splitlines()))
    funding = {int(r["timestamp"]) * 1_000_000 + HOUR: Decimal(r["funding_close"]) / 100 for r in rows}
    oi = {int(r["timestamp"]) * 1_000_000 + HOUR: Decimal(r["oi_close"]) for r in rows}

    def asof(series: dict[int, Decimal], t: int) -> Decimal | None:
        known = [k for k in series if k <= t and t - k <= DAY]
        return series[max(known)] if known else None

    def oi_change(t: int) -> Decimal | None:
        now, then = asof(oi, t), asof(oi, t - DAY)
        if now is None or then is None:
            return None
        with localcontext() as ctx:
            ctx.prec = 40
            return now / then - 1

    grid = [AT - g * HOUR for g in range(720, 0, -1)]
    f_hist = [v for t in grid if (v := asof(funding, t)) is not None]
    o_hist = [v for t in grid if (v := oi_change(t)) is not None]
    p_funding, p_oi = _mid_rank(asof(funding, AT), f_hist), _mid_rank(oi_change(AT), o_hist)
    assert (len(f_hist), len(o_hist)) == (590, 566)   # both above the 360-point minimum

    h = _health(with_market)
    assert (h.computable, h.used, h.reason) == (True, ["funding", "oi_change"], None)
    c = {x.name: x for x in h.components}
    # liqscope keeps 28 significant digits (Decimal's default context); ours has 40.
    assert abs(c["funding"].percentile - p_funding) < Decimal("1e-26")
    assert abs(c["oi_change"].percentile - p_oi) < Decimal("1e-26")
    assert (c["funding"].weight, c["oi_change"].weight) == (Decimal("0.5"), Decimal("0.5"))
    assert (c["premium"].weight, c["liq_imbalance"].weight) == (None, None)
    assert abs(h.index - 100 * (p_funding + p_oi) / 2) < Decimal("1e-24")
    assert (round(p_funding, 6), round(p_oi, 6)) == (Decimal("0.950847"), Decimal("0.777385"))
    assert h.headline == (f"BTC leverage-health index lhi-2 at 2025-12-28T21:00:00.000Z: {h.index:.1f} / 100 from "
                          "funding 1/2, oi_change 1/2 (equal weights); not used: premium, liq_imbalance")
    assert f"{h.index:.1f}" == "86.4"
