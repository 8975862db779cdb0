"""Storage fixtures: a migrated database on each backend."""

from __future__ import annotations

import pytest

from reserves.storage.db import open_database
from reserves.storage.migrate import upgrade


@pytest.fixture
async def migrated_db(db_url):
    """An open Database at the head revision, on each backend of `db_url`."""
    upgrade(db_url)
    database = open_database(db_url)
    yield database
    await database.dispose()
