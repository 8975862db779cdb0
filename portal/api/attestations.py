"""JSON API under /api/v1: thin handlers, each one call into ReserveService."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter, QueryParameter

from portal.api import params
from portal.api.compressed import OWN_COMPRESSION, json_response
from portal.conditional import FRESH, cached
from portal.conditional import IMMUTABLE as IMMUTABLE_CACHE
from portal.deps import Hot, Service
from reserves.attestation.fields import MAX_NAME
from reserves.read.hot import HotView
from reserves.read.reserves import ReserveSetVersionView, WalletsView
from reserves.read.service import DEFAULT_PAGE, MAX_PAGE, MAX_VERSION
from reserves.read.supply import SupplyView
from reserves.read.views import DashboardView


@dataclass
class ErrorDetail:
    code: str
    detail: str


@dataclass
class ErrorBody:
    """Every error response: {"error": {"code", "detail"}} (portal/errors.py builds it)."""

    error: ErrorDetail


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    text = {
        400: "Malformed parameter (code invalid_input)",
        403: "Not allowed (code names why)",
        404: "Not found (code not_found)",
        409: "Conflicts with what is stored (code names why)",
    }
    return {c: ResponseSpec(data_container=ErrorBody, description=text[c], generate_examples=False) for c in codes}


CACHE = {"Cache-Control": "public, max-age=5"}
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


async def summary_bytes(hot: HotView) -> tuple[bytes, str]:
    """/api/v1/summary's bytes and ETag, encoded at most once a second (ages are in seconds)."""
    view = await hot.dashboard()
    return hot.memo(("summary", view.age_seconds, view.status), lambda: msgspec.json.encode(view))


