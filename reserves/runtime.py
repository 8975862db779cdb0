"""The running engine's parts, built from settings: database, signing key, adapters, devnet."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from chains.registry import get_spec
from chains.errors import ChainConfigError
from reserves.attestation.keys import SigningKey, generate_key_file, load_signing_key
from reserves.attestation.members.guardians import GuardianSet
from reserves.errors import ConfigError, SigningKeyError
from reserves.trust.config_audit import record_config
from reserves.jobs.leader import leadership_for
from reserves.declarations.reserve_set import build_reserve_set, record_reserve_set, source_wallets
from reserves.settings.load import Settings, SourceSettings
from reserves.declarations.supply_set import link_deployments, pop_role
from reserves.storage.db import Database, open_database
from reserves.storage.migrate import upgrade
from reserves.storage.timescale import refresh_aggregates

log = logging.getLogger(__name__)
CLOSE_WAIT_SECONDS = 30


@dataclass
class Source:
    """A configured source and the adapter reading it."""

    settings: SourceSettings
    adapter: Any

    @property
    def max_age_seconds(self) -> int:
        return int(getattr(self.settings.config, "max_age_seconds", 3600))


@dataclass
class Runtime:
    """Everything the jobs and the service need; `start()` builds it, `close()` releases it."""

    settings: Settings
    db: Database | None = None
    signer: SigningKey | None = None
    reserve_sources: list[Source] = field(default_factory=list)
    supply_sources: list[Source] = field(default_factory=list)
    devnet: Any = None
    reserve_set: Any = None  # the stored ReserveSetVersion the reserve sources declare
    previous_signer: SigningKey | None = None  # the key a rotation replaces (signing.previous_key_*)
    guardians: GuardianSet | None = None       # [guardians], or the devnet's own set
    devnet_guardians: list[SigningKey] = field(default_factory=list)  # devnet only: the guardians that sign
    leadership: Any = None                     # reserves.jobs.leader: whether this process runs the jobs
    anchor: Any = None                         # chains.evm.anchor.AnchorClient when [anchor] is set
    last_snapshot_error: dict | None = None    # why the last scheduled snapshot was refused, until one succeeds
    # Held by a running snapshot; close() waits for it so a snapshot never sees half a runtime.
    snapshot_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    closing: bool = False

    async def start(self) -> "Runtime":
        """Build every part; on failure release what was already started, then re-raise."""
        try:
            return await self._start()
        except BaseException:
            await self.close()
            raise

    async def _start(self) -> "Runtime":
        s = self.settings
        if s.database.auto_migrate:
            await asyncio.to_thread(upgrade, s.database.url)
        if s.database.url.startswith("postgresql"):
            await asyncio.to_thread(refresh_aggregates, s.database.url)  # TimescaleDB only; see there
        self.db = open_database(s.database.url)
        self.leadership = leadership_for(s.database.url, s.replicas)
        await self.leadership.start()
        self.signer = load_engine_key(s)
        self.previous_signer = load_previous_key(s)
        self.guardians = s.guardians
        reserves, deployments = list(s.reserves), list(s.deployments)
        if s.devnet.enabled:
            self.devnet = await asyncio.to_thread(_start_devnet, s)
            reserves = _devnet_sources(self.devnet.reserve_sources(), "reserve") + reserves
            deployments = list(link_deployments(
                _devnet_sources(self.devnet.deployment_sources(), "supply") + deployments))
            if self.guardians is None:
                self.guardians, self.devnet_guardians = devnet_guardian_set()
        for src in reserves:
            self.reserve_sources.append(Source(src, get_spec(src.kind).build(src.config)))
        for src in deployments:
            self.supply_sources.append(Source(src, get_spec(src.kind).build(src.config)))
        if s.anchor is not None:
            from chains.evm.anchor import AnchorClient

            self.anchor = AnchorClient(s.anchor.rpc_url, s.anchor.contract, s.anchor.sender_key,
                                       chain_id=int(s.anchor.chain_id.split(":")[1]), timeout=s.anchor.timeout_seconds)
        # A changed declaration becomes a new version here, before any attestation uses it.
        self.reserve_set = await record_reserve_set(
            self.db, build_reserve_set(source_wallets(self.reserve_sources)), s.reserve_set.reason,
            devnet=s.devnet.enabled)
        await record_config(self.db, s, self.signer)
        return self

    def is_leader(self) -> bool:
        """Whether this process runs the scheduled jobs (always, on SQLite)."""
        return self.leadership is not None and self.leadership.is_leader()

    async def close(self) -> None:
        self.closing = True
        held = False
        try:
            await asyncio.wait_for(self.snapshot_lock.acquire(), CLOSE_WAIT_SECONDS)
            held = True
        except asyncio.TimeoutError:
            log.warning("closing while a snapshot still runs after %d s", CLOSE_WAIT_SECONDS)
        try:
            await self._release()
        finally:
            if held:
                self.snapshot_lock.release()

    async def _release(self) -> None:
        if self.leadership is not None:
            await self.leadership.stop()
        if self.anchor is not None:
            await self.anchor.aclose()
            self.anchor = None
        for src in self.reserve_sources + self.supply_sources:
            try:
                await src.adapter.aclose()
            except Exception:  # closing must not mask the reason we are shutting down
                log.exception("closing adapter %s", src.settings.name)
        self.reserve_sources, self.supply_sources = [], []
        if self.devnet is not None:
            await asyncio.to_thread(self.devnet.stop)
            self.devnet = None
        if self.db is not None:
            await self.db.dispose()
            self.db = None


def load_engine_key(s: Settings) -> SigningKey:
    """The engine key: from the environment variable if set, else from the key file.

    The embedded default creates the file on first start (mode 0600, beside the database).
    """
    env_value = os.environ.get(s.signing.key_env)
    path = s.signing.key_file
    if not env_value and path is not None and not path.exists():
        if not s.signing.create_if_missing:
            raise SigningKeyError(
                f"signing.key_file: {path} does not exist and ${s.signing.key_env} is not set "
                "(create one with `reserves keys generate`)")
        path.parent.mkdir(parents=True, exist_ok=True)
        generate_key_file(path)
        log.info("created a new signing key at %s", path)
    if not env_value and path is None:
        raise SigningKeyError(f"signing: set ${s.signing.key_env} or signing.key_file")
    return load_signing_key(path=None if env_value else path, env_value=env_value, key_id=s.signing.key_id)


def load_previous_key(s: Settings) -> SigningKey | None:
    """The key a rotation replaces, when configured (signing.previous_key_env or previous_key_file)."""
    sig = s.signing
    if sig.previous_key_env:
        return load_signing_key(env_value=os.environ[sig.previous_key_env])
    if sig.previous_key_file is not None:
        return load_signing_key(path=sig.previous_key_file)
    return None


# The devnet's guardians: three keys anyone can derive (it is a devnet), two of which sign every
# attestation right after it is made; the third never does, so the dashboard shows who did.
DEVNET_GUARDIANS = ("devnet-guardian-a", "devnet-guardian-b", "devnet-guardian-c")
DEVNET_SIGNING_GUARDIANS = 2


def devnet_guardian_set() -> tuple[GuardianSet, list[SigningKey]]:
    import hashlib

    keys = [SigningKey(hashlib.sha256(f"reserves-portal devnet guardian {name}".encode()).digest(), key_id=name)
            for name in DEVNET_GUARDIANS]
    return (GuardianSet(DEVNET_SIGNING_GUARDIANS, tuple((k.key_id, k.pubkey_hex) for k in keys)),
            keys[:DEVNET_SIGNING_GUARDIANS])


def _start_devnet(s: Settings):
    from chains.devnet.network import Devnet

    return Devnet.start(evm_chains=s.devnet.evm_chains)


def _devnet_sources(entries: list[tuple[str, str, dict]], role: str) -> list[SourceSettings]:
    """The devnet's sources; its deployment tables may carry role keys like a config file's."""
    out = []
    for name, kind, mapping in entries:
        mapping = dict(mapping)
        try:
            supply = pop_role(name, mapping) if role == "supply" else None
            config = get_spec(kind).parse_config(name, mapping)
        except (ChainConfigError, ConfigError) as exc:
            raise ConfigError(f"devnet source {name}: {exc.detail}") from exc
        out.append(SourceSettings(name=name, kind=kind, role=role, config=config,
                                  **(supply.source_fields() if supply else {})))
    return out
