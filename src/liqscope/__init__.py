"""liqscope: crypto-derivatives liquidations under a declared, fingerprinted methodology.

The public surface is what ``__all__`` lists (pinned by tests/test_public_api.py).
"""

from liqscope.errors import (
    ConfigError,
    InputUnreadable,
    InvalidEvent,
    LiqscopeError,
    NotALiquidation,
    StoreError,
    UnexpectedPayload,
    UnknownInstrument,
    UnknownName,
)
from liqscope.events import (
    InstrumentKind,
    LiquidationEvent,
    LiquidationKind,
    Margining,
    MarginMode,
    PositionSide,
    PriceKind,
    QtyUnit,
    Received,
    Source,
)
from liqscope.ingest import IngestResult, ingest_file
from liqscope.methodology import Methodology, builtin_names
from liqscope.methodology import load as load_methodology
from liqscope.metrics import Counted, Report, counted, report
from liqscope.store import Catalog, default_data_dir
from liqscope.venues import VenueSpec, get_venue, venues

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "ConfigError",
    "Counted",
    "IngestResult",
    "InputUnreadable",
    "InstrumentKind",
    "InvalidEvent",
    "LiqscopeError",
    "LiquidationEvent",
    "LiquidationKind",
    "MarginMode",
    "Margining",
    "Methodology",
    "NotALiquidation",
    "PositionSide",
    "PriceKind",
    "QtyUnit",
    "Received",
    "Report",
    "Source",
    "StoreError",
    "UnexpectedPayload",
    "UnknownInstrument",
    "UnknownName",
    "VenueSpec",
    "__version__",
    "builtin_names",
    "counted",
    "default_data_dir",
    "get_venue",
    "ingest_file",
    "load_methodology",
    "report",
    "venues",
]
