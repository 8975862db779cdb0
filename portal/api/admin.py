"""The admin API under /admin/v1: operator challenges and proof submission, behind admin keys (admin_auth)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.params import JSONBody, Parameter

from portal.api.admin_auth import CALLER, OPERATE, READ, Caller, admin_guard
from portal.api.proofs import error_specs
from portal.deps import Proofs


@dataclass
class AdminChallengeRequest:
    """Optional `address`: the reply then carries a to_sign PSBT for it (for a hardware wallet or cosigners)."""

    address: str | None = None


@dataclass
class ProofSubmission:
    """A signature over a challenge's message, or the to_sign PSBT signed by the address's key(s)."""

    challenge_id: str
    address: str
    signature: str | None = None
    psbt: str | None = None


AUTH_ERRORS = dict(
    s401="Missing or wrong bearer key (unauthorized)",
    s403="The key lacks the route's scope (insufficient_scope)",
    s404="Admin API off, or unknown challenge",
)


class AdminController(Controller):
    path = "/admin/v1"
    tags = ["admin"]
    guards = [admin_guard]
    dependencies = CALLER
    include_in_schema = False  # documented at /admin/v1/openapi.json (admin_schema)

    @post(
        "/challenges",
        status_code=201,
        opt=OPERATE,
        summary="A new operator challenge (optionally with a to_sign PSBT)",
        responses=error_specs(
            s400="Bad address (invalid_address, invalid_input)",
            **AUTH_ERRORS,
            s413="Body too large",
            s503="No recent attested block (no_fresh_block)",
        ),
    )
    async def create(
        self, proofs: Proofs, caller: Caller, data: JSONBody[AdminChallengeRequest | None] = None
    ) -> dict[str, Any]:
        return await proofs.create_challenge(address=data.address if data else None, actor=caller.actor)

    @get(
        "/challenges/{challenge_id:str}",
        opt=READ,
        summary="A challenge and every proof submitted for it",
        responses=error_specs(s400="Malformed id (invalid_input)", **AUTH_ERRORS),
    )
    async def read(
        self, proofs: Proofs, challenge_id: Annotated[str, Parameter(max_length=64, description="32 hex characters")]
    ) -> dict[str, Any]:
        return await proofs.get_challenge(challenge_id)

    @post(
        "/proofs",
        status_code=201,
        opt=OPERATE,
        summary="Submit a proof: verified, stored with its outcome and age",
        description="The reply is the stored result: outcome valid, inconclusive or invalid.",
        responses=error_specs(
            s400="Malformed input, address outside the reserve set, expired challenge",
            **AUTH_ERRORS,
            s413="Body too large",
        ),
    )
    async def submit(self, proofs: Proofs, caller: Caller, data: JSONBody[ProofSubmission]) -> dict[str, Any]:
        return await proofs.submit(
            challenge_id=data.challenge_id,
            address=data.address,
            signature=data.signature,
            psbt=data.psbt,
            source="admin",
            actor=caller.actor,
        )
