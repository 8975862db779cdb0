"""Public proofs of control: POST /api/v1/challenges (online signer, rate-limited), GET /api/v1/proofs, the dashboard
partial."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import TooManyRequestsException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter
from litestar.response import Template

from portal.api import params
from portal.api.attestations import ErrorBody
from portal.clients import client_key
from portal.deps import Proofs, services_of

MAX_CLIENTS = 10_000  # buckets kept; the least recently seen client is forgotten first


def error_specs(**codes: str) -> dict[int, ResponseSpec]:
    """OpenAPI entries of documented error answers ({"error": {code, detail}}), keyed by status."""
    return {
        int(status[1:]): ResponseSpec(data_container=ErrorBody, description=text, generate_examples=False)
        for status, text in codes.items()
    }


ALL_CLIENTS_FACTOR = 10


class RateLimiter:
    """Token buckets: `per_minute` requests per client, and `ALL_CLIENTS_FACTOR` times that for all
    clients together (each answer stores rows: many addresses must not grow the database at will).
    Refilled continuously; 429 with Retry-After beyond either."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._overall = (self.capacity * ALL_CLIENTS_FACTOR, clock())

    def take(self, client: str) -> None:
        now = self.clock()
        client = client_key(client)
        tokens, last = self._buckets.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        overall_capacity, overall_rate = self.capacity * ALL_CLIENTS_FACTOR, self.rate * ALL_CLIENTS_FACTOR
        overall = min(overall_capacity, self._overall[0] + (now - self._overall[1]) * overall_rate)
        if tokens < 1.0 or overall < 1.0:
            self._buckets[client] = (tokens, now)
            self._overall = (overall, now)
            if tokens < 1.0:
                wait, what = math.ceil((1.0 - tokens) / self.rate), f"at most {int(self.capacity)} challenges a minute"
            else:
                wait = math.ceil((1.0 - overall) / overall_rate)
                what = f"at most {int(overall_capacity)} challenges a minute from all clients together"
            raise TooManyRequestsException(detail=f"{what}; retry in {wait} s", headers={"Retry-After": str(wait)})
        self._buckets[client] = (tokens - 1.0, now)
        self._overall = (overall - 1.0, now)
        while len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)


@dataclass
class ChallengeRequest:
    """The caller's nonce: 1-128 printable ASCII characters, echoed on the message's last line."""

    nonce: Annotated[str, Parameter(min_length=1, max_length=128, pattern=params.NONCE)]


def _limiter(request: Request) -> RateLimiter:
    state = request.app.state
    limiter = getattr(state, "challenge_limiter", None)
    if limiter is None:
        limiter = RateLimiter(services_of(request.app).settings.proofs.online_rate_per_minute)
        state.challenge_limiter = limiter
    return limiter


class PublicProofsController(Controller):
    path = "/api/v1"
    tags = ["proofs of control"]

    @post(
        "/challenges",
        status_code=200,
        summary="A fresh challenge signed by the portal's online keys",
        description="The message embeds your nonce, the domain, the reserve-set version and the hash of a "
        "recent attested block; `signatures` are BIP-322 signatures of it by the online signer's "
        "reserve addresses. Rate-limited per client.",
        responses=error_specs(
            s400="Malformed body or nonce (invalid_input)",
            s404="No online signer configured (no_online_signer)",
            s413="Body too large (too_large)",
            s429="Rate limited (rate_limited)",
            s503="No recent attested block (no_fresh_block)",
        ),
    )
    async def challenge(self, request: Request, data: JSONBody[ChallengeRequest], proofs: Proofs) -> dict[str, Any]:
        if proofs.online is not None:  # without a signer the answer is a 404 that costs nothing
            _limiter(request).take(request.client.host if request.client else "unknown")
        return await proofs.online_challenge(data.nonce)

    @get(
        "/proofs",
        summary="Proof of control status per address and key liveness per wallet key",
        description="An address is `fresh` when its newest valid proof's challenge block is at most "
        "`max_age_seconds` old; a key is alive when a fresh valid proof carries its signature.",
    )
    async def status(self, proofs: Proofs) -> Response[dict[str, Any]]:
        return Response(await proofs.status(), headers={"Cache-Control": "public, max-age=5"})


class ProofPartials(Controller):
    include_in_schema = False

    @get("/partials/proofs")
    async def proofs(self, proofs: Proofs) -> Template:
        return Template("_proofs.html", context={"p": await proofs.status()})
