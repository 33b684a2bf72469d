"""Methodology files are parsed strictly: every invalid config fails with a message listing valid values."""

from __future__ import annotations

import pytest

from liqscope.errors import ConfigError, UnknownName
from liqscope.methodology import builtin_names, load, load_file

# (case id, TOML text, regex the error message must contain)
INVALID_CONFIGS = [
    ("unknown-top-level-key", 'name = "x"\nwindows = 1',
     r"unknown field `windows`; valid keys here: cascades, counting, coverage, description, estimation, flags, levels, "
     r"name, valuation, version, window"),
    ("unknown-coverage-key", 'name = "x"\n[coverage]\nexchanges = ["a"]',
     r"unknown field `exchanges` - at `\$.coverage`; valid keys here: assets, include_synthetic, "
     r"instrument_kinds, liquidation_kinds, silence, venues"),
    ("unknown-silence-key", 'name = "x"\n[[coverage.silence]]\nvenue = "binance_usdm"\nseconds = 600',
     r"unknown field `seconds` - at `\$.coverage.silence\[0\]`; valid keys here: hole_seconds, venue"),
    ("silence-unknown-venue", 'name = "x"\n[[coverage.silence]]\nvenue = "binance"\nhole_seconds = 600',
     r"coverage.silence\[0\].venue: unknown venue 'binance'; valid values: .*binance_usdm"),
    ("silence-twice", 'name = "x"\n' + '[[coverage.silence]]\nvenue = "binance_usdm"\nhole_seconds = 600\n' * 2,
     r"coverage.silence\[1\].venue: 'binance_usdm' has two silence rules"),
    ("silence-too-short", 'name = "x"\n[[coverage.silence]]\nvenue = "binance_usdm"\nhole_seconds = 5',
     r"coverage.silence\[0\].hole_seconds: 5 is out of range; valid values: an integer from 60 to 604800"),
    ("missing-name", '[counting]\ndedupe = "identity"', r"missing required field `name`"),
    ("not-toml", 'name = "x"\n[counting\n', r"not valid TOML: .*line 2"),
    ("unknown-venue", 'name = "x"\n[coverage]\nvenues = ["binance"]',
     r"coverage.venues: unknown venue 'binance'; valid values: .*binance_usdm.*hyperliquid"),
    ("unknown-instrument-kind", 'name = "x"\n[coverage]\ninstrument_kinds = ["spot"]',
     r"'spot' - at `\$.coverage.instrument_kinds\[0\]`; valid values: perpetual, dated_future, account"),
    ("empty-liquidation-kinds", 'name = "x"\n[coverage]\nliquidation_kinds = []',
     r"coverage.liquidation_kinds: an empty list counts nothing; valid values: market, backstop, adl"),
    ("unknown-window-kind", 'name = "x"\n[window]\nkind = "weekly"',
     r"'weekly' - at `\$.window.kind`; valid values: fixed, calendar_day, rolling, event_segment"),
    ("unknown-time-zone", 'name = "x"\n[window]\nkind = "calendar_day"\ntimezone = "Mars/Olympus"',
     r"window.timezone: unknown time zone 'Mars/Olympus'; valid values: an IANA name \(e.g. Asia/Shanghai, "
     r"America/New_York\) or a fixed offset UTC±H\[:MM\] \(e.g. UTC\+8\)"),
    ("offset-beyond-14h", 'name = "x"\n[window]\ntimezone = "UTC+15"', r"'UTC\+15' is beyond ±14:00; valid values"),
    ("rolling-zero-hours", 'name = "x"\n[window]\nkind = "rolling"\nhours = 0',
     r"window.hours: 0 is out of range; valid values: an integer from 1 to 8784"),
    ("unknown-segment", 'name = "x"\n[window]\nsegment = "biggest"',
     r"'biggest' - at `\$.window.segment`; valid values: largest, first, last"),
    ("unknown-dedupe", 'name = "x"\n[counting]\ndedupe = "per_order"',
     r"'per_order' - at `\$.counting.dedupe`; valid values: every_copy, identity, account"),
    ("negative-min-notional", 'name = "x"\n[counting]\nmin_notional_usd = -1',
     r"counting.min_notional_usd: -1 is out of range; valid values: a number >= 0"),
    ("unknown-price", 'name = "x"\n[valuation]\nprice = "mark"', r"valuation.price`; valid values: fill, order"),
    ("stablecoins-converted", 'name = "x"\n[valuation]\nstablecoins = "converted"',
     r"valuation.stablecoins`; valid values: par$"),
    ("unknown-estimation-mode", 'name = "x"\n[estimation]\nmode = "guess"',
     r"estimation.mode`; valid values: floor, throttle_adjusted"),
    ("level-above-one", 'name = "x"\n[estimation]\nlevel = 1.5',
     r"estimation.level: 1.5 is out of range; valid values: a number strictly between 0 and 1"),
    ("zero-dispersion", 'name = "x"\n[estimation]\ndispersion = 0',
     r"estimation.dispersion: 0 is out of range; valid values: a number > 0"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in INVALID_CONFIGS], ids=[c[0] for c in INVALID_CONFIGS])
def test_invalid_config_fails_with_the_valid_values(tmp_path, text, expected):
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected) as info:
        load_file(path)
    assert str(info.value).startswith(f"{path}: ")  # every message names the file


def test_an_unknown_name_lists_every_builtin():
    with pytest.raises(UnknownName) as info:
        load("nope")
    assert str(info.value).endswith("valid values: " + ", ".join(builtin_names()))


def test_a_user_file_loads_by_path_and_keeps_its_rules(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\n[window]\nkind = "calendar_day"\ntimezone = "Asia/Tokyo"\n'
                    '[counting]\nmin_notional_usd = 10000\n', encoding="utf-8")
    m = load(str(path))
    assert (m.name, m.window.kind, m.window.timezone, str(m.counting.min_notional_usd)) == \
        ("mine", "calendar_day", "Asia/Tokyo", "10000")
