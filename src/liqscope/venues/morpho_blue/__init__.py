"""Morpho Blue: ``Liquidate`` logs on Ethereum.

Every liquidation is a log, so the chain is a complete feed; the liquidated borrower is the ``borrower``
argument. Inputs: ``eth-logs`` (eth_getLogs results, receipts' logs) and live ``eth_subscribe`` logs (``capture``).
"""

from liqscope._registry import Capability, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues import _lending
from liqscope.venues._evm import decode_log_record
from liqscope.venues.morpho_blue import parse

SPEC = VenueSpec(
    id="morpho_blue",
    decode=decode_log_record,
    parse=parse.parse_log,
    capabilities=frozenset({Capability.WS_EVERY_LIQUIDATION, Capability.FILLED_QUANTITY, Capability.EVENT_ID,
                            Capability.ACCOUNTS, Capability.ARCHIVE}),
    side_convention=SideConvention.POSITION,
    quantity_unit=QtyUnit.QUOTE,
    sampling=None,
    formats=_lending.formats("morpho_blue", parse.parse_log, subgraph=False),
)
