"""Read models of the token supply: each deployment's terms and the total, from a stored attestation body.

Nothing here recounts the supply: `circulating` and `supply_sat` are the figures the signed
attestation carries (the verifier recomputes them). The views only add what a reader needs to
follow the rule: amounts in BTC units, the locked side of each bridge term, RPC agreement in words.
Format 1 and 2 entries (no `role`, no `held`) are shown as native deployments without held terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reserves.attestation.arithmetic import liabilities_sat
from reserves.attestation.members.held import locked_for
from reserves.read.display import btc, short_hash, token_units

RULE_FORMAT_3 = (
    "Total = sum over native deployments of (total supply − held balances) + sum over bridge "
    "deployments of max(locked on the source chain, minted), each rounded up to whole satoshis."
)
RULE_LEGACY = "Total = sum over deployments of total supply, each rounded up to whole satoshis."


@dataclass(frozen=True)
class HeldTermView:
    """One held address subtracted from a native deployment's total supply (raw units at its block)."""

    address: str
    category: str  # lockbox | escrow | treasury | burn
    reason: str
    bridge: str | None  # the bridge deployment a lockbox or escrow backs
    balance: str
    balance_btc: str | None


@dataclass(frozen=True)
class BridgeTermView:
    """A bridge's term max(locked, minted): `locked` sums its source's lockboxes for it (source
    decimals), `minted` is its own total supply. `counted` says which side is larger ("locked" or
    "minted"); with a failed source nothing is locked that the attestation could read."""

    source: str
    locked: str
    locked_btc: str | None
    locked_sat: str
    minted: str
    minted_btc: str | None
    minted_sat: str
    counted: str
    source_failed: bool


@dataclass(frozen=True)
class RpcView:
    """How many JSON-RPC endpoints answered and agreed on the reading, and the quorum it needed."""

    endpoints: int
    answered: int
    agreed: int
    quorum: int
    text: str


@dataclass(frozen=True)
class DeploymentView:
    """One deployment of the token at the block it was read at; `error` set when it was not read."""

    name: str
    kind: str
    chain_id: str
    contract: str
    role: str = "native"
    bridge_source: str | None = None
    height: int | None = None
    block_hash: str | None = None
    block_hash_short: str | None = None
    block_time: str | None = None
    decimals: int | None = None
    total_supply: str | None = None
    total_supply_btc: str | None = None
    held: list[HeldTermView] = field(default_factory=list)
    bridge: BridgeTermView | None = None
    circulating: str | None = None
    circulating_btc: str | None = None
    supply_sat: str | None = None
    supply_btc: str | None = None
    rpc: RpcView | None = None
    error: str | None = None
    error_code: str | None = None
    error_detail: str | None = None


@dataclass(frozen=True)
class SupplyView:
    """The supply side of one attestation, served at /api/v1/supply and drawn on the dashboard.

    `total_sat` is the attestation's `supply.total_sat`; `sum_sat` re-adds the entries' `supply_sat`
    (they are equal in every valid attestation). `complete` is false when a deployment was not read:
    the total then covers only the deployments that were.
    """

    attestation_id: str
    sequence: int
    issued_at: str
    format: str
    rule: str
    total_sat: str
    total_btc: str | None
    sum_sat: str
    complete: bool
    deployments: list[DeploymentView]


def supply_view(attestation_id: str, body: dict) -> SupplyView:
    deployments = deployment_views(body["supply"]["deployments"])
    total = str(body["supply"]["total_sat"])
    return SupplyView(
        attestation_id=attestation_id,
        sequence=body["sequence"],
        issued_at=body["issued_at"],
        format=body.get("format", ""),
        rule=supply_rule(body),
        total_sat=total,
        total_btc=btc(total),
        sum_sat=str(sum(int(d.supply_sat) for d in deployments if d.supply_sat is not None)),
        complete=not any(d.error for d in deployments),
        deployments=deployments,
    )


def supply_rule(body: dict) -> str:
    """The one-line counting rule of this attestation's format."""
    return RULE_LEGACY if not any("role" in d for d in body["supply"]["deployments"]) else RULE_FORMAT_3


def deployment_views(entries: list[dict]) -> list[DeploymentView]:
    """Views of every entry; a bridge's locked side is read from its source entry in the same list."""
    by_name = {d["name"]: d for d in entries}
    return [deployment_view(d, by_name) for d in entries]


def deployment_view(dep: dict, by_name: dict[str, dict] | None = None) -> DeploymentView:
    head = dict(
        name=dep["name"],
        kind=dep["kind"],
        chain_id=dep["chain_id"],
        contract=dep["contract"],
        role=dep.get("role", "native"),
        bridge_source=dep.get("bridge_source"),
    )
    err = dep.get("error")
    if err:
        return DeploymentView(
            **head, error=f"{err['code']}: {err['detail']}", error_code=err["code"], error_detail=err["detail"]
        )
    decimals = dep["decimals"]
    total = dep["total_supply"]
    # Formats 1 and 2 count the whole supply: circulating is the total there.
    circulating = dep.get("circulating", total)
    block_hash = dep.get("block_hash")
    return DeploymentView(
        **head,
        height=dep.get("height"),
        block_hash=block_hash,
        block_hash_short=short_hash(block_hash),
        block_time=dep.get("block_time"),
        decimals=decimals,
        total_supply=total,
        total_supply_btc=token_units(total, decimals),
        held=[held_view(h, decimals) for h in dep.get("held", [])],
        bridge=bridge_view(dep, (by_name or {}).get(dep.get("bridge_source") or ""))
        if head["role"] == "bridge"
        else None,
        circulating=circulating,
        circulating_btc=token_units(circulating, decimals),
        supply_sat=dep.get("supply_sat"),
        supply_btc=btc(dep.get("supply_sat")),
        rpc=rpc_view(dep.get("rpc")),
    )


def held_view(h: dict, decimals: int) -> HeldTermView:
    return HeldTermView(
        address=h["address"],
        category=h["category"],
        reason=h["reason"],
        bridge=h.get("bridge"),
        balance=h["balance"],
        balance_btc=token_units(h["balance"], decimals),
    )


def bridge_view(dep: dict, source: dict | None) -> BridgeTermView:
    """The two sides of a bridge's max(locked, minted) term (display only; the sums are signed)."""
    failed = source is None or "error" in source
    source_decimals = dep["decimals"] if source is None or failed else source["decimals"]
    locked = locked_for(source, dep["name"])  # the rule's own L: 0 when the source failed
    minted = int(dep["total_supply"])
    locked_sat, minted_sat = liabilities_sat(locked, source_decimals), liabilities_sat(minted, dep["decimals"])
    return BridgeTermView(
        source=dep.get("bridge_source") or "",
        locked=str(locked),
        locked_btc=token_units(locked, source_decimals),
        locked_sat=str(locked_sat),
        minted=str(minted),
        minted_btc=token_units(minted, dep["decimals"]),
        minted_sat=str(minted_sat),
        counted="locked" if locked_sat > minted_sat else "minted",
        source_failed=failed,
    )


def rpc_view(rpc: dict | None) -> RpcView | None:
    if not rpc:
        return None
    n, answered, agreed, quorum = rpc["endpoints"], rpc["answered"], rpc["agreed"], rpc["quorum"]
    text = f"{agreed} of {n} endpoint{'s' if n != 1 else ''} agree{'s' if agreed == 1 else ''}"
    if answered < n:
        text += f" ({n - answered} did not answer)"
    return RpcView(endpoints=n, answered=answered, agreed=agreed, quorum=quorum, text=f"{text}; quorum {quorum}")
