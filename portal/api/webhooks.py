"""Webhook subscriptions under /admin/v1/webhooks (admin keys with the webhooks scope), and the public v1a key.

The handlers only translate HTTP to reserves.webhooks.service.WebhookService, which the CLI
(`reserves webhooks ...`) calls too: every check lives there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import JSONBody, Parameter, QueryParameter

from portal.api.admin import AUTH_ERRORS
from portal.api.admin_auth import CALLER, WEBHOOKS, Caller, admin_guard
from portal.api.proofs import error_specs
from portal.deps import WebhookKeysDep, Webhooks
from reserves.webhooks.catalogue import TYPES
from reserves.webhooks.errors import InvalidSubscription
from reserves.webhooks.service import DELIVERY_STATES, ID_PATTERN, MAX_PAGE, Change

SUB_ID = Parameter(max_length=64, description="subscription id (wh_ and 16 characters)", pattern=ID_PATTERN)
PATCH_KEYS = {"url", "events", "description", "threshold_bp"}


@dataclass
class NewSubscription:
    """`events`: any of the documented types; `threshold_bp` is required with ratio.below."""

    url: str
    events: list[str] = field(default_factory=list)
    description: str = ""
    threshold_bp: int | None = None


ERRORS = dict(
    s400="Bad URL, events, threshold or description (invalid_subscription, target_refused, invalid_input)",
    **AUTH_ERRORS,
    s409="Not in a state that allows it, or too many subscriptions (subscription_state)",
    s413="Body too large",
    s503="No key to encrypt secrets configured (webhooks_unavailable)",
)


class WebhookAdminController(Controller):
    path = "/admin/v1/webhooks"
    tags = ["webhooks"]
    guards = [admin_guard]
    dependencies = CALLER
    include_in_schema = False  # documented at /admin/v1/openapi.json (admin_schema)
    # Every route needs the webhooks scope, reads too: a receiver's URL may carry its own token.
    opt = WEBHOOKS

    @post(
        "/",
        status_code=201,
        summary="Subscribe a receiver; the answer has its secret, shown only now",
        description=f"Event types: {', '.join(TYPES)}.",
        responses=error_specs(**ERRORS),
    )
    async def add(self, webhooks: Webhooks, caller: Caller, data: JSONBody[NewSubscription]) -> dict[str, Any]:
        return await webhooks.acting_as(caller.actor).add(
            url=data.url, events=data.events, description=data.description, threshold_bp=data.threshold_bp
        )

    @get("/", summary="Every subscription (no secrets)", responses=error_specs(**AUTH_ERRORS))
    async def list_all(self, webhooks: Webhooks) -> dict[str, Any]:
        return {"items": await webhooks.list()}

    @get("/{sub_id:str}", summary="One subscription with its delivery counts", responses=error_specs(**ERRORS))
    async def show(self, webhooks: Webhooks, sub_id: Annotated[str, SUB_ID]) -> dict[str, Any]:
        return await webhooks.show(sub_id)

    @patch(
        "/{sub_id:str}",
        summary="Change url, events, description or threshold_bp (null clears the threshold)",
        responses=error_specs(**ERRORS),
    )
    async def update(
        self, webhooks: Webhooks, caller: Caller, sub_id: Annotated[str, SUB_ID], data: JSONBody[dict[str, Any]]
    ) -> dict[str, Any]:
        unknown = sorted(set(data) - PATCH_KEYS)
        if unknown:
            raise InvalidSubscription(f"{unknown[0][:64]}: unknown field (allowed: {', '.join(sorted(PATCH_KEYS))})")
        if not data:
            raise InvalidSubscription("nothing to change")
        for key in ("url", "events", "description"):
            if key in data and data[key] is None:
                raise InvalidSubscription(f"{key}: cannot be null")
        change = Change(
            url=data.get("url"),
            events=data.get("events"),
            description=data.get("description"),
            threshold_bp=data.get("threshold_bp"),
            clear_threshold="threshold_bp" in data and data["threshold_bp"] is None,
        )
        return await webhooks.acting_as(caller.actor).update(sub_id, change)

    @delete(
        "/{sub_id:str}",
        status_code=204,
        summary="Delete a subscription and its deliveries",
        responses=error_specs(**ERRORS),
    )
    async def remove(self, webhooks: Webhooks, caller: Caller, sub_id: Annotated[str, SUB_ID]) -> None:
        await webhooks.acting_as(caller.actor).delete(sub_id)

    @post(
        "/{sub_id:str}/pause",
        status_code=200,
        summary="Stop delivering (events still queue)",
        responses=error_specs(**ERRORS),
    )
    async def pause(self, webhooks: Webhooks, caller: Caller, sub_id: Annotated[str, SUB_ID]) -> dict[str, Any]:
        return await webhooks.acting_as(caller.actor).pause(sub_id)

    @post(
        "/{sub_id:str}/resume",
        status_code=200,
        summary="Deliver again (also re-enables a disabled one)",
        responses=error_specs(**ERRORS),
    )
    async def resume(self, webhooks: Webhooks, caller: Caller, sub_id: Annotated[str, SUB_ID]) -> dict[str, Any]:
        return await webhooks.acting_as(caller.actor).resume(sub_id)

    @post(
        "/{sub_id:str}/rotate-secret",
        status_code=200,
        summary="A new secret; the old one also signs during the grace period",
        responses=error_specs(**ERRORS),
    )
    async def rotate(self, webhooks: Webhooks, caller: Caller, sub_id: Annotated[str, SUB_ID]) -> dict[str, Any]:
        return await webhooks.acting_as(caller.actor).rotate_secret(sub_id)

    @get(
        "/{sub_id:str}/deliveries",
        summary="Deliveries, newest first, each with its attempt log",
        responses=error_specs(**ERRORS),
    )
    async def deliveries(
        self,
        webhooks: Webhooks,
        sub_id: Annotated[str, SUB_ID],
        state_: Annotated[
            str | None, QueryParameter(name="state", max_length=16, description=" or ".join(DELIVERY_STATES))
        ] = None,
        before: Annotated[int | None, QueryParameter(ge=1, le=2**53 - 1, description="cursor: next_before")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="page size")] = 50,
    ) -> dict[str, Any]:
        return await webhooks.deliveries(sub_id, state=state_, before=before, limit=limit)

    @post(
        "/{sub_id:str}/deliveries/{delivery_id:int}/redeliver",
        status_code=202,
        summary="Send a delivery again now, with the same webhook-id",
        responses=error_specs(**ERRORS),
    )
    async def redeliver(
        self,
        webhooks: Webhooks,
        caller: Caller,
        sub_id: Annotated[str, SUB_ID],
        delivery_id: Annotated[int, Parameter(ge=1, le=2**53 - 1)],
    ) -> dict[str, Any]:
        return await webhooks.acting_as(caller.actor).redeliver(sub_id, delivery_id)


@get(
    "/api/v1/webhooks/keys",
    summary="The portal's Ed25519 key that signs every webhook (v1a), for receivers without a secret",
    tags=["webhooks"],
)
async def webhook_keys(webhook_keys: WebhookKeysDep) -> Response[dict[str, Any]]:
    key = webhook_keys.portal_key
    keys = [] if key is None else [{"key": key.public, "algorithm": "ed25519", "signature_version": "v1a"}]
    return Response(
        {"keys": keys, "event_types": list(TYPES)},
        headers={"Cache-Control": "public, max-age=300"},
    )
