"""Compound v2 cToken ``LiquidateBorrow``, with the ABI's argument names (none indexed).

``LiquidateBorrow(address liquidator, address borrower, uint repayAmount, address cTokenCollateral,
uint seizeTokens)``, emitted by the cToken whose underlying was repaid.
"""

from __future__ import annotations

import msgspec

TOPIC0 = "0x298637f684da70674f26509b10f07ec2fbc77a335ab1e7d6215a4b2484d8bb52"  # keccak of the signature


class LiquidateBorrow(msgspec.Struct, frozen=True, kw_only=True):
    liquidator: str
    borrower: str            # the account liquidated
    repayAmount: int         # debt repaid, in the emitting cToken's underlying smallest unit
    cTokenCollateral: str    # the cToken market seized
    seizeTokens: int         # cTokens seized (8 decimals), the protocol's seize share included
