"""Settings: one TOML file (or none, for the devnet default), validated at start with clear errors.

Nothing here runs at import time. `load_settings(path)` returns an immutable `Settings`; every
invalid key raises `ConfigError` whose detail names the key (`deployments[1].contract: ...`).
Secrets never sit in the file: any string key `k` of a source may instead be given as `k_env`
(name of an environment variable) or `k_file` (path of a file holding the value).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from reserves.declarations.supply_set import link_deployments
from reserves.errors import ConfigError
from reserves.settings import trust as es
from reserves.settings.model import (
    DEFAULT_KEY_ENV,
    AdminSettings,
    DatabaseSettings,
    DevnetSettings,
    PolicySettings,
    PortalSettings,
    ProofSettings,
    ReconcileSettings,
    ReserveSetSettings,
    ScheduleSettings,
    Settings,
    SigningSettings,
    WorkerSettings,
)
from reserves.settings.prices import prices as price_settings
from reserves.settings.providers import provider_policy
from reserves.settings.providers import providers as provider_settings
from reserves.settings.ratelimit import ratelimit as ratelimit_settings
from reserves.settings.ratelimit import trusted_proxies
from reserves.settings.sources import sources
from reserves.settings.tiers import check_against_wallets, parse_tiers, reserve_wallets
from reserves.settings.values import bool_ as _bool
from reserves.settings.values import int_ as _int
from reserves.settings.values import no_unknown as _no_unknown
from reserves.settings.values import num as _num
from reserves.settings.values import path as _path
from reserves.settings.values import secret as _secret
from reserves.settings.values import short as _short
from reserves.settings.values import str_ as _str
from reserves.settings.values import table as _table
from reserves.settings.webhooks import devnet_webhooks
from reserves.settings.webhooks import webhooks as webhook_settings

CONFIG_ENV = "RESERVES_CONFIG"
DATABASE_URL_ENV = "RESERVES_DATABASE_URL"
MAX_CONFIG_BYTES = 1_000_000
_KEY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def default_settings(data_dir: Path | None = None) -> Settings:
    """The embedded default: devnet, SQLite file and a key created beside it, in `data_dir`."""
    base = (data_dir or Path.cwd()).resolve()
    return Settings(
        data_dir=base,
        database=DatabaseSettings(url=f"sqlite:///{base / 'reserves.db'}"),
        signing=SigningSettings(key_file=base / "reserves-signing.key", create_if_missing=True),
        schedule=ScheduleSettings(snapshot_interval_seconds=10.0),
        devnet=DevnetSettings(enabled=True),
        webhooks=devnet_webhooks(base),
    )


def load_settings(path: Path | str | None = None, *, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `path`, else from $RESERVES_CONFIG, else the devnet default."""
    env = os.environ if env is None else env
    chosen = path or env.get(CONFIG_ENV)
    if not chosen:
        settings = default_settings()
        url = env.get(DATABASE_URL_ENV)
        if url:
            settings = _replace_db(settings, url)
        return settings
    cfg_path = Path(chosen).expanduser().resolve()
    data = _read_toml(cfg_path)
    return _build(data, cfg_path, env)


def _replace_db(settings: Settings, url: str) -> Settings:
    return replace(settings, database=DatabaseSettings(url=url, auto_migrate=settings.database.auto_migrate))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot read ({exc.strerror})") from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {path}: larger than {MAX_CONFIG_BYTES} bytes")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path}: not valid TOML ({exc})") from exc


_TOP_KEYS = {
    "portal",
    "database",
    "signing",
    "schedule",
    "policy",
    "devnet",
    "worker",
    "reserves",
    "deployments",
    "data_dir",
    "reserve_set",
    "admin",
    "proofs",
    "reconciliation",
    "guardians",
    "scope",
    "timeseries",
    "replicas",
    "anchor",
    "webhooks",
    "ratelimit",
    "prices",
    "tiers",
    "contracts",
    "providers",
    "provider_policy",
}


