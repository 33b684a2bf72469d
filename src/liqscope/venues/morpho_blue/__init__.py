"""Morpho Blue: ``Liquidate`` logs on Ethereum.

Every liquidation is a log, so the chain is a complete feed; the liquidated borrower is the ``borrower``
argument. Inputs: ``eth-logs`` (eth_getLogs results, receipts' logs) and live ``eth_subscribe`` logs (``capture``).
"""

from liqscope.venues import _lending
from liqscope.venues.morpho_blue import parse

SPEC = _lending.venue_spec("morpho_blue", parse.parse_log, subgraph=False)
