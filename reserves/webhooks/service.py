"""Subscriptions, for the admin API and the `reserves webhooks` CLI alike: one service, one set of checks.

The secret is returned by `add` and `rotate_secret` only; it is stored sealed by the vault and
never logged. Every change is written to the audit log (the id and event types: not the URL, which
may carry a receiver's token, nor the secret).
"""

from __future__ import annotations

import json
import re
import secrets as random_source
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from reserves.read.display import iso
from reserves.settings.webhooks import WebhookSettings
from reserves.storage import webhook_repository as repo
from reserves.storage.db import Database
from reserves.storage.webhook_models import WebhookDeliveryRow, WebhookSubscriptionRow
from reserves.trust import audit
from reserves.webhooks.catalogue import RATIO_BELOW, TYPES
from reserves.webhooks.errors import (
    InvalidSubscription,
    SecretError,
    SubscriptionState,
    UnknownDelivery,
    UnknownSubscription,
    WebhooksUnavailable,
)
from reserves.webhooks.keys import WebhookKeys
from reserves.webhooks.signing import new_secret
from reserves.webhooks.targets import check_url

ID_PATTERN = r"^wh_[A-Za-z0-9_-]{16}$"
_ID = re.compile(ID_PATTERN)
MAX_DESCRIPTION = 500
MAX_THRESHOLD_BP = 1_000_000
DELIVERY_STATES = ("pending", "succeeded", "dead")
MAX_PAGE = 200


@dataclass(frozen=True)
class Change:
    """A PATCH: None leaves a field as it is; `threshold_bp` is cleared with `clear_threshold`."""

    url: str | None = None
    events: list[str] | None = None
    description: str | None = None
    threshold_bp: int | None = None
    clear_threshold: bool = False


