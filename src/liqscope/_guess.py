"""Which venue and format an input looks like, for the error when every record of it failed.

A file ingested under the wrong ``--venue``/``--format`` quarantines every record and adds nothing. That
is an error, not a quiet zero: the caller says so, and this module says what the file looks like by
ingesting its first records, under every registered venue and format, into a throwaway lake.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

from liqscope._ingest_read import open_input
from liqscope.errors import LiqscopeError
from liqscope.store import Catalog

__all__ = ["failure_codes", "looks_like"]

_SAMPLE_BYTES = 64 * 1024
_SAMPLE_LINES = 20


def _sample(path: Path) -> tuple[bytes, str]:
    inp = open_input(path)
    head = b"".join(inp.blocks(_SAMPLE_BYTES))
    lines = head.split(b"\n")
    if len(lines) > 1:  # a whole number of lines: the last one may be cut
        lines = lines[:-1] if not head.endswith(b"\n") else lines
    return b"\n".join(lines[:_SAMPLE_LINES]) + b"\n", inp.name


def looks_like(path: Path, *, not_: tuple[str, str] | None = None) -> list[tuple[str, str]]:
    """The ``(venue, format)`` pairs under which the first records of ``path`` all parse.

    Args:
        path: The input (plain, gzip or single-file zip).
        not_: A pair to leave out (the one that failed).
    """
    from liqscope.ingest import JSONL, formats_of, ingest_bytes
    from liqscope.venues import venues

    sample, name = _sample(path)
    found: list[tuple[str, str]] = []
    for venue in sorted(venues()):
        for fmt in formats_of(venue):
            if (venue, fmt) == not_ or (fmt != JSONL and fmt not in venues()[venue].formats):
                continue
            with tempfile.TemporaryDirectory(prefix="liqscope-guess-") as tmp:
                try:
                    res = ingest_bytes(Catalog(Path(tmp)), venue, sample, name, fmt, label=name)
                except (LiqscopeError, ValueError):
                    continue
            if res.accepted + res.duplicate > 0 and res.quarantined == 0:
                found.append((venue, fmt))
    return found


def failure_codes(quarantine_file: str | None) -> Counter[str]:
    """How many quarantined records of one batch had each reason code."""
    if not quarantine_file:
        return Counter()
    with open(quarantine_file, "rb") as f:
        return Counter(json.loads(line)["code"] for line in f if line.strip())
