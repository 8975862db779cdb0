"""Hand-made attestation bodies (formats 2 and 3) for the supply views, with their figures worked out here."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime, timezone

from reserves.storage.models import AttestationRow, RatioPoint

LOCKBOX = "0x" + "1b" * 20
TREASURY = "0x" + "7e" * 20
BURN = "0x000000000000000000000000000000000000dEaD"
ISSUED = "2026-11-22T10:00:00Z"


def block(height: int, chain: str) -> dict:
    return {
        "chain_id": chain,
        "height": height,
        "block_hash": "0x" + hashlib.sha256(f"{chain}{height}".encode()).hexdigest(),
        "block_time": "2026-11-22T09:59:30Z",
    }


def _head(name: str, chain: str, height: int) -> dict:
    return {
        "name": name,
        "kind": "evm-erc20",
        "chain_id": chain,
        "contract": "0x" + "ab" * 20,
        **block(height, chain),
        "max_age_seconds": 600,
    }


# devnet-ethereum: 10 RBTC minted; lockbox 0.5, treasury 0.2, burn 0.003 -> 9.297 circulating.
ETHEREUM = {
    **_head("devnet-ethereum", "eip155:31337", 120),
    "role": "native",
    "decimals": 8,
    "total_supply": "1000000000",
    "held": [
        {
            "address": LOCKBOX,
            "category": "lockbox",
            "reason": "Bridge lockbox",
            "bridge": "devnet-bridged",
            "balance": "50000000",
        },
        {"address": TREASURY, "category": "treasury", "reason": "Issuer treasury", "balance": "20000000"},
        {"address": BURN, "category": "burn", "reason": "Nobody holds its key", "balance": "300000"},
    ],
    "rpc": {"endpoints": 2, "answered": 2, "agreed": 2, "quorum": 2},
    "circulating": "929700000",
    "supply_sat": "929700000",
}
# devnet-bridged: 18 decimals, 0.4 minted against 0.5 locked -> counts the locked 0.5 BTC.
BRIDGED = {
    **_head("devnet-bridged", "eip155:31339", 77),
    "role": "bridge",
    "bridge_source": "devnet-ethereum",
    "decimals": 18,
    "total_supply": str(4 * 10**17),
    "held": [],
    "circulating": str(4 * 10**17),
    "supply_sat": "50000000",
}
# devnet-l2: 6 decimals, 123.456789 tokens; no held addresses, one endpoint.
L2 = {
    **_head("devnet-l2", "eip155:31338", 99),
    "role": "native",
    "decimals": 6,
    "total_supply": "123456789",
    "held": [],
    "circulating": "123456789",
    "supply_sat": "12345678900",
}
FAILED = {
    "name": "solana",
    "kind": "solana-spl",
    "chain_id": "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp",
    "contract": "So11111111111111111111111111111111111111112",
    "error": {"code": "chain_unavailable", "detail": "all endpoints timed out"},
}
TOTAL_SAT = 929_700_000 + 50_000_000 + 12_345_678_900


def body_v3(*, failed: bool = False, sequence: int = 0) -> dict:
    deployments = [copy.deepcopy(x) for x in (BRIDGED, ETHEREUM, L2)] + ([copy.deepcopy(FAILED)] if failed else [])
    return _body("reserves-attestation/3", deployments, TOTAL_SAT, sequence)


def body_v2(sequence: int = 0) -> dict:
    """A format 2 body: no role, no held, no circulating; supply_sat = ceil_sat(total_supply)."""
    dep = {k: v for k, v in ETHEREUM.items() if k not in ("role", "held", "rpc", "circulating")}
    dep["supply_sat"] = "1000000000"
    return _body("reserves-attestation/2", [dep], 1_000_000_000, sequence)


def _body(fmt: str, deployments: list[dict], total: int, sequence: int) -> dict:
    return {
        "format": fmt,
        "sequence": sequence,
        "previous": None,
        "issued_at": ISSUED,
        "status": "healthy",
        "status_reasons": [],
        "ratio_bp": str(20_000_000_000 * 10_000 // total),
        "policy": {"count_locked": True},
        "reserves": {
            "total_sat": "20000000000",
            "spendable_sat": "20000000000",
            "locked_sat": "0",
            "utxo_count": 0,
            "sources": [],
        },
        "supply": {"total_sat": str(total), "deployments": deployments},
    }


def rows(body: dict, previous: str | None = None) -> tuple[AttestationRow, RatioPoint]:
    """An attestation row and its ratio point for `body` (stored as is; these are not signed)."""
    doc = json.dumps(body)
    att_id = hashlib.sha256(doc.encode()).hexdigest()
    when = datetime.now(timezone.utc).replace(microsecond=0)
    ratio = int(body["ratio_bp"])
    row = AttestationRow(
        id=att_id,
        sequence=body["sequence"],
        previous=previous,
        issued_at=when,
        status="healthy",
        ratio_bp=ratio,
        reserves_sat=20_000_000_000,
        liabilities_sat=int(body["supply"]["total_sat"]),
        document=doc,
    )
    point = RatioPoint(
        time=when,
        sequence=body["sequence"],
        attestation_id=att_id,
        status="healthy",
        ratio_bp=ratio,
        reserves_sat=20_000_000_000,
        liabilities_sat=int(body["supply"]["total_sat"]),
    )
    return row, point
