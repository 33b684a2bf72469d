"""OKX dated futures (instType FUTURES, e.g. ``BTC-USD-250627``): the v5 ``liquidation-orders`` channel.

Side is the liquidation ORDER's side (``sell`` = a LONG was liquidated). ``sz`` counts contracts of
``ctVal`` per instrument family (``instruments.json``). Sampled like okx_swap: OKX says the channel
"doesn't represent the total number of liquidations".
"""

from liqscope._registry import Capability, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues import _tardis
from liqscope.venues.okx_futures import batch, parse, wire

SAMPLING = ("OKX: 'This data doesn't represent the total number of liquidations on OKX' (older docs: at "
            "most one order per contract per second); recent orders are replayed after each subscribe: "
            "totals are floors")

SPEC = VenueSpec(
    id="okx_futures",
    decode=wire.decode_frame,
    parse=parse.parse_message,
    parse_batch=batch.parse_batch,
    capabilities=frozenset({Capability.ORDER_PRICE}),
    side_convention=SideConvention.ORDER,
    quantity_unit=QtyUnit.CONTRACTS,
    sampling=SAMPLING,
    formats={_tardis.FORMAT: _tardis.tardis_format("okx_futures", "okex-futures", parse.parse_tardis)},
)
