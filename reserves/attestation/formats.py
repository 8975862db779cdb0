"""The table of attestation formats: for each its name, order, schema, members, build steps, signature check,
document and chain checks.

Versions are data: a new format is a row here plus the member modules it adds. The builder
(builder.py) runs a row's `build` steps; the verifier (verify/) runs its `signatures` check,
then its `checks`, and over a chain its `chain_checks`. Published attestations are never
rewritten, so every format ever published keeps its row and verifies as it always did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reserves.attestation import schema
from reserves.attestation.members import (
    contracts,
    flows,
    guardians,
    header,
    held,
    policy,
    providers,
    reserves,
    scope,
    signatures,
    signers,
    status,
    supply,
    tiers,
    totals,
    utxos,
    wallets,
    window,
)

BuildStep = Callable[[Any, dict], None]  # (builder Inputs, partial body) -> fills its keys
SignatureCheck = Callable[..., None]  # (doc, att_id, trusted_keys, require, Options, add)
ChainFindings = tuple[list[str], list[str]]  # (problems, pending: allowed while --allow-pending)


@dataclass(frozen=True)
class Step:
    """One named check of a document: `run(doc)` lists its problems; `note` is the detail when there are none."""

    name: str
    run: Callable[[dict], list[str]]
    note: str = "consistent"


@dataclass(frozen=True)
class ChainStep:
    """One named check of an attestation against the run before it: `run(run, doc, allow_pending)`."""

    name: str
    run: Callable[[list[dict], dict, bool], ChainFindings]
    note: str


@dataclass(frozen=True)
class Format:
    """One format. `members`: the body's top-level members in the order a body lists them.
    `build`: the steps that write a body of it, in dependency order (empty: verified only, never
    written again). `handover`: the new engine key a trusted key hands trust to, if the format
    can rotate keys."""

    name: str
    order: int
    schema: str
    members: tuple[str, ...]
    signatures: SignatureCheck
    checks: tuple[Step, ...]
    chain_checks: tuple[ChainStep, ...] = ()
    build: tuple[BuildStep, ...] = ()
    handover: Callable[[dict, dict[str, str]], str | None] | None = None


# The checks, each once; rows list the ones their format has.
LINK = Step("link", header.link, header.LINK_NOTE)
TIMESTAMPS = Step("timestamps", header.timestamps)
POLICY = Step("policy", policy.check)
RESERVES = Step("reserves", reserves.check)
SUPPLY = Step("supply", supply.check)
TOTALS_UNSPLIT = Step("totals", totals.check_unsplit)
TOTALS = Step("totals", totals.check)
RATIO = Step("ratio", totals.check_ratio)
STATUS_PLAIN = Step("status", status.check_plain)
STATUS_HYSTERESIS = Step("status", status.check_hysteresis)
WALLETS = Step("wallets", wallets.check)
COUNTING = Step("counting", utxos.counting)
VALID_AT = Step("valid_at", reserves.check_valid_at)
HELD = Step("held", held.check)
RPC = Step("rpc", supply.check_rpc)
WINDOW = Step("window", window.check)
FLOWS = Step("flows", flows.check)
SCOPE = Step("scope", scope.check)
TIERS = Step("tiers", tiers.check)
CONTRACTS = Step("contracts", contracts.check)
PROVIDERS = Step("providers", providers.check)

HEADER = ("format", "sequence", "previous", "issued_at", "issuer", "token")
PLAIN_MEMBERS = HEADER + ("status", "status_reasons", "ratio_bp", "policy", "reserves", "supply")

F1 = Format(
    name="reserves-attestation/1",
    order=1,
    schema="attestation-1.schema.json",
    members=PLAIN_MEMBERS,
    signatures=signatures.check,
    checks=(LINK, TIMESTAMPS, POLICY, RESERVES, SUPPLY, TOTALS_UNSPLIT, RATIO, STATUS_PLAIN),
)
F2 = Format(
    name="reserves-attestation/2",
    order=2,
    schema="attestation-2.schema.json",
    members=PLAIN_MEMBERS,
    signatures=signatures.check,
    checks=(LINK, TIMESTAMPS, POLICY, RESERVES, SUPPLY, TOTALS, RATIO, STATUS_PLAIN, WALLETS, COUNTING, VALID_AT),
)
F3 = Format(
    name="reserves-attestation/3",
    order=3,
    schema="attestation-3.schema.json",
    members=PLAIN_MEMBERS,
    signatures=signatures.check,
    checks=(
        LINK,
        TIMESTAMPS,
        POLICY,
        RESERVES,
        SUPPLY,
        TOTALS,
        RATIO,
        STATUS_PLAIN,
        WALLETS,
        COUNTING,
        VALID_AT,
        HELD,
        RPC,
    ),
    # Still written by tests and tools that make format 3 documents to verify.
    build=(header.build, policy.build_plain, totals.build, reserves.build, supply.build, status.build_plain),
)
F4_MEMBERS = HEADER + (
    "status",
    "status_reasons",
    "status_basis",
    "ratio_bp",
    "policy",
    "window",
    "flows",
    "scope",
    "signers",
    "reserves",
    "supply",
)
F4_CHECKS = (
    LINK,
    TIMESTAMPS,
    POLICY,
    RESERVES,
    SUPPLY,
    TOTALS,
    RATIO,
    STATUS_HYSTERESIS,
    WALLETS,
    COUNTING,
    VALID_AT,
    HELD,
    RPC,
    WINDOW,
    FLOWS,
    SCOPE,
)
F4_CHAIN_CHECKS = (
    ChainStep("status_basis", status.chain_check, "each previous_status and previous_level is the chain's"),
    ChainStep("flows", flows.chain_check, "flows match the attestation before"),
    ChainStep("keys", signers.chain_check, "the engine key changes only by a rotation the key before signed"),
    ChainStep("guardians", guardians.chain_check, "guardian set changes co-signed by the set before"),
    ChainStep("window", window.chain_check, "windows match the attestations given"),
)
# The window and flows need the totals and the body before; the status needs the window.
F4_BUILD = (
    header.build,
    policy.build_full,
    totals.build,
    reserves.build,
    supply.build,
    header.require_previous,
    window.build,
    flows.build,
    status.build_hysteresis,
    scope.build,
    signers.build,
)
F4 = Format(
    name="reserves-attestation/4",
    order=4,
    schema="attestation-4.schema.json",
    members=F4_MEMBERS,
    signatures=signers.check,
    checks=F4_CHECKS,
    chain_checks=F4_CHAIN_CHECKS,
    build=F4_BUILD,
    handover=signers.rotation_introduces,
)
# Format 5 = format 4 + `tiers` (reserve tiers, locked contracts, findings) + `providers` (liquidity
# providers' collateral, valued with the snapshot's price). Each is null when nothing is declared.
F5 = Format(
    name="reserves-attestation/5",
    order=5,
    schema="attestation.schema.json",
    members=F4_MEMBERS + ("tiers", "providers"),
    signatures=signers.check,
    checks=F4_CHECKS + (TIERS, CONTRACTS, PROVIDERS),
    chain_checks=F4_CHAIN_CHECKS
    + (ChainStep("providers", providers.chain_check, "each provider's previous_state is its state before"),),
    # The tiers read the sources' entries only, the providers their own readings: any place after
    # reserves.build would do.
    build=F4_BUILD + (tiers.build, providers.build),
    handover=signers.rotation_introduces,
)

FORMATS = {f.name: f for f in sorted((F1, F2, F3, F4, F5), key=lambda f: f.order)}
CURRENT = F5
FORMAT, FORMAT_4, FORMAT_3, FORMAT_2, FORMAT_1 = F5.name, F4.name, F3.name, F2.name, F1.name


def for_engine(previous: dict | None, extended: bool) -> Format:
    """The format the engine writes next: format 5 once tiers or providers are declared (`extended`) or
    the chain reached it (a chain never goes back), else format 4, so a portal with neither writes what
    it always did."""
    name = previous.get("format") if isinstance(previous, dict) else None
    before = FORMATS.get(name) if isinstance(name, str) else None
    if extended or (before is not None and before.order >= F5.order):
        return F5
    return F4


def of(document: dict) -> Format:
    """The row of a schema-valid document."""
    return FORMATS[document["format"]]


def declared(document: object) -> Format:
    """The row of the format a document declares; the current one when it names none we know
    (whose schema then reports the unknown `format`)."""
    name = document.get("format") if isinstance(document, dict) else None
    return FORMATS[name] if isinstance(name, str) and name in FORMATS else CURRENT


def load_schema(format: str = FORMAT) -> dict:
    """The JSON Schema of `format` as a dict (draft 2020-12); docs/ holds byte-identical copies."""
    return schema.load(FORMATS[format].schema)


def schema_errors(document: object) -> list[str]:
    """Up to schema.MAX_ERRORS short messages ("$.path: keyword") against the declared format's schema; [] when
    valid."""
    return schema.errors(document, declared(document).schema)
