"""Test helpers shared by every folder: CI-aware skipping and free ports."""

from __future__ import annotations

import os
import socket

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
