# Rules evaluated under a methodology: every candidate comes from a Counted (liqscope.counted), so an alert
# counts exactly what the methodology counts, and carries its fingerprint.
from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import msgspec

from liqscope._time import iso_ns
from liqscope.alerts._rules import Rule
from liqscope.methodology import Methodology
from liqscope.metrics import Counted, counted, detect_cascades, exact, health_index, structural_flags
from liqscope.store import Catalog

_S = 1_000_000_000
_DAY_NS = 86_400 * _S
_EVENT_COLUMNS = ("ts_event", "venue", "market", "base_asset", "liquidated_side", "usd", "usd_floor", "event_id",
                  "raw_ref")
_FILTER = ("(array_length($assets) = 0 OR list_contains($assets, base_asset)) "
           "AND (CAST($side AS VARCHAR) IS NULL OR liquidated_side = $side)")


class Alert(msgspec.Struct, frozen=True, kw_only=True):
    """One alert a rule fired.

    Attributes:
        rule: The rule's name.
        kind: The rule's kind.
        ts: When it fired (venue time of what crossed the threshold), ISO-8601 UTC.
        ts_ns: The same, ns since the epoch.
        value_usd: The USD figure that fired it (rolling notional, the liquidation, the cascade's total);
            None for flag and health rules.
        value: The flag's or the index's value (flag, health).
        threshold: The threshold it crossed.
        summary: One line for people.
        detail: The figures behind it (the event, the cascade, the flag's numbers, the index components).
        methodology: ``{name, version, fingerprint}`` of the methodology it was evaluated under.
        key: ``<rule>@<ts_ns>``: what the history remembers so an alert is never sent twice.
    """

    rule: str
    kind: str
    ts: str
    ts_ns: int
    value_usd: Decimal | None
    value: Decimal | None
    threshold: Decimal | None
    summary: str
    detail: dict[str, Any]
    methodology: dict[str, object]
    key: str


def _usd(d: Decimal) -> str:
    return f"${d:,.0f}"


def _params(rule: Rule) -> dict[str, Any]:
    return {"assets": list(rule.assets), "side": rule.side}


def _notional(rule: Rule, c: Counted, start_ns: int) -> Iterable[tuple[int, Decimal | None, Decimal | None, str,
                                                                          dict[str, Any]]]:
    window_ns = rule.window_seconds * _S
    # (ts - window, ts]: RANGE n PRECEDING includes ts - n, hence window - 1. window_ns is an int we parsed.
    sql = (f"SELECT ts_event, rolling, n FROM (SELECT ts_event, sum(usd) OVER w AS rolling, count(*) OVER w AS n "
           f"FROM counted WHERE {_FILTER} WINDOW w AS (ORDER BY ts_event RANGE BETWEEN {window_ns - 1} PRECEDING "
           "AND CURRENT ROW)) WHERE rolling >= $threshold AND ts_event >= $start ORDER BY ts_event")
    with c.connect(_EVENT_COLUMNS) as con:
        rows = con.execute(sql, {**_params(rule), "threshold": rule.threshold_usd, "start": start_ns}).fetchall()
    for ts, rolling, n in rows:
        value = exact(Decimal(rolling))
        yield ts, value, None, (f"{_usd(value)} liquidated in {rule.window_seconds}s "
                                f"(>= {_usd(rule.threshold_usd or Decimal(0))}; {n} liquidations)"), \
            {"window_seconds": rule.window_seconds, "liquidations": n}


def _single(rule: Rule, c: Counted, start_ns: int) -> Iterable[tuple[int, Decimal | None, Decimal | None, str,
                                                                        dict[str, Any]]]:
    sql = (f"SELECT ts_event, usd_floor, venue, market, liquidated_side, event_id, raw_ref FROM counted "
           f"WHERE {_FILTER} AND usd_floor >= $threshold AND ts_event >= $start ORDER BY ts_event, event_id")
    with c.connect(_EVENT_COLUMNS) as con:
        rows = con.execute(sql, {**_params(rule), "threshold": rule.threshold_usd, "start": start_ns}).fetchall()
    for ts, usd, venue, market, side, event_id, raw_ref in rows:
        value = exact(Decimal(usd))
        yield ts, value, None, f"{_usd(value)} {side or 'account'} liquidation on {venue} {market}", \
            {"venue": venue, "market": market, "liquidated_side": side, "event_id": event_id, "raw_ref": raw_ref}


def _cascade(rule: Rule, c: Counted, start_ns: int) -> Iterable[tuple[int, Decimal | None, Decimal | None, str,
                                                                         dict[str, Any]]]:
    for k in detect_cascades(c):
        if k.start_ns < start_ns or (rule.assets and not set(rule.assets) & set(k.assets)):
            continue
        yield k.start_ns, k.total_usd, None, (f"cascade from {k.start}: {_usd(k.total_usd)} in {k.hot_minutes} hot "
                                              f"minute(s), peak {_usd(k.peak_usd)}/min"), \
            {"start": k.start, "end": k.end, "peak_minute": k.peak_minute, "peak_usd": k.peak_usd,
             "baseline_usd": k.baseline_usd, "long_share": k.long_share, "events": k.events,
             "venues": k.venues, "assets": k.assets}