def _build(data: dict[str, Any], path: Path, env: Mapping[str, str]) -> Settings:
    _no_unknown("", data, _TOP_KEYS)
    base = path.parent
    data_dir = _path(data.get("data_dir", "."), "data_dir", base)
    db = _table(data, "database")
    _no_unknown("database.", db, {"url", "url_env", "url_file", "auto_migrate"})
    url = env.get(DATABASE_URL_ENV) or _secret(db, "url", "database.url", env, base)
    if url is None:
        url = f"sqlite:///{data_dir / 'reserves.db'}"
    if not url.startswith(("sqlite", "postgresql")):
        raise ConfigError("database.url: must be a sqlite:/// or postgresql+psycopg:// URL")
    signing = _signing(_table(data, "signing"), data_dir, env)
    settings = Settings(
        data_dir=data_dir,
        database=DatabaseSettings(url=url, auto_migrate=_bool(db, "auto_migrate", "database.auto_migrate", True)),
        signing=signing,
        portal=_portal(_table(data, "portal")),
        schedule=_schedule(_table(data, "schedule")),
        policy=_policy(_table(data, "policy")),
        devnet=_devnet(_table(data, "devnet")),
        worker=_worker(_table(data, "worker")),
        reserve_set=_reserve_set(_table(data, "reserve_set")),
        admin=_admin(_table(data, "admin"), env, base),
        proofs=_proofs(_table(data, "proofs"), env, base, data_dir),
        reconciliation=_reconciliation(_table(data, "reconciliation")),
        guardians=es.guardians(_table(data, "guardians")),
        scope=es.scope(_table(data, "scope")),
        timeseries=es.timeseries(_table(data, "timeseries")),
        replicas=es.replicas(_table(data, "replicas")),
        anchor=es.anchor(_table(data, "anchor"), env, base),
        webhooks=webhook_settings(
            _table(data, "webhooks"),
            env,
            base,
            data_dir,
            devnet=_bool(_table(data, "devnet"), "enabled", "devnet.enabled", False),
        ),
        ratelimit=ratelimit_settings(_table(data, "ratelimit"), env, base),
        prices=price_settings(_table(data, "prices"), env, base),
        reserves=sources(data, "reserves", "reserve", env, base),
        deployments=link_deployments(sources(data, "deployments", "supply", env, base)),
        tiers=parse_tiers(data),
        provider_policy=provider_policy(_table(data, "provider_policy")),
        config_path=path,
    )
    settings = replace(settings, providers=provider_settings(data, settings.reserves, settings.deployments))
    _usd_collateral_is_priced(settings)
    forwarded = settings.portal.forwarded_allow_ips
    if forwarded is not None:  # both lists are trusted; '*' is refused in either
        proxies = (*settings.ratelimit.trusted_proxies, *trusted_proxies(forwarded, "portal.forwarded_allow_ips"))
        settings = replace(settings, ratelimit=replace(settings.ratelimit, trusted_proxies=proxies))
    if settings.devnet.enabled and settings.webhooks.key_dir is None:
        # The devnet makes its own keys, as it does the engine's: webhook keys as files in data_dir.
        settings = replace(settings, webhooks=replace(settings.webhooks, key_dir=data_dir))
    if settings.devnet.enabled and (settings.reserves or settings.deployments):
        # Regtest coins must never be added to real reserves, nor devnet tokens to real supply.
        raise ConfigError("devnet.enabled: the devnet cannot be combined with [[reserves]] or [[deployments]]")
    if settings.devnet.enabled and "providers" in data:
        raise ConfigError("devnet.enabled: the devnet declares its own [[providers]]")
    networks = {r.config.network for r in settings.reserves}
    if len(networks) > 1:
        raise ConfigError(f"reserves: all sources must be on one Bitcoin network, got {', '.join(sorted(networks))}")
    if not settings.devnet.enabled and not settings.reserves:
        raise ConfigError("reserves: declare at least one [[reserves]] source (or enable [devnet])")
    if not settings.devnet.enabled and not settings.deployments:
        raise ConfigError("deployments: declare at least one [[deployments]] entry (or enable [devnet])")
    if settings.devnet.enabled and settings.tiers.declared:
        raise ConfigError("devnet.enabled: the devnet declares its own [[tiers]] and [[contracts]]")
    # The devnet's wallets are known only from its manifest, which checks its tiers when applied.
    check_against_wallets(settings.tiers, reserve_wallets(settings.reserves))
    return settings


_STREAM_KEYS = (
    "stream_max_clients",
    "stream_heartbeat_seconds",
    "stream_poll_seconds",
    "stream_max_per_client",
    "stream_max_seconds",
    "stream_send_timeout_seconds",
    "stream_gap_seconds",
)
_LIMIT_KEYS = ("header_timeout_seconds", "max_header_bytes", "max_header_count", "max_query_bytes", "max_connections")


