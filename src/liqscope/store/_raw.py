# One raw record by its raw_ref ("<sha256 of the kept input>:<line>"): the bytes, and which batches read it.
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import msgspec
import pyarrow as pa

from liqscope.errors import ConfigError, NotInLake, StoreError
from liqscope.store._layout import Layout
from liqscope.store._writer import Manifest, open_blob

# Numbers keep every digit the venue sent (no float round trip).
_DECODE = msgspec.json.Decoder(float_hook=Decimal).decode
_REF = re.compile(r"^([0-9a-f]{64}):([1-9][0-9]{0,11})$")


class RawRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One kept raw record and where it came from.

    Attributes:
        ref: The ``raw_ref`` asked for.
        sha256: The kept input's digest (``DATA_DIR/raw/<sha[:2]>/<sha>.zst``, or ``.gz``).
        line: The record's line in that input (1-based).
        raw: The record's bytes, exactly as the venue sent them.
        batches: The committed batches that read this input: ``{batch, kind, venue, format, file}``.
    """

    ref: str
    sha256: str
    line: int
    raw: bytes
    batches: list[dict[str, str]]

    def decoded(self) -> Any:
        """The record decoded as JSON (numbers as exact ``Decimal``), or None when it is not JSON (a CSV row)."""
        try:
            return _DECODE(self.raw)
        except msgspec.DecodeError:
            return None


def parse_ref(ref: str) -> tuple[str, int]:
    """``(sha256, line)`` of a raw_ref; a ConfigError naming the expected shape otherwise."""
    m = _REF.match(ref.strip())
    if m is None:
        raise ConfigError(f"raw_ref {ref!r} is not <64 hex digits of sha256>:<line number>, as every event's "
                          "raw_ref is (e.g. from report --json, largest[].raw_ref)")
    return m.group(1), int(m.group(2))


def read_raw_record(layout: Layout, manifests: list[Manifest], ref: str) -> RawRecord:
    """The raw record ``ref`` names, streamed out of its kept input (memory: one line).

    Raises:
        ConfigError: ``ref`` is not a raw_ref.
        NotInLake: No kept input has that digest, or it has fewer lines.
        StoreError: The kept input cannot be read.
    """
    sha, line = parse_ref(ref)
    path = layout.raw_blob(sha)
    if not path.is_file():
        raise NotInLake(f"no kept input {sha[:12]}… in {layout.raw}: this lake never ingested the record {ref}")
    try:
        record, n = None, 0
        with open_blob(path) as f:
            for n, raw in enumerate(f, 1):
                if n == line:
                    record = raw.rstrip(b"\r\n")
                    break
    except (OSError, EOFError, pa.ArrowException) as e:
        raise StoreError(f"{path}: cannot read the kept input ({e}); run `liqscope verify`") from None
    if record is None:
        raise NotInLake(f"{path}: the kept input has {n:,} lines, not {line:,}")
    batches = [{"batch": m.batch, **{k: m.meta[k] for k in ("kind", "venue", "format", "file") if k in m.meta}}
               for m in manifests if sha in m.inputs]
    return RawRecord(ref=f"{sha}:{line}", sha256=sha, line=line, raw=record, batches=batches)
