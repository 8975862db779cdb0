"""The configured sources with the adapters that read them: built once by a role that reads chains."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chains.registry import get_spec
from reserves.providers.sources import ProviderReader, open_providers
from reserves.settings.model import Settings, SourceSettings

log = logging.getLogger(__name__)


@dataclass
class Source:
    """A configured source and the adapter reading it."""

    settings: SourceSettings
    adapter: Any

    @property
    def max_age_seconds(self) -> int:
        return int(self.settings.config.max_age_seconds)


@dataclass
class Sources:
    """The reserve sources, the supply deployments, the price sources and the liquidity providers of one process, in
    configuration order."""

    reserve: list[Source] = field(default_factory=list)
    supply: list[Source] = field(default_factory=list)
    price: list[Source] = field(default_factory=list)
    providers: list[ProviderReader] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings) -> Sources:
        """An adapter for every `[[reserves]]`, `[[deployments]]` and `[[prices.sources]]` entry and every
        `[[providers]]` reading (no chain is read yet)."""
        return cls(
            [Source(s, get_spec(s.kind).build(s.config)) for s in settings.reserves],
            [Source(s, get_spec(s.kind).build(s.config)) for s in settings.deployments],
            [Source(s, get_spec(s.kind).build(s.config)) for s in settings.prices.sources],
            open_providers(settings),
        )

    async def aclose(self) -> None:
        """Close every adapter; a failure to close one is logged, never raised."""
        await _aclose_all(self.reserve + self.supply + self.price)
        for provider in self.providers:
            await provider.aclose()
        self.reserve, self.supply, self.price, self.providers = [], [], [], []


async def _aclose_all(sources: Iterable[Source]) -> None:
    for src in sources:
        try:
            await src.adapter.aclose()
        except Exception:  # closing must not mask the reason we are shutting down
            log.exception("closing adapter %s", src.settings.name)
