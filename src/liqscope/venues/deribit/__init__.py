"""Deribit: public trades carrying a ``liquidation`` flag (``trades.{instrument}.{raw|100ms}``).

The flag says who was liquidated: "T" the taker, "M" the maker, "MT" both (two events). ``direction``
is the taker's side, so the liquidated side is derived, never read. ``amount`` is USD on inverse
perpetuals/futures and base coin on linear (USDC) ones. Every liquidation fill is an ordinary trade,
so the feed is complete (100ms batching groups trades, it does not sample them); ``trade_id`` is the
identity.
"""

from liqscope._registry import Capability, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues import _tardis
from liqscope.venues.deribit import batch, parse, wire

SPEC = VenueSpec(
    id="deribit",
    decode=wire.decode_frame,
    parse=parse.parse_message,
    parse_batch=batch.parse_batch,
    capabilities=frozenset({Capability.WS_EVERY_LIQUIDATION, Capability.FILLED_QUANTITY, Capability.FILL_PRICE,
                            Capability.EVENT_ID}),
    side_convention=SideConvention.TAKER,
    quantity_unit=QtyUnit.QUOTE,
    sampling=None,
    formats={_tardis.FORMAT: _tardis.tardis_format("deribit", "deribit", parse.parse_tardis)},
)
