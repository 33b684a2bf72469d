"""The [levels] section is declared, versioned, strict, and fingerprinted."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from liqscope.errors import ConfigError
from liqscope.methodology import load
from liqscope.methodology.load import load_file


@pytest.mark.parametrize(("toml", "expected"), [
    ('[levels]\nleverage_tiers = [10]', "valid keys here: bucket_bp, cluster_share, entry_price"),
    ('[levels]\nentry_price = "vwap"', "valid values: typical, close"),
    ('[levels]\nmodel_version = 2', "levels.model_version"),
    ('[levels]\nleverage = [10, 20]\nweights = [1]', "levels.weights: 1 weights for 2 leverage tiers"),
    ('[levels]\nleverage = [10, 20]\nweights = [0.5, 0.6]', "levels.weights: (Decimal('0.5'), Decimal('0.6')) is "
                                                          "out of range; valid values: numbers >= 0 that sum to"),
    ('[levels.maintenance_margin]\ndefault = 0.004\nbinanse_usdm = 0.004', "unknown venue 'binanse_usdm'; valid "
                                                                           "keys: default, "),
    ('[levels.maintenance_margin]\nbinance_usdm = 0.004', "needs a 'default' key"),
    ('[levels]\nhalf_life_hours = 0', "levels.half_life_hours: 0 is out of range"),
    ('[levels]\nlong_share = 1.5', "levels.long_share: 1.5 is out of range; valid values: a number from 0 to 1"),
])
def test_invalid_levels_sections_name_the_key_and_the_valid_values(tmp_path, toml, expected):
    path = tmp_path / "m.toml"
    path.write_text(f'name = "mine"\n{toml}\n')
    with pytest.raises(ConfigError) as e:
        load_file(path)
    assert str(e.value).startswith(str(path)) and expected in str(e.value)


def test_the_levels_model_is_part_of_the_fingerprint():
    std = load("standard")
    tweaked = msgspec.structs.replace(std, levels=msgspec.structs.replace(std.levels, half_life_hours=Decimal(24)))
    assert tweaked.fingerprint() != std.fingerprint()
    assert std.rules()["levels"]["maintenance_margin"] == {"default": "0.004", "binance_usdm": "0.004",
                                                           "hyperliquid": "0.0125"}
