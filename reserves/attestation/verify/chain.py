"""Verification of a chain of attestations: each one, their links (sequence, previous, time, format), then the chain
checks of their formats' rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reserves.attestation import formats
from reserves.attestation.canonical import parse_json
from reserves.attestation.members.guardians import Options
from reserves.attestation.members.signatures import trusted_map
from reserves.attestation.verify.document import verify_one
from reserves.attestation.verify.report import Check, VerifyReport
from reserves.errors import ReservesError


@dataclass(frozen=True)
class _Link:
    index: int
    sequence: int
    id: str
    previous: str | None
    issued_at: str
    format: str


def verify_chain(
    documents: list[Any],
    trusted_keys: dict[str, str] | None,
    *,
    require_signatures: int = 1,
    allow_pending: bool = False,
    guardian_pins: dict[str, str] | None = None,
    guardian_threshold: int | None = None,
) -> VerifyReport:
    """Verify each attestation (checks named `doc[i].<check>`, i = input position) and their chain.

    Input order does not matter: attestations are ordered by `sequence`, and verified in that
    order so that a format 4 key rotation signed by a trusted key makes its new engine key trusted
    for the attestations after it. A repeated sequence (a fork or a duplicate), a gap, a
    `previous` that is not the id of the attestation before, or an `issued_at` going backwards
    fails; what a format's row adds (format 4: status basis, flows, window, keys, guardians) is
    checked per attestation against the ones before it. A chain may start after sequence 0 (a
    window of history); `report.id` is then the id of the newest attestation.
    """
    report = VerifyReport()
    if not isinstance(documents, (list, tuple)) or not documents:
        report.add("chain", False, "expected a non-empty list of attestations")
        return report
    options = Options(allow_pending, guardian_pins, guardian_threshold)
    given = trusted_map(trusted_keys)
    trusted = None if isinstance(given, str) else dict(given)
    links, docs = [], {}
    for i in sorted(range(len(documents)), key=lambda i: (_peek_sequence(documents[i]), i)):
        one, doc = verify_one(
            documents[i], trusted if trusted is not None else trusted_keys, require_signatures, options
        )
        report.checks += [Check(f"doc[{i}].{c.name}", c.ok, c.detail) for c in one.checks]
        if doc is not None and one.id is not None:  # schema-valid, so the header members exist
            links.append(_Link(i, doc["sequence"], one.id, doc["previous"], doc["issued_at"], doc["format"]))
            docs[i] = doc
            handover = formats.of(doc).handover
            if trusted is not None and handover is not None:
                introduced = handover(doc, trusted)
                if introduced is not None and introduced not in trusted:
                    trusted[introduced] = f"rotated in at sequence {doc['sequence']}"
    if len(links) != len(documents):
        report.add("chain", False, f"{len(documents) - len(links)} attestation(s) unreadable; chain not checked")
        return report
    links.sort(key=lambda link: (link.sequence, link.index))
    _link_checks(report, links)
    if len({link.sequence for link in links}) == len(links):
        _row_checks(report, [docs[link.index] for link in links], allow_pending)
    report.id = links[-1].id
    return report


def _peek_sequence(item: Any) -> int:
    """The sequence an input claims, for ordering only (-1 when it cannot be seen yet)."""
    try:
        value = parse_json(item) if isinstance(item, (str, bytes, bytearray)) else item
        if isinstance(value, dict) and set(value) == {"id", "attestation"}:
            value = value["attestation"]
        seq = value.get("sequence") if isinstance(value, dict) else None
        return seq if isinstance(seq, int) and not isinstance(seq, bool) else -1
    except Exception:  # noqa: BLE001 - unreadable input is reported by verify_one
        return -1


def _link_checks(report: VerifyReport, links: list[_Link]) -> None:
    order = {name: f.order for name, f in formats.FORMATS.items()}
    older = [
        f"sequence {b.sequence} is {b.format} after {a.format}"
        for a, b in zip(links, links[1:])
        if order[b.format] < order[a.format]
    ]
    report.add("chain.format", not older, "; ".join(older[:10]) or "the format never goes back to an older one")
    problems = []
    for a, b in zip(links, links[1:]):
        if a.sequence == b.sequence:
            kind = "duplicate" if a.id == b.id else "fork"
            problems.append(f"{kind}: sequence {a.sequence} appears twice (doc[{a.index}], doc[{b.index}])")
        elif b.sequence != a.sequence + 1:
            problems.append(f"gap: sequence {a.sequence} is followed by {b.sequence}")
    report.add(
        "chain.sequence",
        not problems,
        "; ".join(problems[:10]) or f"sequences {links[0].sequence}..{links[-1].sequence} without gaps or repeats",
    )
    broken = [
        f"sequence {b.sequence}: previous {b.previous} is not {a.id}"
        for a, b in zip(links, links[1:])
        if b.sequence == a.sequence + 1 and b.previous != a.id
    ]
    report.add("chain.links", not broken, "; ".join(broken[:10]) or "each previous is the id of the one before")
    backwards = [
        f"sequence {b.sequence} issued {b.issued_at}, before {a.issued_at}"
        for a, b in zip(links, links[1:])
        if b.issued_at < a.issued_at  # same fixed-width UTC format, so text order is time order
    ]
    report.add("chain.time", not backwards, "; ".join(backwards[:10]) or "issued_at never goes backwards")


def _run_before(docs: list[dict], i: int) -> list[dict]:
    """The attestations just before docs[i], contiguous by sequence, newest first (may be empty)."""
    run: list[dict] = []
    for d in reversed(docs[:i]):
        if d["sequence"] != (run[-1]["sequence"] if run else docs[i]["sequence"]) - 1:
            break
        run.append(d)
    return run


def _row_checks(report: VerifyReport, docs: list[dict], allow_pending: bool) -> None:
    """The chain checks each attestation's row lists, against the run before it (`docs`: schema-valid,
    sorted by sequence, one per sequence). Each check is reported once, if any row has it."""
    steps: dict[str, formats.ChainStep] = {}
    found: dict[str, tuple[list[str], list[str]]] = {}
    for i, b in enumerate(docs):
        chain_steps = formats.of(b).chain_checks
        if not chain_steps:
            continue
        run = _run_before(docs, i)
        for step in chain_steps:
            try:
                problems, pending = step.run(run, b, allow_pending)
            except (ReservesError, ValueError, TypeError, KeyError, ArithmeticError) as exc:
                # A signed document whose own members break a rule (a policy below 100 %): the
                # document's checks name it; here it fails this check instead of the verifier.
                detail = exc.detail if isinstance(exc, ReservesError) else type(exc).__name__
                problems, pending = [f"sequence {b['sequence']}: {detail}"], []
            steps.setdefault(step.name, step)
            seen = found.setdefault(step.name, ([], []))
            seen[0].extend(problems)
            seen[1].extend(pending)
    for name, (problems, pending) in found.items():
        # With --allow-pending, a change still waiting for signatures passes, saying so.
        note = "pending (allowed): " + "; ".join(pending[:10]) if pending else steps[name].note
        report.add(f"chain.{name}", not problems, "; ".join(problems[:10]) or note)
