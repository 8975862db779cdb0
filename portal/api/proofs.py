"""Public proofs of control: POST /api/v1/challenges (online signer, rate-limited), GET /api/v1/proofs, the dashboard
partial."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import TooManyRequestsException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter

from portal.api import params
from portal.api.attestations import ErrorBody
from portal.clients import request_client_key
from portal.deps import Proofs
from portal.ratelimit.limiter import Limiter
from portal.ratelimit.middleware import rate_headers, refusal_detail, refusal_headers
from reserves.proofs.message import check_nonce


def error_specs(**codes: str) -> dict[int, ResponseSpec]:
    """OpenAPI entries of documented error answers ({"error": {code, detail}}), keyed by status."""
    return {
        int(status[1:]): ResponseSpec(data_container=ErrorBody, description=text, generate_examples=False)
        for status, text in codes.items()
    }


@dataclass
class ChallengeRequest:
    """The caller's nonce: 1-128 printable ASCII characters, echoed on the message's last line."""

    nonce: Annotated[str, Parameter(min_length=1, max_length=128, pattern=params.NONCE)]


async def _take_challenge(request: Request) -> dict[str, str]:
    """Spend one public challenge of this client (and of all clients together): its RateLimit fields,
    or a 429 with Retry-After. Called once the nonce is valid: a malformed request costs no token."""
    limiter: Limiter | None = request.app.state.ratelimit
    if limiter is None:  # [ratelimit] enabled = false
        return {}
    decision = await limiter.take_challenge(request_client_key(request.scope))
    if not decision.allowed:
        raise TooManyRequestsException(detail=refusal_detail(decision), headers=refusal_headers(decision))
    return {k.decode(): v.decode() for k, v in rate_headers(decision)}


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
    async def challenge(
        self, request: Request, data: JSONBody[ChallengeRequest], proofs: Proofs
    ) -> Response[dict[str, Any]]:
        headers: dict[str, str] = {}
        if proofs.online is not None:  # without a signer the answer is a 404 that costs nothing
            check_nonce(data.nonce)  # cheap, unlike the signing: a bad nonce spends no token
            headers = await _take_challenge(request)
        return Response(await proofs.online_challenge(data.nonce), headers=headers)

    @get(
        "/proofs",
        summary="Proof of control status per address and key liveness per wallet key",
        description="An address is `fresh` when its newest valid proof's challenge block is at most "
        "`max_age_seconds` old; a key is alive when a fresh valid proof carries its signature.",
    )
    async def status(self, proofs: Proofs) -> Response[dict[str, Any]]:
        return Response(await proofs.status(), headers={"Cache-Control": "public, max-age=5"})
