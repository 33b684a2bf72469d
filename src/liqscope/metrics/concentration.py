"""Concentration of liquidated notional: top-N share, HHI and Gini, by account (where venues name
accounts) and by event; plus the largest-liquidations board whose rows lead back to raw records."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import duckdb
import msgspec

from liqscope.metrics._counted import Counted, exact
from liqscope.metrics.accounts import AccountCount, count_accounts
from liqscope.metrics.report import LARGEST_SQL, Largest, largest_rows
from liqscope.store import Catalog
from liqscope.store._writer import read_raw

__all__ = ["AccountRow", "Concentration", "ConcentrationStats", "concentration", "concentration_stats",
           "concentration_stats_sql", "raw_record"]

_ZERO = Decimal(0)


class ConcentrationStats(msgspec.Struct, kw_only=True):
    """How concentrated a set of positive amounts is.

    ``top_share``: share of the ``top_n`` largest; ``hhi``: Σ share² (1/N = even, 1 = one unit holds
    all); ``gini``: 0 = equal, → 1 = one unit holds all.
    """

    unit: str
    units: int
    total_usd: Decimal
    top_n: int
    top_share: Decimal | None
    hhi: Decimal | None
    gini: Decimal | None


class AccountRow(msgspec.Struct, kw_only=True):
    """One account on the board of most-liquidated accounts."""

    account: str
    venues: list[str]
    notional_usd: Decimal
    events: int
    share: Decimal


class Concentration(msgspec.Struct, kw_only=True):
    """Concentration by event and (where accounts exist) by account, with both leaderboards."""

    by_event: ConcentrationStats
    by_account: ConcentrationStats | None
    accounts: AccountCount
    top_accounts: list[AccountRow]
    largest: list[Largest]


def concentration_stats(amounts: Sequence[Decimal], top_n: int, unit: str) -> ConcentrationStats:
    """Top-N share, HHI and Gini of positive amounts (exact decimals)."""
    xs = sorted((a for a in amounts if a > 0), reverse=True)
    total = sum(xs, _ZERO)
    n = len(xs)
    if not n:
        return ConcentrationStats(unit=unit, units=0, total_usd=_ZERO, top_n=top_n, top_share=None, hhi=None, gini=None)
    shares = [x / total for x in xs]
    asc = xs[::-1]
    gini = (2 * sum((i + 1) * x for i, x in enumerate(asc))) / (n * total) - Decimal(n + 1) / n
    return ConcentrationStats(unit=unit, units=n, total_usd=exact(total), top_n=top_n,
                              top_share=exact(sum(shares[:top_n], _ZERO)),
                              hhi=exact(sum((s * s for s in shares), _ZERO)), gini=exact(gini))


def concentration_stats_sql(con: duckdb.DuckDBPyConnection, table: str, top_n: int) -> ConcentrationStats:
    """``concentration_stats`` by event, computed inside DuckDB so no event leaves the database.

    ``table`` is a closed-set name of a temp table with a ``usd_floor`` column (``counted``): each
    liquidation at its observed notional. The top-N share
    and the total are exact decimals; HHI and Gini are ratios computed in double precision and
    rounded to 12 significant digits.
    """
    total, n, top, sq, ranked = con.execute(f"""
        SELECT coalesce(sum(usd), 0), count(*),
               coalesce(sum(usd) FILTER (rk_desc <= $top), 0),
               sum(CAST(usd AS DOUBLE) * CAST(usd AS DOUBLE)),
               sum(rk_asc * CAST(usd AS DOUBLE))
        FROM (SELECT usd_floor AS usd, row_number() OVER (ORDER BY usd_floor DESC) AS rk_desc,
                     row_number() OVER (ORDER BY usd_floor ASC) AS rk_asc
              FROM {table} WHERE usd_floor > 0)""", {"top": top_n}).fetchone()  # type: ignore[misc]
    if not n:
        return ConcentrationStats(unit="event", units=0, total_usd=_ZERO, top_n=top_n, top_share=None, hhi=None,
                                  gini=None)
    total = exact(total)
    tot_f = float(total)
    hhi = sq / (tot_f * tot_f)
    gini = 2 * ranked / (n * tot_f) - (n + 1) / n
    return ConcentrationStats(unit="event", units=int(n), total_usd=total, top_n=top_n,
                              top_share=exact(exact(top) / total), hhi=Decimal(f"{hhi:.12g}"),
                              gini=Decimal(f"{max(gini, 0.0):.12g}"))


def concentration(c: Counted, *, top_n: int | None = None, largest_n: int = 10) -> Concentration:
    """Concentration of the counted liquidations; ``top_n`` defaults to the methodology's
    ``flags.top_accounts``. Each liquidation (and each account's sum) is taken at its observed notional:
    an estimate of what a sampled feed hid names no liquidation and no account."""
    top_n = top_n or c.methodology.flags.top_accounts
    with c.connect(("venue", "market", "liquidated_side", "account", "ts_event", "event_id", "raw_ref",
                    "usd_floor")) as con:
        event_usd = [exact(r[0]) for r in con.execute("SELECT usd_floor FROM counted").fetchall()]
        acct = con.execute("SELECT account, list(DISTINCT venue ORDER BY venue), sum(usd_floor), count(*) "
                           "FROM counted WHERE account IS NOT NULL GROUP BY account "
                           "ORDER BY sum(usd_floor) DESC, account").fetchall()
        board = con.execute(LARGEST_SQL, {"n": largest_n, "lo": c.start_ns, "hi": c.end_ns}).fetchall()
        accounts = count_accounts(con)
    by_account = concentration_stats([exact(r[2]) for r in acct], top_n, "account") if acct else None
    acct_total = sum((exact(r[2]) for r in acct), _ZERO)
    return Concentration(
        by_event=concentration_stats(event_usd, top_n, "event"),
        by_account=by_account,
        accounts=accounts,
        top_accounts=[AccountRow(account=a, venues=list(v), notional_usd=exact(u), events=n,
                                 share=exact(exact(u) / acct_total) if acct_total else _ZERO)
                      for a, v, u, n in acct[:top_n]],
        largest=largest_rows(board),
    )


def raw_record(catalog: Catalog, raw_ref: str) -> bytes:
    """The raw input record a ``raw_ref`` (``<sha256>:<line>``) points at, byte for byte."""
    sha, _, line = raw_ref.rpartition(":")
    lines = read_raw(catalog.layout, sha).split(b"\n")
    return lines[int(line) - 1].rstrip(b"\r")