def _portal(t: dict[str, Any]) -> PortalSettings:
    _no_unknown(
        "portal.",
        t,
        {
            "host",
            "port",
            "issuer_name",
            "issuer_url",
            "token_symbol",
            "forwarded_allow_ips",
            "hsts",
            "evidence_cache_mib",
        }
        | set(_STREAM_KEYS)
        | set(_LIMIT_KEYS),
    )
    forwarded = _short(t, "forwarded_allow_ips", "portal.forwarded_allow_ips", "-", 1000)
    d = PortalSettings()
    port = _int(t, "port", "portal.port", d.port, lo=1, hi=65535)
    # The limits are the attestation schema's: a value it refuses would fail every snapshot.
    url = _str(t, "issuer_url", "portal.issuer_url", None)
    if url is not None and (len(url) > 2000 or not url.lower().startswith(("https://", "http://"))):
        raise ConfigError("portal.issuer_url: must be an http(s) URL of at most 2000 characters")
    return PortalSettings(
        host=_str(t, "host", "portal.host", d.host),
        port=port,
        issuer_name=_short(t, "issuer_name", "portal.issuer_name", d.issuer_name, 200),
        issuer_url=url,
        token_symbol=_short(t, "token_symbol", "portal.token_symbol", d.token_symbol, 32),
        forwarded_allow_ips=None if forwarded == "-" else forwarded,
        hsts=_bool(t, "hsts", "portal.hsts", d.hsts),
        stream_max_clients=_int(
            t, "stream_max_clients", "portal.stream_max_clients", d.stream_max_clients, lo=1, hi=100_000
        ),
        stream_heartbeat_seconds=_num(
            t,
            "stream_heartbeat_seconds",
            "portal.stream_heartbeat_seconds",
            d.stream_heartbeat_seconds,
            lo=0.05,
            hi=300,
        ),
        stream_poll_seconds=_num(
            t, "stream_poll_seconds", "portal.stream_poll_seconds", d.stream_poll_seconds, lo=0.05, hi=60
        ),
        evidence_cache_mib=_int(
            t, "evidence_cache_mib", "portal.evidence_cache_mib", d.evidence_cache_mib, lo=0, hi=65536
        ),
        **_stream_limits(t, d),
        **_request_limits(t, d),
    )


def _stream_limits(t: dict[str, Any], d: PortalSettings) -> dict[str, Any]:
    def num(key: str, lo: float, hi: float) -> float:
        return _num(t, key, f"portal.{key}", getattr(d, key), lo=lo, hi=hi)

    return {
        "stream_max_per_client": _int(
            t, "stream_max_per_client", "portal.stream_max_per_client", d.stream_max_per_client, lo=1, hi=100_000
        ),
        "stream_max_seconds": num("stream_max_seconds", 1, 86_400),
        "stream_send_timeout_seconds": num("stream_send_timeout_seconds", 0.1, 600),
        "stream_gap_seconds": num("stream_gap_seconds", 0.05, 600),
    }


def _request_limits(t: dict[str, Any], d: PortalSettings) -> dict[str, Any]:
    def whole(key: str, lo: int, hi: int) -> int:
        return _int(t, key, f"portal.{key}", getattr(d, key), lo=lo, hi=hi)

    limits = {
        "header_timeout_seconds": _num(
            t, "header_timeout_seconds", "portal.header_timeout_seconds", d.header_timeout_seconds, lo=0.5, hi=300
        ),
        "max_header_bytes": whole("max_header_bytes", 1024, 1_048_576),
        "max_header_count": whole("max_header_count", 10, 1000),
        "max_query_bytes": whole("max_query_bytes", 256, 65_536),
        "max_connections": whole("max_connections", 8, 1_000_000),
    }
    return limits


