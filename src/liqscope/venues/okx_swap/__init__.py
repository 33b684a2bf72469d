"""OKX perpetual swaps (instType SWAP): the v5 public ``liquidation-orders`` websocket channel."""

from liqscope._registry import Capability, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues import _tardis
from liqscope.venues.okx_swap import batch, parse, wire

SAMPLING = ("OKX: 'This data doesn't represent the total number of liquidations on OKX' (older docs: at "
            "most one order per contract per second); recent orders are replayed after each subscribe: "
            "totals are floors")

SPEC = VenueSpec(
    id="okx_swap",
    decode=wire.decode_frame,
    parse=parse.parse_message,
    parse_batch=batch.parse_batch,
    capabilities=frozenset({Capability.ORDER_PRICE}),
    side_convention=SideConvention.ORDER,
    quantity_unit=QtyUnit.CONTRACTS,
    sampling=SAMPLING,
    formats={_tardis.FORMAT: _tardis.tardis_format("okx_swap", "okex-swap", parse.parse_tardis)},
)
