"""Aave v1 (``LendingPool``, for history: 2020-2023): ``LiquidationCall`` logs on Ethereum.

Every liquidation is a log, so the chain is a complete feed; the liquidated borrower is the ``_user``
argument. Input: ``eth-logs`` (eth_getLogs results, receipts' logs). The pool is frozen, so there is
nothing to capture live.
"""

from liqscope.venues import _lending
from liqscope.venues.aave_v1 import parse

SPEC = _lending.venue_spec("aave_v1", parse.parse_log, subgraph=False)