def _signing(t: dict[str, Any], data_dir: Path, env: Mapping[str, str]) -> SigningSettings:
    _no_unknown(
        "signing.",
        t,
        {
            "key_file",
            "key_env",
            "key_id",
            "create_if_missing",
            "previous_key_file",
            "previous_key_env",
            "rotation_reason",
        },
    )
    key_file = _str(t, "key_file", "signing.key_file", None)
    key_id = _str(t, "key_id", "signing.key_id", None)
    if key_id is not None and not _KEY_ID.fullmatch(key_id):
        raise ConfigError("signing.key_id: 1-64 characters of letters, digits, '.', '_', ':', '-'")
    previous_file = _str(t, "previous_key_file", "signing.previous_key_file", None)
    previous_env = _str(t, "previous_key_env", "signing.previous_key_env", None)
    if previous_file and previous_env:
        raise ConfigError("signing.previous_key_file: give previous_key_file or previous_key_env, not both")
    if previous_env is not None and not env.get(previous_env, "").strip():
        raise ConfigError(f"signing.previous_key_env: environment variable {previous_env!r} is not set")
    return SigningSettings(
        key_file=_path(key_file, "signing.key_file", data_dir) if key_file else None,
        key_env=_str(t, "key_env", "signing.key_env", DEFAULT_KEY_ENV),
        key_id=key_id,
        create_if_missing=_bool(t, "create_if_missing", "signing.create_if_missing", False),
        previous_key_file=_path(previous_file, "signing.previous_key_file", data_dir) if previous_file else None,
        previous_key_env=previous_env,
        rotation_reason=_short(t, "rotation_reason", "signing.rotation_reason", "engine key rotation", 500),
    )


def _schedule(t: dict[str, Any]) -> ScheduleSettings:
    _no_unknown("schedule.", t, {"snapshot_interval_seconds", "source_timeout_seconds"})
    value = _num(t, "snapshot_interval_seconds", "schedule.snapshot_interval_seconds", 60.0, lo=1.0, hi=86400.0)
    timeout = _num(t, "source_timeout_seconds", "schedule.source_timeout_seconds", 120.0, lo=1.0, hi=3600.0)
    return ScheduleSettings(snapshot_interval_seconds=value, source_timeout_seconds=timeout)


def _policy(t: dict[str, Any]) -> PolicySettings:
    _no_unknown(
        "policy.",
        t,
        {"warning_below_bp", "count_locked", "hysteresis_bp", "window_blocks", "flow_flag_bp", "recent_blocks"},
    )
    d = PolicySettings()
    warn = _int(t, "warning_below_bp", "policy.warning_below_bp", 10200, lo=10000, hi=1_000_000)
    return PolicySettings(
        warning_below_bp=warn,
        count_locked=_bool(t, "count_locked", "policy.count_locked", True),
        hysteresis_bp=_int(t, "hysteresis_bp", "policy.hysteresis_bp", d.hysteresis_bp, lo=0, hi=5_000),
        window_blocks=_int(t, "window_blocks", "policy.window_blocks", d.window_blocks, lo=1, hi=52_560),
        flow_flag_bp=_int(t, "flow_flag_bp", "policy.flow_flag_bp", d.flow_flag_bp, lo=1, hi=1_000_000),
        recent_blocks=_int(t, "recent_blocks", "policy.recent_blocks", d.recent_blocks, lo=1, hi=52_560),
    )


def _reconciliation(t: dict[str, Any]) -> ReconcileSettings:
    where = "reconciliation."
    _no_unknown(where, t, {"mint_fee_bp", "mint_fee_sat", "release_fee_max_sat", "min_confirmations"})
    depth = t.get("min_confirmations")
    return ReconcileSettings(
        mint_fee_bp=_int(t, "mint_fee_bp", where + "mint_fee_bp", 0, lo=0, hi=10_000),
        mint_fee_sat=_int(t, "mint_fee_sat", where + "mint_fee_sat", 0, lo=0, hi=21_000_000 * 10**8),
        release_fee_max_sat=_int(t, "release_fee_max_sat", where + "release_fee_max_sat", 0, lo=0, hi=10**8),
        min_confirmations=None
        if depth is None
        else _int(t, "min_confirmations", where + "min_confirmations", 6, lo=1, hi=10_000),
    )


def _reserve_set(t: dict[str, Any]) -> ReserveSetSettings:
    _no_unknown("reserve_set.", t, {"reason"})
    return ReserveSetSettings(reason=_short(t, "reason", "reserve_set.reason", ReserveSetSettings.reason, 500))


def _admin(t: dict[str, Any], env: Mapping[str, str], base: Path) -> AdminSettings:
    _no_unknown("admin.", t, {"token_env", "token_file", "key_cache_seconds"})
    if "token" in t:
        raise ConfigError("admin.token: give token_env or token_file, never the token itself")
    token = _secret(t, "token", "admin.token", env, base)
    if token is not None and len(token) < 32:
        raise ConfigError("admin.token: at least 32 characters")
    cache = _num(t, "key_cache_seconds", "admin.key_cache_seconds", AdminSettings.key_cache_seconds, lo=0.0, hi=60.0)
    return AdminSettings(token=token, key_cache_seconds=cache)


