"""Balances of declared holders at a confirmed block: an ERC-20's `balanceOf`, or the native coin's `eth_getBalance`.

Read through the endpoints of a configured deployment (its RPC URLs, chain id, finality and
quorum), exactly as its supply is: every endpoint picks its confirmed block, the read is made at
the lowest pick, pinned by number and re-checked by hash, and answering endpoints must agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone

from chains.base import BalanceReading, BlockRef, RpcAgreement
from chains.errors import ChainConfigError, ChainDataError, ChainError
from chains.evm.adapter import EvmErc20Adapter
from chains.evm.config import MAX_DECIMALS, EvmErc20Config
from chains.evm.endpoint import BalanceState
from chains.evm.held import MAX_HOLDERS, check_evm_address
from chains.evm.quorum import endpoint_name


class EvmBalanceAdapter:
    """Reads the balances of `holders` in `token` (None: the native coin) on the chain of `connection`.

    `connection` is a deployment's config: only its endpoints, chain id, finality, confirmations,
    quorum, timeouts and retries are used (its contract is not read). `decimals` must equal the
    token's `decimals()` on chain (never rescaled); for the native coin it is taken as declared
    (18 on most chains). Raises ChainConfigError for a bad token, holder or decimals.
    """

    def __init__(
        self,
        connection: EvmErc20Config,
        *,
        label: str,
        token: str | None,
        holders: Sequence[str],
        decimals: int,
        concurrent: bool = True,
    ) -> None:
        _check(label, token, holders, decimals)
        self.name = label
        self.token, self.holders, self.decimals = token, tuple(holders), decimals
        # The endpoints label their errors with the reading's name, never a URL.
        self._reader = EvmErc20Adapter(replace(connection, name=label, held=()), concurrent=concurrent)
        self.chain_id = connection.chain_id

    @property
    def rpc_calls(self) -> int:
        return self._reader.rpc_calls

    async def read_balances(self) -> BalanceReading:
        """The holders' balances at a confirmed block; ChainError subclasses as the supply read raises them."""
        try:
            answers = await self._reader.at_lowest_pick(
                lambda endpoint, block: endpoint.balances_at(block, self.token, self.holders)
            )
        except ChainError as exc:
            # A single endpoint's errors name the reading and the block, not the chain (a provider's
            # label does not say which chain it reads): add it, keeping the error's class.
            if self.chain_id in exc.detail:
                raise
            raise type(exc)(f"{exc.detail} (on {self.chain_id})") from exc
        count = len(self._reader.config.rpc_urls)
        first_index, state = answers[0]
        for index, other in answers[1:]:
            difference = _difference(state, other, self.holders)
            if difference is not None:
                raise ChainDataError(
                    f"{self.name}: endpoints disagree at block {state.block.number} on {self.chain_id}: "
                    f"{endpoint_name(first_index, count)} vs {endpoint_name(index, count)}: {difference}"
                )
        if state.decimals is not None and state.decimals != self.decimals:
            raise ChainDataError(
                f"{self.name}: decimals() is {state.decimals} on chain at block {state.block.number} on "
                f"{self.chain_id}, declared {self.decimals}; not rescaling"
            )
        quorum = self._reader.quorum
        return BalanceReading(
            label=self.name,
            block=BlockRef(
                chain_id=self.chain_id,
                height=state.block.number,
                hash="0x" + state.block.hash.hex(),
                time=datetime.fromtimestamp(state.block.timestamp, tz=timezone.utc),
            ),
            asset=self.token,
            holders=self.holders,
            balances=state.balances,
            total=sum(state.balances),
            decimals=self.decimals,
            rpc=RpcAgreement(count, len(answers), len(answers), quorum) if count > 1 else None,
        )

    async def aclose(self) -> None:
        await self._reader.aclose()


def _difference(a: BalanceState, b: BalanceState, holders: Sequence[str]) -> str | None:
    """The first value two endpoints' states at one block number differ in, or None."""
    if a.block.hash != b.block.hash:
        return f"block hash 0x{a.block.hash.hex()} vs 0x{b.block.hash.hex()}"
    if a.block.timestamp != b.block.timestamp:
        return f"block timestamp {a.block.timestamp} vs {b.block.timestamp}"
    if a.decimals != b.decimals:
        return f"decimals() {a.decimals} vs {b.decimals}"
    for holder, x, y in zip(holders, a.balances, b.balances):
        if x != y:
            return f"balance of {holder} {x} vs {y}"
    return None


def _check(label: str, token: str | None, holders: Sequence[str], decimals: int) -> None:
    if token is not None:
        check_evm_address(label, "token", token)
    if not isinstance(holders, (tuple, list)) or not 1 <= len(holders) <= MAX_HOLDERS:
        raise ChainConfigError(f"{label}.addresses: 1 to {MAX_HOLDERS} holder addresses")
    seen: set[str] = set()
    for i, holder in enumerate(holders):
        check_evm_address(label, f"addresses[{i}]", holder)
        if holder.lower() in seen:
            raise ChainConfigError(f"{label}.addresses[{i}]: listed twice (case-insensitive)")
        seen.add(holder.lower())
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= MAX_DECIMALS:
        raise ChainConfigError(f"{label}.decimals: an integer from 0 to {MAX_DECIMALS}")
