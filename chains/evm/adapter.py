"""The `evm-erc20` supply adapter: `totalSupply()`, `decimals()` and held balances of one token at a confirmed block."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from functools import partial
from typing import TypeVar

from chains.base import BlockRef, HeldBalance, RpcAgreement, SupplyReading
from chains.errors import ChainDataError, ChainError
from chains.evm.config import KIND, EvmErc20Config, parse_config
from chains.evm.endpoint import (  # noqa: F401 - selectors re-exported for callers of the old module
    DECIMALS_SELECTOR,
    TOTAL_SUPPLY_SELECTOR,
    Block,
    EvmEndpoint,
    TokenState,
    run_all,
)
from chains.evm.quorum import agreed_state, endpoint_name, too_few_answers
from chains.registry import Spec

T = TypeVar("T")


class EvmErc20Adapter:
    """Reads the supply of one ERC-20 deployment over JSON-RPC, from one endpoint or a quorum.

    Finality: every endpoint picks its confirmed block (`finalized`, or `latest - confirmations`)
    and the read is made at the LOWEST picked number, so that every endpoint can serve it. Each
    endpoint reads, pinned by block NUMBER, the block hash, `totalSupply()`, `decimals()` and
    `balanceOf` of every declared holder, then re-reads the hash (a change is a reorg under us:
    retried once, then ChainDataError). Each node's `eth_chainId` must match the configured CAIP-2
    id, on every read (a load balancer may later route to a node of another chain).

    Quorum: endpoints whose calls fail count as not answered; fewer than `quorum` answers is a
    ChainUnavailable (ChainDataError when some endpoint answered garbage). Two answering endpoints
    that differ in anything at the same block make a ChainDataError naming the block and the
    value; they are never averaged or out-voted. Amounts are raw token units, never rescaled; the
    held balances never sum above the supply. With a single endpoint its own errors are raised as
    they are and `rpc` is None. Errors name endpoints by position, never by URL.
    With `concurrent` (the default) all endpoints and all their calls run together.
    The HTTP sessions belong to the event loop of the first read.
    """

    kind = KIND

    def __init__(self, config: EvmErc20Config, *, concurrent: bool = True) -> None:
        self.config = config
        self.name = config.name
        self.concurrent = concurrent
        count = len(config.rpc_urls)
        self._endpoints = [
            EvmEndpoint(config, url, self._label(i, count), concurrent=concurrent)
            for i, url in enumerate(config.rpc_urls)
        ]

    @property
    def rpc_calls(self) -> int:
        """JSON-RPC requests made so far through every endpoint (retries included)."""
        return sum(endpoint.calls for endpoint in self._endpoints)

    async def read_supply(self) -> SupplyReading:
        """Total supply and held balances at a confirmed block; see the class docstring."""
        count = len(self._endpoints)
        answers = await self.at_lowest_pick(lambda endpoint, block: endpoint.read_at(block))
        state = agreed_state(self.name, self.config.chain_id, answers, count, self.config.held)
        return self._reading(state, RpcAgreement(count, len(answers), len(answers), self.quorum) if count > 1 else None)

    @property
    def quorum(self) -> int:
        return self.config.quorum or 1

    async def at_lowest_pick(self, read: Callable[[EvmEndpoint, Block], Awaitable[T]]) -> list[tuple[int, T]]:
        """`read(endpoint, block)` on every endpoint that picked a confirmed block, all at the LOWEST
        picked number: (index in rpc_urls, answer), at least `quorum` of them, else the error of
        too few answers (see the class docstring)."""
        count, quorum = len(self._endpoints), self.quorum
        picks = await self._each(lambda e: e.pick(), range(count))
        picked = {i: b for i, b in picks.items() if isinstance(b, Block)}
        failures = [f for f in picks.values() if isinstance(f, ChainError)]
        if len(picked) < quorum:
            raise too_few_answers(self.name, self.config.chain_id, None, failures, len(picked), count, quorum)
        number = min(block.number for block in picked.values())

        async def at(endpoint: EvmEndpoint, block: Block) -> T:
            if block.number != number:
                block = await endpoint.get_block(number, f"eth_getBlockByNumber({number})")
            return await read(endpoint, block)

        states = await self._each(lambda e, i: at(e, picked[i]), sorted(picked), with_index=True)
        answers = [(i, s) for i, s in states.items() if not isinstance(s, ChainError)]
        failures += [f for f in states.values() if isinstance(f, ChainError)]
        if len(answers) < quorum:
            raise too_few_answers(self.name, self.config.chain_id, number, failures, len(answers), count, quorum)
        return answers

    async def aclose(self) -> None:
        """Close the HTTP sessions; the adapter must not be used afterwards."""
        for endpoint in self._endpoints:
            await endpoint.aclose()

    def _label(self, index: int, count: int) -> str:
        return self.name if count == 1 else f"{self.name} {endpoint_name(index, count)}"

    async def _each(
        self,
        make: Callable[..., Awaitable[T]],
        indexes: range | list[int],
        *,
        with_index: bool = False,
    ) -> dict[int, T | ChainError]:
        """`make(endpoint[, index])` for the given endpoints; a ChainError is that endpoint's answer
        (raised as it is when there is only one endpoint)."""

        async def guarded(i: int) -> T | ChainError:
            try:
                endpoint = self._endpoints[i]
                return await (make(endpoint, i) if with_index else make(endpoint))
            except ChainError as exc:
                if len(self._endpoints) == 1:
                    raise
                return exc

        order = list(indexes)
        results = await run_all([partial(guarded, i) for i in order], self.concurrent)
        return dict(zip(order, results))

    def _reading(self, state: TokenState, rpc: RpcAgreement | None) -> SupplyReading:
        number = state.block.number
        expected = self.config.expected_decimals
        if expected is not None and state.decimals != expected:
            raise ChainDataError(
                f"{self.name}: decimals() is {state.decimals} on chain at block {number}, configured {expected}; "
                "not rescaling"
            )
        held = tuple(HeldBalance(h, b) for h, b in zip(self.config.held, state.balances))
        if sum(state.balances) > state.total_supply:
            raise ChainDataError(
                f"{self.name}: held balances sum to {sum(state.balances)} at block {number}, above "
                f"totalSupply() {state.total_supply}"
            )
        return SupplyReading(
            deployment=self.name,
            contract=self.config.contract,
            block=BlockRef(
                chain_id=self.config.chain_id,
                height=number,
                hash="0x" + state.block.hash.hex(),
                time=datetime.fromtimestamp(state.block.timestamp, tz=timezone.utc),
            ),
            total_supply=state.total_supply,
            decimals=state.decimals,
            held=held,
            rpc=rpc,
        )


SPEC = Spec(kind=KIND, role="supply", parse_config=parse_config, build=EvmErc20Adapter)
