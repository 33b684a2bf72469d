"""Alerts: rules in TOML, evaluated under a methodology over the lake, delivered through apprise.

- ``load_rules(path)``: a strict rules file (kinds ``notional``, ``single``, ``cascade``, ``flag``, ``health``).
- ``evaluate(catalog, rules, methodology, start_ns, end_ns)``: the alerts the rules fire over a span (backtest),
  each carrying the methodology's fingerprint.
- ``deliver(alert, channels)``: apprise URLs, in parallel, bounded retries, one result per channel.
- ``LiveAlerts``: evaluation as capture commits; the history (``AlertHistory``, in the data directory) makes
  each alert go out once, across restarts.
"""

from liqscope.alerts._deliver import Delivery, deliver, redact
from liqscope.alerts._evaluate import Alert, evaluate
from liqscope.alerts._history import AlertHistory, Fired
from liqscope.alerts._live import LiveAlerts
from liqscope.alerts._rules import FLAGS, KINDS, Rule, RuleSet, load_rules

__all__ = ["FLAGS", "KINDS", "Alert", "AlertHistory", "Delivery", "Fired", "LiveAlerts", "Rule", "RuleSet",
           "deliver", "evaluate", "load_rules", "redact"]
