"""Aave v1 ``LendingPool`` ``LiquidationCall`` (the 9-argument ABI), with the ABI's argument names.

``LiquidationCall(address indexed _collateral, address indexed _reserve, address indexed _user,
uint256 _purchaseAmount, uint256 _liquidatedCollateralAmount, uint256 _accruedBorrowInterest,
address _liquidator, bool _receiveAToken, uint256 _timestamp)``
"""

from __future__ import annotations

import msgspec

TOPIC0 = "0x56864757fd5b1fc9f38f5f3a981cd8ae512ce41b902cf73fc506ee369c6bc237"  # keccak of the signature


class LiquidationCall(msgspec.Struct, frozen=True, kw_only=True):
    _collateral: str                  # token seized (0xeeee... for ETH)
    _reserve: str                     # token repaid
    _user: str                        # the borrower liquidated
    _purchaseAmount: int              # debt repaid, in _reserve's smallest unit
    _liquidatedCollateralAmount: int  # collateral seized (bonus included), in _collateral's smallest unit
    _accruedBorrowInterest: int
    _liquidator: str
    _receiveAToken: bool
    _timestamp: int                   # block time, seconds (v1 emits it; it equals the block's timestamp)
