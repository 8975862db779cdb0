"""The attestation body built in one pass from everything it needs: members derived once, schema validated once,
canonicalised once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from reserves.attestation import formats, schema
from reserves.attestation.arithmetic import Policy
from reserves.attestation.canonical import canonical_bytes
from reserves.attestation.fields import instance, unique_names
from reserves.attestation.formats import Format
from reserves.attestation.keys import SigningKey
from reserves.attestation.members import held, reserves, scope, supply
from reserves.attestation.members.guardians import GuardianSet
from reserves.attestation.members.header import Header
from reserves.attestation.members.providers import ProvidersInput
from reserves.attestation.members.reserves import ReserveResult, ReserveSetRef
from reserves.attestation.members.scope import ControlCounts
from reserves.attestation.members.supply import SupplyResult
from reserves.attestation.members.tiers import TierInputs
from reserves.attestation.members.window import Earlier
from reserves.errors import InvalidInput


@dataclass(frozen=True)
class Entries:
    """The reserve sources and supply deployments as a body lists them: sorted by name, checked
    together, counts filled in. Made before the rest because the engine reads the window's
    earlier attestations at their tip and the proofs of control of their addresses."""

    sources: list[dict]
    deployments: list[dict]

    @classmethod
    def read(cls, reserve_results: Iterable[ReserveResult], supply_results: Iterable[SupplyResult]) -> Entries:
        """The entries of the readings (dataclasses, or tuples in field order). A reading that
        breaks an invariant becomes a failed entry (`invalid_reading`), which makes the status stale.
        Raises InvalidInput for duplicate names, deployments not linked as the counting rule needs,
        or an outpoint claimed by two sources."""
        sources = sorted(
            (reserves.source_entry(instance(ReserveResult, r)) for r in reserve_results), key=lambda e: e["name"]
        )
        deployments = sorted(
            (supply.deployment_entry(instance(SupplyResult, s)) for s in supply_results), key=lambda e: e["name"]
        )
        unique_names(sources, "reserve source")
        unique_names(deployments, "supply deployment")
        links = held.link_problems(deployments)
        if links:
            raise InvalidInput("deployments are not linked as the counting rule needs: " + "; ".join(links[:5]))
        supply.fill_counts(deployments)
        reserves.check_outpoints(sources)
        return cls(sources, deployments)

    @property
    def tip(self) -> int | None:
        """The Bitcoin height every read source shares (`reserves.valid_at`), None without one."""
        at = reserves.valid_at(self.sources)
        return None if at is None else at["height"]

    @property
    def coin_addresses(self) -> set[str]:
        """The addresses holding counted coins (whose proofs of control `scope` counts)."""
        return scope.coin_addresses(self.sources)


@dataclass(frozen=True)
class Inputs:
    """Everything a body needs. Formats 1 to 3 read the first four; format 4 all but `tiers`; format 5 all.

    `previous`: the body of the attestation before (any format; None at sequence 0).
    `earlier`: window facts of the attestations before, newest first (read up to the boundary).
    `control`: proofs of control at the snapshot. `engine` makes it; `rotation_from` is the key a
    rotation replaces (it signs too), with `rotation_reason`; `statements` are the operator's own.
    `tiers`: the declared tiers and contracts with the chain's answers (None: the member is null).
    `providers`: the liquidity providers' readings, thresholds, price and states before (None: null).
    """

    header: Header
    policy: Policy
    entries: Entries
    reserve_set: ReserveSetRef
    previous: dict | None = None
    earlier: Iterable[Earlier] = ()
    control: ControlCounts | None = None
    engine: SigningKey | None = None
    guardians: GuardianSet | None = None
    rotation_from: SigningKey | None = None
    rotation_reason: str | None = None
    statements: tuple[str, ...] = ()
    tiers: TierInputs | None = None
    providers: ProvidersInput | None = None


@dataclass(frozen=True)
class Built:
    """An unsigned body with its canonical bytes and its id (lowercase hex SHA-256 of them), which
    every signature covers: sign with `id` instead of canonicalising the body again."""

    body: dict
    canonical: bytes
    id: str


def build(inputs: Inputs, fmt: Format = formats.CURRENT) -> Built:
    """The body of format `fmt` (the current one by default), each member derived once by its row's steps.

    Raises InvalidInput for inputs that cannot make a valid body (the schema is checked once, at
    the end), SigningKeyError for signers that may not sign together.
    """
    if not fmt.build:
        raise InvalidInput(f"{fmt.name} is only verified now; no body of it is built")
    body: dict = {"format": fmt.name}
    for step in fmt.build:
        step(inputs, body)
    body = {k: body[k] for k in fmt.members}
    errors = schema.errors({**body, "signatures": []}, fmt.schema)
    if errors:
        raise InvalidInput("attestation body fails the schema: " + "; ".join(errors))
    raw = canonical_bytes(body)  # raises InvalidInput if anything escaped the JSON-safe domain
    return Built(body, raw, hashlib.sha256(raw).hexdigest())
