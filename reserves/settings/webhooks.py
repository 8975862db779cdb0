"""The `[webhooks]` table: delivery limits, the retry schedule, where targets may be, and the two keys.

`secrets_key` (give `secrets_key_env` or `secrets_key_file`, never the key in the file) encrypts
the subscriptions' signing secrets at rest: 32 bytes as 64 hex characters or base64. Without it
no subscription can be made or delivered (the admin API answers 503 webhooks_unavailable).
`signing_key` (`signing_key_env` / `signing_key_file`): the portal's Ed25519 key, `whsk_` + base64
of its 32-byte seed, that adds a `v1a` signature anyone can check with the published `whpk_` key.
Otherwise, with `key_dir` (relative to data_dir; the devnet's default is data_dir itself), each
is read from a file there, created on first use. Every role that shares the keys (the web role
seals secrets, the worker opens them) must see the same folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reserves.errors import ConfigError
from reserves.settings.values import bool_, int_, no_unknown, num, path, secret, str_

# Standard Webhooks' example schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
STANDARD_SCHEDULE = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 50400.0, 72000.0, 86400.0)


@dataclass(frozen=True)
class WebhookSettings:
    """Delivery: at most `concurrency` subscriptions at once per worker, `batch` deliveries per turn.

    `retry_schedule_seconds[i]` is the wait before attempt i+1 (the first is 0: at once), each
    spread by +-`jitter` (a fraction); a `Retry-After` longer than the next wait is honoured up to
    `max_retry_after_seconds`. A subscription failing without a success for `disable_after_seconds`
    is disabled. After a secret rotation the old secret also signs for `rotation_grace_seconds`.
    """

    enabled: bool = True
    secrets_key: str | None = field(default=None, repr=False)
    signing_key: str | None = field(default=None, repr=False)
    key_dir: Path | None = None
    allow_private_targets: bool = False
    allow_http: bool = False
    timeout_seconds: float = 15.0
    retry_schedule_seconds: tuple[float, ...] = STANDARD_SCHEDULE
    jitter: float = 0.1
    max_retry_after_seconds: float = 86400.0
    concurrency: int = 16
    batch: int = 50
    poll_seconds: float = 1.0
    disable_after_seconds: float = 5 * 86400.0
    rotation_grace_seconds: float = 86400.0
    max_response_bytes: int = 64 * 1024
    max_subscriptions: int = 1000

    @property
    def lease_seconds(self) -> float:
        """How long a worker holds a subscription per attempt: past it, another worker may take over."""
        return self.timeout_seconds + 30.0


def devnet_webhooks(data_dir: Path) -> WebhookSettings:
    """The embedded default's: keys as files beside the database, local receivers allowed."""
    return WebhookSettings(key_dir=data_dir, allow_private_targets=True, allow_http=True)


_KEYS = {
    "enabled",
    "key_dir",
    "secrets_key_env",
    "secrets_key_file",
    "signing_key_env",
    "signing_key_file",
    "allow_private_targets",
    "allow_http",
    "timeout_seconds",
    "retry_schedule_seconds",
    "jitter",
    "max_retry_after_seconds",
    "concurrency",
    "batch",
    "poll_seconds",
    "disable_after_seconds",
    "rotation_grace_seconds",
    "max_response_bytes",
    "max_subscriptions",
}


def webhooks(
    t: dict[str, Any], env: Mapping[str, str], base: Path, data_dir: Path, *, devnet: bool = False
) -> WebhookSettings:
    """The table's settings; with the devnet on, local receivers are allowed unless the table says not."""
    w = "webhooks."
    for key in ("secrets_key", "signing_key"):
        if key in t:
            raise ConfigError(f"{w}{key}: give {key}_env or {key}_file, never the key itself")
    no_unknown(w, t, _KEYS)
    d = WebhookSettings()
    return WebhookSettings(
        enabled=bool_(t, "enabled", w + "enabled", True),
        key_dir=_key_dir(t, data_dir),
        secrets_key=secret(t, "secrets_key", w + "secrets_key", env, base),
        signing_key=secret(t, "signing_key", w + "signing_key", env, base),
        allow_private_targets=bool_(t, "allow_private_targets", w + "allow_private_targets", devnet),
        allow_http=bool_(t, "allow_http", w + "allow_http", devnet),
        timeout_seconds=num(t, "timeout_seconds", w + "timeout_seconds", d.timeout_seconds, lo=0.5, hi=120.0),
        retry_schedule_seconds=_schedule(t.get("retry_schedule_seconds", list(STANDARD_SCHEDULE))),
        jitter=num(t, "jitter", w + "jitter", d.jitter, lo=0.0, hi=0.5),
        max_retry_after_seconds=num(
            t,
            "max_retry_after_seconds",
            w + "max_retry_after_seconds",
            d.max_retry_after_seconds,
            lo=1.0,
            hi=7 * 86400.0,
        ),
        concurrency=int_(t, "concurrency", w + "concurrency", d.concurrency, lo=1, hi=1000),
        batch=int_(t, "batch", w + "batch", d.batch, lo=1, hi=1000),
        poll_seconds=num(t, "poll_seconds", w + "poll_seconds", d.poll_seconds, lo=0.05, hi=60.0),
        disable_after_seconds=num(
            t, "disable_after_seconds", w + "disable_after_seconds", d.disable_after_seconds, lo=1.0, hi=90 * 86400.0
        ),
        rotation_grace_seconds=num(
            t, "rotation_grace_seconds", w + "rotation_grace_seconds", d.rotation_grace_seconds, lo=0.0, hi=30 * 86400.0
        ),
        max_response_bytes=int_(
            t, "max_response_bytes", w + "max_response_bytes", d.max_response_bytes, lo=0, hi=1 << 20
        ),
        max_subscriptions=int_(t, "max_subscriptions", w + "max_subscriptions", d.max_subscriptions, lo=1, hi=100_000),
    )


def _key_dir(t: dict[str, Any], data_dir: Path) -> Path | None:
    value = str_(t, "key_dir", "webhooks.key_dir", None)
    return None if value is None else path(value, "webhooks.key_dir", data_dir)


def _schedule(value: Any) -> tuple[float, ...]:
    where = "webhooks.retry_schedule_seconds"
    ok = isinstance(value, list) and 1 <= len(value) <= 50
    ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 7 * 86400 for v in value)
    if not ok:
        raise ConfigError(f"{where}: a list of 1 to 50 waits in seconds, each 0 to 604800")
    return tuple(float(v) for v in value)
