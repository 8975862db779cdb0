"""Which addresses to read per wallet: declared ones plus descriptor children up to the gap limit."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from chains.bitcoin.esplora.client import EsploraClient
from chains.bitcoin.wallets import WalletSpec
from chains.errors import ChainDataError

# A backend claiming every child address is used would make the scan endless.
MAX_CHILDREN_PER_BRANCH = 100_000
T = TypeVar("T")


async def gather(calls: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Run `calls` concurrently; on the first failure cancel the rest and raise that failure itself.

    (asyncio.gather would leave the others running; a TaskGroup raises an ExceptionGroup, which
    callers expecting one ChainError cannot catch.)
    """
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except BaseExceptionGroup as exc:
        raise _first_leaf(exc)  # noqa: B904 - `from` would replace the leaf's own __cause__ (the backend error)
    return [task.result() for task in tasks]


def _first_leaf(group: BaseExceptionGroup) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


async def wallet_addresses(client: EsploraClient, wallet: WalletSpec) -> tuple[list[str], int]:
    """Addresses of `wallet` to read, and how many addresses were looked at.

    An address list is read whole. Ranged descriptor branches are walked in windows until the
    wallet's `gap_limit` consecutive children have no transaction (confirmed or in the mempool); a
    non-ranged descriptor contributes its single address per branch unconditionally (it was
    declared, so it is read even when unused).
    """
    if wallet.descriptor is None:
        return list(wallet.addresses), len(wallet.addresses)
    if not wallet.ranged:
        return [wallet.address(0, b) for b in range(wallet.branches)], wallet.branches
    used: list[str] = []
    scanned = 0
    for branch in range(wallet.branches):
        found, looked = await _walk_branch(client, wallet, branch)
        used += found
        scanned += looked
    return used, scanned


async def _walk_branch(client: EsploraClient, wallet: WalletSpec, branch: int) -> tuple[list[str], int]:
    used: list[str] = []
    last_used = -1
    next_index = 0
    # Invariant: every child below next_index was checked; the scan ends once the gap after the
    # last used child is fully checked.
    while next_index < last_used + 1 + wallet.gap_limit:
        end = last_used + 1 + wallet.gap_limit
        if end > MAX_CHILDREN_PER_BRANCH:
            raise ChainDataError(f"more than {MAX_CHILDREN_PER_BRANCH} used children on one branch")
        window = [wallet.address(i, branch) for i in range(next_index, end)]
        counts = await gather([client.address_tx_count(a) for a in window])
        for offset, (address, count) in enumerate(zip(window, counts)):
            if count > 0:
                used.append(address)
                last_used = next_index + offset
        next_index = end
    return used, next_index
