"""Hyperliquid payloads. Field names are Hyperliquid's; see each comment.

Node output (``hl-node --write-fills``, mirrored to ``s3://hl-mainnet-node-data``):

- ``node_fills_by_block`` (2025-07-27 on, ``--batch-by-block``): one L1 block per line,
  ``{"local_time", "block_time", "block_number", "events": [[user, fill], ...]}``.
- ``node_fills`` (2025-05-25 .. 2025-07-27): one ``[user, fill]`` pair per line.

A fill is the API ``userFills`` object (https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/
api/websocket/subscriptions, ``WsFill``). Numeric strings decode straight to ``Decimal``. Unknown fields
(``builder``, ``deployerFee``, ``priorityGas``, ...) are ignored.

The official liquidations CSV (github.com/hyperliquid-dex/historical_data, ``liquidations.csv``) has one
account-level row per liquidation and no coin, side or price.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec


class Liquidation(msgspec.Struct, frozen=True):
    """The ``liquidation`` object, present on BOTH legs of a liquidation trade."""

    liquidatedUser: str  # the liquidated account; on ADL legs the HLP liquidator vault
    markPx: Decimal      # mark price that triggered it: a string in real data, a number in the docs
    method: str          # "market" (sent to the book) or "backstop" (taken over by the liquidator vault)


class Fill(msgspec.Struct, frozen=True):
    """One user's side of one trade (``WsFill``)."""

    coin: str            # perp "BTC", scaled perp "kPEPE", HIP-3 "xyz:TSLA"; spot "@107" or "PURR/USDC"
    px: Decimal          # fill price, USDC (average over the trade)
    sz: Decimal          # filled size, in coin (or in kPEPE lots for scaled coins)
    side: str            # this user's side: "B" bought, "A" sold
    time: int            # fill time, epoch ms
    startPosition: Decimal  # the user's signed position in the coin before the fill
    dir: str             # "Open Long", "Close Short", "Liquidated Cross Long", "Auto-Deleveraging", ...
    closedPnl: Decimal   # realized PnL of the fill, USDC
    hash: str            # L1 transaction hash (zeros for system fills)
    oid: int             # order id
    crossed: bool        # True: taker
    fee: Decimal         # fee paid (negative: rebate), in feeToken
    tid: int             # trade id: 50-bit hash of (buyer oid, seller oid), shared by both legs
    feeToken: str | None = None
    liquidation: Liquidation | None = None  # only on liquidation (and ADL) fills
    cloid: str | None = None        # client order id
    twapId: int | None = None       # TWAP the fill belongs to
    builderFee: Decimal | None = None


# One ``events`` entry, and one line of the older ``node_fills`` files: ``[user_address, fill]``.
FillPair = tuple[str, Fill]


class Block(msgspec.Struct, frozen=True):
    """One line of ``node_fills_by_block``: every fill of one L1 block."""

    local_time: str      # when the node wrote the block, ISO UTC with ns digits and no zone
    block_time: str      # L1 block time, same format
    block_number: int
    events: list[FillPair]


class OfficialLiquidation(msgspec.Struct, frozen=True):
    """One row of the official ``liquidations.csv`` (column names are the CSV's)."""

    time: str                            # liquidation time, ISO UTC to the second ("2023-02-28T21:10:23Z")
    user: str                            # liquidated account
    liquidated_ntl_pos: Decimal          # notional position liquidated, USDC
    liquidated_account_value: Decimal    # account value at liquidation, USDC
    leverage_type: str                   # "Cross" or "Isolated"


# A node line is an object (a block) or an array (a per-fill pair): msgspec tells them apart.
decode_line = msgspec.json.Decoder(Block | FillPair).decode
