"""Read model of the liquidity providers: the `providers` member stored with the newest attestation.

Nothing here recomputes a state: the figures are those the snapshot decided (and the verifier
re-derives). The view only adds what a reader needs: amounts in BTC, percentages, the state in
words, and the attestation the figures come from.
"""

from __future__ import annotations

from typing import Any

from reserves.attestation.collateral import STATES
from reserves.errors import InvalidInput
from reserves.read.display import MIN_PLACES, btc, iso, percent, token_units
from reserves.storage import provider_repository as prepo
from reserves.storage import repository as repo
from reserves.storage.db import Database

STATE_WORDS = {
    "healthy": "Healthy: collateral at or above the warning line",
    "warning": "Warning: collateral below the warning line",
    "liquidatable": "Liquidatable: collateral below the liquidation line",
    "unknown": "Unknown: a reading failed, is too old, or no fresh price",
}


def _bad(code: str, detail: str) -> InvalidInput:
    exc = InvalidInput(detail)
    exc.code = code
    return exc


def _leg(leg: dict, value_sat: str | None) -> dict[str, Any]:
    out = dict(leg)
    out["value_sat"] = value_sat
    out["value_btc"] = btc(value_sat) if value_sat is not None else None
    places = 2 if leg["asset"] == "USD" else MIN_PLACES  # dollars and cents; BTC to the satoshi
    out["amount_text"] = None if "amount" not in leg else token_units(leg["amount"], leg["decimals"], places)
    return out


def provider_view(e: dict) -> dict[str, Any]:
    return {
        "name": e["name"],
        "state": e["state"],
        "state_text": STATE_WORDS[e["state"]],
        "previous_state": e["previous_state"],
        "ratio_bp": e["ratio_bp"],
        "ratio_percent": percent(e["ratio_bp"]) if e["ratio_bp"] is not None else None,
        "reasons": e["reasons"],
        "obligation": _leg(e["obligation"], e["obligation_sat"]),
        "collateral": _leg(e["collateral"], e["collateral_sat"]),
        "penalty_sat": e["penalty_sat"],
        "penalty_btc": btc(e["penalty_sat"]) if e["penalty_sat"] is not None else None,
    }


class ProviderService:
    """The providers of the newest attestation that decided them; never calls a chain."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def view(self, *, state: str | None = None) -> dict[str, Any]:
        """Every provider (or those in `state`) of the newest attestation, with thresholds, price and
        attestation; empty before the first and when the newest attestation has none.

        Raises InvalidInput (code invalid_state) for a state that is not one of STATES.
        """
        if state is not None and state not in STATES:
            raise _bad("invalid_state", f"state must be one of {', '.join(STATES)}")
        async with self.db.sessions() as session:
            found = await prepo.latest(session)
            newest = await repo.latest_attestation_id(session)
        # Only the newest attestation's providers are current: after providers were removed (its member is
        # null, nothing stored with it), the last ones stored are history, not a state to show.
        if found is None or found[0].attestation_id != newest:
            return {"attestation": None, "thresholds": None, "price": None, "counts": {}, "providers": []}
        row, member = found
        entries = [provider_view(e) for e in member["entries"]]
        counts = {s: sum(1 for e in entries if e["state"] == s) for s in STATES}
        return {
            "attestation": {
                "id": row.attestation_id,
                "sequence": row.sequence,
                "issued_at": iso(row.issued_at),
                "path": f"/api/v1/attestations/{row.attestation_id}",
            },
            "thresholds": member["thresholds"],
            "price": member["price"],
            "counts": counts,
            "providers": [e for e in entries if state is None or e["state"] == state],
        }
