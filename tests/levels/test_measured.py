"""The measured map from a Hyperliquid clearinghouseState snapshot.

No real snapshot exists in the project's shared data: the fixture is HAND-MADE in the documented response
shape (tests/fixtures/levels/clearinghouse_snapshot.handmade.source.txt), and every figure below is computed
by hand from it."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from liqscope.cli import main
from liqscope.market import FileContext
from liqscope.methodology import load
from liqscope.metrics.levels import measured_map
from liqscope.venues import venues

SNAPSHOT = Path(__file__).parents[1] / "fixtures" / "levels" / "clearinghouse_snapshot.handmade.jsonl"


def _read():
    data = SNAPSHOT.read_bytes()
    read = venues()["hyperliquid"].positions
    assert read is not None
    return read(data, FileContext(sha=hashlib.sha256(data).hexdigest(), name=SNAPSHOT.name, ts_recv=0))


def test_positions_keep_the_venues_liquidation_price_and_sign():
    snap = _read()
    assert snap.accounts == 3
    got = sorted((p.account[-2:], p.coin, p.side, p.size, p.position_value_usd, p.liquidation_price, p.margin_mode)
                 for p in snap.positions)
    assert got == [
        ("a1", "BTC", "LONG", Decimal("2.0"), Decimal("200000.0"), Decimal("90050.0"), "cross"),
        ("b2", "BTC", "SHORT", Decimal("1.0"), Decimal("100000.0"), Decimal("104020.0"), "isolated"),
        ("b2", "ETH", "SHORT", Decimal("10.0"), Decimal("50000.0"), Decimal("5900.0"), "cross"),
        ("c3", "BTC", "LONG", Decimal("0.5"), Decimal("50000.0"), None, "cross"),
        ("c3", "BTC", "SHORT", Decimal("0.25"), Decimal("25000.0"), Decimal("101470.0"), "cross"),
    ]  # the size-zero BTC line of b2 is not a position; addresses are lower-cased
    [(line, reason)] = snap.quarantined
    assert line == 4 and SNAPSHOT.name in reason and "szi" in reason


def test_the_measured_map_by_hand():
    """BTC at 100,000, buckets of 100 (10 bp): longs 200,000 at 90,000..90,100; shorts 25,000 at 101,400 and
    100,000 at 104,000. Covered: longs 250,000 (incl. c3's position without a liquidation price), shorts
    125,000, of an OI of 1,000,000: 25 % and 12.5 %."""
    r = measured_map(_read().positions, load("standard"), "BTC", price=Decimal(100000), oi_usd=Decimal(1000000))
    assert (r.kind, r.exactness, r.bucket_usd) == ("measured", "exact", Decimal(100))
    assert [(b.price_low, b.long_usd, b.short_usd, b.long_cumulative_usd, b.short_cumulative_usd)
            for b in r.buckets] == [(90000, 200000, 0, 200000, 0), (101400, 0, 25000, 0, 25000),
                                    (104000, 0, 100000, 0, 125000)]
    c = r.coverage
    assert (c.covered_long_usd, c.covered_short_usd, c.long_share_of_oi, c.short_share_of_oi) == (
        250000, 125000, Decimal("0.25"), Decimal("0.125"))
    assert (c.accounts, c.positions_without_liquidation_price) == (3, 1)
    assert r.nearest_above is not None and r.nearest_above.price_low == 101400
    assert r.nearest_above.distance_pct == Decimal("1.400")
    assert r.max_pain_short is not None and (r.max_pain_short.price_low, r.max_pain_short.cumulative_usd) == (
        104000, 125000)
    assert r.at == "2026-01-01T00:00:00.000Z"


def test_the_cli_labels_it_measured_and_reports_the_quarantined_line():
    res = CliRunner().invoke(main, ["levels", "measured", str(SNAPSHOT), "--price", "100000", "--oi-usd", "1000000",
                                    "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert (out["kind"], out["exactness"], out["coverage"]["long_share_of_oi"]) == ("measured", "exact", 0.25)
    assert len(out["notes"]) == 1 and ":4:" in out["notes"][0]
