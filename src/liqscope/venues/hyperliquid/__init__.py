"""Hyperliquid perps: node fills (``node_fills_by_block`` / ``node_fills``) and the official CSV.

Node data holds every fill of every user, and each liquidation fill carries a ``liquidation`` object
naming the liquidated account, so the feed is complete and identity is exposed. ``jsonl`` input is node
lines of either era; ``hyperliquid-node`` reads the hourly files as written (LZ4 or plain);
``hyperliquid-official`` reads the exchange's account-level ``liquidations.csv``.
"""

from liqscope._registry import Capability, Format, SideConvention, VenueSpec
from liqscope.events import QtyUnit
from liqscope.venues.hyperliquid import batch, clearinghouse, node, official, parse, wire

SPEC = VenueSpec(
    id="hyperliquid",
    decode=wire.decode_line,
    parse=parse.parse_node_line,
    parse_batch=batch.parse_batch,
    capabilities=frozenset({Capability.WS_EVERY_LIQUIDATION, Capability.FILL_PRICE,
                            Capability.FILLED_QUANTITY, Capability.ACCOUNTS, Capability.EVENT_ID,
                            Capability.ARCHIVE}),
    side_convention=SideConvention.FILL_LEG,
    quantity_unit=QtyUnit.BASE,
    sampling=None,
    positions=clearinghouse.parse_snapshot,
    formats={
        "hyperliquid-node": Format(
            name="hyperliquid-node",
            split=node.split,
            decode=node.decode_line,
            parse=parse.parse_node_line,
            parse_batch=batch.parse_batch,  # node.decode_line is wire.decode_line, the file name unused
            description="node_fills_by_block / node_fills hourly files, plain or LZ4 (s3://hl-mainnet-node-data)",
        ),
        "hyperliquid-official": Format(
            name="hyperliquid-official",
            split=official.split,
            decode=official.decode_row,
            parse=parse.parse_official,
            description="official liquidations.csv (hyperliquid-dex/historical_data): account-level rows",
        ),
    },
)
