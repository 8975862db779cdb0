"""The [[providers]] array and the [provider_policy] table: liquidity providers, their obligation and
collateral readings, and the thresholds their states are decided with.

A reading goes through a declared connection: a `bitcoin` leg through a `[[reserves]]` source (its
backend, network and confirmation depth), an `evm-erc20` or `evm-native` leg through a
`[[deployments]]` entry (its RPC endpoints, chain id, finality and quorum). So a provider adds no
URL, key or node of its own, and every figure is read at a confirmed block like the reserves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from chains.bitcoin.networks import chain_id as bitcoin_chain_id
from chains.bitcoin.wallets import WalletSpec, parse_wallets
from chains.errors import ChainConfigError
from chains.evm.held import MAX_HOLDERS, check_evm_address
from reserves.attestation import collateral as co
from reserves.errors import ConfigError, InvalidInput
from reserves.settings.values import no_unknown

MAX_PROVIDERS = 100
EVM_KIND = "evm-erc20"
NATIVE_DECIMALS = 18
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$")
_LEG_KEYS = {
    "bitcoin": {"kind", "source", "addresses", "asset"},
    "evm-erc20": {"kind", "deployment", "token", "addresses", "decimals", "asset"},
    "evm-native": {"kind", "deployment", "addresses", "decimals", "asset"},
}
_POLICY_KEYS = {"warning_below_bp", "liquidatable_below_bp", "hysteresis_bp", "penalty_bp"}


@dataclass(frozen=True)
class LegSettings:
    """One declared reading. `via` names the reserve source (bitcoin) or deployment (EVM) read through;
    `chain_id` and `max_age_seconds` are that connection's. `token` is None except for evm-erc20;
    `wallet` (bitcoin only) holds the addresses as a wallet of the source's network."""

    kind: str
    via: str
    chain_id: str
    asset: str
    decimals: int
    addresses: tuple[str, ...]
    max_age_seconds: int
    token: str | None = None
    wallet: WalletSpec | None = None


@dataclass(frozen=True)
class ProviderSettings:
    name: str
    obligation: LegSettings
    collateral: LegSettings


def provider_policy(t: dict[str, Any]) -> co.Thresholds:
    """[provider_policy]: thresholds and penalty in basis points (defaults 15000, 12000, 100, 1000)."""
    no_unknown("provider_policy.", t, _POLICY_KEYS)
    for key, value in t.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"provider_policy.{key}: must be an integer (basis points)")
    try:
        return co.Thresholds(**t)
    except InvalidInput as exc:
        raise ConfigError(f"provider_policy: {exc.detail}") from exc


