"""Accounts liquidated: counted exactly where a venue names the liquidated account, never estimated.

Hyperliquid exposes the liquidated address (node fills' ``liquidatedUser``, the official CSV's
``user``); Binance, Bybit and OKX publish no account, so no count is given for them, and the result
says which venues the count covers (see docs/market-structure.md).
"""

from __future__ import annotations

import duckdb
import msgspec

from liqscope.methodology import Methodology, compile_counted
from liqscope.store import Catalog

__all__ = ["ACCOUNT_METHOD", "AccountCount", "accounts_liquidated"]

ACCOUNT_METHOD = ("exact: distinct liquidated account addresses on the venues that publish them; venues that "
                  "publish none are listed as not covered and are NOT estimated")


class AccountCount(msgspec.Struct, kw_only=True):
    """Distinct liquidated accounts, and the venues the count covers."""

    accounts: int | None
    events_with_account: int
    venues_covered: list[str]
    venues_not_covered: list[str]
    method: str = ACCOUNT_METHOD


def accounts_liquidated(catalog: Catalog, methodology: Methodology, start_ns: int, end_ns: int, *,
                        con: duckdb.DuckDBPyConnection | None = None) -> AccountCount:
    """Count distinct liquidated accounts among the counted events of [start, end).

    Args:
        con: A connection that already holds this methodology's ``counted`` table (``report`` passes
            its own); ``None`` builds it here.
    """
    own = con is None
    if con is None:
        files = catalog.event_files(methodology.coverage.venues or None, start_ns, end_ns)
        q = compile_counted(methodology, catalog.relation_sql(files), start_ns, end_ns)
        con = catalog.connect()
        con.execute(f"CREATE TEMP TABLE counted AS {q.sql}", q.params)
    try:
        rows = con.execute("SELECT venue, count(account), count(DISTINCT account) FROM counted GROUP BY venue "
                           "ORDER BY venue").fetchall()
        distinct = con.execute(  # type: ignore[index]  # an aggregate: always one row
            "SELECT count(DISTINCT account) FROM counted").fetchone()[0]
    finally:
        if own:
            con.close()
    covered = [v for v, with_acct, _ in rows if with_acct]
    return AccountCount(accounts=int(distinct) if covered else None,
                        events_with_account=sum(int(r[1]) for r in rows), venues_covered=covered,
                        venues_not_covered=[v for v, with_acct, _ in rows if not with_acct])
