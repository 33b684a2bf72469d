"""Pure Aave v3 ``Pool`` ``LiquidationCall`` logs -> ``LiquidationEvent``: v2's ABI, v3's deployments.

v3 sends a protocol fee (a share of the bonus) to the treasury; the emitted ``liquidatedCollateralAmount``
is what the liquidator got, so the fee is not in it (docs/events.md, "Lending").
"""

from __future__ import annotations

from liqscope.events import LiquidationEvent, Received
from liqscope.venues import _lending
from liqscope.venues._evm import LogRecord
from liqscope.venues.aave_v2.parse import TOPICS as TOPICS  # the same event: what capture subscribes to
from liqscope.venues.aave_v2.parse import parse_call

VENUE = "aave_v3"
DEPLOYMENTS = _lending.load_deployments(__package__ or __name__)


def parse_log(record: LogRecord, rx: Received) -> list[LiquidationEvent]:
    """One Aave v3 ``Pool`` log -> events."""
    return parse_call(VENUE, DEPLOYMENTS, record, rx)
