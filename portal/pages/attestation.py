"""The page of one attestation at /attestations/{id}: figures, finality, signatures, and verification in the browser."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from litestar import Controller, Request, Response, get
from litestar.enums import MediaType
from litestar.params import FromPath

from portal.deps import Hot, Service, Trust
from portal.pages.site import page, render
from reserves.errors import InvalidInput, NotFound
from reserves.read.attestation_page import attestation_page

MANIFEST = Path(__file__).resolve().parents[1] / "static" / "verify.manifest.json"


@dataclass(frozen=True)
class Script:
    """The committed verifier bundle: its URL and Subresource Integrity value (scripts/build-verifier.mjs)."""

    src: str
    integrity: str


@cache
def verifier_script() -> Script:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return Script(f"/static/{manifest['file']}", manifest["sha384"])


class AttestationPageController(Controller):
    include_in_schema = False

    @get("/attestations/{attestation_id:str}")
    async def attestation(
        self, request: Request, service: Service, trust: Trust, hot: Hot, attestation_id: FromPath[str]
    ) -> Response[bytes]:
        try:
            view = await attestation_page(service, trust, attestation_id)
        except (InvalidInput, NotFound) as exc:
            status = 404 if isinstance(exc, NotFound) else 400
            body = render(request, "pages/attestation_error.html", status=status, detail=exc.detail)
            return Response(body, status_code=status, media_type=MediaType.HTML)
        # The newest attestation's page also says what holds now (stale once it is too old).
        newest = await hot.dashboard()
        now = newest if newest.has_data and newest.attestation_id == view.id else None
        return page(request, "pages/attestation.html", v=view, now=now, script=verifier_script())
