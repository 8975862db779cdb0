"""Build the ProofService of a started Runtime: its wallets, network and (optional) online signer."""

from __future__ import annotations

import logging
from typing import Any

from reserves.proofs.keyfile import KeyEntry
from reserves.proofs.online import OnlineSigner, devnet_online_signer, load_online_signer
from reserves.proofs.service import ProofService, reserve_wallets

log = logging.getLogger(__name__)
DEVNET_ONLINE_ADDRESSES = 6  # the devnet's deposits go to the first six addresses of each wallet


def build_proof_service(runtime: Any) -> ProofService:
    """The ProofService for `runtime` (blocking: scrypt runs when an online key file is loaded).

    An online signer comes from [proofs] online_key_file; the devnet without one gets its own,
    made from its hot wallet's keys, so POST /api/v1/challenges works out of the box.
    """
    wallets, network = reserve_wallets(runtime)
    online = load_online_signer(runtime.settings, network)
    if online is None and runtime.devnet is not None and network is not None:
        online = _devnet_signer(runtime, wallets, network)
    return ProofService(runtime.db, runtime.settings, wallets, network, online)


def _devnet_signer(runtime: Any, wallets: tuple[Any, ...], network: str) -> OnlineSigner | None:
    hot = next((w for w in wallets if w.descriptor and w.policy().script_type == "p2wpkh"), None)
    if hot is None:
        return None
    entries = []
    for i in range(DEVNET_ONLINE_ADDRESSES):
        address = hot.address(i)
        keys = runtime.devnet.signing_keys(address)
        if len(keys) == 1:
            entries.append(KeyEntry(address, network, keys[0].secret))
    return devnet_online_signer(runtime.settings.data_dir, entries, network) if entries else None
