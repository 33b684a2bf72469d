"""Methodology -> parameterized SQL. Only closed-set fragments are spliced; every value is bound."""

from __future__ import annotations

import msgspec

from liqscope.methodology.spec import Methodology

__all__ = ["Query", "compile_counted"]

# Closed set: the dedupe level picks one of these fragments, nothing else is spliced.
_DEDUPE = {
    "every_copy": "",
    "identity": "QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts_recv, record_key) = 1",
}
_PRICE = {"fill": "notional_usd", "order": "notional_order_usd"}


class Query(msgspec.Struct, frozen=True):
    """SQL text with ``$name`` placeholders and the values to bind."""

    sql: str
    params: dict[str, object]


def compile_counted(m: Methodology, relation: str, start_ns: int, end_ns: int) -> Query:
    """SQL selecting the counted events of ``m`` in [start_ns, end_ns), with a ``usd`` column.

    Args:
        m: The methodology.
        relation: The events relation (from ``Catalog.relation_sql``: our own file list).
        start_ns: Window start, inclusive, ns UTC (venue time).
        end_ns: Window end, exclusive.
    """
    sql = f"""
SELECT *, {_PRICE[m.valuation.price]} AS usd
FROM {relation}
WHERE ts_event >= $start AND ts_event < $end
  AND (len($venues) = 0 OR list_contains($venues, venue))
  AND list_contains($instrument_kinds, instrument_kind)
  AND (len($assets) = 0 OR list_contains($assets, base_asset))
  AND list_contains($liquidation_kinds, liquidation_kind)
  AND ($include_synthetic OR NOT synthetic)
{_DEDUPE[m.counting.dedupe]}
""".strip()
    sql = f"SELECT * FROM (\n{sql}\n) WHERE usd >= $min_notional"
    params: dict[str, object] = {
        "start": start_ns,
        "end": end_ns,
        "venues": list(m.coverage.venues),
        "instrument_kinds": list(m.coverage.instrument_kinds),
        "assets": list(m.coverage.assets),
        "liquidation_kinds": list(m.coverage.liquidation_kinds),
        "include_synthetic": m.coverage.include_synthetic,
        "min_notional": m.counting.min_notional_usd,
    }
    return Query(sql, params)
