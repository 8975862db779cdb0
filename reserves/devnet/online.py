"""The devnet's online signer: its hot wallet's first addresses sign public challenges out of the box."""

from __future__ import annotations

from chains.devnet.custody import ReserveKeys
from reserves.proofs.keyfile import KeyEntry
from reserves.proofs.online import OnlineSigner, devnet_online_signer
from reserves.proofs.service import reserve_wallets
from reserves.settings.model import Settings

DEVNET_ONLINE_ADDRESSES = 6  # the devnet's deposits go to the first six addresses of each wallet


def online_signer(settings: Settings) -> OnlineSigner | None:
    """The online signer of the devnet's P2WPKH hot wallet (blocking: scrypt), or None without one.

    Its key file and passphrase are created in `data_dir` on first use; the keys are the devnet's
    deterministic ones, so every process builds the same signer.
    """
    wallets, network = reserve_wallets(settings.reserves)
    hot = next((w for w in wallets if w.descriptor and w.policy().script_type == "p2wpkh"), None)
    if hot is None or network is None:
        return None
    keys = ReserveKeys(list(wallets))
    entries = []
    for i in range(DEVNET_ONLINE_ADDRESSES):
        address = hot.address(i)
        found = keys.signing_keys(address)
        if len(found) == 1:
            entries.append(KeyEntry(address, network, found[0].secret))
    return devnet_online_signer(settings.data_dir, entries, network) if entries else None
