"""Bybit v5 linear (USDT/USDC perpetuals and futures): ``allLiquidation.{symbol}``.

The deprecated ``liquidation.{symbol}`` topic (1 liquidation per symbol per second, v5 and pre-v5
shapes) is parsed too, so old recordings still load; those recordings are floors, not totals.
"""

from liqscope._registry import Capability, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues import _tardis
from liqscope.venues.bybit_linear import batch, parse, wire

SPEC = VenueSpec(
    id="bybit_linear",
    decode=wire.decode_frame,
    parse=parse.parse_frame,
    parse_batch=batch.parse_batch,
    # allLiquidation pushes every liquidation (batched per 500 ms); p is the bankruptcy price.
    capabilities=frozenset({Capability.WS_EVERY_LIQUIDATION, Capability.FILLED_QUANTITY,
                            Capability.ORDER_PRICE}),
    side_convention=SideConvention.POSITION,
    quantity_unit=QtyUnit.BASE,
    sampling=None,
    formats={_tardis.FORMAT: _tardis.tardis_format("bybit_linear", "bybit", parse.parse_tardis)},
)
