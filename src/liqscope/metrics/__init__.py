"""Statistics over the lake. Each takes a ``Counted``: one methodology applied once (``counted``)."""

from liqscope.metrics._counted import NOT_COVERED, Counted, CountedCoverage, counted, exact
from liqscope.metrics._empty import EMPTY_CODES, Empty
from liqscope.metrics.accounts import AccountCount, accounts_liquidated
from liqscope.metrics.cascades import Cascade, detect_cascades
from liqscope.metrics.compare import Comparison, compare
from liqscope.metrics.concentration import Concentration, concentration, raw_record
from liqscope.metrics.estimate import Estimate
from liqscope.metrics.events import EventsPage, events
from liqscope.metrics.explain import Explanation, explain
from liqscope.metrics.flags import Flag, structural_flags
from liqscope.metrics.hawkes import HawkesFit, fit_hawkes, hawkes, simulate_hawkes
from liqscope.metrics.health import HEALTH_INDEX_VERSION, HealthIndex, health_index
from liqscope.metrics.prices import PriceSeries, price_series
from liqscope.metrics.range import Range, StatRange, ranges
from liqscope.metrics.reconcile import Part, Reconciliation, reconcile, shapley
from liqscope.metrics.report import AssetTotals, Largest, Report, ReportCoverage, SideTotals, VenueTotals, report
from liqscope.metrics.timeline import Timeline, timeline

__all__ = ["NOT_COVERED", "AssetTotals", "Counted", "CountedCoverage", "Estimate", "EventsPage", "Largest", "Part",
           "Range", "Reconciliation", "Report", "ReportCoverage", "SideTotals", "StatRange", "Timeline",
           "VenueTotals", "counted", "events", "exact", "ranges", "reconcile", "report", "shapley", "timeline"]
__all__ += ["EMPTY_CODES", "Empty", "Explanation", "explain"]
__all__ += ["HEALTH_INDEX_VERSION", "AccountCount", "Cascade", "Comparison", "Concentration", "Flag", "HawkesFit",
            "HealthIndex", "PriceSeries", "accounts_liquidated", "compare", "concentration", "detect_cascades",
            "fit_hawkes", "hawkes", "health_index", "price_series", "raw_record", "simulate_hawkes", "structural_flags"]
