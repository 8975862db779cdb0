"""Storage fixtures: a migrated database on each backend."""

from __future__ import annotations

import pytest

from reserves.storage.db import open_database


@pytest.fixture
async def migrated_db(migrated_db_url):
    """An open Database at the head revision, on each backend of `db_url`."""
    database = open_database(migrated_db_url)
    yield database
    await database.dispose()
