"""Replay the golden scenario through the engine: recorded readings in, the attestations it builds out.

The only part of the golden test that follows the code's layout: it drives whichever snapshot
entry point the engine has, with adapters that return the recorded readings (test doubles).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from chains.errors import ChainUnavailable
from reserves.attestation.keys import SigningKey
from reserves.settings.load import load_settings
from reserves.snapshot.context import snapshot_context
from reserves.snapshot.sources import Source, Sources
from reserves.snapshot.take import take_snapshot
from reserves.storage.db import open_database
from reserves.storage.migrate import upgrade
from reserves.storage.proof_models import ChallengeRow, ProofRow
from reserves.trust.keys import EngineKeys
from tests.golden import scenario
from tests.golden.codec import decode


class Replay:
    """Test double: an adapter that returns the reading (or raises the error) of the current step."""

    def __init__(self, name: str, kind: str) -> None:
        self.name, self.kind = name, kind
        self.entry: dict | None = None

    def _next(self):
        if "error" in self.entry:
            raise ChainUnavailable(self.entry["error"]["detail"])
        return decode(self.entry["reading"])

    async def read_reserves(self):
        return self._next()

    async def read_supply(self):
        return self._next()

    async def aclose(self) -> None:
        return None


def _settings(data: dict, tmp: Path, db_url: str, rotate: bool):
    guardians = [SigningKey(bytes.fromhex(s)).pubkey_hex for s in scenario.GUARDIAN_SECRETS]
    path = tmp / ("rotated.toml" if rotate else "portal.toml")
    path.write_text(scenario.config_text(data["tables"], db_url, guardians, rotate=rotate))
    return load_settings(path, env=scenario.environment(rotate))


async def _prove(db, body: dict, count: int, issued: datetime) -> None:
    """Store `count` valid proofs of coin addresses (the first ones by name), made an hour ago."""
    addresses = sorted({u["address"] for s in body["reserves"]["sources"] if "error" not in s for u in s["utxos"]})
    async with db.sessions() as session:
        async with session.begin():
            when = issued - timedelta(hours=1)
            session.add(
                ChallengeRow(
                    id="golden",
                    purpose="operator",
                    message="golden",
                    reserve_set_version=1,
                    reserve_set_hash="00" * 32,
                    chain_id="bip122:golden",
                    block_height=1,
                    block_hash="00" * 32,
                    block_time=when,
                    created_at=when,
                    expires_at=issued,
                )
            )
            await session.flush()
            for address in addresses[:count]:
                session.add(
                    ProofRow(
                        challenge_id="golden",
                        address=address,
                        source="operator",
                        variant="simple",
                        outcome="valid",
                        detail="golden",
                        signers="[]",
                        signer_keys="[]",
                        signature="golden",
                        proven_at=when,
                        submitted_at=when,
                    )
                )


async def replay(tmp: Path) -> list[dict]:
    """The envelopes `{id, attestation}` the engine makes from the recorded steps, in order."""
    data = scenario.inputs()
    db_url = f"sqlite:///{tmp / 'golden.db'}"
    upgrade(db_url)
    db = open_database(db_url)
    out = []
    try:
        for step in data["steps"]:
            rotate = any(s["rotate"] for s in data["steps"][: data["steps"].index(step) + 1])
            settings = _settings(data, tmp, db_url, rotate)
            env = scenario.environment(rotate)
            keys = EngineKeys(
                SigningKey(bytes.fromhex(env[scenario.KEY_ENV]), key_id=settings.signing.key_id),
                SigningKey(bytes.fromhex(env[scenario.PREVIOUS_ENV])) if rotate else None,
            )
            by_name = {e["name"]: e for e in step["reserves"] + step["supply"]}
            sources = Sources(
                [Source(src, Replay(src.name, src.kind)) for src in settings.reserves],
                [Source(src, Replay(src.name, src.kind)) for src in settings.deployments],
            )
            for src in sources.reserve + sources.supply:
                src.adapter.entry = by_name[src.settings.name]
            ctx = await snapshot_context(db, settings, sources, keys)
            issued = datetime.strptime(step["issued_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            if step["proven"] and out:
                await _prove(db, out[-1]["attestation"], step["proven"], issued)
            out.append(await take_snapshot(ctx, now=issued))
    finally:
        await db.dispose()
    return out


def stable(envelope: dict) -> dict:
    """The envelope with each BIP-340 `sig` blanked: its aux randomness differs per run (checked apart)."""
    doc = json.loads(json.dumps(envelope))
    for s in doc["attestation"]["signatures"]:
        if s["alg"] == "bip340":
            s["sig"] = "<bip340>"
    return doc