def _steps(start_ns: int, end_ns: int, every_ns: int) -> range:
    # Evaluation instants on a grid aligned to the epoch (so live and backtest agree): every t in (start, end].
    first = (start_ns // every_ns + 1) * every_ns
    return range(first, end_ns + 1, every_ns)


def _flag(rule: Rule, c: Counted, start_ns: int, end_ns: int) -> Iterable[tuple[int, Decimal | None, Decimal | None,
                                                                               str, dict[str, Any]]]:
    for t in _steps(start_ns, end_ns, rule.every_seconds * _S):
        flag = next(f for f in structural_flags(c.span(t - rule.window_seconds * _S, t, "alert flag window"))
                    if f.name == rule.flag)
        if flag.raised:
            yield t, None, flag.value, f"{rule.flag} raised over the {rule.window_seconds}s to {iso_ns(t)}", \
                {"flag": rule.flag, "threshold": flag.threshold, "basis": flag.basis, "numbers": flag.numbers}


def _health(rule: Rule, c: Counted, start_ns: int, end_ns: int) -> Iterable[tuple[int, Decimal | None,
                                                                                 Decimal | None, str, dict[str, Any]]]:
    every_ns = rule.every_seconds * _S
    threshold = rule.threshold or Decimal(0)
    for asset in rule.assets or ("BTC",):
        def index_at(t: int, asset: str = asset) -> Decimal | None:
            return health_index(c.span(t - _DAY_NS, t, "health index anchor"), asset=asset).index

        steps = _steps(start_ns, end_ns, every_ns)
        previous = index_at(steps[0] - every_ns) if steps else None
        for t in steps:
            now = index_at(t)
            if now is not None and previous is not None:
                crossed = (previous < threshold <= now) if rule.direction == "above" else (previous > threshold >= now)
                if crossed:
                    yield t, None, now, (f"{asset} leverage-health index {previous:.1f} -> {now:.1f}, "
                                         f"{rule.direction} {threshold}"), \
                        {"asset": asset, "previous": previous, "index": now, "direction": rule.direction}
            previous = now


def candidates(rule: Rule, base: Counted, start_ns: int, end_ns: int) -> list[tuple[int, Decimal | None,
                                                                                   Decimal | None, str,
                                                                                   dict[str, Any]]]:
    """Every instant in [start_ns, end_ns) at which ``rule``'s condition holds, before cooldown."""
    if rule.kind == "notional":
        found = _notional(rule, base.span(start_ns - rule.window_seconds * _S, end_ns, "alert window"), start_ns)
    elif rule.kind == "single":
        found = _single(rule, base.span(start_ns, end_ns, "alert window"), start_ns)
    elif rule.kind == "cascade":
        found = _cascade(rule, base.span(start_ns, end_ns, "alert window"), start_ns)
    elif rule.kind == "flag":
        found = _flag(rule, base, start_ns, end_ns - 1)
    else:
        found = _health(rule, base, start_ns, end_ns - 1)
    return [x for x in found if start_ns <= x[0] < end_ns]


def evaluate(catalog: Catalog, rules: Iterable[Rule], methodology: Methodology, start_ns: int, end_ns: int, *,
             last_fired: Mapping[str, int] | None = None) -> list[Alert]:
    """Fire ``rules`` over [start_ns, end_ns) of ``catalog`` under ``methodology``: the alerts, in time order.

    A rule fires at the first instant its condition holds, then stays quiet for ``cooldown_seconds``
    (counted from ``last_fired[rule]`` too, when given: the live history). Nothing is sent or stored.
    """
    out: list[Alert] = []
    for rule in rules:
        base = counted(catalog, methodology, start_ns, end_ns, venues=rule.venues)
        meta = base.meta()
        last = (last_fired or {}).get(rule.name)
        for ts, value_usd, value, summary, detail in candidates(rule, base, start_ns, end_ns):
            if last is not None and ts < last + rule.cooldown_seconds * _S:
                continue
            last = ts
            threshold = rule.threshold_usd if rule.kind in ("notional", "single") else (
                rule.threshold if rule.kind == "health" else detail.get("threshold"))
            out.append(Alert(rule=rule.name, kind=rule.kind, ts=iso_ns(ts), ts_ns=ts, value_usd=value_usd,
                             value=value, threshold=threshold, summary=f"[{rule.name}] {summary}", detail=detail,
                             methodology=meta, key=f"{rule.name}@{ts}"))
    return sorted(out, key=lambda a: (a.ts_ns, a.rule))
