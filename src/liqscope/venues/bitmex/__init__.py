"""BitMEX: the realtime ``liquidation`` table (``wss://ws.bitmex.com/realtime?subscribe=liquidation``).

One liquidation per ``orderID``: the ``insert`` (or ``partial``) row, at the bankruptcy price, for the
full order quantity (``leavesQty``); ``update`` and ``delete`` rows are skips. Side is the ORDER side
("Sell" = a LONG was liquidated). The table has no timestamp, so ``ts_event`` is the receipt time
(``venue_time=False``): the capture's, or an archive's own (Tardis's local timestamp, ``ingest
--received-at``); a file of frames with no receipt time is refused, never stamped with the ingest moment.
Contracts: XBTUSD is inverse, 1 USD each; USDT-linear contracts are a fixed fraction of a coin
(``instruments.json``); anything else is quarantined. The quantity is the order's, not a filled one.
"""

from liqscope._registry import Capability, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues import _tardis
from liqscope.venues.bitmex import batch, parse, wire

SPEC = VenueSpec(
    id="bitmex",
    decode=wire.decode_frame,
    parse=parse.parse_message,
    parse_batch=batch.parse_batch,
    # BitMEX support: the websocket shows "all of the liquidation orders - even if they are immediately
    # filled" (api-connectors#241). price is the bankruptcy price; orderID is the identity.
    capabilities=frozenset({Capability.WS_EVERY_LIQUIDATION, Capability.ORDER_PRICE, Capability.EVENT_ID}),
    side_convention=SideConvention.ORDER,
    quantity_unit=QtyUnit.CONTRACTS,
    sampling=None,
    venue_time=False,  # the rows carry no time: ts_event = receipt time
    formats={_tardis.FORMAT: _tardis.tardis_format("bitmex", "bitmex", parse.parse_tardis)},
)
