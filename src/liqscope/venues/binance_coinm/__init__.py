"""Binance COIN-M (inverse) futures: ``<symbol>@forceOrder`` / ``!forceOrder@arr`` and the public archive.

Same wire as USD-M; quantities are contracts of a fixed USD face value (``instruments.json``).
"""

from liqscope._registry import Capability, Format, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues import _tardis
from liqscope.venues.binance_coinm import archive, batch, parse
from liqscope.venues.binance_usdm import wire

SAMPLING = "at most 1 liquidation per symbol per 1000 ms (the latest one): totals are floors"

SPEC = VenueSpec(
    id="binance_coinm",
    decode=wire.decode_frame,
    parse=parse.parse_force_order,
    capabilities=frozenset({Capability.FILLED_QUANTITY, Capability.FILL_PRICE, Capability.ORDER_PRICE,
                            Capability.ARCHIVE}),
    side_convention=SideConvention.ORDER,
    quantity_unit=QtyUnit.CONTRACTS,
    sampling=SAMPLING,
    parse_batch=batch.parse_batch,
    formats={
        "binance-archive": Format(
            name="binance-archive",
            split=archive.split,
            decode=archive.decode_row,
            parse=parse.parse_body,
            repeats_records=True,
            description="data.binance.vision liquidationSnapshot CSV (cm); every row appears twice",
        ),
        _tardis.FORMAT: _tardis.tardis_format("binance_coinm", "binance-delivery", parse.parse_tardis),
    },
)