class WebhookService:
    def __init__(self, db: Database, settings: WebhookSettings, keys: WebhookKeys, actor: str = "admin") -> None:
        self.db, self.settings, self.keys, self.actor = db, settings, keys, actor

    def acting_as(self, actor: str) -> WebhookService:
        """The same service, writing `actor` (e.g. admin-key:<name>) into the audit log."""
        return WebhookService(self.db, self.settings, self.keys, actor)

    # -- checks ------------------------------------------------------------------------------------

    def _vault(self):
        if self.keys.vault is None:
            raise WebhooksUnavailable(
                "webhooks need an encryption key for their secrets: set webhooks.secrets_key_env or _file"
            )
        return self.keys.vault

    def _url(self, url: Any) -> str:
        if not isinstance(url, str):
            raise InvalidSubscription("url: a string")
        return check_url(url, allow_private=self.settings.allow_private_targets, allow_http=self.settings.allow_http)

    @staticmethod
    def _events(events: Any) -> list[str]:
        if not isinstance(events, list) or not events or len(events) > len(TYPES):
            raise InvalidSubscription(f"events: a list of 1 to {len(TYPES)} event types")
        out: list[str] = []
        for e in events:
            if not isinstance(e, str) or e not in TYPES:
                shown = repr(e)[:80] if isinstance(e, str) else type(e).__name__
                raise InvalidSubscription(f"events: unknown event type {shown} (known: {', '.join(TYPES)})")
            if e in out:
                raise InvalidSubscription(f"events: {e} is listed twice")
            out.append(e)
        return out

    @staticmethod
    def _description(text: Any) -> str:
        if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
            raise InvalidSubscription(f"description: a string of at most {MAX_DESCRIPTION} characters")
        if any(ord(c) < 32 and c not in "\t" or ord(c) == 127 for c in text):
            raise InvalidSubscription("description: no control characters")
        return text

    @staticmethod
    def _threshold(value: Any, events: list[str]) -> int | None:
        if value is None:
            if RATIO_BELOW in events:
                raise InvalidSubscription(f"threshold_bp: required with {RATIO_BELOW}")
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_THRESHOLD_BP:
            raise InvalidSubscription(f"threshold_bp: an integer from 1 to {MAX_THRESHOLD_BP} (basis points)")
        if RATIO_BELOW not in events:
            raise InvalidSubscription(f"threshold_bp: only with the {RATIO_BELOW} event")
        return value

    @staticmethod
    def check_id(sub_id: str) -> str:
        if not isinstance(sub_id, str) or not _ID.fullmatch(sub_id):
            raise UnknownSubscription("no such webhook subscription")
        return sub_id

    async def _get(self, session, sub_id: str) -> WebhookSubscriptionRow:
        row = await repo.get_subscription(session, self.check_id(sub_id))
        if row is None:
            raise UnknownSubscription("no such webhook subscription")
        return row

    # -- views -------------------------------------------------------------------------------------

    @staticmethod
    def view(row: WebhookSubscriptionRow, counts: dict[str, int] | None = None) -> dict[str, Any]:
        out = {
            "id": row.id,
            "url": row.url,
            "events": json.loads(row.events),
            "description": row.description,
            "threshold_bp": row.threshold_bp,
            "state": row.state,
            "disabled_reason": row.disabled_reason,
            "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at),
            "last_success_at": iso(row.last_success_at),
            "failing_since": iso(row.failing_since),
            "secret_rotation_ends_at": iso(row.old_secret_until) if row.old_secret is not None else None,
            "next_sequence": row.next_sequence,
        }
        if counts is not None:
            out["deliveries"] = {state: counts.get(state, 0) for state in DELIVERY_STATES}
        return out

    @staticmethod
    def delivery_view(row: WebhookDeliveryRow, attempts: list | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": row.id,
            "msg_id": row.msg_id,
            "event_id": row.event_id,
            "type": row.event_type,
            "sequence": row.sequence,
            "state": row.state,
            "attempts": row.attempts,
            "created_at": iso(row.created_at),
            "next_attempt_at": iso(row.next_attempt_at),
            "delivered_at": iso(row.delivered_at),
            "last_status": row.last_status,
            "last_error": row.last_error,
        }
        if attempts is not None:
            out["log"] = [
                {
                    "attempt": a.attempt,
                    "at": iso(a.at),
                    "status_code": a.status_code,
                    "latency_ms": a.latency_ms,
                    "error": a.error,
                    "manual": a.manual,
                }
                for a in attempts
            ]
        return out

    # -- operations --------------------------------------------------------------------------------

    async def add(self, *, url: Any, events: Any, description: Any = "", threshold_bp: Any = None) -> dict[str, Any]:
        """A new active subscription; the answer holds its secret, shown this once."""
        vault = self._vault()
        clean_url, clean_events = self._url(url), self._events(events)
        clean_description = self._description(description)
        threshold = self._threshold(threshold_bp, clean_events)
        now = datetime.now(timezone.utc)
        sub_id = "wh_" + random_source.token_urlsafe(12)
        secret = new_secret()
        async with self.db.sessions() as session:
            await repo.lock_subscriptions(session)
            if await repo.count_subscriptions(session) >= self.settings.max_subscriptions:
                raise SubscriptionState(
                    f"at most {self.settings.max_subscriptions} subscriptions (webhooks.max_subscriptions)"
                )
            row = WebhookSubscriptionRow(
                id=sub_id,
                url=clean_url,
                events=json.dumps(clean_events),
                description=clean_description,
                threshold_bp=threshold,
                state="active",
                secret=vault.seal(sub_id, secret),
                created_at=now,
                updated_at=now,
                after_event=await repo.newest_event_id(session),
            )
            session.add(row)
            await self._audit(session, "webhook.created", {"subscription": sub_id}, now)
            await session.commit()
            view = self.view(row, {})
        return {**view, "secret": secret}

    async def list(self) -> list[dict[str, Any]]:
        async with self.db.sessions() as session:
            return [self.view(row) for row in await repo.list_subscriptions(session)]

    async def show(self, sub_id: str) -> dict[str, Any]:
        async with self.db.sessions() as session:
            row = await self._get(session, sub_id)
            return self.view(row, await repo.delivery_counts(session, row.id))

    async def update(self, sub_id: str, change: Change) -> dict[str, Any]:
        async with self.db.sessions() as session:
            row = await self._get(session, sub_id)
            events = self._events(change.events) if change.events is not None else json.loads(row.events)
            if change.url is not None:
                row.url = self._url(change.url)
            if change.description is not None:
                row.description = self._description(change.description)
            if change.clear_threshold:
                threshold = self._threshold(None, events)
            elif change.threshold_bp is not None:
                threshold = self._threshold(change.threshold_bp, events)
            else:
                threshold = self._threshold(row.threshold_bp, events) if row.threshold_bp is not None else None
                if threshold is None and RATIO_BELOW in events:
                    raise InvalidSubscription(f"threshold_bp: required with {RATIO_BELOW}")
            if threshold != row.threshold_bp:
                row.ratio_below = False
            row.events, row.threshold_bp = json.dumps(events), threshold
            row.updated_at = datetime.now(timezone.utc)
            session.add(row)
            fields = [k for k in ("url", "events", "description", "threshold_bp") if getattr(change, k) is not None]
            if change.clear_threshold:
                fields.append("threshold_bp")
            await self._audit(session, "webhook.updated", {"subscription": row.id, "fields": fields}, row.updated_at)
            await session.commit()
            return self.view(row, await repo.delivery_counts(session, row.id))

    async def pause(self, sub_id: str) -> dict[str, Any]:
        return await self._set_state(sub_id, "paused", ("active",), "webhook.paused")

    async def resume(self, sub_id: str) -> dict[str, Any]:
        """Active again, from paused or disabled; due deliveries go out at once."""
        return await self._set_state(sub_id, "active", ("paused", "disabled"), "webhook.resumed")

    async def _set_state(self, sub_id: str, state: str, allowed: tuple[str, ...], action: str) -> dict[str, Any]:
        async with self.db.sessions() as session:
            row = await self._get(session, sub_id)
            if row.state == state:
                return self.view(row, await repo.delivery_counts(session, row.id))
            if row.state not in allowed:
                raise SubscriptionState(f"a {row.state} subscription cannot become {state}")
            now = datetime.now(timezone.utc)
            row.state, row.updated_at = state, now
            if state == "active":
                row.disabled_reason, row.failing_since, row.lease_until, row.lease_owner = None, None, None, None
                await repo.pending_due_now(session, row.id, now)
            session.add(row)
            await self._audit(session, action, {"subscription": row.id}, now)
            await session.commit()
            return self.view(row, await repo.delivery_counts(session, row.id))

    async def delete(self, sub_id: str) -> None:
        async with self.db.sessions() as session:
            row = await self._get(session, sub_id)
            await session.delete(row)
            await self._audit(session, "webhook.deleted", {"subscription": row.id}, datetime.now(timezone.utc))
            await session.commit()

    async def rotate_secret(self, sub_id: str) -> dict[str, Any]:
        """A new secret; the old one keeps signing beside it for `rotation_grace_seconds`."""
        vault = self._vault()
        async with self.db.sessions() as session:
            row = await self._get(session, sub_id)
            now = datetime.now(timezone.utc)
            secret = new_secret()
            try:
                vault.open(row.id, row.secret)
                row.old_secret = row.secret
            except SecretError:
                # Sealed under a key that is gone (the recovery after losing it): nothing to keep.
                row.old_secret = None
            row.old_secret_until = now + timedelta(seconds=self.settings.rotation_grace_seconds)
            row.secret, row.updated_at = vault.seal(row.id, secret), now
            session.add(row)
            await self._audit(session, "webhook.secret_rotated", {"subscription": row.id}, now)
            await session.commit()
            return {**self.view(row), "secret": secret}

    async def deliveries(
        self, sub_id: str, *, state: str | None = None, before: int | None = None, limit: int = 50
    ) -> dict[str, Any]:
        if state is not None and state not in DELIVERY_STATES:
            raise InvalidSubscription(f"state: one of {', '.join(DELIVERY_STATES)}")
        limit = max(1, min(limit, MAX_PAGE))
        async with self.db.sessions() as session:
            row = await self._get(session, sub_id)
            rows = await repo.list_deliveries(session, row.id, state=state, before=before, limit=limit + 1)
            page = rows[:limit]
            logs = await repo.attempts_of(session, [r.id for r in page if r.id is not None])
        return {
            "items": [self.delivery_view(r, logs.get(r.id or 0, [])) for r in page],
            "next_before": page[-1].id if len(rows) > limit else None,
            "limit": limit,
        }

    async def redeliver(self, sub_id: str, delivery_id: int) -> dict[str, Any]:
        """Send a delivery again now (same webhook-id), whatever its state, with a fresh retry series."""
        async with self.db.sessions() as session:
            row = await self._get(session, sub_id)
            delivery = await repo.get_delivery(session, row.id, delivery_id)
            if delivery is None:
                raise UnknownDelivery("no such delivery for this subscription")
            now = datetime.now(timezone.utc)
            if row.state != "active":
                raise SubscriptionState(f"the subscription is {row.state}: resume it first (its deliveries wait)")
            delivery.series_start = delivery.attempts
            await repo.lift_hold(session, row.id)  # "now" means now, not after a backoff hold
            delivery.state, delivery.next_attempt_at = "pending", now
            session.add(delivery)
            await self._audit(session, "webhook.redelivered", {"subscription": row.id, "delivery": delivery_id}, now)
            await session.commit()
            return self.delivery_view(delivery)

    async def _audit(self, session, action: str, detail: dict[str, Any], at: datetime) -> None:
        await audit.append(session, actor=self.actor, action=action, at=at, detail=detail)
