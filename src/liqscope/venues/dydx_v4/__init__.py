"""dYdX v4 (indexer ``v4_trades``): trades of type LIQUIDATED.

The liquidation order is always the taker, so the trade's ``side`` closes the liquidated position
(SELL = a LONG was liquidated). Every fill is a public trade, so the feed is complete (inferred: the
indexer documents no sampling); the trade ``id`` (the taker fill id) is the identity. DELEVERAGED
trades are kept as kind ADL.
"""

from liqscope._registry import Capability, Inferred, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues import _tardis
from liqscope.venues.dydx_v4 import batch, parse, wire

SPEC = VenueSpec(
    id="dydx_v4",
    decode=wire.decode_frame,
    parse=parse.parse_message,
    parse_batch=batch.parse_batch,
    capabilities=frozenset({Capability.WS_EVERY_LIQUIDATION, Capability.FILLED_QUANTITY, Capability.FILL_PRICE,
                            Capability.EVENT_ID}),
    side_convention=SideConvention.TAKER,
    quantity_unit=QtyUnit.BASE,
    sampling=None,
    formats={_tardis.FORMAT: _tardis.tardis_format("dydx_v4", "dydx-v4", parse.parse_tardis)},
    inferred=(
        Inferred(field="liquidated_side", kind="adl", why="the deleveraged account is taken to be the taker of the "
                 "DELEVERAGED trade; dYdX does not document it"),
    ),
)
