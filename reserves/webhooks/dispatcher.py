"""The worker's webhook loop: fan the outbox out, lease subscriptions with due deliveries, deliver.

Every worker runs one (deliveries are claimed, never assigned), woken after each snapshot and
otherwise every `poll_seconds`. A subscription is delivered by one worker at a time (a lease in
its row, renewed before each attempt), so a slow or failing receiver holds only its own lease:
up to `concurrency` subscriptions are served at once and the others never wait for it. After a
failure the subscription is held off until its next retry (at most a minute, or its Retry-After),
so a receiver that is down is not hammered with its whole queue.

At-least-once: an attempt is counted before it is sent; a worker that dies mid-send leaves the
delivery due again once the lease ends, and the next attempt carries the same `webhook-id`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx

from reserves import metrics
from reserves.settings.webhooks import WebhookSettings
from reserves.storage import events as events_repo
from reserves.storage import webhook_repository as repo
from reserves.storage.db import Database
from reserves.storage.repository import utc
from reserves.storage.webhook_models import WebhookDeliveryRow, WebhookSubscriptionRow
from reserves.trust import audit
from reserves.webhooks.attempt import Outcome, attempt
from reserves.webhooks.errors import SecretError
from reserves.webhooks.fanout import fan_out
from reserves.webhooks.keys import WebhookKeys
from reserves.webhooks.signing import secret_bytes
from reserves.webhooks.transport import safe_client

log = logging.getLogger(__name__)
MAX_HOLD_SECONDS = 60.0
STOP_GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class _Done:
    """A successful attempt not yet recorded: it is, in the next write of the same turn."""

    delivery_id: int
    number: int
    outcome: Outcome
    manual: bool


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(moment: datetime | None) -> datetime | None:
    """`reserves.storage.repository.utc` for an optional column (SQLite hands datetimes back naive)."""
    return None if moment is None else utc(moment)


class Dispatcher:
    """Delivers webhooks from `db` as `owner` (the worker's replica name)."""

    def __init__(
        self,
        db: Database,
        settings: WebhookSettings,
        keys: WebhookKeys,
        owner: str,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.db, self.settings, self.keys, self.owner = db, settings, keys, owner
        self.client = client or safe_client(
            allow_private=settings.allow_private_targets, timeout=settings.timeout_seconds
        )
        self.clock, self.rng = clock, rng
        self._wake = asyncio.Event()
        # SQLite has one writer: this process's turns take it one after another instead of meeting
        # in SQLite's busy handler, which sleeps up to 100 ms per collision (PostgreSQL: no lock).
        self._write_lock = asyncio.Lock() if db.dialect == "sqlite" else None
        self._task: asyncio.Task | None = None
        self._serving: dict[str, asyncio.Task] = {}

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="webhooks")

    def wake(self) -> None:
        """Look for new events and due deliveries now, not at the next poll."""
        self._wake.set()

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop claiming; turns under way get `grace` seconds to finish their attempt and record it,
        then are cancelled (a cancelled attempt stays counted and is due again, same webhook-id)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        turns = list(self._serving.values())
        if turns:
            _done, late = await asyncio.wait(turns, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*turns, return_exceptions=True)
        self._task = None
        self._serving.clear()
        await self.client.aclose()

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook dispatch failed; trying again at the next poll")
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

    # -- one turn ----------------------------------------------------------------------------------

    async def tick(self) -> int:
        """Fan out, then lease what is due and start serving it; returns how many subscriptions started."""
        now = self.clock()
        try:
            await fan_out(self.db, now, writing=self._writing)
        except Exception:
            # New events wait for the next turn; deliveries already made must still go out.
            log.exception("webhook fan-out failed; delivering what is already queued")
        self._serving = {k: t for k, t in self._serving.items() if not t.done()}
        room = self.settings.concurrency - len(self._serving)
        if room <= 0 or self.keys.vault is None:
            return 0
        async with self._writing(), self.db.sessions() as session:
            claimed = await repo.claim_subscriptions(
                session, owner=self.owner, now=now, until=self._lease_end(), limit=room, exclude=list(self._serving)
            )
            await session.commit()
        for sub_id in claimed:
            self._serving[sub_id] = asyncio.get_running_loop().create_task(self.serve(sub_id), name=f"webhook {sub_id}")
        return len(claimed)

    async def drain(self) -> None:
        """Wait for the subscriptions being served (tests, the benchmark)."""
        await asyncio.gather(*self._serving.values(), return_exceptions=True)

    def _lease_end(self) -> datetime:
        return self.clock() + timedelta(seconds=self.settings.lease_seconds)

    async def serve(self, sub_id: str) -> None:
        """Deliver up to `batch` due deliveries of one leased subscription, in sequence order.

        One write transaction per delivery: it records the previous success, renews the lease,
        re-reads the subscription (a pause, a new URL or secret apply at the next attempt) and
        counts the next attempt before it is sent. A failure is recorded on its own and ends the
        turn; the last success is recorded with the release of the lease.
        """
        hold: datetime | None = None
        done: _Done | None = None
        try:
            async with self.db.sessions() as session:
                sub = await repo.get_subscription(session, sub_id)
                if sub is None or sub.state != "active" or sub.lease_owner != self.owner:
                    return
                due = await repo.due_deliveries(session, sub_id, self.clock(), self.settings.batch)
            for delivery in due:
                assert delivery.id is not None
                number = delivery.attempts + 1
                # Handed over before the write: if it fails after its commit, the finally below must
                # not record the same attempt again (its row would refuse, and the lease stay held).
                previous, done = done, None
                current = await self._begin(sub_id, delivery.id, number, previous)
                if current is None:
                    return  # the lease was lost: another worker has it, or it was paused or deleted
                outcome = await self._send(current, delivery)
                manual = delivery.series_start > 0 and number == delivery.series_start + 1
                if outcome.ok:
                    done = _Done(delivery.id, number, outcome, manual)
                    continue
                await self._record(sub_id, delivery.id, number, outcome)
                hold = self._hold_until(delivery, outcome)
                return
            if len(due) == self.settings.batch:
                self.wake()  # more may be due: the next turn starts now, not at the next poll
        finally:
            # This turn stays listed in `_serving` until it has returned: stop() and drain() wait for
            # the release below, and tick() never claims a subscription a turn of ours still holds.
            try:
                async with self._writing(), self.db.sessions() as session:
                    if done is not None:
                        await self._success(session, sub_id, done)
                    await repo.release_lease(session, sub_id, owner=self.owner, hold_until=hold)
                    await session.commit()
            except Exception:  # noqa: BLE001 - the lease then simply expires (and the attempt is redone)
                log.warning("could not release the lease of webhook subscription %s", sub_id)

    async def _begin(
        self, sub_id: str, delivery_id: int, number: int, done: _Done | None
    ) -> WebhookSubscriptionRow | None:
        """Record `done`, renew the lease, count attempt `number`: the subscription as it is now, or
        None when it is no longer ours to deliver."""
        async with self._writing(), self.db.sessions() as session:
            if done is not None:
                await self._success(session, sub_id, done)
            sub = await repo.renew_lease(session, sub_id, owner=self.owner, until=self._lease_end())
            if sub is not None:
                await repo.mark_attempt_started(session, delivery_id, attempt=number, retry_at=self._lease_end())
            await session.commit()
            return sub

    async def _success(self, session, sub_id: str, done: _Done) -> None:
        assert done.outcome.status_code is not None
        await repo.record_success(
            session,
            delivery_id=done.delivery_id,
            sub_id=sub_id,
            attempt=done.number,
            now=self.clock(),
            status=done.outcome.status_code,
            latency_ms=done.outcome.latency_ms,
            manual=done.manual,
        )

    async def _send(self, sub: WebhookSubscriptionRow, delivery: WebhookDeliveryRow) -> Outcome:
        try:
            secrets = self._secrets(sub)
        except SecretError as exc:
            metrics.WEBHOOK_DELIVERIES.labels("secret").inc()
            return Outcome(False, None, 0, f"secret unusable: {exc.detail}")
        outcome = await attempt(
            self.client,
            url=sub.url,
            msg_id=delivery.msg_id,
            body=delivery.body.encode(),
            secrets=secrets,
            portal_key=self.keys.portal_key,
            timeout=self.settings.timeout_seconds,
            max_response_bytes=self.settings.max_response_bytes,
        )
        metrics.WEBHOOK_DELIVERIES.labels(metrics.delivery_result(outcome.ok, outcome.status_code, outcome.gone)).inc()
        return outcome

    def _in_series(self, delivery: WebhookDeliveryRow, number: int) -> int:
        """Which attempt of its series attempt `number` is (1 for the first)."""
        return number - delivery.series_start

    def _secrets(self, sub: WebhookSubscriptionRow) -> list[bytes]:
        vault = self.keys.vault
        assert vault is not None
        out = [secret_bytes(vault.open(sub.id, sub.secret))]
        until = aware(sub.old_secret_until)
        if sub.old_secret is not None and until is not None and until > self.clock():
            try:
                out.append(secret_bytes(vault.open(sub.id, sub.old_secret)))
            except SecretError as exc:
                # E.g. rotated after the secrets key was lost: the new secret alone signs.
                log.warning(
                    "subscription %s: the previous secret is unusable (%s); signing with the new one",
                    sub.id,
                    exc.detail,
                )
        return out

    def _retry_wait(self, number: int, outcome: Outcome) -> float | None:
        """Seconds until the next attempt after attempt `number` failed; None when none is left."""
        schedule = self.settings.retry_schedule_seconds
        if number >= len(schedule):
            return None
        base = schedule[number]
        wait = base * (1 + self.settings.jitter * (2 * self.rng() - 1))
        if outcome.retry_after is not None:
            wait = max(wait, min(outcome.retry_after, self.settings.max_retry_after_seconds))
        return wait

    def _hold_until(self, delivery: WebhookDeliveryRow, outcome: Outcome) -> datetime:
        wait = self._retry_wait(self._in_series(delivery, delivery.attempts + 1), outcome) or 0.0
        if outcome.retry_after is not None:
            wait = max(wait, min(outcome.retry_after, self.settings.max_retry_after_seconds))
            return self.clock() + timedelta(seconds=wait)
        return self.clock() + timedelta(seconds=min(wait, MAX_HOLD_SECONDS))

    async def _record(self, sub_id: str, delivery_id: int, number: int, outcome: Outcome) -> None:
        """A failed attempt: the retry, the run of failures, perhaps disabling (rare: the ORM is fine)."""
        now = self.clock()
        async with self._writing(), self.db.sessions() as session:
            delivery = await session.get(WebhookDeliveryRow, delivery_id)
            sub = await repo.get_subscription(session, sub_id)
            if delivery is None or sub is None:
                return  # deleted meanwhile
            repo.add_attempt(
                session,
                delivery_id=delivery_id,
                attempt=number,
                at=now,
                status_code=outcome.status_code,
                latency_ms=outcome.latency_ms,
                error=None if outcome.error is None else outcome.error[:500],
                manual=delivery.series_start > 0 and number == delivery.series_start + 1,
            )
            delivery.last_status, delivery.last_error = outcome.status_code, outcome.error
            if outcome.ok:
                delivery.state, delivery.delivered_at, delivery.next_attempt_at = "succeeded", now, None
                sub.failing_since, sub.last_failure_at, sub.last_success_at = None, None, now
            else:
                wait = self._retry_wait(self._in_series(delivery, number), outcome)
                if wait is None:
                    delivery.state, delivery.next_attempt_at = "dead", None
                else:
                    delivery.next_attempt_at = now + timedelta(seconds=wait)
                self._count_failure(sub, now)
                why = self._disable_reason(sub, outcome, now)
                if why is not None:
                    await self._disable(session, sub, *why, now)
            session.add(delivery)
            session.add(sub)
            await session.commit()

    def _count_failure(self, sub: WebhookSubscriptionRow, now: datetime) -> None:
        """Extend the current run of failures, or start one when the last failure is older than the
        schedule's longest wait (the receiver may well have been fine in between: no traffic)."""
        last = aware(sub.last_failure_at)
        gap = max(self.settings.retry_schedule_seconds) * (1 + self.settings.jitter) + MAX_HOLD_SECONDS
        if sub.failing_since is None or last is None or (now - last).total_seconds() > gap:
            sub.failing_since = now
        sub.last_failure_at = now

    def _disable_reason(self, sub: WebhookSubscriptionRow, outcome: Outcome, now: datetime) -> tuple[str, str] | None:
        """(cause, reason) when this failure disables the subscription: `gone` or `failing`."""
        if outcome.gone:
            return "gone", "the receiver answered 410 Gone"
        since = aware(sub.failing_since)
        if since is not None and (now - since).total_seconds() >= self.settings.disable_after_seconds:
            seconds = self.settings.disable_after_seconds
            return "failing", f"every attempt failed for {seconds:g} s (last: {outcome.error})"
        return None

    async def _disable(self, session, sub: WebhookSubscriptionRow, cause: str, reason: str, now: datetime) -> None:
        """Disabled, never silently: a log line, an operator event in the outbox and an audit entry."""
        sub.state, sub.disabled_reason, sub.updated_at = "disabled", reason[:500], now
        log.warning("webhook subscription %s disabled: %s", sub.id, reason)
        # The audit log is public: the cause without the receiver's error text (which may name hosts).
        detail = {"subscription": sub.id, "cause": cause}
        await events_repo.add(session, kind="webhook_disabled", at=now, payload=detail)
        await audit.append(session, actor="webhooks", action="webhook.disabled", at=now, detail=detail)
