"""Test helpers shared by every folder: CI-aware skipping and free ports."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(condition: bool, reason: str) -> None:
    """Skip locally when a component is missing; under CI=true a missing component is a failure."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"required component missing under CI=true: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def param_id(value: object) -> str:
    """A parametrize id that is the same in every process (a set's order depends on the hash seed)."""
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(map(str, value))) + "}"
    return str(value)


def serve_now(client) -> None:
    """Have the web app `client` serves read the database now, as it would by itself within a
    second (reserves.read.hot, portal.microcache; tests/portal/test_hot.py and test_microcache.py
    check that)."""
    client.blocking_portal.call(lambda: client.app.state.services.hot.refresh(force=True))
    client.app.state.microcache.clear()  # and the one-second cache of the other public answers


# A [ratelimit] table for tests that start a real portal about something else: every request still
# passes the limiter, but one test client asks far more than any one client should (tests/ratelimit
# tests the limits themselves).
ROOMY_RATELIMIT_TOML = (
    "[ratelimit]\n"
    + "".join(
        f"{name} = {{ requests = 1000000 }}\n"
        for name in ("api", "static", "pages", "expensive", "signatures", "admin", "admin_failures", "challenges")
    )
    + "challenges_all = { requests = 1000000, reserve = 0 }\n"
)


@contextmanager
def serving(app, name: str, **options) -> Iterator[int]:
    """`app` under a real uvicorn server in a thread, on a free port (yielded) until the block ends."""
    import threading
    import time

    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1, **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the web role did not start")
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def render_template(name: str, **context: object) -> str:
    """A template of templates/ rendered as the app renders it (its filters, a layout context) outside the app."""
    from pathlib import Path

    import jinja2

    from portal.pages.filters import install
    from portal.pages.site import NAV, Site

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parents[1] / "templates"), autoescape=True)
    install(env)
    context.setdefault("site", Site("RBTC", "I", False, NAV))
    context.setdefault("here", "/")
    context.setdefault("refresh", 5)
    return env.get_template(name).render(**context)


# A minimal configuration file (one reserve source, one deployment, the key from $K) that settings tests
# append their own tables to.
SETTINGS_BASE = """
[signing]
key_env = "K"
[[reserves]]
name = "cold"
kind = "bitcoin-esplora"
esplora_url = "http://127.0.0.1:1"
network = "regtest"
addresses = ["bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"]
[[deployments]]
name = "eth"
kind = "evm-erc20"
chain_id = "eip155:1"
rpc_url = "http://127.0.0.1:2"
contract = "0x1111111111111111111111111111111111111111"
"""