_DOMAIN = re.compile(r"^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$")


def _proofs(t: dict[str, Any], env: Mapping[str, str], base: Path, data_dir: Path) -> ProofSettings:
    # Like every other `*_file` secret, the passphrase file is relative to the config file's folder;
    # the key file, like signing.key_file, to data_dir.
    _no_unknown(
        "proofs.",
        t,
        {
            "domain",
            "max_age_seconds",
            "challenge_ttl_seconds",
            "online_key_file",
            "online_passphrase_env",
            "online_passphrase_file",
            "online_rate_per_minute",
            "max_public_challenges",
        },
    )
    d = ProofSettings()
    domain = _str(t, "domain", "proofs.domain", d.domain)
    if not _DOMAIN.fullmatch(domain):
        raise ConfigError("proofs.domain: a host name (letters, digits, '.', '-', optional :port)")
    key_file = _str(t, "online_key_file", "proofs.online_key_file", None)
    passphrase = _secret(t, "online_passphrase", "proofs.online_passphrase", env, base)
    if (key_file is None) != (passphrase is None):
        raise ConfigError("proofs.online_key_file: give it together with online_passphrase_env or _file")
    return ProofSettings(
        domain=domain,
        max_age_seconds=_int(t, "max_age_seconds", "proofs.max_age_seconds", d.max_age_seconds, lo=60, hi=366 * 86400),
        challenge_ttl_seconds=_int(
            t, "challenge_ttl_seconds", "proofs.challenge_ttl_seconds", d.challenge_ttl_seconds, lo=60, hi=30 * 86400
        ),
        online_key_file=_path(key_file, "proofs.online_key_file", data_dir) if key_file else None,
        online_passphrase=passphrase,
        online_rate_per_minute=_int(
            t, "online_rate_per_minute", "proofs.online_rate_per_minute", d.online_rate_per_minute, lo=1, hi=600
        ),
        max_public_challenges=_int(
            t,
            "max_public_challenges",
            "proofs.max_public_challenges",
            d.max_public_challenges,
            lo=100,
            hi=10_000_000,
        ),
    )


def _devnet(t: dict[str, Any]) -> DevnetSettings:
    _no_unknown(
        "devnet.",
        t,
        {"enabled", "block_interval_seconds", "evm_chains", "host", "port", "advertise_host", "url", "wait_seconds"},
    )
    d = DevnetSettings()
    url = _str(t, "url", "devnet.url", None)
    if url is not None and (len(url) > 2000 or not url.lower().startswith(("http://", "https://"))):
        raise ConfigError("devnet.url: must be an http(s) URL of at most 2000 characters")
    return DevnetSettings(
        enabled=_bool(t, "enabled", "devnet.enabled", False),
        block_interval_seconds=_num(
            t, "block_interval_seconds", "devnet.block_interval_seconds", 5.0, lo=0.2, hi=3600.0
        ),
        evm_chains=_int(t, "evm_chains", "devnet.evm_chains", 3, lo=1, hi=8),
        host=_short(t, "host", "devnet.host", d.host, 255),
        port=_int(t, "port", "devnet.port", d.port, lo=0, hi=65535),
        advertise_host=_str(t, "advertise_host", "devnet.advertise_host", None),
        url=url,
        wait_seconds=_num(t, "wait_seconds", "devnet.wait_seconds", d.wait_seconds, lo=0.0, hi=3600.0),
    )


def _worker(t: dict[str, Any]) -> WorkerSettings:
    _no_unknown("worker.", t, {"host", "port"})
    d = WorkerSettings()
    return WorkerSettings(
        host=_short(t, "host", "worker.host", d.host, 255), port=_int(t, "port", "worker.port", d.port, lo=0, hi=65535)
    )


def _usd_collateral_is_priced(settings: Settings) -> None:
    """USD collateral is valued with the [prices] oracle's BTC/USD: without it every such provider would
    be `unknown` forever, so the configuration is refused and says why."""
    for i, p in enumerate(settings.providers):
        if p.collateral.asset != "USD":
            continue
        if not settings.prices.enabled:
            raise ConfigError(
                f"providers[{i}].collateral.asset: USD collateral is valued with the price oracle; "
                "declare [[prices.sources]] (pair BTC/USD)"
            )
        if settings.prices.pair != "BTC/USD":
            raise ConfigError(
                f"providers[{i}].collateral.asset: USD collateral is valued at BTC/USD, but prices.pair is "
                f"{settings.prices.pair}"
            )
