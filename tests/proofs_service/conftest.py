"""Fixtures: a migrated SQLite database, the test reserve set, a ProofService with a settable clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from reserves.proofs.service import ProofService
from reserves.settings.load import default_settings
from reserves.storage.db import open_database
from tests.proofs_service.helpers import NETWORK, Clock, body, reserve_set, store_attestation
from tests.support import require
from tests.templates import migrated_sqlite


def proof_library_ready() -> bool:
    try:
        from chains.bitcoin import proofs

        return hasattr(proofs, "verify_message") and hasattr(proofs, "signature_from_psbt")
    except ImportError:
        return False


@pytest.fixture
def needs_library():
    require(proof_library_ready(), "the BIP-322 library (chains.bitcoin.proofs) is not there yet")


@pytest.fixture(scope="session")
def rs():
    return reserve_set()


@pytest.fixture
async def db(tmp_path):
    migrated_sqlite(tmp_path / "proofs.db")
    database = open_database(f"sqlite:///{tmp_path / 'proofs.db'}")
    yield database
    await database.dispose()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def settings(tmp_path):
    s = default_settings(tmp_path)
    return replace(
        s, proofs=replace(s.proofs, domain="reserves.example", challenge_ttl_seconds=3600, max_age_seconds=86400)
    )


@pytest.fixture
async def service(db, rs, clock, settings):
    await store_attestation(db, body(rs, clock.now - timedelta(minutes=5)))
    return ProofService(db, settings, rs.wallets, NETWORK, clock=clock)
