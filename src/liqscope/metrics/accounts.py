"""Accounts liquidated: counted exactly where a venue names the liquidated account, never estimated.

Hyperliquid exposes the liquidated address (node fills' ``liquidatedUser``, the official CSV's
``user``); Binance, Bybit and OKX publish no account, so no count is given for them, and the result
says which venues the count covers (see docs/market-structure.md).
"""

from __future__ import annotations

import duckdb
import msgspec

from liqscope.metrics._counted import Counted

__all__ = ["ACCOUNT_METHOD", "AccountCount", "accounts_liquidated", "count_accounts"]

ACCOUNT_METHOD = ("exact: distinct liquidated account addresses on the venues that publish them; venues that "
                  "publish none are listed as not covered and are NOT estimated")


class AccountCount(msgspec.Struct, kw_only=True):
    """Distinct liquidated accounts, and the venues the count covers."""

    accounts: int | None
    events_with_account: int
    venues_covered: list[str]
    venues_not_covered: list[str]
    method: str = ACCOUNT_METHOD


def accounts_liquidated(c: Counted) -> AccountCount:
    """Count distinct liquidated accounts among the counted events."""
    with c.connect(("venue", "account")) as con:
        return count_accounts(con)


def count_accounts(con: duckdb.DuckDBPyConnection) -> AccountCount:
    """``accounts_liquidated`` over a connection that already holds the ``counted`` table."""
    rows = con.execute("SELECT venue, count(account), count(DISTINCT account) FROM counted GROUP BY venue "
                       "ORDER BY venue").fetchall()
    distinct = con.execute("SELECT count(DISTINCT account) FROM counted").fetchone()[0]  # type: ignore[index]
    covered = [v for v, with_acct, _ in rows if with_acct]
    return AccountCount(accounts=int(distinct) if covered else None,
                        events_with_account=sum(int(r[1]) for r in rows), venues_covered=covered,
                        venues_not_covered=[v for v, with_acct, _ in rows if not with_acct])
