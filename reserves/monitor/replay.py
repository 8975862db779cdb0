"""Replay of one EVM deployment's token logs: adaptive ranges, reorg rollback, crash-safe checkpoints, supply check."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError

from chains.errors import ChainDataError
from chains.evm.config import EvmErc20Config
from chains.evm.logs import EvmLogReader, LogsRangeTooLarge
from chains.evm.logs_decode import TokenLog
from reserves.monitor import store
from reserves.storage.db import Database
from reserves.storage.monitor_models import MonitorCheckpointRow, MonitorIssueRow

log = logging.getLogger(__name__)

INITIAL_RANGE = 100
# A range returning fewer than half this many logs doubles, more than twice as many halves: one
# eth_getLogs answer stays around a few thousand logs (providers cap at ~10,000).
TARGET_LOGS = 5000
_MAX_RETRIES = 3


class Finding(ChainDataError):
    """Data the monitor will not count; becomes an open issue of `kind` at `block_number`."""

    def __init__(
        self,
        kind: str,
        detail: str,
        block_number: int | None = None,
        block_hash: str | None = None,
        expected: str | None = None,
        actual: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind, self.block_number, self.block_hash = kind, block_number, block_hash
        self.expected, self.actual = expected, actual


class _Retry(Exception):
    """The checkpoint moved under us (another writer) or a reorg was handled: start the loop again."""


@dataclass
class RunReport:
    """What one run did, for logs and the benchmark."""

    ranges: int = 0
    events: int = 0
    reorgs: int = 0
    shrinks: int = 0
    checked: bool | None = None
    target: int | None = None
    range_sizes: list[int] = field(default_factory=list)


class DeploymentMonitor:
    """Advances the replay of one deployment in `db`.

    Invariant kept in every committed transaction: the events stored are exactly the token logs
    of blocks [start_block, next_block) of the chain whose hashes are stored, and
    running_supply = base_supply + their Transfer mints - burns. Ranges are at most
    `logs_max_range` blocks and never pass the confirmed target (latest - confirmations, or
    finalized). A stored hash that changed means a reorg: events above the fork are dropped and
    replayed. Data we cannot trust raises Finding; transport failures raise ChainUnavailable.
    """

    def __init__(self, db: Database, config: EvmErc20Config, reader: EvmLogReader | None = None) -> None:
        self.db, self.config = db, config
        self.name = config.name
        self.reader = reader or EvmLogReader(config)
        self._own_reader = reader is None
        self.max_range = max(1, int(config.logs_max_range))

    async def aclose(self) -> None:
        if self._own_reader:
            await self.reader.aclose()

    async def run(self, max_ranges: int | None = 100, seconds: float | None = 20.0) -> RunReport:
        """Replay up to `max_ranges` ranges (or `seconds`), then check totalSupply if caught up."""
        report = RunReport()
        deadline = None if seconds is None else time.monotonic() + seconds
        await self.reader.check_chain_id()
        target = report.target = await self.reader.confirmed_target()
        cp = await self._checkpoint(target)
        retries = 0
        while True:
            if await self._follow_reorg(cp):
                report.reorgs += 1
                cp = await self._checkpoint(target)
                continue
            if cp.next_block > target:
                if cp.next_block == target + 1:
                    report.checked = await self._check_supply(target)
                return report
            if (max_ranges is not None and report.ranges >= max_ranges) or (deadline and time.monotonic() > deadline):
                return report
            try:
                await self._replay_range(cp, target, report)
                retries = 0
            except _Retry:
                retries += 1
                if retries > _MAX_RETRIES:
                    raise Finding(
                        "lying_hash",
                        f"{self.name}: block {cp.next_block}: parent hash disagrees with the "
                        f"stored hash of block {cp.next_block - 1}, which the node still reports",
                        cp.next_block,
                    ) from None
            cp = await self._checkpoint(target)

    async def _checkpoint(self, target: int) -> MonitorCheckpointRow:
        async with self.db.sessions() as session:
            cp = await store.get_checkpoint(session, self.name)
            if cp is not None and (cp.chain_id, cp.contract.lower(), cp.start_block) == (
                self.config.chain_id,
                self.config.contract.lower(),
                self.config.start_block,
            ):
                if cp.last_target != target:
                    cp.last_target = target
                    session.add(cp)
                    await session.commit()
                return cp
            if cp is not None:
                log.warning("%s: chain, contract or start block changed: replaying from the start", self.name)
            await store.reset_deployment(session, self.name)
            cp = await self._new_checkpoint(target)
            session.add(cp)
            await session.commit()
            return cp

    async def _new_checkpoint(self, target: int) -> MonitorCheckpointRow:
        start = self.config.start_block
        # Before start_block the token usually has no code (None): its supply starts at zero.
        base = (await self.reader.total_supply(start - 1) or 0) if start > 0 else 0
        return MonitorCheckpointRow(
            deployment=self.name,
            chain_id=self.config.chain_id,
            contract=self.config.contract.lower(),
            start_block=start,
            next_block=start,
            base_supply=base,
            running_supply=base,
            last_target=target,
            range_size=min(INITIAL_RANGE, self.max_range),
            events_count=0,
            updated_at=store.now(),
        )

    async def _follow_reorg(self, cp: MonitorCheckpointRow) -> bool:
        """Roll back to the fork point when the newest stored block hash no longer matches; True if so."""
        async with self.db.sessions() as session:
            stored = await store.stored_blocks(session, self.name)
        if not stored:
            return False
        top = stored[0]
        now_hash = (await self.reader.header(top.block_number)).hash
        if now_hash == top.block_hash:
            return False
        fork = cp.start_block - 1  # when no kept hash matches: the reorg is deeper than we keep
        for row in stored[1:]:
            if (await self.reader.header(row.block_number)).hash == row.block_hash:
                fork = row.block_number
                break
        await self._rollback(cp, fork, top.block_number, top.block_hash, now_hash)
        return True

    async def _rollback(self, cp: MonitorCheckpointRow, fork: int, last: int, old: str, new: str) -> None:
        async with self.db.sessions() as session:
            fresh = await store.get_checkpoint(session, self.name)
            if fresh is None or fresh.next_block != cp.next_block:
                return  # another writer moved it: the next loop sees its state
            dropped, effect = await store.drop_above(session, self.name, fork)
            if fresh.running_supply - effect < 0:
                raise Finding("bad_logs", f"{self.name}: rollback to block {fork} would make the supply negative", fork)
            fresh.running_supply -= effect
            fresh.events_count = max(0, fresh.events_count - dropped)
            fresh.next_block = fork + 1
            fresh.checked_match = None
            fresh.updated_at = store.now()
            session.add(fresh)
            depth = last - fork
            session.add(
                MonitorIssueRow(
                    deployment=self.name,
                    chain_id=self.config.chain_id,
                    kind="reorg",
                    block_number=fork + 1,
                    block_hash=new,
                    expected=old,
                    actual=new,
                    depth=depth,
                    events_dropped=dropped,
                    detail=f"reorg at block {last}: {depth} block(s) above fork point {fork} replaced, "
                    f"{dropped} event(s) rolled back and replayed",
                    detected_at=store.now(),
                    resolved_at=store.now(),
                )
            )
            await session.commit()
        log.warning("%s: reorg of depth %d at block %d, %d event(s) rolled back", self.name, depth, last, dropped)

    async def _replay_range(self, cp: MonitorCheckpointRow, target: int, report: RunReport) -> None:
        size, start = cp.range_size, cp.next_block
        while True:
            end = min(start + size - 1, target)
            try:
                logs = await self.reader.logs(start, end)
                break
            except LogsRangeTooLarge as exc:
                if end == start:
                    raise Finding("rpc_error", f"{exc.detail}: even one block is too many for the node", start) from exc
                size = max(1, (end - start + 1) // 2)
                report.shrinks += 1
        headers = await self._check_hashes(start, end, logs)
        effect = sum(store.supply_effect(g.kind, g.from_address, g.to_address, g.amount) for g in logs)
        if cp.running_supply + effect < 0:
            raise Finding(
                "bad_logs",
                f"{self.name}: blocks {start}-{end} burn more than the supply",
                start,
                expected=str(cp.running_supply),
                actual=str(effect),
            )
        await self._commit_range(cp, end, logs, headers, effect, self._next_size(size, len(logs)))
        report.ranges += 1
        report.events += len(logs)
        report.range_sizes.append(end - start + 1)

    async def _check_hashes(self, start: int, end: int, logs: list[TokenLog]) -> list[Any]:
        """Headers of the range's ends and of every block with logs, checked against the logs and the stored parent."""
        headers = await self.reader.headers(sorted({start, end} | {g.block_number for g in logs}))
        for g in logs:
            if headers[g.block_number].hash != g.block_hash:
                raise Finding(
                    "lying_hash",
                    f"{self.name}: block {g.block_number}: eth_getLogs says hash {g.block_hash}, "
                    f"eth_getBlockByNumber says {headers[g.block_number].hash}",
                    g.block_number,
                    headers[g.block_number].hash,
                    expected=headers[g.block_number].hash,
                    actual=g.block_hash,
                )
        async with self.db.sessions() as session:
            stored = await session.get(store.MonitorBlockRow, (self.name, start - 1))
        if stored is not None and headers[start].parent_hash != stored.block_hash:
            # The chain changed between our reorg check and now: the next loop rolls back.
            raise _Retry()
        return list(headers.values())

    def _next_size(self, size: int, count: int) -> int:
        if count > 2 * TARGET_LOGS:
            return max(1, size // 2)
        if count < TARGET_LOGS // 2:
            return min(self.max_range, size * 2)
        return size

    async def _commit_range(
        self, cp: MonitorCheckpointRow, end: int, logs: list[TokenLog], headers: list[Any], effect: int, size: int
    ) -> None:
        """Events, hashes and checkpoint in one transaction: a crash leaves all or nothing."""
        async with self.db.sessions() as session:
            fresh = await store.get_checkpoint(session, self.name)
            if fresh is None or fresh.next_block != cp.next_block:
                raise _Retry()
            try:
                await store.insert_events(session, self.name, logs)
                await store.store_headers(session, self.name, headers)
                fresh.next_block, fresh.range_size = end + 1, size
                fresh.running_supply += effect
                fresh.events_count += len(logs)
                fresh.updated_at = store.now()
                session.add(fresh)
                await session.commit()
            except IntegrityError as exc:
                await session.rollback()
                raise _Retry() from exc

    async def _check_supply(self, target: int) -> bool:
        """totalSupply(target) against the running supply; a mismatch opens an issue, a match resolves them."""
        actual = await self.reader.total_supply(target)
        header = await self.reader.header(target)
        async with self.db.sessions() as session:
            cp = await store.get_checkpoint(session, self.name)
            if cp is None or cp.next_block != target + 1:
                return False
            actual = 0 if actual is None and cp.running_supply == 0 else actual
            match = actual == cp.running_supply
            cp.checked_supply, cp.checked_block, cp.checked_match = actual, target, match
            cp.updated_at = store.now()
            session.add(cp)
            if match:
                await store.resolve_issues(session, self.name)
            else:
                await store.open_issue(
                    session,
                    MonitorIssueRow(
                        deployment=self.name,
                        chain_id=self.config.chain_id,
                        kind="supply_mismatch",
                        block_number=target,
                        block_hash=header.hash,
                        expected=str(cp.running_supply),
                        actual=None if actual is None else str(actual),
                        detected_at=store.now(),
                        detail=f"{self.name} ({self.config.chain_id}) block {target}: totalSupply() is {actual}, "
                        f"replayed events give {cp.running_supply}",
                    ),
                )
            await session.commit()
        return match

    async def record_finding(self, finding: Finding) -> None:
        """Store a Finding as an open issue of this deployment."""
        async with self.db.sessions() as session:
            await store.open_issue(
                session,
                MonitorIssueRow(
                    deployment=self.name,
                    chain_id=self.config.chain_id,
                    kind=finding.kind,
                    block_number=finding.block_number,
                    block_hash=finding.block_hash,
                    expected=finding.expected,
                    actual=finding.actual,
                    detail=finding.detail[:2000],
                    detected_at=store.now(),
                ),
            )
            await session.commit()
