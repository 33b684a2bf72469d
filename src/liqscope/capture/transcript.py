"""Transcripts are the lake's raw record of live capture: they live in ``liqscope.store.transcript``, where
capture writes them and ingest, coverage and the replay server read them. Kept so these names keep working."""

from liqscope.store.transcript import *  # noqa: F403
from liqscope.store.transcript import __all__ as __all__
