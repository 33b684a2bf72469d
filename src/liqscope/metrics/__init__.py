"""Statistics over the lake, each computed under a declared methodology."""

from liqscope.metrics.accounts import AccountCount, accounts_liquidated
from liqscope.metrics.cascades import Cascade, detect_cascades
from liqscope.metrics.compare import Comparison, compare
from liqscope.metrics.concentration import Concentration, concentration, raw_record
from liqscope.metrics.estimate import Estimate
from liqscope.metrics.flags import Flag, structural_flags
from liqscope.metrics.hawkes import HawkesFit, fit_hawkes, hawkes, simulate_hawkes
from liqscope.metrics.health import HEALTH_INDEX_VERSION, HealthIndex, health_index
from liqscope.metrics.range import Range, StatRange, ranges
from liqscope.metrics.reconcile import Part, Reconciliation, reconcile, shapley
from liqscope.metrics.report import Largest, Report, SideTotals, report

__all__ = ["Estimate", "Largest", "Part", "Range", "Reconciliation", "Report", "SideTotals", "StatRange", "ranges",
           "reconcile", "report", "shapley"]
__all__ += ["HEALTH_INDEX_VERSION", "AccountCount", "Cascade", "Comparison", "Concentration", "Flag", "HawkesFit",
            "HealthIndex", "accounts_liquidated", "compare", "concentration", "detect_cascades", "fit_hawkes",
            "hawkes", "health_index", "raw_record", "simulate_hawkes", "structural_flags"]
