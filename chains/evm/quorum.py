"""Agreement of several endpoints' readings of one token at one block: equal or refused, never averaged."""

from __future__ import annotations

from collections.abc import Sequence

from chains.base import HeldAddress
from chains.errors import ChainDataError, ChainError, ChainUnavailable
from chains.evm.endpoint import TokenState


def endpoint_name(index: int, count: int) -> str:
    """How errors name an endpoint: by its place in `rpc_urls` ("endpoint 2/3"), never by URL."""
    return f"endpoint {index + 1}/{count}"


def agreed_state(
    deployment: str,
    chain_id: str,
    answers: Sequence[tuple[int, TokenState]],
    count: int,
    held: Sequence[HeldAddress],
) -> TokenState:
    """The one state every answering endpoint reported, else ChainDataError saying what differed.

    `answers` are (index in rpc_urls, state) at the same block number, at least one. Endpoints
    must agree on block hash and time, totalSupply, decimals and every held balance.
    """
    first_index, first = answers[0]
    for index, other in answers[1:]:
        difference = describe_difference(first, other, held)
        if difference is not None:
            raise ChainDataError(
                f"{deployment}: endpoints disagree at block {first.block.number} on {chain_id}: "
                f"{endpoint_name(first_index, count)} vs {endpoint_name(index, count)}: {difference}"
            )
    return first


def describe_difference(a: TokenState, b: TokenState, held: Sequence[HeldAddress]) -> str | None:
    """The first value two states at the same block number differ in ("block hash 0x.. vs 0x.."), or None."""
    if a.block.hash != b.block.hash:
        return f"block hash 0x{a.block.hash.hex()} vs 0x{b.block.hash.hex()}"
    if a.block.timestamp != b.block.timestamp:
        return f"block timestamp {a.block.timestamp} vs {b.block.timestamp}"
    if a.total_supply != b.total_supply:
        return f"totalSupply() {a.total_supply} vs {b.total_supply}"
    if a.decimals != b.decimals:
        return f"decimals() {a.decimals} vs {b.decimals}"
    for holder, x, y in zip(held, a.balances, b.balances):
        if x != y:
            return f"balanceOf({holder.address}) {x} vs {y}"
    return None


def too_few_answers(
    deployment: str,
    chain_id: str,
    number: int | None,
    failures: Sequence[ChainError],
    answered: int,
    count: int,
    quorum: int,
) -> ChainError:
    """The error of a read that fewer than `quorum` endpoints answered, with every endpoint's reason.

    ChainDataError when some endpoint answered with data we cannot trust (a wrong chain, garbage,
    a reorganising block): that is worse news than a node that is down. Else ChainUnavailable.
    """
    where = f"at block {number}" if number is not None else "(no block picked)"
    reasons = "; ".join(failure.detail for failure in failures)
    detail = f"{deployment}: {answered} of {count} endpoints answered {where} on {chain_id}, quorum {quorum}: {reasons}"
    if any(isinstance(failure, ChainDataError) for failure in failures):
        return ChainDataError(detail)
    return ChainUnavailable(detail)
