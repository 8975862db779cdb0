"""The devnet custodian's terms and keys that other processes need without a running chain.

The worker and the web role read the devnet over HTTP; for the mint fee (in the manifest) and the
keys of its reserve addresses (proofs of control) they need only this module, never the chains
themselves (eth-tester, py-evm), so they start without importing them.
"""

from __future__ import annotations

from embit import ec

from chains.bitcoin.wallets import WalletSpec
from chains.devnet.btc_wallet import KEYS_PER_WALLET, DevnetWallets

MINT_FEE_BP = 20  # the custodian keeps 0.20 % of each deposit
# descriptor kind (DevnetWallets.reserve_descriptors) -> (wallet name, label); deposits go to all of them
RESERVE_KINDS = {
    "wpkh": ("hot", "Hot wallet (P2WPKH), pays releases"),
    "tr": ("taproot", "Taproot key path (BIP-86)"),
    "wsh_sortedmulti": ("multisig-2of3", "Cold storage, 2 of 3"),
    "wsh_recovery": ("multisig-recovery", "2 of 3, or a recovery key after a far block"),
    "wsh_vault": ("vault", "Vault: each deposit locked for a week of blocks"),
}


class ReserveKeys:
    """Private keys of the devnet's reserve addresses, for proofs of control.

    The devnet's wallets come from fixed seeds, so any process finds the keys of an address the
    devnet declares without a running chain (the worker's custodian and the web role's online
    signer run apart from the devnet process).
    """

    def __init__(self, wallets: list[WalletSpec]) -> None:
        kinds = {name: kind for kind, (name, _) in RESERVE_KINDS.items()}
        self._keys = DevnetWallets()
        self._specs = [(kinds[w.name], w) for w in wallets if w.descriptor and w.name in kinds]

    def signing_keys(self, address: str) -> list[ec.PrivateKey]:
        """Private keys of every declared key at reserve `address`, in declaration order ([] when
        no descriptor wallet of the devnet derives it)."""
        for kind, spec in self._specs:
            found = spec.locate(address, max_index=KEYS_PER_WALLET)
            if found is not None:
                branch, index = found
                return self._keys.private_keys(kind, index, branch)
        return []
