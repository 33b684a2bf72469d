"""Research-desk notes (``liqscope report --format md|html --out DIR``): text, tables and PNG charts.

Charts need the ``charts`` extra (matplotlib): ``pip install 'liqscope[charts]'``.
"""

from __future__ import annotations

from pathlib import Path

from liqscope.metrics import Counted
from liqscope.reporting._note import Difference, Note, NoteEntry, VenueStep, build_note

__all__ = ["CAPTIONS", "Difference", "Note", "NoteEntry", "VenueStep", "build_note", "write_note"]

CAPTIONS = {
    "range": "Total liquidated notional under each methodology; the shaded band is the range.",
    "timeline": "Liquidated notional per time bucket, stacked by the side of the liquidated position.",
    "assets": "Liquidated notional by asset, longs and shorts.",
}


def write_note(counted: list[Counted], out_dir: Path, fmt: str, *, largest_n: int = 10) -> list[Path]:
    """Write the note over ``counted`` as ``fmt`` (``md`` or ``html``) into ``out_dir``.

    ``counted[0]`` heads the note; the range and the reconciliations span the others. The PNG charts
    are written to ``out_dir/charts/``; the HTML also embeds them, so it can be sent alone.

    Returns:
        The files written, the note first.

    Raises:
        MissingExtra: matplotlib is not installed (the message has the ``pip install`` line).
        ConfigError: ``fmt`` is not ``md`` or ``html``.
    """
    from liqscope.api import require_extra
    from liqscope.errors import UnknownName
    from liqscope.reporting import _charts, _document

    if fmt not in ("md", "html"):
        raise UnknownName("note format", fmt, ["html", "md"])
    require_extra("charts", "matplotlib")
    note = build_note(counted, largest_n=largest_n)
    pngs = _charts.render(note)
    out_dir = Path(out_dir)
    (out_dir / "charts").mkdir(parents=True, exist_ok=True)
    stem = f"liquidations-{note.start[:10]}-to-{note.end[:10]}"
    written: list[Path] = []
    files: dict[str, str] = {}
    for name, data in pngs.items():
        path = out_dir / "charts" / f"{stem}-{name}.png"
        path.write_bytes(data)
        files[name] = f"charts/{path.name}"
        written.append(path)
    doc = _document.blocks(note, {n: CAPTIONS[n] for n in pngs})
    text = _document.to_markdown(doc, files) if fmt == "md" else _document.to_html(doc, pngs, stem)
    note_path = out_dir / f"{stem}.{fmt}"
    note_path.write_text(text, encoding="utf-8")
    return [note_path, *written]
