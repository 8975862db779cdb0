"""The adapters that read each provider's obligation and collateral, built once with the snapshot's sources."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from chains.base import BlockRef
from chains.evm.balances import EvmBalanceAdapter
from chains.registry import get_spec
from reserves.settings.model import Settings
from reserves.settings.providers import LegSettings, ProviderSettings

log = logging.getLogger(__name__)
OBLIGATION, COLLATERAL = "obligation", "collateral"


@dataclass
class LegReader:
    """One declared reading and the adapter that makes it: a reserve adapter limited to the provider's
    addresses (bitcoin), or a balance adapter on a deployment's endpoints (EVM)."""

    role: str
    settings: LegSettings
    adapter: Any

    async def read(self) -> tuple[BlockRef, int]:
        """(block, raw amount) at a confirmed block; ChainError subclasses when it cannot be read.

        Bitcoin: satoshis at the tip. Collateral counts the outputs the source's rule counts (deep
        enough); an obligation also counts those seen but not yet deep enough: both round against
        the provider.
        """
        if self.settings.kind == "bitcoin":
            r = await self.adapter.read_reserves()
            extra = sum(u.value_sat for u in r.uncounted) if self.role == OBLIGATION else 0
            return r.block, r.total_sat + extra
        b = await self.adapter.read_balances()
        return b.block, b.total


@dataclass
class ProviderReader:
    settings: ProviderSettings
    obligation: LegReader
    collateral: LegReader

    async def aclose(self) -> None:
        for leg in (self.obligation, self.collateral):
            try:
                await leg.adapter.aclose()
            except Exception:  # closing must not mask the reason we are shutting down
                log.exception("closing the %s reader of provider %s", leg.role, self.settings.name)


def open_providers(settings: Settings) -> list[ProviderReader]:
    """A reader for every declared provider (nothing is read yet)."""
    reserves = {s.name: s for s in settings.reserves}
    deployments = {d.name: d for d in settings.deployments}

    def leg(p: ProviderSettings, role: str, s: LegSettings) -> LegReader:
        label = f"provider {p.name} {role}"
        if s.kind == "bitcoin":
            source = reserves[s.via]
            config = replace(source.config, name=label, wallets=(s.wallet,))
            return LegReader(role, s, get_spec(source.kind).build(config))
        connection = deployments[s.via].config
        adapter = EvmBalanceAdapter(connection, label=label, token=s.token, holders=s.addresses, decimals=s.decimals)
        return LegReader(role, s, adapter)

    return [
        ProviderReader(p, leg(p, OBLIGATION, p.obligation), leg(p, COLLATERAL, p.collateral))
        for p in settings.providers
    ]
