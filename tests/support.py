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
