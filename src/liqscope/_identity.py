"""The event id scheme: how a venue that sends no id of its own names a liquidation (docs/events.md#event-ids).

Scheme 2 (``ID_SCHEME``, current): the digest of an identity tuple is the first 20 hex digits of the md5
of its canonical string, the fields rendered with ``str()`` and joined with ``"|"``. md5 is a standard hash
with the same definition in Python (``hashlib``) and SQL (DuckDB ``md5``), so a vectorized engine computes
the same ids as the per-record parsers (``venues/_vectorized.py`` does, in one SQL statement). It is an
identity, not a security boundary: collisions need a deliberate attack on a venue's own payloads.

Scheme 1 (lakes written before 2026-12): the same canonical string hashed with ``blake2b(digest_size=10)``,
which no SQL engine offers. A lake keeps the scheme of each batch in its manifest (``Manifest.id_scheme``,
absent = 1); ``liqscope migrate`` rebuilds a scheme-1 lake from its raw journal, and the writer refuses to
mix schemes in one lake (dedupe compares ids, so mixed ids would count one liquidation twice).
"""

from __future__ import annotations

import hashlib

__all__ = ["DIGEST_CHARS", "ID_SCHEME", "digest", "digest_sql"]

ID_SCHEME = 2
DIGEST_CHARS = 20  # 80 bits, the length scheme 1 had: ids keep their shape


def digest(*parts: object) -> str:
    """The scheme-2 digest of an identity tuple: md5 of ``"|".join(map(str, parts))``, first 20 hex digits."""
    canon = "|".join(map(str, parts)).encode()
    return hashlib.md5(canon, usedforsecurity=False).hexdigest()[:DIGEST_CHARS]


def digest_sql(*parts: str) -> str:
    """The same digest as a DuckDB expression over SQL expressions that already render each part as ``str()``."""
    return f"left(md5(concat_ws('|', {', '.join(parts)})), {DIGEST_CHARS})"
