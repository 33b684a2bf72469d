"""Bybit v5 inverse contracts (BTCUSD, ETHUSD, dated BTCUSDH25): ``allLiquidation.{symbol}`` on the inverse stream.

Side is the POSITION ("Buy" = a LONG was liquidated). ``v`` counts 1-USD contracts, so the notional is
``v`` USD whatever the price (venue-feeds.md: "BTCUSD(inverse) is USD" is documented for open interest;
that liquidation sizes use the same unit is inferred, not stated by Bybit). The deprecated
``liquidation.{symbol}`` topic (at most 1 per symbol per second) and Tardis's REST-generated frames are
parsed too, so old recordings load; those recordings are floors, not totals.
"""

from liqscope._registry import Capability, Inferred, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues import _tardis
from liqscope.venues.bybit_inverse import batch, parse, wire

SPEC = VenueSpec(
    id="bybit_inverse",
    decode=wire.decode_frame,
    parse=parse.parse_frame,
    parse_batch=batch.parse_batch,
    # allLiquidation pushes every liquidation (batched per 500 ms); p is the bankruptcy price.
    capabilities=frozenset({Capability.WS_EVERY_LIQUIDATION, Capability.FILLED_QUANTITY,
                            Capability.ORDER_PRICE}),
    side_convention=SideConvention.POSITION,
    quantity_unit=QtyUnit.CONTRACTS,
    sampling=None,
    formats={_tardis.FORMAT: _tardis.tardis_format("bybit_inverse", "bybit", parse.parse_tardis)},
    inferred=(
        Inferred(field="quantity_unit", why="v read as 1-USD contracts: Bybit documents that unit for inverse open "
                 "interest, not for liquidation sizes"),
    ),
)
