"""Aave v2 ``LendingPool`` / v3 ``Pool`` ``LiquidationCall``, with the ABI's argument names (v3 uses v2's ABI).

``LiquidationCall(address indexed collateralAsset, address indexed debtAsset, address indexed user,
uint256 debtToCover, uint256 liquidatedCollateralAmount, address liquidator, bool receiveAToken)``
"""

from __future__ import annotations

import msgspec

TOPIC0 = "0xe413a321e8681d831f4dbccbca790d2952b56f977908e45be37335533e005286"  # keccak of the signature


class LiquidationCall(msgspec.Struct, frozen=True, kw_only=True):
    collateralAsset: str         # token seized
    debtAsset: str               # token repaid
    user: str                    # the borrower liquidated
    debtToCover: int             # debt repaid, in debtAsset's smallest unit
    # collateral to the liquidator: bonus included, protocol fee NOT (v3 sends the fee to the treasury)
    liquidatedCollateralAmount: int
    liquidator: str
    receiveAToken: bool          # the liquidator took aTokens instead of the underlying
