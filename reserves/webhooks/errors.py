"""Errors of webhook subscriptions and delivery; every one is a ReservesError with a code."""

from __future__ import annotations

from reserves.errors import Conflict, InvalidInput, NotFound, ReservesError


class WebhookError(ReservesError):
    """Base of the webhook package's errors."""

    code = "webhook_error"


class InvalidSubscription(WebhookError, InvalidInput):
    """A subscription's URL, events, threshold or description is not acceptable; `detail` says why."""

    code = "invalid_subscription"


class TargetRefused(InvalidSubscription):
    """The URL points where the portal must not send (a private address, http, a redirect...)."""

    code = "target_refused"


class UnknownSubscription(WebhookError, NotFound):
    code = "unknown_subscription"


class UnknownDelivery(WebhookError, NotFound):
    code = "unknown_delivery"


class SubscriptionState(WebhookError, Conflict):
    """The operation does not apply in the subscription's state (resume a deleted one, ...)."""

    code = "subscription_state"


class WebhooksUnavailable(WebhookError):
    """No encryption key for secrets is configured: subscriptions cannot be made or delivered."""

    code = "webhooks_unavailable"


class SecretError(WebhookError):
    """A stored secret cannot be decrypted (wrong key, or tampered ciphertext)."""

    code = "webhook_secret"
