"""Reserve-set versions on SQLite and PostgreSQL: same set -> same version, a change needs a new reason, history
stays."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from chains.errors import ChainConfigError
from reserves.declarations.reserve_set import (
    MAX_DIFF_ADDRESSES,
    build_reserve_set,
    describe_diff,
    diff_declarations,
    record_reserve_set,
    reserve_set_hash,
)
from reserves.errors import ConfigError
from reserves.storage import repository as repo
from reserves.storage.db import open_database
from reserves.storage.migrate import upgrade
from reserves.storage.models import ReserveSetVersion

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class FakeWallet:
    """Test double of chains.bitcoin.wallets.WalletSpec (its bodies belong to another package)."""

    name: str
    addresses: tuple[str, ...] = ()
    descriptor: str | None = None
    label: str | None = None
    fail: bool = False

    def declaration(self) -> dict:
        if self.fail:
            raise ChainConfigError("descriptor: bad checksum")
        body = {"name": self.name, "label": self.label, "network": "regtest"}
        if self.descriptor:
            return body | {
                "descriptor": self.descriptor,
                "gap_limit": 20,
                "policy": {"script_type": "p2wsh-multisig", "threshold": 2, "keys": []},
            }
        return body | {"addresses": sorted(self.addresses), "policy": {"script_type": "addresses"}}


COLD = FakeWallet("cold", descriptor="wsh(sortedmulti(2,A,B,C))", label="Cold, 2 of 3")
HOT = FakeWallet("hot", addresses=("bcrt1qa", "bcrt1qb"))


@pytest.fixture
async def db(migrated_db_url):
    database = open_database(migrated_db_url)
    yield database
    await database.dispose()


def test_the_set_is_sorted_hashed_and_independent_of_sources():
    a = build_reserve_set([("s1", [HOT]), ("s2", [COLD])])
    b = build_reserve_set([("other", [COLD, HOT])])
    assert [w["name"] for w in a.wallets] == ["cold", "hot"] and a.hash == b.hash
    assert a.hash == reserve_set_hash(json.loads(json.dumps(a.declaration())))
    assert build_reserve_set([]).hash == reserve_set_hash({"wallets": []})


def test_wallet_names_are_unique_across_sources():
    with pytest.raises(ConfigError, match="'hot' is already declared by source 's1'"):
        build_reserve_set([("s1", [HOT]), ("s2", [FakeWallet("hot", addresses=("bcrt1qz",))])])


def test_a_declaration_error_names_the_wallet():
    with pytest.raises(ConfigError, match=r"reserves\.s1\.wallets\.bad: descriptor: bad checksum"):
        build_reserve_set([("s1", [FakeWallet("bad", fail=True)])])


def test_a_declaration_that_is_not_canonical_json_is_refused():
    @dataclass(frozen=True)
    class Floaty:
        name: str = "f"

        def declaration(self):
            return {"name": "f", "gap": 1.5}

    with pytest.raises(ConfigError, match="not canonical JSON"):
        build_reserve_set([("s", [Floaty()])])


def test_diff_names_wallets_and_addresses():
    old = build_reserve_set([("s", [COLD, HOT])]).declaration()
    new = build_reserve_set(
        [
            (
                "s",
                [
                    FakeWallet("cold", descriptor="wsh(sortedmulti(2,A,B,D))", label="Cold, 2 of 3"),
                    FakeWallet("hot", addresses=("bcrt1qb", "bcrt1qc")),
                    FakeWallet("new", addresses=("bcrt1qn",)),
                ],
            )
        ]
    ).declaration()
    d = diff_declarations(old, new)
    assert d["wallets_added"] == ["new"] and d["wallets_removed"] == []
    assert d["wallets_changed"] == [
        {"name": "cold", "members": ["descriptor"]},
        {"name": "hot", "members": ["addresses"]},
    ]
    assert d["addresses_added"] == [{"wallet": "hot", "address": "bcrt1qc"}, {"wallet": "new", "address": "bcrt1qn"}]
    assert d["addresses_removed"] == [{"wallet": "hot", "address": "bcrt1qa"}]
    assert describe_diff(d) == "added wallets: new; changed: cold (descriptor), hot (addresses); addresses +2 -1"
    gone = diff_declarations(new, {"wallets": []})
    assert gone["wallets_removed"] == ["cold", "hot", "new"] and gone["addresses_removed_count"] == 3


def test_diff_of_a_huge_address_list_is_capped_with_counts():
    big = FakeWallet("big", addresses=tuple(f"bcrt1q{i:06d}" for i in range(MAX_DIFF_ADDRESSES + 10)))
    d = diff_declarations({"wallets": []}, build_reserve_set([("s", [big])]).declaration())
    assert len(d["addresses_added"]) == MAX_DIFF_ADDRESSES and d["addresses_added_count"] == MAX_DIFF_ADDRESSES + 10


async def test_versions_follow_changes_and_reasons(db):
    first = await record_reserve_set(db, build_reserve_set([("s", [COLD])]), "initial declaration", now=T0)
    assert (first.version, first.diff, first.wallet_count) == (1, None, 1)
    again = await record_reserve_set(db, build_reserve_set([("s", [COLD])]), "initial declaration")
    assert again.version == 1  # same hash: nothing new
    changed = build_reserve_set([("s", [COLD, HOT])])
    with pytest.raises(ConfigError) as err:
        await record_reserve_set(db, changed, "initial declaration")
    assert "added wallets: hot" in err.value.detail and "[reserve_set] reason" in err.value.detail
    second = await record_reserve_set(db, changed, "hot wallet for withdrawals", now=T0)
    assert second.version == 2 and json.loads(second.diff)["wallets_added"] == ["hot"]
    # going back to the first declaration is a change too, with its own reason
    third = await record_reserve_set(db, build_reserve_set([("s", [COLD])]), "hot wallet retired")
    assert third.version == 3 and third.hash == first.hash
    async with db.sessions() as s:
        assert (await repo.get_reserve_set(s, 1)).reason == "initial declaration"
        assert [r.version for r in await repo.list_reserve_sets(s, before_version=None, limit=2)] == [3, 2]
        assert [r.version for r in await repo.list_reserve_sets(s, before_version=2, limit=5)] == [1]
        assert await repo.get_reserve_set(s, 99) is None


async def test_devnet_marks_a_repeated_reason_instead_of_refusing(db):
    await record_reserve_set(db, build_reserve_set([("s", [COLD])]), "initial declaration")
    row = await record_reserve_set(db, build_reserve_set([("s", [HOT])]), "initial declaration", devnet=True)
    assert row.version == 2 and "devnet" in row.reason


async def test_a_second_writer_of_a_version_is_refused(db):
    row = ReserveSetVersion(
        version=1, hash="00" * 32, created_at=T0, reason="r", wallet_count=0, declaration='{"wallets":[]}'
    )
    async with db.sessions() as s:
        async with s.begin():
            await repo.insert_reserve_set(s, row)
    dup = ReserveSetVersion(**{**row.model_dump(), "reason": "other"})
    with pytest.raises(repo.ReserveSetVersionTaken):
        async with db.sessions() as s:
            async with s.begin():
                await repo.insert_reserve_set(s, dup)


def test_upgrading_a_format_1_database_keeps_its_attestations(db_url):
    from sqlalchemy import create_engine, text

    from reserves.storage.db import sync_url

    upgrade(db_url, "0001")
    engine = create_engine(sync_url(db_url))
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO attestation (id, sequence, previous, issued_at, status, ratio_bp, reserves_sat, "
                "liabilities_sat, document) VALUES (:id, 0, NULL, :t, 'healthy', NULL, :a, :a, '{}')"
            ),
            {"id": "ab" * 32, "t": T0, "a": "0".zfill(78) if conn.dialect.name == "sqlite" else 0},
        )
    upgrade(db_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT sequence, reserve_set_version FROM attestation")).one()
        versions = conn.execute(text("SELECT count(*) FROM reserve_set_version")).scalar()
    engine.dispose()
    assert tuple(row) == (0, None) and versions == 0
