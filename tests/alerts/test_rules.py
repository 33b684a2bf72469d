"""Rules files are parsed strictly: each error names the file, the rule, the field, and the valid values."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from liqscope.alerts import load_rules
from liqscope.errors import ConfigError
from liqscope.venues import venues

ISSUE_EXAMPLE = """
[[rule]]
name = "burst"
kind = "notional"
window_seconds = 60
threshold_usd = 500000
cooldown_seconds = 600
assets = []
channels = ["json://127.0.0.1:9000/hook", "tgram://123456:ABC/987"]
"""


def _load(tmp_path: Path, text: str):
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return load_rules(path, tuple(venues()))


def test_the_issue_example_loads_with_its_values(tmp_path: Path) -> None:
    rules = _load(tmp_path, ISSUE_EXAMPLE)
    (rule,) = rules.rules
    assert (rule.name, rule.kind, rule.window_seconds, rule.threshold_usd, rule.cooldown_seconds) == \
           ("burst", "notional", 60, Decimal(500000), 600)
    assert rule.channels == ("json://127.0.0.1:9000/hook", "tgram://123456:ABC/987") and rules.methodology == "standard"


def test_a_float_threshold_is_read_by_its_digits(tmp_path: Path) -> None:
    (rule,) = _load(tmp_path, 'methodology = "every-copy"\n[[rule]]\nname = "w"\nkind = "single"\n'
                              "threshold_usd = 0.1\n").rules
    assert rule.threshold_usd == Decimal("0.1")


INVALID = [
    ('[[rule]]\nname = "a"\nkind = "notionl"\nthreshold_usd = 1\n',
     ["rule 1 ('a')", "'kind'", "notional, single, cascade, flag, health"]),
    ('[[rule]]\nname = "a"\nkind = "single"\n', ["rule 1 ('a')", "'threshold_usd'", "missing"]),
    ('[[rule]]\nname = "a"\nkind = "cascade"\nthreshold_usd = 5\n',
     ["'threshold_usd'", "do not apply to kind 'cascade'", "valid fields: assets, channels, cooldown_seconds"]),
    ('[[rule]]\nname = "a"\nkind = "notional"\nthreshold_usd = 5\nside = "SELL"\n', ["'side'", "LONG, SHORT"]),
    ('[[rule]]\nname = "a"\nkind = "flag"\nflag = "longs"\n',
     ["'flag'", "bluechip_concentration, crowded_long, long_dominance, top_accounts"]),
    ('[[rule]]\nname = "a"\nkind = "single"\nthreshold_usd = 5\nvenues = ["binance"]\n', ["'venues'", "binance_usdm"]),
    ('[[rule]]\nname = "a"\nkind = "notional"\nthreshold_usd = -5\n', ["'threshold_usd'", "> 0"]),
    ('[[rule]]\nname = "a"\nkind = "notional"\nthreshold_usd = 5\nwindow_seconds = 1.5\n',
     ["'window_seconds'", "whole number"]),
    ('[[rule]]\nname = "a"\nkind = "health"\nthreshold = 140\n', ["'threshold'", "0..100"]),
    ('[[rule]]\nname = "a"\nkind = "health"\nthreshold = 80\ndirection = "up"\n', ["'direction'", "above, below"]),
    ('[[rule]]\nname = "a"\nkind = "single"\nthreshold_usd = 5\nchannels = "json://x"\n',
     ["'channels'", "list of non-empty strings"]),
    ('[[rule]]\nname = "a"\nkind = "single"\nthreshold_usd = 5\n[[rule]]\nname = "a"\nkind = "cascade"\n',
     ["rule 2", "used twice"]),
    ('rules = []\n', ["unknown top-level key(s) 'rules'", "valid: methodology, rule"]),
    ('methodology = "standard"\n', ["no [[rule]]"]),
    ('[[rule]\n', ["not valid TOML"]),
]


@pytest.mark.parametrize(("text", "says"), INVALID)
def test_invalid_rules_are_refused_with_file_rule_field_and_valid_values(tmp_path: Path, text: str,
                                                                         says: list[str]) -> None:
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, text)
    message = str(e.value)
    assert message.startswith(str(tmp_path / "rules.toml"))
    for part in says:
        assert part in message
