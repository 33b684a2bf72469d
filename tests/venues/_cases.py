"""Discover venue fixtures and run them through the real decode -> parse path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgspec

from liqscope.events import Received, Source
from liqscope.normalize import Outcome, normalize_record
from liqscope.venues import venues

ROOT = Path(__file__).parent.parent / "fixtures" / "venues"
# Fixed receipt time for golden files: 2027-01-15T08:00:00Z, after every fixture's venue time.
FIXED_RECV_NS = 1_800_000_000_000_000_000
_SOURCE = {"ws": Source.WS, "rest": Source.REST, "archive": Source.ARCHIVE}


@dataclass(frozen=True)
class Case:
    venue: str
    path: Path
    format: str  # "jsonl" or a Format name

    def __str__(self) -> str:
        return f"{self.venue}/{self.path.relative_to(ROOT / self.venue)}"

    @property
    def expected_path(self) -> Path:
        return self.path.with_name(self.path.name + ".expected.jsonl")

    def outcomes(self) -> list[tuple[int, Outcome]]:
        spec = venues()[self.venue]
        data = self.path.read_bytes()
        source = _SOURCE.get(self.path.name.split("_", 1)[0], Source.ARCHIVE)
        if self.format == "jsonl":
            lines = [(n, line) for n, line in enumerate(data.splitlines(), 1) if line.strip()]
            decode, parse = spec.decode, spec.parse
        else:
            fmt = spec.formats[self.format]
            lines = list(fmt.split(data, self.path.name))
            decode = lambda raw: fmt.decode(raw, self.path.name)  # noqa: E731
            parse = fmt.parse
        return [
            (n, normalize_record(decode, parse, raw, Received(ts_ns=FIXED_RECV_NS, ref=f"{self.path.name}:{n}",
                                                             source=source)))
            for n, raw in lines
        ]

    def golden_text(self) -> str:
        rows = []
        for n, out in self.outcomes():
            if out.quarantined:
                rows.append({"line": n, "quarantined": out.error, "field": out.field})
            elif out.skipped is not None:
                rows.append({"line": n, "skipped": out.skipped})
            else:
                rows.append({"line": n, "events": [_shown(e) for e in out.events]})
        return "".join(msgspec.json.encode(r).decode() + "\n" for r in rows)


# Event fields only some venues fill (lending legs, a source's sampling): shown in a golden file only when set,
# (and ``retraction`` only when true), so adding such a field leaves every other venue's golden file as it was.
_SHOWN_WHEN_SET = ("debt_asset", "debt_quantity", "debt_usd", "collateral_asset", "collateral_quantity",
                   "collateral_usd", "price_source", "sampling")


def _shown(event: object) -> dict[str, object]:
    row: dict[str, object] = msgspec.to_builtins(event)
    return {k: v for k, v in row.items()
            if not ((k in _SHOWN_WHEN_SET and v is None) or (k == "retraction" and v is False))}


def fixture_cases() -> list[Case]:
    cases = []
    for venue_dir in sorted(p for p in ROOT.iterdir() if p.is_dir()):
        for path in sorted(venue_dir.glob("*.jsonl")):
            if path.name.endswith(".expected.jsonl"):
                continue
            cases.append(Case(venue_dir.name, path, "jsonl"))
        for fmt_dir in sorted((venue_dir / "formats").glob("*")):
            for path in sorted(fmt_dir.iterdir()):
                if path.name.endswith((".expected.jsonl", ".source.txt")):
                    continue
                cases.append(Case(venue_dir.name, path, fmt_dir.name))
    return cases
