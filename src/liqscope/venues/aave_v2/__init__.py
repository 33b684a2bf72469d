"""Aave v2 (``LendingPool``): ``LiquidationCall`` logs on Ethereum.

Every liquidation is a log, so the chain is a complete feed; the liquidated borrower is the ``user``
argument. Inputs: ``eth-logs`` (eth_getLogs results, receipts' logs), ``thegraph-messari`` (subgraph
exports, sampled), and live ``eth_subscribe`` logs (``capture``).
"""

from liqscope.venues import _lending
from liqscope.venues.aave_v2 import parse

SPEC = _lending.venue_spec("aave_v2", parse.parse_log, subgraph=True)
