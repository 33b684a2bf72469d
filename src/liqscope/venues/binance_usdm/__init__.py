"""Binance USDⓈ-M futures: ``!forceOrder@arr`` / ``<symbol>@forceOrder`` and the public archive."""

from liqscope._registry import Capability, Format, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues import _tardis
from liqscope.venues.binance_usdm import archive, batch, parse, wire

SAMPLING = "at most 1 liquidation per symbol per 1000 ms (the latest one): totals are floors"

# Calibrated on the real recordings (docs/methodology.md, "Coverage gaps"): the longest silence inside a
# recorded session was 404 s; at the quietest measured rate (0.109 liquidations/s) the all-market stream
# stays silent for 600 s with probability e^-65.
SILENCE_HOLE_SECONDS = 600

SPEC = VenueSpec(
    id="binance_usdm",
    decode=wire.decode_frame,
    parse=parse.parse_force_order,
    capabilities=frozenset({Capability.FILLED_QUANTITY, Capability.FILL_PRICE, Capability.ORDER_PRICE,
                            Capability.ARCHIVE}),
    side_convention=SideConvention.ORDER,
    quantity_unit=QtyUnit.BASE,
    sampling=SAMPLING,
    silence_hole_seconds=SILENCE_HOLE_SECONDS,
    parse_batch=batch.parse_batch,
    formats={
        "binance-archive": Format(
            name="binance-archive",
            split=archive.split,
            decode=archive.decode_row,
            parse=parse.parse_body,
            repeats_records=True,
            description="data.binance.vision liquidationSnapshot CSV (um); every row appears twice",
        ),
        _tardis.FORMAT: _tardis.tardis_format("binance_usdm", "binance-futures", parse.parse_tardis),
    },
)
