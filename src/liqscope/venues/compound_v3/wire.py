"""Compound III (Comet) absorb events, with the ABI's argument names.

An absorption (the protocol takes over an underwater account) emits one ``AbsorbCollateral`` per collateral
asset and one ``AbsorbDebt``; each carries Comet's own USD valuation at its price feeds (``usdValue``,
8 decimals): the oracle answer at the block.

- ``AbsorbCollateral(address indexed absorber, address indexed borrower, address indexed asset,
  uint collateralAbsorbed, uint usdValue)``
- ``AbsorbDebt(address indexed absorber, address indexed borrower, uint basePaidOut, uint usdValue)``
"""

from __future__ import annotations

import msgspec

TOPIC0_ABSORB_COLLATERAL = "0x9850ab1af75177e4a9201c65a2cf7976d5d28e40ef63494b44366f86b2f9412e"
TOPIC0_ABSORB_DEBT = "0x1547a878dc89ad3c367b6338b4be6a65a5dd74fb77ae044da1e8747ef1f4f62f"
USD_DECIMALS = 8  # Comet's price scale


class AbsorbCollateral(msgspec.Struct, frozen=True, kw_only=True):
    absorber: str
    borrower: str
    asset: str                   # the collateral token
    collateralAbsorbed: int      # in asset's smallest unit
    usdValue: int                # USD, 8 decimals, at Comet's price feed


class AbsorbDebt(msgspec.Struct, frozen=True, kw_only=True):
    absorber: str
    borrower: str
    basePaidOut: int             # the base token (USDC, WETH) the protocol paid down, smallest unit
    usdValue: int                # USD, 8 decimals
