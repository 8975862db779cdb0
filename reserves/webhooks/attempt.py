"""One HTTP attempt of one delivery: sign, POST, read a bounded reply, classify the outcome.

Standard Webhooks: `webhook-id` is the delivery's message id (the same on every attempt: the
receiver's idempotency key), `webhook-timestamp` is this attempt's time, `webhook-signature` has
one `v1` per valid secret and a `v1a` when the portal has an Ed25519 key. 2xx is success; 410
disables the subscription; a redirect is a failure (never followed); `Retry-After` (seconds or an
HTTP date) is kept for the retry.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

from reserves.webhooks.signing import PortalKey, signature_header
from reserves.webhooks.transport import read_limited

USER_AGENT = "reserves-portal-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    latency_ms: int
    error: str | None = None
    retry_after: float | None = None
    gone: bool = False


async def attempt(
    client: httpx.AsyncClient,
    *,
    url: str,
    msg_id: str,
    body: bytes,
    secrets: list[bytes],
    portal_key: PortalKey | None,
    timeout: float,
    max_response_bytes: int,
    now: float | None = None,
) -> Outcome:
    """POST once; never raises for the receiver's or the network's faults (they are the Outcome)."""
    timestamp = int(time.time() if now is None else now)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(msg_id, timestamp, body, secrets, portal_key),
    }
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            async with client.stream("POST", url, content=body, headers=headers) as response:
                await read_limited(response, max_response_bytes)
    except TimeoutError:
        return Outcome(False, None, _ms(started), f"timed out after {timeout:g} s")
    except httpx.HTTPError as exc:
        return Outcome(False, None, _ms(started), _describe(exc))
    except OSError as exc:
        return Outcome(False, None, _ms(started), f"{type(exc).__name__}: {exc}"[:500])
    except Exception as exc:  # noqa: BLE001 - any fault of one attempt is that attempt's failure, recorded
        return Outcome(False, None, _ms(started), f"unexpected {type(exc).__name__}: {exc}"[:500])
    code = response.status_code
    latency = _ms(started)
    if 200 <= code < 300:
        return Outcome(True, code, latency)
    # Retry-After is a throttle: honoured from 429 and 503 (the specification's example), not from any error.
    retry_after = parse_retry_after(response.headers.get("retry-after")) if code in (429, 503) else None
    if 300 <= code < 400:
        return Outcome(False, code, latency, f"redirect {code} not followed", retry_after)
    return Outcome(False, code, latency, f"HTTP {code}", retry_after, gone=code == 410)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _describe(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:500]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if value is None or len(value) > 64:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())
