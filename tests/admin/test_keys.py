"""Admin keys on SQLite and PostgreSQL: the migration, what is stored (a hash only), the lifecycle,
and the keyring's cache (a created or revoked key counts after `cache_seconds`, not before)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from reserves.admin.errors import AdminKeyExists, InvalidAdminKey, UnknownAdminKey
from reserves.admin.keyring import AdminKeyring
from reserves.admin.keys import key_id_of
from reserves.admin.service import AdminKeyService
from reserves.storage.db import open_database
from reserves.storage.migrate import current_revision, upgrade
from reserves.trust import audit
from tests.pg import model_drift


class Clock:
    """A hand-moved monotonic clock: the cache's delay without waiting for it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def db(migrated_db_url):
    database = open_database(migrated_db_url)
    yield database
    await database.dispose()


async def _rows(db) -> list[dict]:
    async with db.sessions() as session:
        result = await session.exec(text("SELECT * FROM admin_key ORDER BY name"))
        return [dict(r._mapping) for r in result]


def test_migration_0012_matches_the_model(db_url):
    upgrade(db_url, "0011")
    upgrade(db_url, "0012")
    assert current_revision(db_url) == "0012"
    upgrade(db_url)
    assert [d for d in model_drift(db_url) if "admin_key" in repr(d)] == []


async def test_only_the_hash_is_stored_and_the_key_is_returned_once(db):
    service = AdminKeyService(db)
    made = await service.create("ci-bot", ["read", "operate"])
    key = made["key"]
    assert key.startswith("rpk_") and key_id_of(key) == made["id"] and len(key) == 60
    assert made["scopes"] == ["read", "operate"] and made["revoked_at"] is None
    (row,) = await _rows(db)
    assert row["secret_hash"] == hashlib.sha256(key.encode()).hexdigest()
    secret = key.split("_", 2)[2]  # rpk_<id>_<secret>: the secret itself may hold "_"
    assert not [v for v in row.values() if isinstance(v, str) and (key in v or secret in v)]
    listed = await service.list()
    assert [k["name"] for k in listed] == ["ci-bot"] and "key" not in listed[0]
    assert row["secret_hash"] not in repr(listed)


@pytest.mark.parametrize(
    "name,scopes,error",
    [
        ("", ["read"], InvalidAdminKey),
        ("two words", ["read"], InvalidAdminKey),
        ("-dash-first", ["read"], InvalidAdminKey),
        ("x" * 65, ["read"], InvalidAdminKey),
        ("0123456789ab", ["read"], InvalidAdminKey),  # looks like an id: `revoke` would be ambiguous
        ("admin-token", ["read"], InvalidAdminKey),  # the configured token's name
        ("nul\x00", ["read"], InvalidAdminKey),
        ("ok", [], InvalidAdminKey),
        ("ok", ["admin"], InvalidAdminKey),
    ],
)
async def test_bad_names_and_scopes_are_refused(db, name, scopes, error):
    with pytest.raises(error):
        await AdminKeyService(db).create(name, scopes)
    assert await _rows(db) == []


async def test_names_are_unique_even_after_revocation(db):
    service = AdminKeyService(db)
    await service.create("ops", ["webhooks"])
    with pytest.raises(AdminKeyExists):
        await service.create("ops", ["read"])
    await service.revoke("ops")
    with pytest.raises(AdminKeyExists):  # the audit log names it: the name never means another key
        await service.create("ops", ["read"])


async def test_revoke_by_name_id_or_prefixed_id_and_twice(db):
    service = AdminKeyService(db)
    a, b, c = [await service.create(n, ["read"]) for n in ("a", "b", "c")]
    assert (await service.revoke("a"))["revoked_at"] is not None
    assert (await service.revoke(b["id"]))["name"] == "b"
    assert (await service.revoke("rpk_" + c["id"]))["name"] == "c"
    again = await service.revoke("a")
    # Revoking twice keeps the first time: compare with key "a" itself (the list is not ordered by name).
    assert again["revoked_at"] == next(k for k in await service.list() if k["name"] == "a")["revoked_at"]
    for unknown in ("nope", "0" * 12, "rpk_" + "0" * 12):
        with pytest.raises(UnknownAdminKey):
            await service.revoke(unknown)
    async with db.sessions() as session:
        entries = [audit.entry_json(r) for r in await audit.page(session, before_id=None, limit=10)]
    actions = [(e["action"], e["actor"], e["detail"]["name"]) for e in reversed(entries)]
    assert actions == [
        ("admin_key.created", "cli", "a"),
        ("admin_key.created", "cli", "b"),
        ("admin_key.created", "cli", "c"),
        ("admin_key.revoked", "cli", "a"),
        ("admin_key.revoked", "cli", "b"),
        ("admin_key.revoked", "cli", "c"),
    ]
    assert a["key"] not in repr(entries) and audit.chain_problems(list(reversed(entries))) == []


async def test_keyring_authenticates_and_honours_changes_after_its_delay(db):
    clock = Clock()
    keyring = AdminKeyring(db, None, cache_seconds=5.0, clock=clock)
    assert not await keyring.enabled()  # no token, no key: the admin API is off
    service = AdminKeyService(db)
    made = await service.create("ci", ["read"])
    key = made["key"]
    assert await keyring.authenticate(key) is None  # cached "no keys" until the delay passes
    clock.now += 5.0
    principal = await keyring.authenticate(key)
    assert principal is not None and principal.name == "ci" and principal.scopes == {"read"}
    assert principal.actor == "admin-key:ci" and await keyring.enabled()
    for wrong in (key[:-1] + ("A" if key[-1] != "A" else "B"), key + "x", key.upper(), "rpk_" + made["id"], ""):
        assert await keyring.authenticate(wrong) is None
    await service.revoke("ci")
    clock.now += 4.9
    assert await keyring.authenticate(key) is not None  # within the documented delay
    clock.now += 0.1
    assert await keyring.authenticate(key) is None
    assert not await keyring.enabled()


async def test_the_configured_token_is_a_key_with_every_scope(db):
    token = "t" * 40
    keyring = AdminKeyring(db, token)
    assert await keyring.enabled()
    principal = await keyring.authenticate(token)
    assert principal is not None and principal.name == "admin-token"
    assert principal.scopes == {"read", "operate", "guardian", "webhooks"}
    assert await keyring.authenticate(token[:-1]) is None and await keyring.authenticate(token + "t") is None


async def test_last_use_is_stamped_at_most_once_a_minute(db):
    clock = Clock()
    keyring = AdminKeyring(db, None, cache_seconds=0.0, clock=clock)
    made = await AdminKeyService(db).create("ci", ["read"])
    assert await keyring.authenticate(made["key"]) is not None
    first = (await AdminKeyService(db).list())[0]["last_used_at"]
    assert first is not None
    async with db.sessions() as session:
        await session.exec(text("UPDATE admin_key SET last_used_at = NULL"))
        await session.commit()
    clock.now += 59
    assert await keyring.authenticate(made["key"]) is not None
    assert (await AdminKeyService(db).list())[0]["last_used_at"] is None  # not written again yet
    clock.now += 1
    assert await keyring.authenticate(made["key"]) is not None
    assert (await AdminKeyService(db).list())[0]["last_used_at"] is not None
