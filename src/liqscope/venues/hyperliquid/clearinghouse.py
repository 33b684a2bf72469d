"""Hyperliquid ``clearinghouseState`` snapshots: every position of many accounts with Hyperliquid's own
``liquidationPx``, the input of a measured liquidation map.

The response is documented at https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/
info-endpoint/perpetuals ("Retrieve user's perpetuals account summary", POST /info
``{"type": "clearinghouseState", "user": ...}``). It does not name the account, so a snapshot of many
accounts is a JSON-lines file, one account per line: ``{"user": "0x...", "state": <the response>}``.

Field names are Hyperliquid's. A bad line is quarantined with its line number and field; the rest goes on.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from liqscope._market_types import AccountPosition, FileContext, PositionSnapshot

__all__ = ["parse_snapshot"]


class Leverage(msgspec.Struct, frozen=True):
    type: str                      # "cross" or "isolated"
    value: int                     # the leverage the account set on the coin
    rawUsd: Decimal | None = None  # isolated only: the raw USD of the isolated margin


class Position(msgspec.Struct, frozen=True):
    coin: str                      # "BTC" on the main dex, "xyz:TSLA" on a HIP-3 dex
    szi: Decimal                   # signed size in coin: negative is short
    leverage: Leverage
    entryPx: Decimal | None        # average entry (null on a listed position of size zero)
    positionValue: Decimal         # |szi| at the mark, USDC
    unrealizedPnl: Decimal
    liquidationPx: Decimal | None  # null where no move of the price liquidates the position
    marginUsed: Decimal
    maxLeverage: int | None = None
    returnOnEquity: Decimal | None = None


class AssetPosition(msgspec.Struct, frozen=True):
    type: str                      # "oneWay"
    position: Position


class ClearinghouseState(msgspec.Struct, frozen=True):
    assetPositions: list[AssetPosition]
    time: int                      # epoch ms of the state
    withdrawable: Decimal | None = None
    crossMaintenanceMarginUsed: Decimal | None = None


class SnapshotLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    user: str                      # the account address the state was requested for
    state: ClearinghouseState


_decode = msgspec.json.Decoder(SnapshotLine).decode


def parse_snapshot(data: bytes, ctx: FileContext) -> PositionSnapshot:
    """Every non-zero position of every account line; a line that does not decode is quarantined."""
    out: list[AccountPosition] = []
    bad: list[tuple[int, str]] = []
    accounts = 0
    for n, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            snap = _decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            bad.append((n, f"{ctx.name}:{n}: {e}"))
            continue
        accounts += 1
        for ap in snap.state.assetPositions:
            p = ap.position
            if p.szi == 0:
                continue
            out.append(AccountPosition(
                venue="hyperliquid", account=snap.user.lower(), coin=p.coin, side="LONG" if p.szi > 0 else "SHORT",
                size=abs(p.szi), entry_price=p.entryPx, position_value_usd=p.positionValue,
                liquidation_price=p.liquidationPx, leverage=Decimal(p.leverage.value), margin_mode=p.leverage.type,
                ts_ns=snap.state.time * 1_000_000, raw_ref=f"{ctx.sha}:{n}"))
    return PositionSnapshot(positions=out, accounts=accounts, quarantined=bad)
