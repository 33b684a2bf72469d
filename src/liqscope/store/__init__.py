"""The lake: raw blobs (append-only, compressed), normalized Parquet events, committed by manifest."""

from liqscope.store._catalog import Catalog, default_data_dir
from liqscope.store._raw import RawRecord
from liqscope.store._schema import EVENT_SCHEMA, LATER_COLUMNS

__all__ = ["EVENT_SCHEMA", "LATER_COLUMNS", "Catalog", "RawRecord", "default_data_dir"]
