"""Compound v2 (cToken markets): ``LiquidateBorrow`` logs on Ethereum.

Every liquidation is a log, so the chain is a complete feed; the liquidated borrower is the ``borrower``
argument. Inputs: ``eth-logs`` (eth_getLogs results, receipts' logs), ``thegraph-messari`` (subgraph
exports, sampled), and live ``eth_subscribe`` logs (``capture``).
"""

from liqscope.venues import _lending
from liqscope.venues.compound_v2 import parse

SPEC = _lending.venue_spec("compound_v2", parse.parse_log, subgraph=True)
