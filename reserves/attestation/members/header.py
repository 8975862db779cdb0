"""The header members (format, sequence, previous, issued_at, issuer, token): built from the engine's inputs, checked
for their link and timestamps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chains.hexes import is_hex64
from reserves.attestation import arithmetic as ar
from reserves.attestation.fields import count
from reserves.errors import InvalidInput

LINK_NOTE = "previous is null iff sequence is 0"


@dataclass(frozen=True)
class Header:
    """Attestation `sequence`, made after attestation id `previous` (None exactly at sequence 0).

    `issued_at` is tz-aware; the body keeps it in whole seconds, UTC. Raises InvalidInput when made
    with a bad sequence, previous or issued_at, so a bad header is refused before anything is read.
    """

    sequence: int
    previous: str | None
    issued_at: datetime
    issuer_name: str
    issuer_url: str | None
    token_symbol: str

    def __post_init__(self) -> None:
        count(self.sequence, "sequence")
        if (self.sequence == 0) != (self.previous is None):
            raise InvalidInput("previous must be null exactly when sequence is 0")
        if self.previous is not None and not (isinstance(self.previous, str) and is_hex64(self.previous)):
            raise InvalidInput("previous must be a lowercase hex attestation id")
        ar.format_timestamp(self.issued_at)


def build(inputs, body: dict) -> None:
    """sequence, previous, issued_at, issuer and token from `inputs.header`."""
    h: Header = inputs.header
    body |= {
        "sequence": h.sequence,
        "previous": h.previous,
        "issued_at": ar.format_timestamp(h.issued_at),
        "issuer": {"name": h.issuer_name, "url": h.issuer_url},
        "token": {"symbol": h.token_symbol},
    }


def require_previous(inputs, body: dict) -> None:
    """Formats that derive members from the attestation before need its body: `inputs.previous`."""
    previous = inputs.previous
    if (previous is None) != (body["sequence"] == 0):
        raise InvalidInput("the previous body is needed exactly when sequence > 0")
    if previous is not None and previous["sequence"] != body["sequence"] - 1:
        raise InvalidInput("the previous body must be the attestation just before")


def link(doc: dict) -> list[str]:
    """`previous` is null exactly at sequence 0 (whether it is the id before is a chain check)."""
    if (doc["sequence"] == 0) == (doc["previous"] is None):
        return []
    return [f"sequence {doc['sequence']} with previous {doc['previous']}"]


def timestamps(doc: dict) -> list[str]:
    """issued_at and every entry's block_time in the one canonical spelling."""
    moments = [doc["issued_at"]]
    moments += [e["block_time"] for e in doc["reserves"]["sources"] + doc["supply"]["deployments"] if "block_time" in e]
    problems = []
    for text in moments:
        try:
            ar.parse_timestamp(text)
        except InvalidInput as exc:
            problems.append(exc.detail)
    return problems
