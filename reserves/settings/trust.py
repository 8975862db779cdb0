"""Settings of the engine's trust features: guardians, scope statements, time series, replicas, anchoring.

Parsed by reserves.settings.load from the tables `[guardians]`, `[scope]`, `[timeseries]`,
`[replicas]` and `[anchor]`; every error is a ConfigError naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chains.hexes import is_evm_address, is_hex64
from reserves.attestation.members.guardians import MAX_GUARDIANS, GuardianSet
from reserves.attestation.members.scope import MAX_STATEMENT, MAX_STATEMENTS
from reserves.errors import ConfigError, InvalidInput
from reserves.settings.values import int_, no_unknown, num, secret, str_

_KEY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_CHAIN = re.compile(r"^eip155:[0-9]{1,20}$")


@dataclass(frozen=True)
class ScopeSettings:
    """Operator statements published in every attestation's `scope.statements` (asserted, not proven)."""

    statements: tuple[str, ...] = ()


@dataclass(frozen=True)
class TimeseriesSettings:
    """Raw time-series rows older than `raw_retention_days` are dropped (0 keeps them forever);
    hourly and daily rollups are kept. Attestations themselves are never dropped."""

    raw_retention_days: int = 0


@dataclass(frozen=True)
class ReplicaSettings:
    """Several portal processes on one PostgreSQL database: one leader runs the jobs.

    `leader_poll_seconds`: how often a follower tries to take the lead, and the leader checks that
    it still holds it. `lease_seconds`: a leader that could not confirm its lock for this long
    stops running jobs (its connection may be cut off without it knowing).
    """

    leader_poll_seconds: float = 2.0
    lease_seconds: float = 10.0


@dataclass(frozen=True)
class AnchorSettings:
    """Optional anchoring of final attestation ids on an EVM chain (contracts/AttestationAnchor.sol)."""

    rpc_url: str
    chain_id: str
    contract: str
    sender_key: str = field(repr=False)
    confirmations: int = 1
    timeout_seconds: float = 60.0


def guardians(t: dict[str, Any]) -> GuardianSet | None:
    """`[guardians] threshold = M` and `keys = [{key_id, pubkey}, ...]`; None when the table is absent."""
    if not t:
        return None
    no_unknown("guardians.", t, {"threshold", "keys"})
    keys = t.get("keys")
    if not isinstance(keys, list) or not keys or not all(isinstance(k, dict) for k in keys):
        raise ConfigError("guardians.keys: an array of {key_id, pubkey} tables, at least one")
    if len(keys) > MAX_GUARDIANS:
        raise ConfigError(f"guardians.keys: at most {MAX_GUARDIANS} keys")
    parsed = []
    for i, k in enumerate(keys):
        where = f"guardians.keys[{i}]"
        no_unknown(where + ".", k, {"key_id", "pubkey"})
        key_id, pubkey = str_(k, "key_id", where + ".key_id", None), str_(k, "pubkey", where + ".pubkey", None)
        if key_id is None or not _KEY_ID.fullmatch(key_id):
            raise ConfigError(f"{where}.key_id: 1-64 characters of letters, digits, '.', '_', ':', '-'")
        if pubkey is None:
            raise ConfigError(f"{where}.pubkey: required, the guardian's BIP-340 x-only public key (64 hex)")
        parsed.append((key_id, pubkey.lower()))
    threshold = t.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, int):
        raise ConfigError("guardians.threshold: required, an integer M from 1 to the number of keys")
    if not 1 <= threshold <= len(parsed):
        raise ConfigError(f"guardians.threshold: {threshold} of {len(parsed)} keys; M must be from 1 to N")
    try:
        return GuardianSet(threshold, tuple(parsed))
    except InvalidInput as exc:
        raise ConfigError(exc.detail) from exc


def scope(t: dict[str, Any]) -> ScopeSettings:
    no_unknown("scope.", t, {"statements"})
    statements = t.get("statements", [])
    if (
        not isinstance(statements, list)
        or len(statements) > MAX_STATEMENTS
        or not all(isinstance(s, str) and len(s.strip()) >= 1 and len(s) <= MAX_STATEMENT for s in statements)
    ):
        raise ConfigError(
            f"scope.statements: at most {MAX_STATEMENTS} non-empty strings of at most {MAX_STATEMENT} characters"
        )
    return ScopeSettings(tuple(s.strip() for s in statements))


def timeseries(t: dict[str, Any]) -> TimeseriesSettings:
    no_unknown("timeseries.", t, {"raw_retention_days"})
    days = int_(t, "raw_retention_days", "timeseries.raw_retention_days", 0, lo=0, hi=36_500)
    if 0 < days < 7:
        # The rollups are refreshed from raw rows of the last few days: keep at least a week.
        raise ConfigError("timeseries.raw_retention_days: 0 (keep forever) or at least 7")
    return TimeseriesSettings(days)


def replicas(t: dict[str, Any]) -> ReplicaSettings:
    no_unknown("replicas.", t, {"leader_poll_seconds", "lease_seconds"})
    poll = num(t, "leader_poll_seconds", "replicas.leader_poll_seconds", 2.0, lo=0.2, hi=60.0)
    lease = num(t, "lease_seconds", "replicas.lease_seconds", 10.0, lo=1.0, hi=600.0)
    if lease < 2 * poll:
        raise ConfigError("replicas.lease_seconds: at least twice leader_poll_seconds")
    return ReplicaSettings(poll, lease)


def anchor(t: dict[str, Any], env: Mapping[str, str], base: Path) -> AnchorSettings | None:
    if not t:
        return None
    if "sender_key" in t:
        raise ConfigError("anchor.sender_key: give sender_key_env or sender_key_file, never the key itself")
    no_unknown(
        "anchor.",
        t,
        {
            "rpc_url",
            "rpc_url_env",
            "rpc_url_file",
            "chain_id",
            "contract",
            "sender_key_env",
            "sender_key_file",
            "confirmations",
            "timeout_seconds",
        },
    )
    url = secret(t, "rpc_url", "anchor.rpc_url", env, base)
    if url is None or not url.lower().startswith(("http://", "https://")):
        raise ConfigError("anchor.rpc_url: required, an http(s) JSON-RPC URL (or rpc_url_env / rpc_url_file)")
    chain_id = str_(t, "chain_id", "anchor.chain_id", None)
    if chain_id is None or not _CHAIN.fullmatch(chain_id):
        raise ConfigError("anchor.chain_id: required, a CAIP-2 EVM chain id like 'eip155:1'")
    contract = str_(t, "contract", "anchor.contract", None)
    if contract is None or not is_evm_address(contract):
        raise ConfigError("anchor.contract: required, the 0x address of the AttestationAnchor contract")
    key = secret(t, "sender_key", "anchor.sender_key", env, base)
    if key is None or not is_hex64(key.removeprefix("0x"), any_case=True):
        raise ConfigError("anchor.sender_key_env / sender_key_file: required, 32 bytes of hex (the account paying gas)")
    return AnchorSettings(
        rpc_url=url,
        chain_id=chain_id,
        contract=contract.lower(),
        sender_key=key,
        confirmations=int_(t, "confirmations", "anchor.confirmations", 1, lo=0, hi=100),
        timeout_seconds=num(t, "timeout_seconds", "anchor.timeout_seconds", 60.0, lo=1.0, hi=3600.0),
    )
