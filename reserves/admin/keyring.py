"""Who a bearer key is: the configured token, or a stored key, from a short-lived in-memory cache.

The guard of the admin routes asks `authenticate`; public routes never reach it, so no public
request costs a query. The active keys (few) are loaded whole at most once per `cache_seconds`,
so a key created or revoked with the CLI counts in every process within that delay, and a flood
of wrong keys costs at most one query per period. `last_used_at` is written at most once per
`TOUCH_SECONDS` per key and process.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.exc import SQLAlchemyError

from reserves.admin.keys import LEGACY_NAME, SCOPES, hash_matches, key_id_of, scopes_of
from reserves.storage import admin_key_repository as repo
from reserves.storage.db import Database

log = logging.getLogger(__name__)
TOUCH_SECONDS = 60.0


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the key's name (what the audit log records) and its scopes."""

    name: str
    scopes: frozenset[str]
    key_id: str | None = None  # None for the configured token

    @property
    def actor(self) -> str:
        return f"admin-key:{self.name}"


@dataclass(frozen=True)
class _Cached:
    name: str
    scopes: frozenset[str]
    secret_hash: str


class AdminKeyring:
    def __init__(
        self,
        db: Database | Callable[[], Database | None] | None,
        token: str | None,
        cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db, self.token, self.cache_seconds, self.clock = db, token, cache_seconds, clock
        self._keys: dict[str, _Cached] = {}
        self._loaded_at: float | None = None
        self._touched: dict[str, float] = {}
        self._lock = asyncio.Lock()
        self.failures = 0  # failed authentications since start (the guard counts them)

    def count_failure(self) -> int:
        self.failures += 1
        return self.failures

    async def enabled(self) -> bool:
        """The admin API exists: a token is configured or at least one key is active."""
        return self.token is not None or bool(await self._current())

    async def authenticate(self, presented: str) -> Principal | None:
        """The principal of `presented` (a bearer value), or None; every comparison is constant-time."""
        if self.token is not None and hmac.compare_digest(presented.encode(), self.token.encode()):
            return Principal(LEGACY_NAME, frozenset(SCOPES))
        key_id = key_id_of(presented)
        if key_id is None:
            return None
        cached = (await self._current()).get(key_id)
        if cached is None or not hash_matches(presented, cached.secret_hash):
            return None
        await self._touch(key_id)
        return Principal(cached.name, cached.scopes, key_id)

    def _database(self) -> Database | None:
        """The database, or None (no keys): given, or asked for (a worker opens its own after its app is made)."""
        return self.db() if callable(self.db) else self.db

    async def _current(self) -> dict[str, _Cached]:
        db = self._database()
        if db is None:
            return {}
        if self._fresh():
            return self._keys
        async with self._lock:  # one reload at a time; the others then find it fresh
            if not self._fresh():
                async with db.sessions() as session:
                    rows = await repo.active_keys(session)
                self._keys = {r.id: _Cached(r.name, scopes_of(r.scopes), r.secret_hash) for r in rows}
                self._loaded_at = self.clock()
        return self._keys

    def _fresh(self) -> bool:
        return self._loaded_at is not None and self.clock() - self._loaded_at < self.cache_seconds

    async def _touch(self, key_id: str) -> None:
        now = self.clock()
        last = self._touched.get(key_id)
        db = self._database()
        if last is not None and now - last < TOUCH_SECONDS or db is None:
            return
        self._touched[key_id] = now
        try:
            async with db.sessions() as session:
                await repo.touch(session, key_id, datetime.now(timezone.utc).replace(microsecond=0))
                await session.commit()
        except SQLAlchemyError as exc:  # a busy SQLite file: the stamp is a hint, the request goes on
            log.warning("could not record the use of admin key %s: %s", key_id, type(exc).__name__)
