"""Migrated databases for tests, copied from one migrated once per process (one per xdist worker).

A migration from nothing to head costs 0.1-0.2 s, and tests ask for hundreds of new databases at head; a
copy of the template costs a few milliseconds: a SQLite file copied, or on PostgreSQL `CREATE DATABASE
... TEMPLATE`. The copy is what `upgrade` leaves (Alembic's version table included), so a later
`upgrade` finds the schema at head. Tests of the migrations themselves start from empty databases.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reserves.storage.db import sqlite_file
from reserves.storage.migrate import upgrade
from tests.pg import copy_database, fresh_database

_sqlite_template: Path | None = None


def sqlite_template() -> Path:
    """A SQLite file at head, made at the first call of this process (removed when it exits)."""
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="reserves-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "reserves.db"
        upgrade(f"sqlite:///{path}")
        _sqlite_template = path
    return _sqlite_template


def migrated_sqlite(path: Path) -> None:
    """A new SQLite database at head at `path` (which must not exist yet)."""
    if path.exists():
        raise FileExistsError(f"{path}: a template copy is for a new database")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sqlite_template(), path)


@contextmanager
def pg_template(server_url: str) -> Iterator[str]:
    """A database at head on the server, to copy (no connection may stay open to it); dropped after."""
    with fresh_database(server_url) as url:
        upgrade(url)
        yield url


def migrate(url: str, pg_template_url: str | None = None) -> None:
    """Bring the new, empty database at `url` to head: a copy of the SQLite template, or of
    `pg_template_url` (a database at head on the same server); `upgrade(url)` for any other."""
    database = sqlite_file(url)
    if database is not None and not database.exists():
        migrated_sqlite(database)
    elif pg_template_url is not None:
        copy_database(pg_template_url, url)
    else:
        upgrade(url)
