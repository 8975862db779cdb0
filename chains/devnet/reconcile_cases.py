"""Broken reconciliation cases the devnet makes on purpose, so the portal shows what it catches."""

from __future__ import annotations

from typing import Any


def make_broken_cases(devnet: Any) -> None:
    """CONTRACT STUB (issue 4): mint without deposit, wrong amount, deposit to a non-reserve
    address, double-used deposit, a burn never released. Called once at devnet start."""
    return None
