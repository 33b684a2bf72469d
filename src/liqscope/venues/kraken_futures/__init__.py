"""Kraken Futures (formerly Crypto Facilities): ``trade`` feed messages with ``type`` "liquidation".

``side`` is the taker's; the liquidated user is assumed to be the taker (as Tardis does; Kraken does
not document it), so a taker sell = a LONG liquidated. PI_/FI_ products count 1-USD contracts, PF_/FF_
count the base coin (venue-feeds.md marks both units as inferred). Every trade is published, so the
feed is taken as complete; ``uid`` is the identity.
"""

from liqscope._registry import Capability, Inferred, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues import _tardis
from liqscope.venues.kraken_futures import batch, parse, wire

SPEC = VenueSpec(
    id="kraken_futures",
    decode=wire.decode_frame,
    parse=parse.parse_message,
    parse_batch=batch.parse_batch,
    capabilities=frozenset({Capability.WS_EVERY_LIQUIDATION, Capability.FILLED_QUANTITY, Capability.FILL_PRICE,
                            Capability.EVENT_ID}),
    side_convention=SideConvention.TAKER,
    quantity_unit=QtyUnit.CONTRACTS,
    sampling=None,
    formats={_tardis.FORMAT: _tardis.tardis_format("kraken_futures", "cryptofacilities", parse.parse_tardis)},
    inferred=(
        Inferred(field="liquidated_side", why="the liquidated user is taken to be the taker (as Tardis does); "
                 "Kraken does not say which party was liquidated"),
        Inferred(field="quantity_unit", why="PI_/FI_ qty read as 1-USD contracts and PF_/FF_ as base coin "
                 "(venue-feeds.md marks both as inferred)"),
    ),
)
