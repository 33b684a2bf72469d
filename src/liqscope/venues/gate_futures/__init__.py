"""Gate USDT-settled perpetual futures: ``futures.public_liquidates`` (``wss://fx-ws.gateio.ws/v4/ws/usdt``).

The sign of ``size`` carries the side (negative = a sell order = a LONG liquidated; from two public
implementations and the doc example, not stated in Gate's field table). ``size`` counts contracts of
``quanto_multiplier`` base coin (``instruments.json``); ``price`` is the order price. Sampled: at most
one liquidation per contract per second. Tardis publishes no Gate liquidations, so there is no
``tardis-csv`` format here.
"""

from liqscope._registry import Capability, Inferred, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues.gate_futures import batch, parse, wire

SAMPLING = "at most 1 liquidation order per contract per second (Gate docs): totals are floors"

SPEC = VenueSpec(
    id="gate_futures",
    decode=wire.decode_frame,
    parse=parse.parse_message,
    parse_batch=batch.parse_batch,
    capabilities=frozenset({Capability.ORDER_PRICE}),
    side_convention=SideConvention.ORDER,
    quantity_unit=QtyUnit.CONTRACTS,
    sampling=SAMPLING,
    inferred=(
        Inferred(field="liquidated_side", why="a negative size read as a sell order (a LONG liquidated), from two "
                 "public implementations and Gate's doc example; Gate's field table does not say"),
    ),
)
