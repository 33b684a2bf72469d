# Where an archive keeps its own receipt time, for JSON-lines inputs of raw venue frames (`ingest --received-at`).
#
# A frame recorded by someone else (a Tardis archive, a colleague's recorder) was received when THEY received
# it; the moment liqscope reads the file says nothing about the market. Most venues put their own time in the
# frame (`ts_event`), so a file without receipt times still places its events. A timeless venue (BitMEX's
# `liquidation` table: `VenueSpec.venue_time` false) does not: its events' time IS the receipt time, so a file
# of its frames must say when each was received, or it is refused. Never stamped "now".
#
# Shapes (the record's whole line stays the raw record; only the frame part is decoded by the venue):
# - `tardis`: Tardis.dev raw-data lines, `<ISO-8601 UTC local timestamp, 100 ns digits> <frame>`
#   (e.g. `2019-06-01T00:00:02.1237890Z {"table":"liquidation",...}`). Recognised without being asked.
# - `FIELD[:UNIT]`: each line is a JSON object whose member FIELD holds the receipt time: an ISO-8601 UTC
#   string, or an integer epoch in UNIT (s, ms, us or ns; an integer needs its unit, liqscope never guesses
#   it). The frame is the line itself, or, when the line is exactly {FIELD, "message"} (tardis-machine's
#   replay shape, `{"localTimestamp": "...", "message": {...}}`), its `message`.
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from liqscope._time import MAX_NS, MIN_NS, TIME_RANGE, utc_stamp_ns
from liqscope.errors import ConfigError, NotALiquidation, Reason, UnexpectedPayload
from liqscope.events import LiquidationEvent, Received
from liqscope.normalize import decode_frame_checked, duplicate_key_failure

__all__ = ["TARDIS", "ReceivedAt", "parse_received_at", "sniff", "stamped"]

TARDIS = "tardis"
FIELD = "received_at"  # the field named when a line's receipt time is at fault
_UNITS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
_SPEC = re.compile(r"(?P<field>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<unit>[a-z]+))?")
_TARDIS_LINE = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z [\[{]")
_members = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_json = msgspec.json.Decoder().decode


@dataclass(frozen=True)
class ReceivedAt:
    """Where each line of an input keeps its receipt time (see the module comment for the shapes)."""

    spec: str                 # as declared: "tardis", "localTimestamp", "recv_ms:ms", ...
    field: str | None = None  # the JSON member (None: the Tardis line prefix)
    unit: str | None = None   # the integer unit, when the member holds an integer

    def split(self, raw: bytes) -> tuple[int, bytes]:
        """One line -> (receipt time in ns UTC, the frame's bytes).

        Raises:
            UnexpectedPayload: The line does not carry its receipt time the declared way.
        """
        if self.field is None:
            stamp, sep, frame = raw.partition(b" ")
            if not sep:
                raise UnexpectedPayload("not a Tardis raw-data line ('<ISO-8601 UTC time> <frame>')", field=FIELD,
                                        code=Reason.BAD_TIMESTAMP)
            return _stamp_ns(stamp.decode("ascii", "replace")), frame
        try:
            members = _members(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise UnexpectedPayload(f"--received-at {self.spec}: the line is not a JSON object", field=FIELD,
                                    code=Reason.BAD_TIMESTAMP) from None
        if self.field not in members:
            raise UnexpectedPayload(f"--received-at {self.spec}: the line has no member {self.field!r}", field=FIELD,
                                    code=Reason.MISSING_FIELD)
        value = _json(members[self.field])
        frame = bytes(members["message"]) if members.keys() == {self.field, "message"} else raw
        return self._ns(value), frame

    def _ns(self, value: Any) -> int:
        if isinstance(value, str) and self.unit is None:
            return _stamp_ns(value)
        if type(value) is int and self.unit is not None:
            ns = value * _UNITS[self.unit]
            if MIN_NS <= ns <= MAX_NS:
                return ns
            raise UnexpectedPayload(f"{self.field} {value} read as epoch {self.unit} is outside {TIME_RANGE} (a unit "
                                    "error?)", field=FIELD, code=Reason.BAD_TIMESTAMP)
        want = f"an integer epoch in {self.unit}" if self.unit else "an ISO-8601 UTC string (or declare FIELD:UNIT)"
        raise UnexpectedPayload(f"{self.field} is {value!r}; --received-at {self.spec} wants {want}", field=FIELD,
                                code=Reason.BAD_TIMESTAMP)


def _stamp_ns(text: str) -> int:
    try:
        return utc_stamp_ns(text)
    except ValueError as e:
        raise UnexpectedPayload(f"receipt time: {e}", field=FIELD, code=Reason.BAD_TIMESTAMP) from None


def parse_received_at(text: str) -> ReceivedAt:
    """``--received-at`` value -> ``ReceivedAt``.

    Raises:
        ConfigError: Not ``tardis`` nor ``FIELD[:UNIT]``; the message lists the valid forms and units.
    """
    if text == TARDIS:
        return ReceivedAt(TARDIS)
    m = _SPEC.fullmatch(text)
    if m is None or (m.group("unit") is not None and m.group("unit") not in _UNITS):
        raise ConfigError(f"--received-at {text!r}: expected 'tardis' (Tardis raw-data lines) or FIELD[:UNIT], a JSON "
                          f"member holding each line's receipt time (ISO-8601 UTC, or an integer epoch in one of "
                          f"{', '.join(_UNITS)})")
    return ReceivedAt(text, m.group("field"), m.group("unit"))


def sniff(head: bytes) -> ReceivedAt | None:
    """``tardis`` when the input's first line is a Tardis raw-data line, else None (nothing is guessed)."""
    return ReceivedAt(TARDIS) if _TARDIS_LINE.match(head.lstrip(b"\n\r")) else None


class _Stamped(msgspec.Struct, frozen=True):
    ts_ns: int
    wire: Any
    frame: bytes  # the venue frame's own bytes (the line less its receipt time)


def stamped(decode: Callable[[bytes], Any], parse: Callable[[Any, Received], list[LiquidationEvent]],
            at: ReceivedAt) -> tuple[Callable[[bytes], Any], Callable[[Any, Received], list[LiquidationEvent]]]:
    """A venue's decode and parse for lines that carry their receipt time: the venue decodes the frame, and its
    parser gets the line's own receipt time instead of the moment the file was read."""

    # The frame is judged on its own bytes, not the line's, exactly as a bare frame is (normalize_record).
    def decode_line(raw: bytes) -> _Stamped:
        ts, frame = at.split(raw)
        return _Stamped(ts, decode_frame_checked(decode, frame), frame)

    def parse_line(line: _Stamped, rx: Received) -> list[LiquidationEvent]:
        try:
            events = parse(line.wire, Received(ts_ns=line.ts_ns, ref=rx.ref, source=rx.source))
        except NotALiquidation:
            if (dup := duplicate_key_failure(line.frame)) is not None:
                raise dup from None
            raise
        if (dup := duplicate_key_failure(line.frame)) is not None:
            raise dup
        return events

    return decode_line, parse_line
