"""Fixtures shared by all tests: databases on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from chains.safety import clamp_recursion_limit
from tests.e2e.conftest import release_stacks
from tests.pg import fresh_database, server_reachable, throwaway_cluster
from tests.support import require
from tests.templates import migrate, pg_template

# No per-example deadline: it is a wall-clock assertion, which a loaded CI machine fails at random
# (hypothesis then reports the example as flaky). Loaded before any test module makes its settings.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

LOCAL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SHARED = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "shared"))


# A test's markers follow from the real components it uses, so `-m "not e2e"` or `-m postgres`
# select by what a test needs, whoever wrote it: fixture -> marker.
MARKED_FIXTURES = {
    "pg_server": "postgres",
    "anvil": "anvil",
    "browser": "browser",
    "server": "e2e",
    "portals": "e2e",
    "stack": "e2e",
}


# The modules that take longest (whole-suite --durations on 2 cores), longest first. They run first, then
# every other module with an end-to-end or browser test (new ones are slow too, before anyone lists
# them here), so the parallel run does not end with one of them alone on one core while the other core
# idles: xdist's worksteal hands out the rest, fast tests, to whichever worker frees up. Order only: a
# module missing here runs all the same.
SLOW_MODULES = (
    "tests/roles/test_run.py",
    "tests/test_tooling.py",
    "tests/roles/test_webhooks_run.py",
    "tests/replicas/test_crash.py",
    "tests/portal/test_fuzz_openapi.py",
    "tests/test_bench_smoke.py",
    "tests/replicas/test_two_replicas.py",
    "tests/observe/test_compose.py",
    "tests/storage/test_series.py",
    "tests/bounds/test_proofs_scale.py",
    "tests/webhooks/test_two_processes.py",
    "tests/admin/test_http.py",
    "tests/admin/test_fuzz_admin_openapi.py",
    "tests/e2e/test_server_limits.py",
)


def _module(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _slow_first(items: list[pytest.Item]) -> None:
    """Reorder `items` in place: SLOW_MODULES' tests first (in that order), then the other modules
    with an e2e or browser test, then the rest; each module's own order kept (its module-scoped
    fixtures are set up once), and otherwise the collection order."""
    rank = {path: i for i, path in enumerate(SLOW_MODULES)}
    heavy = {_module(i) for i in items if i.get_closest_marker("e2e") or i.get_closest_marker("browser")}

    def key(indexed: tuple[int, pytest.Item]) -> tuple[int, int]:
        index, item = indexed
        module = _module(item)
        return rank.get(module, len(rank) if module in heavy else len(rank) + 1), index

    items[:] = [item for _, item in sorted(enumerate(items), key=key)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if "db_url" in used and "postgresql" in item.name:
            used.add("pg_server")
        for fixture, marker in MARKED_FIXTURES.items():
            if fixture in used:
                item.add_marker(marker)
    _slow_first(items)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Every test starts with the safe recursion limit: a module imported lazily by an earlier test
    in the same worker (py-evm raises the limit on import) must not let deep JSON crash the process.
    And with no end-to-end portal running that it does not use (tests/e2e/conftest.py)."""
    clamp_recursion_limit()
    release_stacks(item)


@pytest.fixture(scope="session")
def shared_dir() -> str:
    require(os.path.isdir(os.path.join(SHARED, "vectors")), f"../shared/vectors not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """$RESERVES_TEST_DATABASE_URL when set, else a throwaway cluster started for this session."""
    url = os.environ.get("RESERVES_TEST_DATABASE_URL")
    if url:
        require(server_reachable(url), "RESERVES_TEST_DATABASE_URL server not reachable")
        yield url
        return
    try:
        cm = throwaway_cluster()
        server = cm.__enter__()
    except Exception as exc:
        # No server binaries here: a server already listening on the default port will do, since
        # every test gets its own fresh database on it.
        if server_reachable(LOCAL_SERVER, timeout=1.0):
            yield LOCAL_SERVER
            return
        require(False, f"cannot start a throwaway PostgreSQL cluster ({exc}) and none listens on 127.0.0.1:5432")
        return
    try:
        yield server
    finally:
        cm.__exit__(None, None, None)


# TimescaleDB comes from no package on our machines: its backend joins the parametrisation only
# where a server with the extension is given (compose.yaml starts one), so nothing skips without it.
TIMESCALE_URL = os.environ.get("RESERVES_TEST_TIMESCALE_URL")
BACKENDS = ["sqlite", "postgresql"] + (["timescaledb"] if TIMESCALE_URL else [])


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> Iterator[str]:
    """An empty database URL on each backend (a new database per test on the servers)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reserves.db'}"
        return
    if request.param == "timescaledb":
        with fresh_database(TIMESCALE_URL, extensions=("timescaledb",)) as url:
            yield url
        return
    server = request.getfixturevalue("pg_server")
    with fresh_database(server) as url:
        yield url


@pytest.fixture(scope="session")
def pg_migrated_template(pg_server) -> Iterator[str]:
    """A database at head on `pg_server`, made once per session (per xdist worker), to copy."""
    with pg_template(pg_server) as url:
        yield url


@pytest.fixture
def migrated_db_url(request, db_url) -> str:
    """`db_url` brought to head, as `upgrade(db_url)` would, by a copy of a database migrated once per
    session (tests.templates); tests of the migrations themselves take `db_url`."""
    on_pg_server = request.node.callspec.params["db_url"] == "postgresql"
    migrate(db_url, request.getfixturevalue("pg_migrated_template") if on_pg_server else None)
    return db_url
