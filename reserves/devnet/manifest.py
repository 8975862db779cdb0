"""The devnet's manifest: the sources it serves as a config file would declare them, and how the
worker and the web role read it over HTTP before they start.

The devnet process (`reserves devnet`) serves `GET /manifest`; every other role, when
`[devnet] enabled`, fetches it and from then on reads the devnet exactly like configured chains.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx

from chains.devnet.custody import MINT_FEE_BP
from reserves.declarations.supply_set import link_deployments
from reserves.devnet.guardians import devnet_guardian_set
from reserves.errors import ConfigError
from reserves.settings.model import Settings
from reserves.settings.prices import prices
from reserves.settings.providers import providers
from reserves.settings.sources import sources
from reserves.settings.tiers import check_against_wallets, parse_tiers, reserve_wallets

if TYPE_CHECKING:  # the devnet's side only: the roles that read the manifest never import its chains
    from chains.devnet.network import Devnet

FORMAT = "reserves-devnet/1"
# The devnet's market moves every block (5 s): a round every 10 s, and a venue frozen for a minute is.
DEVNET_PRICES = {"pair": "BTC/USD", "interval_seconds": 10, "heartbeat_seconds": 60, "max_age_seconds": 120}
MAX_MANIFEST_BYTES = 1_000_000
log = logging.getLogger(__name__)


def manifest(devnet: Devnet) -> dict[str, Any]:
    """What the devnet serves, as `[[reserves]]` and `[[deployments]]` tables, and its mint fee."""
    return {
        "format": FORMAT,
        "reserves": [{"name": n, "kind": k, **t} for n, k, t in devnet.reserve_sources()],
        "deployments": [{"name": n, "kind": k, **t} for n, k, t in devnet.deployment_sources()],
        "mint_fee_bp": MINT_FEE_BP,
        "prices": {**DEVNET_PRICES, "sources": devnet.price_sources()},
        **devnet.tier_tables(),
        "providers": devnet.provider_tables(),
    }


def apply(settings: Settings, data: Any) -> Settings:
    """`settings` with the devnet's sources, tiers and contracts, its guardians (unless configured), its mint
    fee and its price sources (unless [prices] declares its own).

    The tables go through the same parser as a config file's. Raises ConfigError for a manifest
    that is not one.
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"devnet manifest: not a {FORMAT} document")
    fee = data.get("mint_fee_bp")
    if isinstance(fee, bool) or not isinstance(fee, int) or not 0 <= fee <= 10_000:
        raise ConfigError("devnet manifest: mint_fee_bp must be an integer from 0 to 10000")
    try:
        reserves = sources(data, "reserves", "reserve", {}, settings.data_dir)
        deployments = link_deployments(sources(data, "deployments", "supply", {}, settings.data_dir))
        tiers = parse_tiers({k: data[k] for k in ("tiers", "contracts") if k in data})
        check_against_wallets(tiers, reserve_wallets(reserves))
        lps = providers(data, reserves, deployments)
    except ConfigError as exc:
        raise ConfigError(f"devnet manifest: {exc.detail}") from exc
    if settings.prices.enabled:
        price = settings.prices  # the operator's own [prices] wins over the devnet's
    else:
        try:
            price = prices(data.get("prices") or {}, {}, settings.data_dir)
        except ConfigError as exc:
            raise ConfigError(f"devnet manifest: {exc.detail}") from exc
    guardians = settings.guardians if settings.guardians is not None else devnet_guardian_set()[0]
    # The devnet's custodian keeps its own fee of each deposit; reconciliation must expect it.
    fees = replace(settings.reconciliation, mint_fee_bp=fee, mint_fee_sat=0, release_fee_max_sat=0)
    return replace(
        settings,
        reserves=tuple(reserves),
        deployments=tuple(deployments),
        providers=lps,
        guardians=guardians,
        reconciliation=fees,
        prices=price,
        tiers=tiers,
    )


async def fetch(url: str, wait_seconds: float) -> Any:
    """The manifest at `url`, retried until `wait_seconds` have passed (the devnet may be starting)."""
    deadline = time.monotonic() + wait_seconds
    async with httpx.AsyncClient(timeout=10.0) as client:
        while True:
            try:
                status, content = await _get(client, url)
                if status == 200 and content is not None:
                    return json.loads(content)
                problem = f"HTTP {status}" if content is not None else f"larger than {MAX_MANIFEST_BYTES} bytes"
            except (httpx.HTTPError, ValueError) as exc:
                problem = type(exc).__name__
            if time.monotonic() >= deadline:
                raise ConfigError(
                    f"devnet.url: no devnet manifest at {url} ({problem}); start it with "
                    "`reserves devnet` (or `make run`, which starts every role)"
                )
            log.info("waiting for the devnet at %s (%s)", url, problem)
            await asyncio.sleep(0.5)


async def _get(client: httpx.AsyncClient, url: str) -> tuple[int, bytes | None]:
    """(status, body), the body None once it exceeds MAX_MANIFEST_BYTES (read no further)."""
    async with client.stream("GET", url) as response:
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_MANIFEST_BYTES:
                return response.status_code, None
            chunks.append(chunk)
        return response.status_code, b"".join(chunks)


async def resolve(settings: Settings) -> Settings:
    """The settings a role runs with: unchanged without the devnet, else with its manifest applied."""
    if not settings.devnet.enabled:
        return settings
    return apply(settings, await fetch(settings.devnet.manifest_url, settings.devnet.wait_seconds))
