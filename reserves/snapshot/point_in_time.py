"""Reserves as they stood at a past Bitcoin height: every source that keeps history, deduplicated.

An operator or auditor asks "what did the reserves hold at block H" without rewinding a node:
each Esplora source answers from transaction status and output-spend data
(chains.bitcoin.esplora.history). Sources that only see the current UTXO set (Bitcoin Core's
scantxoutset, a quorum) are listed as unable to answer, never silently left out. The answer is
not signed: it is a query, not an attestation. The worker's admin API and the CLI only: the
chain is read inside the call, which is why neither a public route nor the web role offers it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from reserves.attestation.members.reserves import source_entry, valid_at
from reserves.attestation.members.wallets import split_sat
from reserves.errors import InvalidInput
from reserves.snapshot.read import Outcome, dedupe_outpoints, read_one
from reserves.snapshot.sources import Source
from reserves.snapshot.take import reserve_input

MAX_HEIGHT = 2**31 - 1
UNSUPPORTED = "point_in_time_unsupported"


def check_height(height: object) -> int:
    """`height` as a block height (0 <= h < 2**31), else InvalidInput."""
    if isinstance(height, bool) or not isinstance(height, int) or not 0 <= height <= MAX_HEIGHT:
        raise InvalidInput(f"height must be an integer from 0 to {MAX_HEIGHT}")
    return height


async def reserves_at(sources: list[Source], height: int, *, timeout: float, count_locked: bool) -> dict[str, Any]:
    """The reserves at block `height`: per source, totals, and whether every source could answer.

    `complete` is false when any source failed or cannot answer for a past height; the totals then
    cover only the sources that did. `total_sat` follows the count_locked policy, like attestations.
    """
    check_height(height)
    outcomes = await asyncio.gather(*[_read_at(s, height, timeout) for s in sources])
    entries = [source_entry(reserve_input(o)) for o in dedupe_outpoints(list(outcomes))]
    read = [s for s in entries if "error" not in s]
    spendable, locked = split_sat(u for s in read for u in s["utxos"])
    return {
        "height": height,
        "valid_at": valid_at(read),
        "complete": bool(entries) and len(read) == len(entries),
        "count_locked": count_locked,
        "total_sat": str(spendable + (locked if count_locked else 0)),
        "spendable_sat": str(spendable),
        "locked_sat": str(locked),
        "utxo_count": sum(len(s["utxos"]) for s in read),
        "sources": entries,
    }


async def _read_at(source: Source, height: int, timeout: float) -> Outcome:
    if not callable(getattr(source.adapter, "read_reserves_at", None)):
        return Outcome(
            source,
            error_code=UNSUPPORTED,
            error_detail=f"a {source.settings.kind} source sees only the current UTXO set; "
            "past heights need an Esplora source",
        )
    return await read_one(source, "read_reserves_at", timeout, height)
