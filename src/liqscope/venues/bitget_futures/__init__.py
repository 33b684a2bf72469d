"""Bitget USDT/USDC futures: the UTA (v3) public ``liquidation`` topic.

Sampled: each second, per pair, only the largest long and the largest short liquidation are pushed.
Side and unit are NOT confirmed by Bitget's own field table (venue-feeds.md marks both uncertain):
``side`` is read as the POSITION side ("buy" = a LONG liquidated), as Tardis does, and ``amount`` as
the quote-coin (USDT/USDC) notional, because amount / price is a whole lot count in every real push
seen. Revisit both against a live capture with a known liquidation.
"""

from liqscope._registry import Capability, Inferred, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues import _tardis
from liqscope.venues.bitget_futures import batch, parse, wire

SAMPLING = ("max-per-side: each second, at most 1 long + 1 short liquidation per pair, the largest (Bitget docs): "
            "totals are floors, biased toward large liquidations")

SPEC = VenueSpec(
    id="bitget_futures",
    decode=wire.decode_frame,
    parse=parse.parse_message,
    parse_batch=batch.parse_batch,
    capabilities=frozenset({Capability.FILL_PRICE}),
    side_convention=SideConvention.POSITION,
    quantity_unit=QtyUnit.QUOTE,
    sampling=SAMPLING,
    formats={_tardis.FORMAT: _tardis.tardis_format("bitget_futures", "bitget-futures", parse.parse_tardis)},
    inferred=(
        Inferred(field="liquidated_side", why="side read as the POSITION side ('buy' = a LONG), as Tardis does; "
                 "Bitget's field table does not say"),
        Inferred(field="quantity_unit", why="amount read as the quote-coin notional: amount / price is a whole lot "
                 "count in every real push seen; Bitget's field table does not say"),
    ),
)
