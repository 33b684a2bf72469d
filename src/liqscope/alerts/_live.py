# Live evaluation: after capture commits, the rules are evaluated over the recent past of the lake, the new
# alerts are recorded in the history FIRST (so a crash or restart never sends one twice) and then delivered.
# It runs in its own thread: a slow channel or a long evaluation never delays a commit.
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from liqscope.alerts._deliver import Delivery, deliver
from liqscope.alerts._evaluate import Alert, evaluate
from liqscope.alerts._history import AlertHistory
from liqscope.alerts._rules import Rule, RuleSet
from liqscope.errors import LiqscopeError
from liqscope.methodology import Methodology
from liqscope.store import Catalog

log = logging.getLogger("liqscope.alerts")
_S = 1_000_000_000
# Frames are committed a little after their venue time (the flush window, a reconnect's replay): each check
# looks this far back besides the rule's own window, and the history keeps what was already sent.
SLACK_S = 300
CASCADE_LOOKBACK_S = 6 * 3600


def lookback_s(rule: Rule) -> int:
    """How far back a live check of ``rule`` looks."""
    if rule.kind == "cascade":
        return CASCADE_LOOKBACK_S
    return max(rule.window_seconds if rule.kind == "notional" else 0, rule.every_seconds) + SLACK_S


class LiveAlerts:
    """Evaluate a rule set as the lake grows: ``notify()`` after each commit, ``check()`` to run one pass.

    Args:
        catalog: The lake (and data directory, which holds the history).
        rules: The rule set.
        methodology: The methodology the rules are evaluated under.
        min_interval_s: At most one pass per this many seconds, however often commits land.
        clock: Wall-clock time in ns (tests pass their own).
        send: Delivery function (default: apprise, ``alerts.deliver``).
    """

    def __init__(self, catalog: Catalog, rules: RuleSet, methodology: Methodology, *, min_interval_s: float = 1.0,
                 clock: Callable[[], int] = time.time_ns,
                 send: Callable[[Alert, tuple[str, ...]], list[Delivery]] = deliver) -> None:
        self.catalog, self.rules, self.methodology = catalog, rules, methodology
        self.history = AlertHistory(catalog.root)
        self.min_interval_s, self.clock, self.send = min_interval_s, clock, send
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0
        self.errors: list[str] = []

    def check(self) -> list[tuple[Alert, list[Delivery]]]:
        """One pass: evaluate, record the new alerts, deliver them; what was sent, and how it went."""
        now = self.clock()
        self.catalog.invalidate()  # the commit worker wrote batches this catalog has not listed yet
        last = self.history.last_fired()
        sent: list[tuple[Alert, list[Delivery]]] = []
        for rule in self.rules.rules:
            fired = evaluate(self.catalog, [rule], self.methodology, now - lookback_s(rule) * _S, now,
                             last_fired=last)
            for alert in self.history.record(fired, now):
                by_name = {r.name: r for r in self.rules.rules}
                results = self.send(alert, by_name[alert.rule].channels)
                self.history.deliveries(alert.key, results)
                for d in results:
                    if not d.ok:
                        log.warning("alert %s not delivered to %s: %s", alert.key, d.channel, d.error)
                sent.append((alert, results))
        self.passes += 1
        return sent

    def _guarded(self) -> None:
        try:
            self.check()
        except (LiqscopeError, OSError) as e:  # one failed pass is reported; the capture goes on
            self.errors.append(f"{type(e).__name__}: {e}")
            log.warning("alert evaluation failed: %s", e)

    def notify(self) -> None:
        """Ask for a pass (called after each commit; cheap, never blocks)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                return
            self._wake.clear()
            started = time.monotonic()
            self._guarded()
            rest = self.min_interval_s - (time.monotonic() - started)
            if rest > 0:
                self._stop.wait(rest)

    def start(self) -> None:
        """Start the evaluation thread."""
        self._thread = threading.Thread(target=self._run, name="liqscope-alerts", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0, *, final: bool = True) -> None:
        """Finish the pass in progress, if any, then (``final``) run one last pass over the last commit, and stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if final:
            self._guarded()
