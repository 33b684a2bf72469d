"""Node fill files as the node / S3 writes them (format ``hyperliquid-node``).

``~/hl/data/node_fills[_by_block]/hourly/<date>/<hour>`` on a node; ``s3://hl-mainnet-node-data/
node_fills[_by_block]/hourly/<YYYYMMDD>/<H>.lz4`` (LZ4 frame compressed) in the archive. The file is
decompressed before it is split; each line then goes through the same decode and parse as ``jsonl``.
"""

from __future__ import annotations

from collections.abc import Iterator

from liqscope.errors import InputUnreadable
from liqscope.venues.hyperliquid import wire

LZ4_FRAME_MAGIC = b"\x04\x22\x4d\x18"


def decompress(data: bytes, filename: str = "") -> bytes:
    """Return ``data`` decompressed when it is LZ4-frame compressed (any number of frames), else as is.

    Raises:
        InputUnreadable: The ``lz4`` package is missing, or the frames are corrupt.
    """
    if not data.startswith(LZ4_FRAME_MAGIC):
        return data
    try:
        import lz4.frame  # lazy: only compressed inputs need it
    except ImportError:
        raise InputUnreadable(
            f"{filename or 'input'} is LZ4-compressed and the lz4 package is missing: pip install lz4"
        ) from None
    out = []
    rest = data
    try:
        while rest:
            decompressor = lz4.frame.LZ4FrameDecompressor()
            out.append(decompressor.decompress(rest))
            if not decompressor.eof:
                raise InputUnreadable(f"{filename or 'input'}: truncated LZ4 frame")
            rest = decompressor.unused_data
    except RuntimeError as e:
        raise InputUnreadable(f"{filename or 'input'}: corrupt LZ4 data ({e})") from None
    return b"".join(out)


def split(data: bytes, filename: str) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_no, line)`` for every non-empty line of a (possibly LZ4) node fills file."""
    for line_no, line in enumerate(decompress(data, filename).splitlines(), start=1):
        if line.strip():
            yield line_no, line


def decode_line(raw: bytes, filename: str) -> wire.Block | wire.FillPair:
    """One node line (either era) -> ``Block`` or ``(user, Fill)``."""
    return wire.decode_line(raw)
