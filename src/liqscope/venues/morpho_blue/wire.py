"""Morpho Blue ``Liquidate``, with the ABI's argument names.

``Liquidate(Id indexed id, address indexed caller, address indexed borrower, uint256 repaidAssets,
uint256 repaidShares, uint256 seizedAssets, uint256 badDebtAssets, uint256 badDebtShares)``
"""

from __future__ import annotations

import msgspec

TOPIC0 = "0xa4946ede45d0c6f06a0f5ce92c9ad3b4751452d2fe0e25010783bcab57a67e41"  # keccak of the signature


class Liquidate(msgspec.Struct, frozen=True, kw_only=True):
    id: str                  # the market id (bytes32): keccak of its MarketParams
    caller: str              # the liquidator
    borrower: str
    repaidAssets: int        # loan token repaid, smallest unit
    repaidShares: int
    seizedAssets: int        # collateral token seized (bonus included; Morpho takes no fee), smallest unit
    badDebtAssets: int       # loan token socialized as bad debt (not repaid by the liquidator)
    badDebtShares: int


class Market(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    loanToken: str
    collateralToken: str
    notes: str = ""


class MarketFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    version: str
    source: str
    markets: dict[str, dict[str, Market]]   # chain -> market id -> params
