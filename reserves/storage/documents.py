"""The stored attestation document of a row, parsed: the one accessor every reader goes through.

Rows keep the signed document as the JSON text that was published (`AttestationRow.document`);
guardian signatures live apart and are appended by the readers that serve it.
"""

from __future__ import annotations

import json
from typing import Any


def document(row: Any) -> dict[str, Any]:
    """The signed document of an attestation row (its `signatures` are the engine's own)."""
    return json.loads(row.document)


def body(row: Any) -> dict[str, Any]:
    """The attestation body of a row: the document without its `signatures` member."""
    doc = document(row)
    doc.pop("signatures", None)
    return doc
