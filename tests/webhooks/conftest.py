"""Webhook fixtures: a migrated database on each backend, a real receiver, keys, a service and a dispatcher."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from reserves.settings.webhooks import WebhookSettings
from reserves.storage import events as events_repo
from reserves.storage.db import open_database
from reserves.webhooks.dispatcher import Dispatcher
from reserves.webhooks.keys import WebhookKeys
from reserves.webhooks.service import WebhookService
from reserves.webhooks.signing import PortalKey
from reserves.webhooks.vault import Vault
from tests.webhooks.receiver import Receiver

# Shortened for the tests: at once, then 0.2 s, then 0.4 s; a 2 s per-attempt timeout.
FAST = WebhookSettings(
    allow_private_targets=True,
    allow_http=True,
    retry_schedule_seconds=(0.0, 0.2, 0.4),
    jitter=0.0,
    timeout_seconds=2.0,
    poll_seconds=0.05,
)


@pytest.fixture
async def db(migrated_db_url):
    database = open_database(migrated_db_url)
    yield database
    await database.dispose()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def keys() -> WebhookKeys:
    return WebhookKeys(Vault(os.urandom(32)), PortalKey.generate())


@pytest.fixture
def settings() -> WebhookSettings:
    return FAST


@pytest.fixture
def service(db, settings, keys) -> WebhookService:
    return WebhookService(db, settings, keys)


@pytest.fixture
async def dispatcher(db, settings, keys):
    d = Dispatcher(db, settings, keys, "test-worker")
    yield d
    await d.stop()


def faster(**changes) -> WebhookSettings:
    return replace(FAST, **changes)


async def emit(
    db,
    kind: str = "status_changed",
    payload: dict | None = None,
    *,
    attestation: str | None = "a" * 64,
    sequence: int | None = 7,
) -> None:
    """One outbox event, committed (as the engine writes it with its change)."""
    async with db.sessions() as session:
        await events_repo.add(
            session,
            kind=kind,
            at=datetime.now(timezone.utc),
            payload=payload
            if payload is not None
            else {"from": "healthy", "to": "warning", "reason": "ratio", "ratio_bp": 10100},
            sequence=sequence if attestation else None,
            attestation_id=attestation,
        )
        await session.commit()


async def run_until_idle(dispatcher: Dispatcher, rounds: int = 200) -> None:
    """Tick and wait for the served subscriptions until nothing is due (bounded)."""
    import asyncio

    for _ in range(rounds):
        started = await dispatcher.tick()
        await dispatcher.drain()
        if not started:
            async with dispatcher.db.sessions() as session:
                pending = (
                    await session.exec(
                        text(
                            "SELECT count(*) FROM webhook_delivery d JOIN webhook_subscription s"
                            " ON s.id = d.subscription_id WHERE d.state = 'pending' AND s.state = 'active'"
                        )
                    )
                ).scalar()
            if not pending:
                return
            await asyncio.sleep(0.05)
