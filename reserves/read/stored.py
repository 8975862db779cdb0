"""Pages of stored attestation documents: sized in SQL first, then served as their stored JSON text.

A document lists every counted UTXO, so one can weigh megabytes. A page is chosen from the
documents' stored sizes (`repository.attestation_heads`) before any document is read: it holds at
most `limit` items and at most MAX_PAGE_BYTES of documents (always at least one item), and only the
documents kept are loaded. Each is then served as the text that was stored (`msgspec.Raw`), never
parsed and encoded again; the bytes are those the parse-and-encode path gives (tests compare them),
and the rare document whose text the encoder would write differently takes that path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from reserves.storage import repository as repo
from reserves.trust.guardians import with_guardians

MAX_PAGE_BYTES = 8 * 1024 * 1024

# What json.dumps (how documents are stored) and the response encoder write differently: numbers
# with exponents (1e+16 / 1e16) or non-finite, and a \u escape of a character the encoder writes as
# itself. Amounts are strings and text is stored as UTF-8, so documents have none; a match (even
# inside a string) only sends that document down the parse-and-encode path. One pass over the text.
_REWRITTEN = re.compile(r"[:\[,](?:-?\d+(?:\.\d+)?[eE]|-?Infinity|NaN)|\\u(?!00[01][0-9a-f])")
# The engine stores documents compact: no space after the first key (a hand-made row may differ).
_COMPACT = re.compile(r'\{"[^"\\]*":[^ ]')
_SIGNATURES = '"signatures":'


@dataclass(frozen=True)
class Fitted:
    """The heads a page keeps, and whether more rows follow them."""

    heads: list[repo.AttestationHead]
    more: bool


def fit(heads: Sequence[repo.AttestationHead], limit: int, max_bytes: int = MAX_PAGE_BYTES) -> Fitted:
    """At most `limit` heads (of `limit + 1` asked for) whose documents add up to `max_bytes`."""
    more = len(heads) > limit
    kept: list[repo.AttestationHead] = []
    size = 0
    for head in heads[:limit]:
        size += head.size
        if kept and size > max_bytes:
            return Fitted(kept, True)
        kept.append(head)
    return Fitted(kept, more)


async def page_heads(
    session, limit: int, *, pending: bool = False, cursor: int | None = None, max_bytes: int | None = None
) -> Fitted:
    """The heads of one page: newest first before sequence `cursor` (with `pending`, the pending ones
    oldest first after it), at most `limit` of them and `max_bytes` (MAX_PAGE_BYTES) of documents.

    Sizes are read in growing chunks (16, 32, ...) and the walk stops at the byte cap: SQLite reads a
    whole document to measure it, so rows far past the cap are never touched.
    """
    heads: list[repo.AttestationHead] = []
    chunk = 16
    while True:
        want = min(chunk, limit + 1 - len(heads))
        after = heads[-1].sequence if heads else cursor
        got = await repo.attestation_heads(
            session,
            limit=want,
            pending=pending,
            before_sequence=None if pending else after,
            after_sequence=after if pending else None,
        )
        heads += got
        page = fit(heads, limit, MAX_PAGE_BYTES if max_bytes is None else max_bytes)
        if len(got) < want or len(heads) > limit or len(page.heads) < len(heads):
            return page
        chunk *= 2


async def envelopes(session, heads: Sequence[repo.AttestationHead]) -> list[dict[str, Any]]:
    """{id, attestation} of each head, the document as stored with its guardian signatures appended."""
    ids = [h.id for h in heads]
    texts = await repo.attestation_documents(session, ids)
    signatures = await repo.guardian_signatures(session, ids)
    return [envelope(i, texts[i], signatures.get(i, [])) for i in ids]


def envelope(att_id: str, text: str, guardian_rows: Sequence[Any] = ()) -> dict[str, Any]:
    """The envelope of one stored document; its bytes equal encoding `with_guardians(json.loads(text))`."""
    served = _spliced(text, guardian_rows) if _as_encoded(text) else None
    if served is None:
        return {"id": att_id, "attestation": with_guardians(json.loads(text), list(guardian_rows))}
    return {"id": att_id, "attestation": msgspec.Raw(served.encode())}


def _as_encoded(text: str) -> bool:
    """Whether the response encoder writes the parsed `text` back as exactly `text` (cheap checks)."""
    return _COMPACT.match(text) is not None and _REWRITTEN.search(text) is None


def _spliced(text: str, guardian_rows: Sequence[Any]) -> str | None:
    """`text` with the guardians' signatures appended to its top-level `signatures` array.

    The stored document ends with that member (the engine writes it last); anything else (None)
    is served through the parser instead. The array is checked to be exactly what lies between
    the member's name and the document's closing brace, so it is the top-level one.
    """
    if not guardian_rows:
        return text
    at = text.rfind(_SIGNATURES)
    if at <= 0 or text[at - 1] not in ",{" or not text.endswith("]}"):
        return None
    try:
        own = json.loads(text[at + len(_SIGNATURES) : -1])
    except ValueError:
        return None
    if not isinstance(own, list):
        return None
    extra = [{"alg": "bip340", "key_id": r.key_id, "pubkey": r.pubkey, "sig": r.sig} for r in guardian_rows]
    added = b",".join(msgspec.json.encode(e) for e in extra).decode()
    return text[:-2] + ("," if own else "") + added + "]}"
