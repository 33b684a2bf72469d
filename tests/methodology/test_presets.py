"""Built-in presets: each compiles to reviewed SQL (golden files), is documented, and is fingerprinted."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from liqscope._time import iso_ns, parse_iso_ns
from liqscope.methodology import Variant, builtin_names, compile_counted, compile_variant_totals, load, resolve_window

GOLDEN = Path(__file__).parent / "golden"
DOCS = Path(__file__).parents[2] / "docs" / "methodology.md"
ANCHOR = (parse_iso_ns("2025-12-27T00:00:00Z"), parse_iso_ns("2025-12-28T00:00:00Z"))
SAMPLED = ["binance_usdm", "okx_swap"]


def _render(sql: str, params: dict[str, object]) -> str:
    def value(k: str, v: object) -> str:
        text = json.dumps(msgspec.to_builtins(v))
        return f"{text}  ({iso_ns(v)})" if k.endswith(("start", "end")) and isinstance(v, int) else text

    header = "\n".join(f"-- ${k} = {value(k, v)}" for k, v in sorted(params.items()))
    return f"{header}\n{sql}\n"


def test_the_required_presets_ship():
    assert {"standard", "every-copy", "cex-majors-utc-day", "all-venues-rolling-24h", "perpetuals-only",
            "onchain-only"} <= set(builtin_names())


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_compiles_to_the_golden_sql(name, golden):
    """The SQL and bound values (incl. the window resolved from a fixed anchor) are reviewed files."""
    m = load(name)
    w = resolve_window(m.window, *ANCHOR, segments=[])
    q = compile_counted(m, "events", w.start_ns, w.end_ns, SAMPLED)
    golden.check(GOLDEN / f"{name}.sql", _render(q.sql, q.params))


def test_variant_totals_compile_to_the_golden_sql(golden):
    a, b = load("every-copy"), load("throttle-adjusted")
    variants = [Variant(methodology=msgspec.structs.replace(a, **{d: getattr(b, d) for d in dims}),
                        start_ns=ANCHOR[0], end_ns=ANCHOR[1])
                for dims in ((), ("counting",), ("estimation",), ("counting", "estimation"))]
    q = compile_variant_totals(variants, "events", SAMPLED)
    golden.check(GOLDEN / "variants_every-copy_to_throttle-adjusted.sql", _render(q.sql, q.params))


@pytest.mark.parametrize("name", builtin_names())
def test_each_builtin_is_documented_in_one_line(name):
    lines = [x for x in DOCS.read_text(encoding="utf-8").splitlines() if x.startswith(f"| `{name}` |")]
    assert len(lines) == 1, f"docs/methodology.md needs one table row for {name}"
    assert load(name).description


def test_fingerprint_hashes_rules_not_names():
    std = load("standard")
    renamed = msgspec.structs.replace(std, name="mine", description="other words")
    assert renamed.fingerprint() == std.fingerprint()
    assert load("every-copy").fingerprint() != std.fingerprint()
    assert len({load(n).fingerprint() for n in builtin_names()}) == len(builtin_names())


def test_fingerprint_ignores_parameters_the_kind_does_not_use():
    """A time zone on a fixed window, or model constants under the floor, change no number."""
    std = load("standard")
    tz = msgspec.structs.replace(std, window=msgspec.structs.replace(std.window, timezone="Asia/Tokyo"))
    est = msgspec.structs.replace(std, estimation=msgspec.structs.replace(std.estimation, slope=99))
    assert tz.fingerprint() == est.fingerprint() == std.fingerprint()
    daily = msgspec.structs.replace(std, window=msgspec.structs.replace(std.window, kind="calendar_day"))
    daily_tokyo = msgspec.structs.replace(daily, window=msgspec.structs.replace(daily.window, timezone="Asia/Tokyo"))
    assert len({std.fingerprint(), daily.fingerprint(), daily_tokyo.fingerprint()}) == 3