def providers(data: dict[str, Any], reserves: tuple, deployments: tuple) -> tuple[ProviderSettings, ...]:
    """Every `[[providers]]` entry, checked against the declared reserve sources and deployments.

    Raises ConfigError naming the key (`providers[1].collateral.token: ...`).
    """
    entries = data.get("providers", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError("providers: must be an array of tables ([[providers]])")
    if len(entries) > MAX_PROVIDERS:
        raise ConfigError(f"providers: at most {MAX_PROVIDERS} providers")
    sources = {s.name: s for s in reserves}
    chains = {d.name: d for d in deployments}
    out: list[ProviderSettings] = []
    for i, entry in enumerate(entries):
        where = f"providers[{i}]"
        no_unknown(f"{where}.", entry, {"name", "obligation", "collateral"})
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(f"{where}.name: required, 1 to 64 letters, digits, '.', '_', '-' or spaces")
        if any(p.name == name for p in out):
            raise ConfigError(f"{where}.name: duplicate name {name!r}")
        obligation = _leg(entry.get("obligation"), f"{where}.obligation", name, sources, chains)
        if obligation.asset != "BTC":
            raise ConfigError(f"{where}.obligation.asset: an obligation is the BTC a provider provides")
        collateral = _leg(entry.get("collateral"), f"{where}.collateral", name, sources, chains)
        out.append(ProviderSettings(name, obligation, collateral))
    return tuple(out)


def _leg(t: Any, where: str, provider: str, sources: dict, chains: dict) -> LegSettings:
    if not isinstance(t, dict):
        raise ConfigError(f"{where}: required, a table with kind = 'bitcoin', 'evm-erc20' or 'evm-native'")
    kind = t.get("kind")
    if kind not in _LEG_KEYS:
        raise ConfigError(f"{where}.kind: must be one of {', '.join(_LEG_KEYS)}")
    no_unknown(f"{where}.", t, _LEG_KEYS[kind])
    asset = t.get("asset", "BTC")
    if asset not in co.ASSETS:
        raise ConfigError(f"{where}.asset: must be one of {', '.join(co.ASSETS)} (no price pair for anything else)")
    try:
        if kind == "bitcoin":
            return _bitcoin_leg(t, where, provider, sources, asset)
        return _evm_leg(t, where, kind, chains, asset)
    except ChainConfigError as exc:
        raise ConfigError(exc.detail if exc.detail.startswith(where) else f"{where}: {exc.detail}") from exc


def _bitcoin_leg(t: dict, where: str, provider: str, sources: dict, asset: str) -> LegSettings:
    source = sources.get(t.get("source"))
    if source is None:
        raise ConfigError(f"{where}.source: must name a [[reserves]] source (its backend reads the addresses)")
    if "wallets" not in {f.name for f in fields(source.config)}:
        raise ConfigError(f"{where}.source: a {source.kind} source cannot read a provider's addresses")
    if asset != "BTC":
        raise ConfigError(f"{where}.asset: bitcoin is BTC")
    addresses = t.get("addresses")
    if not isinstance(addresses, list) or not 1 <= len(addresses) <= MAX_HOLDERS:
        raise ConfigError(f"{where}.addresses: 1 to {MAX_HOLDERS} addresses")
    network = source.config.network
    (wallet,) = parse_wallets([{"name": _wallet_name(provider), "addresses": addresses}], network, where)
    return LegSettings(
        kind="bitcoin",
        via=source.name,
        chain_id=bitcoin_chain_id(network),
        asset="BTC",
        decimals=8,
        addresses=wallet.addresses,
        max_age_seconds=int(source.config.max_age_seconds),
        wallet=wallet,
    )


def _evm_leg(t: dict, where: str, kind: str, chains: dict, asset: str) -> LegSettings:
    deployment = chains.get(t.get("deployment"))
    if deployment is None or deployment.kind != EVM_KIND:
        raise ConfigError(f"{where}.deployment: must name an evm-erc20 [[deployments]] entry (its endpoints read)")
    addresses = t.get("addresses")
    if not isinstance(addresses, list) or not 1 <= len(addresses) <= MAX_HOLDERS:
        raise ConfigError(f"{where}.addresses: 1 to {MAX_HOLDERS} addresses")
    for i, a in enumerate(addresses):
        check_evm_address(where, f"addresses[{i}]", a)
    if len({a.lower() for a in addresses}) != len(addresses):
        raise ConfigError(f"{where}.addresses: an address listed twice")
    token = check_evm_address(where, "token", t.get("token")) if kind == "evm-erc20" else None
    decimals = t.get("decimals", NATIVE_DECIMALS if kind == "evm-native" else None)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= co.MAX_DECIMALS:
        raise ConfigError(f"{where}.decimals: required, an integer from 0 to {co.MAX_DECIMALS}")
    return LegSettings(
        kind=kind,
        via=deployment.name,
        chain_id=deployment.config.chain_id,
        asset=asset,
        decimals=decimals,
        addresses=tuple(addresses),
        max_age_seconds=int(deployment.config.max_age_seconds),
        token=token,
    )


def _wallet_name(provider: str) -> str:
    return "provider-" + re.sub(r"[^A-Za-z0-9._-]", "-", provider)[:50]
