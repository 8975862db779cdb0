"""Record the golden scenario's inputs from the devnet: `python -m tests.golden.record_inputs`.

Run once; the readings are written to inputs.json and replayed by the golden test. What the
engine builds from them before the redesign is expected.json (tests/golden/make_expected.py).
Recording again changes the inputs, so expected.json must then be made again by a build whose
output is trusted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from chains.devnet.network import Devnet
from chains.registry import get_spec
from reserves.devnet.manifest import apply, manifest
from reserves.settings.load import default_settings
from tests.golden.codec import encode

HERE = Path(__file__).resolve().parent
STEPS = 9
# step -> what the replay does differently there (applied to the recorded readings here)
FAILED_SUPPLY = {4: "devnet-l2"}  # a deployment that could not be read: stale, no ratio
# step -> the ratio (bp) devnet-l2's supply is scaled to: a warning, a recovery inside the hysteresis
# band, undercollateralized, warning, then a healthy ratio the window's low caps at warning.
TARGET_BP = {2: 10300, 3: 10540, 5: 11000, 6: 9800, 7: 10400, 8: 11500}
SCALED = "devnet-l2"
ROTATE_AT = 5  # the engine key changes here, signed by the key before
PROVEN_AT = {7: 3}  # step -> how many coin addresses have a fresh proof


async def _read(devnet: Devnet) -> tuple[list, list]:
    """Every source read as the engine configures it (bridges' lockboxes linked to their source)."""
    reserves, supply = [], []
    settings = apply(default_settings(), manifest(devnet))
    for src in settings.reserves:
        adapter = get_spec(src.kind).build(src.config)
        try:
            reserves.append(await adapter.read_reserves())
        finally:
            await adapter.aclose()
    for src in settings.deployments:
        adapter = get_spec(src.kind).build(src.config)
        try:
            supply.append(await adapter.read_supply())
        finally:
            await adapter.aclose()
    return reserves, supply


def _scaled(reserves: list, supply: list, target_bp: int) -> list:
    """The readings with SCALED's total supply set so that the ratio comes out near `target_bp`
    (the circulating supply estimated as total minus held on each deployment)."""
    reserve_sat = sum(r.total_sat for r in reserves)
    unit = {s.deployment: 10 ** (s.decimals - 8) for s in supply}
    others = sum(
        (s.total_supply - sum(h.balance for h in s.held)) // unit[s.deployment]
        for s in supply
        if s.deployment != SCALED
    )
    wanted = reserve_sat * 10_000 // target_bp - others
    return [
        dataclasses.replace(s, total_supply=wanted * unit[s.deployment]) if s.deployment == SCALED else s
        for s in supply
    ]


async def record() -> dict:
    devnet = Devnet.start()
    try:
        tables = {
            "reserves": [list(e) for e in devnet.reserve_sources()],
            "deployments": [list(e) for e in devnet.deployment_sources()],
        }
        steps = []
        start = datetime.now(timezone.utc).replace(microsecond=0)
        for step in range(STEPS):
            if step:
                for _ in range(1 + step % 2):
                    devnet.tick()
            reserves, supply = await _read(devnet)
            if step in TARGET_BP:
                supply = _scaled(reserves, supply, TARGET_BP[step])
            entries = []
            for reading in supply:
                if FAILED_SUPPLY.get(step) == reading.deployment:
                    entries.append(
                        {
                            "name": reading.deployment,
                            "error": {"code": "chain_unavailable", "detail": "connection refused"},
                        }
                    )
                    continue
                entries.append({"name": reading.deployment, "reading": encode(reading)})
            steps.append(
                {
                    "issued_at": (start + timedelta(seconds=60 * step)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "reserves": [{"name": r.source, "reading": encode(r)} for r in reserves],
                    "supply": entries,
                    "rotate": step == ROTATE_AT,
                    "proven": PROVEN_AT.get(step, 0),
                }
            )
        return {"tables": tables, "steps": steps}
    finally:
        devnet.stop()


def main() -> None:
    data = asyncio.run(record())
    (HERE / "inputs.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"recorded {len(data['steps'])} steps")


if __name__ == "__main__":
    main()
