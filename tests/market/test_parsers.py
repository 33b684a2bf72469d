"""Every market fixture (documented venue examples, real captures, real CSVs) reads to the reviewed golden."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from liqscope.market import FileContext, FundingRate, FundingSchedule, get_format, market_formats, resolve_intervals
from tests.conftest import FIXTURES

MARKET = FIXTURES / "market"
TS_RECV = 1_767_225_600_000_000_000  # 2026-01-01T00:00Z: fixed so goldens are stable
CASES = {
    "binance_usdm/rest_get_premium_index.json": "binance-premium-index",
    "binance_usdm/ws_mark_price.jsonl": "binance-mark-price-ws",
    "binance_usdm/rest_get_funding_rate.json": "binance-funding-rate",
    "binance_usdm/rest_get_funding_info.json": "binance-funding-info",
    "binance_usdm/rest_get_open_interest.json": "binance-open-interest",
    "binance_usdm/rest_get_open_interest_hist.json": "binance-open-interest-hist",
    "bybit_linear/ws_tickers_doc.jsonl": "bybit-tickers-ws",
    "bybit_linear/ws_tickers_capture.jsonl": "bybit-tickers-ws",
    "bybit_linear/rest_get_funding_history.json": "bybit-funding-history",
    "bybit_linear/rest_get_open_interest_inverse.json": "bybit-open-interest",
    "okx_swap/rest_get_funding_rate.json": "okx-funding-rate",
    "okx_swap/rest_get_funding_rate_history.json": "okx-funding-rate-history",
    "okx_swap/rest_get_open_interest.json": "okx-open-interest",
    "hyperliquid/rest_post_meta_and_asset_ctxs.json": "hyperliquid-meta-and-asset-ctxs",
    "hyperliquid/rest_post_funding_history.json": "hyperliquid-funding-history",
}


def read(rel: str, fmt: str) -> tuple[list[object], list[tuple[int, str | None, str]]]:
    """Read one fixture as ingest would (funding intervals resolved within the file)."""
    path = MARKET / rel
    parsed = get_format(fmt).read(path.read_bytes(), FileContext(sha="f" * 64, name=path.name, ts_recv=TS_RECV))
    known = {(o.venue, o.market): o.interval_hours for o in parsed.observations if isinstance(o, FundingSchedule)}
    funding = resolve_intervals([o for o in parsed.observations if isinstance(o, FundingRate)], known)
    return [*funding, *(o for o in parsed.observations if not isinstance(o, FundingRate))], parsed.quarantined


def render(observations: list[object], quarantined: list[tuple[int, str | None, str]]) -> str:
    lines = [msgspec.json.encode({"type": type(o).__name__, **msgspec.to_builtins(o)}).decode() for o in observations]
    lines += [msgspec.json.encode({"quarantined": {"line": n, "field": f, "reason": r}}).decode()
              for n, f, r in quarantined]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("rel", sorted(CASES))
def test_market_fixture_matches_golden(rel, golden):
    """Documented payloads normalize to exactly the reviewed observations."""
    golden.check(Path(str(MARKET / rel) + ".expected.jsonl"), render(*read(rel, CASES[rel])))


def test_every_venue_market_format_has_a_fixture():
    csv_formats = ("coinglass", "hyperliquid-funding-csv")
    venue_formats = {n for n in market_formats() if not n.startswith(csv_formats)}
    missing = venue_formats - set(CASES.values()) - {"bybit-tickers"}  # no linear REST example is documented
    assert not missing, f"market formats without a fixture: {sorted(missing)}"
