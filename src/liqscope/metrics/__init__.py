"""Statistics over the lake, each computed under a declared methodology."""

from liqscope.metrics.report import Largest, Report, SideTotals, report

__all__ = ["Largest", "Report", "SideTotals", "report"]
