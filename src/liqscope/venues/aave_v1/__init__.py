"""Aave v1 (``LendingPool``, for history: 2020-2023): ``LiquidationCall`` logs on Ethereum.

Every liquidation is a log, so the chain is a complete feed; the liquidated borrower is the ``_user``
argument. Input: ``eth-logs`` (eth_getLogs results, receipts' logs). The pool is frozen, so there is
nothing to capture live.
"""

from liqscope._registry import Capability, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues import _lending
from liqscope.venues._evm import decode_log_record
from liqscope.venues.aave_v1 import parse

SPEC = VenueSpec(
    id="aave_v1",
    decode=decode_log_record,
    parse=parse.parse_log,
    capabilities=frozenset({Capability.WS_EVERY_LIQUIDATION, Capability.FILLED_QUANTITY, Capability.EVENT_ID,
                            Capability.ACCOUNTS, Capability.ARCHIVE}),
    side_convention=SideConvention.POSITION,
    quantity_unit=QtyUnit.QUOTE,
    sampling=None,
    formats=_lending.formats("aave_v1", parse.parse_log, subgraph=False),
)