class AttestationController(Controller):
    path = "/api/v1"
    tags = ["attestations"]

    @get(
        "/attestations/latest",
        summary="The newest attestation",
        description="Envelope {id, attestation}; with `final=true` the newest final one (every guardian "
        "threshold met).",
        responses=error_responses(400, 404),
    )
    async def latest(
        self,
        request: Request,
        hot: Hot,
        final: Annotated[bool, Parameter(description="the newest final attestation instead")] = False,
    ) -> Response[dict[str, Any]]:
        # From the web process's memory (reserves.read.hot): the stored bytes, current within a
        # fraction of a second; ETag = id and guardian-signature count.
        doc = await hot.latest(final=final)
        return cached(request, doc.body, doc.etag)

    @get(
        "/attestations",
        summary="Attestations, newest first",
        description="Cursor pagination: pass `next_cursor` back as `cursor`.",
        responses=error_responses(400),
        opt=OWN_COMPRESSION,
    )
    async def list_attestations(
        self,
        request: Request,
        service: Service,
        cursor: Annotated[
            str | None,
            Parameter(max_length=64, pattern=params.CURSOR, description="opaque cursor from next_cursor"),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="page size")] = DEFAULT_PAGE,
    ) -> Response[dict[str, Any]]:
        page = await service.page(cursor=cursor, limit=limit)
        # Up to 8 MiB: compressed in a worker thread, not by the app's gzip layer on the event loop.
        content = {"items": page.items, "next_cursor": page.next_cursor, "limit": page.limit}
        return await json_response(request, content, CACHE)

    @get("/attestations/{attestation_id:str}", summary="One attestation by id", responses=error_responses(400, 404))
    async def get_attestation(
        self,
        request: Request,
        hot: Hot,
        attestation_id: Annotated[
            str,
            Parameter(
                min_length=64, max_length=64, pattern=params.HEX64, description="hex SHA-256 of the canonical body"
            ),
        ],
    ) -> Response[dict[str, Any]]:
        # An id names fixed content; only guardian signatures can be added to it, so a document
        # without a guardian set can be cached forever, one with guardians briefly.
        doc = await hot.get(attestation_id)
        return cached(request, doc.body, doc.etag, IMMUTABLE_CACHE if not doc.has_guardian_set else FRESH)

    @get(
        "/reserve-set",
        summary="The current reserve set: every declared wallet with its custody policy",
        description="The newest version with its canonical `declaration`; sha256 of the RFC 8785 bytes of "
        "`declaration` is `hash`, the value attestations carry in `reserves.reserve_set`.",
        tags=["reserves"],
        responses=error_responses(404),
    )
    async def reserve_set(self, service: Service) -> Response[ReserveSetVersionView]:
        return Response(await service.reserve_set(), headers=CACHE)

    @get(
        "/reserve-set/versions",
        summary="Reserve-set versions, newest first",
        tags=["reserves"],
        description="Each with its reason and what changed from the version before. Cursor pagination.",
        responses=error_responses(400),
    )
    async def reserve_set_versions(
        self,
        service: Service,
        cursor: Annotated[
            str | None,
            Parameter(max_length=64, pattern=params.CURSOR, description="opaque cursor from next_cursor"),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="page size")] = DEFAULT_PAGE,
    ) -> Response[dict[str, Any]]:
        return Response(await service.reserve_set_versions(cursor=cursor, limit=limit), headers=CACHE)

    @get(
        "/reserve-set/versions/{version:int}",
        summary="One reserve-set version with its declaration",
        tags=["reserves"],
        responses=error_responses(400, 404),
    )
    async def reserve_set_version(
        self,
        service: Service,
        version: Annotated[int, Parameter(ge=1, le=MAX_VERSION, description="version number, from 1")],
    ) -> Response[ReserveSetVersionView]:
        # A version is never rewritten once recorded.
        return Response(await service.reserve_set(version), headers=IMMUTABLE)

    @get(
        "/wallets",
        summary="Per-wallet reserves of the newest attestation",
        tags=["reserves"],
        description="Total, spendable and locked (with the earliest unlock), UTXO and uncounted counts, "
        "and the custody policy each wallet declares.",
        responses=error_responses(404),
    )
    async def wallets(self, service: Service) -> Response[WalletsView]:
        return Response(await service.wallets(), headers=CACHE)

    @get(
        "/supply",
        summary="Token supply per deployment and in total, from the newest attestation",
        tags=["supply"],
        responses=error_responses(400, 404),
        description="Each deployment with its block, total supply, held balances (lockbox, escrow, treasury, "
        "burn), a bridge's max(locked, minted) term, RPC agreement and the satoshis it counts; "
        "`total_sat` and the rule that adds them up. Never reads a chain: 404 `not_found` before "
        "the first attestation.",
    )
    async def supply(
        self,
        service: Service,
        deployment: Annotated[
            str | None,
            Parameter(min_length=1, max_length=MAX_NAME, description="keep only this deployment (exact name)"),
        ] = None,
    ) -> Response[SupplyView]:
        return Response(await service.supply(deployment), headers=CACHE)

    @get(
        "/reserves/tiers",
        summary="The reserve tiers and locked contracts of the newest attestation",
        description="The `tiers` member of the newest attestation (format 5; null when no tiers are declared or the "
        "attestation is older), with the attestation's id and sequence: see docs/attestation.md#reserve-tiers. "
        "`unlocking` (not signed, worked out from the same document; null with `tiers`): per contract, "
        "`unlocked`, `blocks_left` (height locks: unlock height minus the tip height), `seconds_left` (height "
        "locks: an estimate at 600 s a block; time locks: from `issued_at`): see docs/api.md.",
    )
    async def tiers(self, hot: Hot) -> Response[dict[str, Any]]:
        return Response((await hot.tiers()).envelope, headers=CACHE)

    @get("/summary", summary="The dashboard's figures as JSON")
    async def summary(self, request: Request, hot: Hot) -> DashboardView:
        body, etag = await summary_bytes(hot)
        return cached(request, body, etag)  # type: ignore[return-value]  # the view's JSON bytes, encoded once

    @get(
        "/history",
        summary="Ratio, reserves and supply in time buckets (min / max / last)",
        responses=error_responses(400),
        description="Buckets start at 2000-01-01T00:00:00Z; from/to are widened to whole buckets. Without "
        "`bucket`, the smallest nice size giving at most 500 points. With `deployment`, that "
        "deployment's supply instead of the totals. `source` says which series answered. 400 when `from` is "
        "not before `to`, either is outside 2000-01-01 to 2200-01-01, or the range holds over 2000 buckets.",
    )
    async def history(
        self,
        service: Service,
        start: Annotated[datetime | None, QueryParameter(name="from", description="ISO 8601 with zone")] = None,
        end: Annotated[datetime | None, QueryParameter(name="to", description="ISO 8601 with zone")] = None,
        bucket: Annotated[int | None, Parameter(ge=1, le=31_622_400, description="bucket seconds")] = None,
        deployment: Annotated[
            str | None, Parameter(min_length=1, max_length=MAX_NAME, description="one deployment's supply")
        ] = None,
    ) -> Response[dict[str, Any]]:
        return Response(
            await service.history(start=start, end=end, bucket_seconds=bucket, deployment=deployment), headers=CACHE
        )
