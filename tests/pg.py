"""A PostgreSQL server for tests: $RESERVES_TEST_DATABASE_URL, else a throwaway cluster from the installed binaries."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support import free_port


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root: drop to the postgres user when we are root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """initdb + pg_ctl start on a free port in a temp dir; yields a server URL (no database part)."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    root = Path(tempfile.mkdtemp(prefix="reserves-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -F -c fsync=off"
    subprocess.run(
        _as_postgres([pg_ctl, "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def server_reachable(url: str, timeout: float = 3.0) -> bool:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(_dsn(url), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)


def _dsn(url: str, database: str | None = None) -> str:
    u = make_url(url)
    return (
        f"host={u.host or '127.0.0.1'} port={u.port or 5432} user={u.username or 'postgres'} "
        f"dbname={database or u.database or 'postgres'}" + (f" password={u.password}" if u.password else "")
    )


@contextmanager
def fresh_database(server_url: str, extensions: tuple[str, ...] = ()) -> Iterator[str]:
    """A new empty database on the server for one test (with `extensions` created); dropped afterwards."""
    import psycopg

    name = f"reserves_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_dsn(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    for ext in extensions:
        with psycopg.connect(_dsn(server_url, name), autocommit=True) as conn:
            conn.execute(f'CREATE EXTENSION IF NOT EXISTS "{ext}"')
    try:
        yield (
            make_url(server_url)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(_dsn(server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_database(template_url: str, url: str) -> None:
    """Replace the database of `url` by a copy of the one of `template_url` (the same server; no
    connection may be open to either)."""
    import psycopg

    name, template = make_url(url).database, make_url(template_url).database
    with psycopg.connect(_dsn(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def model_drift(url: str) -> list:
    """Differences between the migrated schema at `url` and SQLModel.metadata, flattened (Alembic's
    compare_metadata); the caller keeps the ones about its own tables."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    from reserves.storage.db import sync_url

    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()
    return [d for group in diff for d in (group if isinstance(group, list) else [group])]
