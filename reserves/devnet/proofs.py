"""The devnet's custodian proves control: each round a challenge, signed for every reserve address with coins.

Single-key addresses sign a BIP-322 simple signature; M-of-N addresses go through the to_sign PSBT
with a rotating choice of M cosigners, so over a few rounds every key of the wallet proves alive.
So does the multi branch of an or_d(multi, Z) miniscript (2 of 3, or a recovery key after a far
block): its cosigners prove alive, the recovery key cannot sign before its lock and stays unproven.
Other scripts the verifier does not understand (a vault key behind a relative lock) are left
unproven: their keys stay "not alive" on the dashboard, as they would for a real custodian.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from typing import Any

from chains.devnet.custody import ReserveKeys
from reserves.errors import ReservesError
from reserves.proofs import library
from reserves.proofs.anchor import attested_wallets
from reserves.proofs.service import ProofService, reserve_wallets
from reserves.settings.model import Settings
from reserves.storage.db import Database

log = logging.getLogger(__name__)
MAX_ADDRESSES_PER_ROUND = 40
SINGLE_KEY = {"p2wpkh", "p2tr"}
PROVABLE = SINGLE_KEY | {"p2wsh-multisig", "p2wsh-miniscript"}  # a miniscript only through or_d(multi, Z)
ROUND_SECONDS = 60.0


async def devnet_proofs_job(db: Database, settings: Settings) -> None:
    """One round of devnet proofs; failures are logged, the next round tries again."""
    try:
        await prove_round(db, settings)
    except ReservesError as exc:
        log.info("devnet proofs skipped: %s", exc.detail)
    except Exception:
        log.exception("devnet proofs failed")


async def prove_round(db: Database, settings: Settings) -> list[dict]:
    """Create one operator challenge and submit a proof for each provable address holding coins."""
    wallets, network = reserve_wallets(settings.reserves)
    if network is None:  # no Bitcoin reserve source: no wallet to prove control of
        return []
    svc = ProofService(db, settings, wallets, network)
    keys = ReserveKeys(list(wallets))
    challenge = await svc.create_challenge()
    async with db.sessions() as session:
        coins = await attested_wallets(session)
    results = []
    turn = int(time.time() // ROUND_SECONDS)  # one step of the cosigner rotation per round
    for i, (address, hint) in enumerate(sorted(coins.items())[:MAX_ADDRESSES_PER_ROUND]):
        located = await asyncio.to_thread(svc.locate, address, hint)
        policy = located.wallet.policy()
        if policy.script_type not in PROVABLE:
            continue
        found = await asyncio.to_thread(keys.signing_keys, address)
        proof = await asyncio.to_thread(_sign, located.wallet, policy, address, challenge, found, network, turn + i)
        if proof is not None:
            results.append(await svc.submit(challenge_id=challenge["id"], address=address, source="devnet", **proof))
    return results


def _sign(wallet: Any, policy: Any, address: str, challenge: dict, keys: list, network: str, turn: int) -> dict | None:
    if not keys:
        return None
    if policy.script_type in SINGLE_KEY:
        return {"signature": library.sign_simple(address, challenge["message"], keys[0], network)}
    script = library.witness_script(wallet, address)
    branch = library.multi_branch(script)
    if branch is None:
        return None  # a miniscript the verifier would call inconclusive
    m, pubs = branch
    cosigners = [key for key in keys if key.get_public_key().sec() in pubs]
    if len(cosigners) < m:
        return None
    # Rotate over the M-subsets: each round, and each address within a round, another M sign.
    subsets = list(itertools.combinations(range(len(cosigners)), m))
    chosen = subsets[turn % len(subsets)]
    psbt = library.to_sign_psbt(address, challenge["message"], network, script)
    return {"psbt": library.cosign_to_sign_psbt(psbt, [cosigners[i] for i in chosen])}
