"""The limiter of one web process: its policies from `[ratelimit]`, its buckets (Redis or in process)."""

from __future__ import annotations

from collections.abc import Sequence

from portal.ratelimit.buckets import Decision, LocalBuckets, Policy
from portal.ratelimit.routes import (
    ADMIN,
    ADMIN_FAILURES,
    API,
    CHALLENGES,
    CHALLENGES_ALL,
    EXPENSIVE,
    PAGES,
    SIGNATURES,
    STATIC,
)
from portal.ratelimit.shared import SharedBuckets
from reserves.settings.model import Settings
from reserves.settings.ratelimit import Budget

ALL_CLIENTS = "*all*"  # the key of the all-clients challenge bucket (no client key looks like it)


class Limiter:
    """`check` one request against (policy, key) buckets; `policies` by route class name."""

    def __init__(self, policies: dict[str, Policy], local: LocalBuckets, shared: SharedBuckets | None = None):
        self.policies = policies
        self.local = local
        self.shared = shared

    async def check(self, buckets: Sequence[tuple[Policy, str]], spend: bool = True) -> Decision:
        if self.shared is None:
            return self.local.check(buckets, spend)
        return await self.shared.check(buckets, spend)

    async def take_challenge(self, key: str) -> Decision:
        """One public challenge: the client's budget and, within it, the one of all clients together."""
        p = self.policies
        return await self.check(((p[CHALLENGES], key), (p[CHALLENGES_ALL], ALL_CLIENTS)))

    async def close(self) -> None:
        if self.shared is not None:
            await self.shared.close()


def build_limiter(settings: Settings) -> Limiter | None:
    """The limiter `settings` ask for; None when `[ratelimit] enabled = false`. Connects nowhere yet."""
    r = settings.ratelimit
    if not r.enabled:
        return None
    challenges = r.challenges or Budget(settings.proofs.online_rate_per_minute, 60)
    budgets: dict[str, Budget] = {
        API: r.api,
        STATIC: r.static,
        PAGES: r.pages,
        EXPENSIVE: r.expensive,
        SIGNATURES: r.signatures,
        ADMIN: r.admin,
        ADMIN_FAILURES: r.admin_failures,
        CHALLENGES: challenges,
    }
    policies = {name: Policy(name, b.requests, b.window_seconds) for name, b in budgets.items()}
    everyone = r.challenges_all
    policies[CHALLENGES_ALL] = Policy(CHALLENGES_ALL, everyone.requests, everyone.window_seconds, everyone.reserve)
    local = LocalBuckets(r.max_clients)
    shared = None
    if r.redis_url is not None:
        shared = SharedBuckets(r.redis_url, r.key_prefix, r.redis_timeout_seconds, local)
    return Limiter(policies, local, shared)
