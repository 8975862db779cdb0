"""Public JSON of the liquidity providers: each one's ratio and state as the newest attestation decided."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.params import QueryParameter

from portal.api import params
from portal.api.proofs import error_specs
from portal.deps import Providers
from reserves.attestation.collateral import STATES

CACHE = {"Cache-Control": "public, max-age=5"}


class ProvidersController(Controller):
    path = "/api/v1"
    tags = ["providers"]

    @get(
        "/providers",
        summary="Liquidity providers: collateral ratio and state of each",
        description="From the newest attestation that decided them: per provider its obligation and collateral "
        "readings (chain, block, raw amount, value in satoshis), `ratio_bp` (decimal string, floor; null when "
        "unknown), `state` (healthy, warning, liquidatable, unknown) and the state before, the thresholds, the "
        "price used and the penalty owed on a default (liquidatable only). Filter by `state`. See docs/providers.md.",
        responses=error_specs(s400="Bad parameter (invalid_state)"),
    )
    async def listing(
        self,
        providers: Providers,
        # `state` is a name Litestar reserves for the application state: the query key is given apart.
        wanted: Annotated[
            str | None,
            # Checked by the service (invalid_state, naming `state`), not by a length limit here whose error
            # would name this Python parameter; the schema still says what is accepted.
            QueryParameter(
                name="state", required=False, schema_extra={"pattern": params.one_of(STATES), "maxLength": 16}
            ),
        ] = None,
    ) -> Response[dict[str, Any]]:
        return Response(await providers.view(state=wanted), headers=CACHE)


ROUTES: list = [ProvidersController]
