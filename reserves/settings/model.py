"""The settings as typed, immutable values: one dataclass per TOML table, the whole in `Settings`.

`reserves.settings.load` builds them from a file (or the devnet default) and validates every key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chains.base import HeldAddress
from reserves.attestation.collateral import Thresholds
from reserves.attestation.members.guardians import GuardianSet
from reserves.prices.aggregate import PricePolicy
from reserves.settings.providers import ProviderSettings
from reserves.settings.ratelimit import RateLimitSettings
from reserves.settings.tiers import TiersSettings
from reserves.settings.trust import AnchorSettings, ReplicaSettings, ScopeSettings, TimeseriesSettings
from reserves.settings.webhooks import WebhookSettings

DEFAULT_KEY_ENV = "RESERVES_SIGNING_KEY"


@dataclass(frozen=True)
class PortalSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    issuer_name: str = "Devnet custodian"
    issuer_url: str | None = None
    token_symbol: str = "RBTC"
    # The older name of [ratelimit] trusted_proxies (comma-separated); added to that list at load.
    forwarded_allow_ips: str | None = None
    # Served over TLS (directly or behind a TLS-terminating proxy): send Strict-Transport-Security.
    hsts: bool = False
    # GET /api/v1/events/stream, per web process: concurrent streams (more get 503), seconds between
    # `: keep-alive` comments, seconds between reads of the outbox while someone listens.
    stream_max_clients: int = 200
    stream_heartbeat_seconds: float = 15.0
    stream_poll_seconds: float = 1.0
    # Streams of one client key (address, IPv6 /64) per web process (more get 429); seconds a stream
    # lasts before the server ends it (the client resumes with Last-Event-ID); seconds one write may
    # wait for a client that stopped reading before its stream is dropped; seconds a hole in the
    # event ids is held at least (see reserves.read.stream).
    stream_max_per_client: int = 4
    stream_max_seconds: float = 1800.0
    stream_send_timeout_seconds: float = 30.0
    stream_gap_seconds: float = 5.0
    # Request limits of the web server (per web worker process; see docs/api.md "Request limits"):
    # seconds a client has to send a request's line and headers (from the connection or the end of
    # the previous answer), their bytes and count (431 beyond), the query string's bytes (400
    # beyond; room for every parameter at its longest), and open connections (503 beyond; event
    # streams count, so keep it above stream_max_clients).
    header_timeout_seconds: float = 10.0
    max_header_bytes: int = 16_384
    max_header_count: int = 100
    max_query_bytes: int = 4096
    max_connections: int = 1000
    # Evidence bundles (up to ~8 MB each) kept built in memory, per web process, in MiB (0: none).
    evidence_cache_mib: int = 64


@dataclass(frozen=True)
class DatabaseSettings:
    url: str
    auto_migrate: bool = True


@dataclass(frozen=True)
class SigningSettings:
    """Where the engine's BIP-340 key comes from: `key_env` wins over `key_file`.

    A rotation: the new key as the key, the key it replaces as `previous_key_file` (or
    `previous_key_env`); the next attestation is then signed by both and names the old one in
    `signers.rotation` with `rotation_reason`. Without the old key, a new key is refused.
    """

    key_file: Path | None
    key_env: str = DEFAULT_KEY_ENV
    key_id: str | None = None
    create_if_missing: bool = False
    previous_key_file: Path | None = None
    previous_key_env: str | None = None
    rotation_reason: str = "engine key rotation"


@dataclass(frozen=True)
class ScheduleSettings:
    snapshot_interval_seconds: float = 60.0
    # A source that has not answered by then is failed (stale) for this snapshot.
    source_timeout_seconds: float = 120.0


@dataclass(frozen=True)
class PolicySettings:
    """Status thresholds in basis points of reserves over liabilities."""

    warning_below_bp: int = 10200
    undercollateralized_below_bp: int = 10000
    # Whether time-locked reserve outputs count towards the ratio (both totals are always shown).
    count_locked: bool = True
    # Format 4: the band a ratio must clear before the status improves, the window of blocks for
    # the lowest ratio, the flow share that is flagged, and how young a "recent" output is.
    hysteresis_bp: int = 50
    window_blocks: int = 144
    flow_flag_bp: int = 1000
    recent_blocks: int = 12


@dataclass(frozen=True)
class ReconcileSettings:
    """Mint-to-deposit reconciliation rules.

    A mint must equal its deposit's value minus `mint_fee_bp` basis points (floored, in satoshis)
    and minus `mint_fee_sat`, in token units. A burn is released by a Bitcoin payment to its address
    of at least the burned amount minus `release_fee_max_sat`. A deposit counts once at least
    `min_confirmations` deep (None: the reserve sources' own depth).
    """

    mint_fee_bp: int = 0
    mint_fee_sat: int = 0
    release_fee_max_sat: int = 0
    min_confirmations: int | None = None


@dataclass(frozen=True)
class ReserveSetSettings:
    """Why the declared reserve set is what it is; recorded with a new version when the set changes."""

    reason: str = "initial declaration"


@dataclass(frozen=True)
class AdminSettings:
    """The admin API under /admin/v1: on when a bearer token is configured (token_env/token_file) or
    an admin key exists (`reserves admin-keys create`). Each process caches the keys for
    `key_cache_seconds`: a created or revoked key counts within that delay."""

    token: str | None = field(default=None, repr=False)
    key_cache_seconds: float = 5.0


@dataclass(frozen=True)
class ProofSettings:
    """Proofs of control: challenge messages, freshness, and the optional online signer.

    `domain` is embedded in every challenge message (the portal's public host name).
    A proof older than `max_age_seconds` no longer counts as fresh; a challenge expires after
    `challenge_ttl_seconds`; public challenges that prove nothing more are pruned after it, and at
    most `max_public_challenges` are kept (oldest pruned first). The online signer is an encrypted
    key file (AES-256-GCM, scrypt) whose passphrase comes from the environment or a file; None
    disables POST /api/v1/challenges.
    """

    domain: str = "localhost"
    max_age_seconds: int = 30 * 86400
    challenge_ttl_seconds: int = 86400
    online_key_file: Path | None = None
    online_passphrase: str | None = field(default=None, repr=False)
    online_rate_per_minute: int = 6
    max_public_challenges: int = 10_000


@dataclass(frozen=True)
class DevnetSettings:
    """The built-in devnet: `reserves devnet` runs it; the worker and the web role read its manifest.

    `host`/`port`: where the devnet process listens for its manifest (its chains listen on free
    ports of `host`); `advertise_host`: the host name its URLs carry (a compose service name);
    `url`: where the other roles fetch the manifest (default http://127.0.0.1:`port`), waiting
    up to `wait_seconds` for the devnet to come up.
    """

    enabled: bool = False
    block_interval_seconds: float = 5.0
    evm_chains: int = 3
    host: str = "127.0.0.1"
    port: int = 8002
    advertise_host: str | None = None
    url: str | None = None
    wait_seconds: float = 60.0

    @property
    def manifest_url(self) -> str:
        base = self.url or f"http://127.0.0.1:{self.port}"
        return base.rstrip("/") + "/manifest"


@dataclass(frozen=True)
class WorkerSettings:
    """The worker's own small HTTP server: `/healthz` and the admin routes that read a chain."""

    host: str = "127.0.0.1"
    port: int = 8001


@dataclass(frozen=True)
class SourceSettings:
    """One configured source: its adapter kind, role and parsed adapter config."""

    name: str
    kind: str
    role: str
    config: Any
    # Supply deployments only: "native" (mints and burns itself) or "bridge" (a lock-and-mint
    # representation of `bridge_source`, a native deployment holding the lockboxes).
    supply_role: str = "native"
    bridge_source: str | None = None
    # A bridge's lockbox/escrow addresses on the source chain (also appended to the source's
    # `config.held` by reserves.declarations.supply_set.link_deployments); empty for a native deployment.
    lockboxes: tuple[HeldAddress, ...] = ()


@dataclass(frozen=True)
class PriceSettings:
    """`[prices]` (reserves.settings.prices): `pair` as BASE/QUOTE, a round every
    `interval_seconds`, judged by `policy`. No sources: the feature is off."""

    pair: str = "BTC/USD"
    interval_seconds: float = 30.0
    policy: PricePolicy = field(default_factory=PricePolicy)
    sources: tuple[SourceSettings, ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.sources)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database: DatabaseSettings
    signing: SigningSettings
    portal: PortalSettings = field(default_factory=PortalSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    devnet: DevnetSettings = field(default_factory=DevnetSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    reserve_set: ReserveSetSettings = field(default_factory=ReserveSetSettings)
    admin: AdminSettings = field(default_factory=AdminSettings)
    proofs: ProofSettings = field(default_factory=ProofSettings)
    reconciliation: ReconcileSettings = field(default_factory=ReconcileSettings)
    guardians: GuardianSet | None = None
    scope: ScopeSettings = field(default_factory=ScopeSettings)
    timeseries: TimeseriesSettings = field(default_factory=TimeseriesSettings)
    replicas: ReplicaSettings = field(default_factory=ReplicaSettings)
    anchor: AnchorSettings | None = None
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    ratelimit: RateLimitSettings = field(default_factory=RateLimitSettings)
    prices: PriceSettings = field(default_factory=PriceSettings)
    tiers: TiersSettings = field(default_factory=TiersSettings)
    reserves: tuple[SourceSettings, ...] = ()
    deployments: tuple[SourceSettings, ...] = ()
    # Liquidity providers (reserves.settings.providers) and the thresholds of their states.
    providers: tuple[ProviderSettings, ...] = ()
    provider_policy: Thresholds = field(default_factory=Thresholds)
    config_path: Path | None = None
