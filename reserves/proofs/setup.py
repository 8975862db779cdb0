"""Build the ProofService of a role from its settings: the declared wallets, network and online signer."""

from __future__ import annotations

from reserves.proofs.online import OnlineSigner, load_online_signer
from reserves.proofs.service import ProofService, reserve_wallets
from reserves.settings.model import Settings
from reserves.storage.db import Database


def build_proof_service(db: Database, settings: Settings, online: OnlineSigner | None = None) -> ProofService:
    """The ProofService over `settings.reserves` (blocking: scrypt runs when a key file is loaded).

    The online signer is `online` when given (the devnet's own), else the one configured in
    [proofs] online_key_file, else none.
    """
    wallets, network = reserve_wallets(settings.reserves)
    signer = online if online is not None else load_online_signer(settings, network)
    return ProofService(db, settings, wallets, network, signer)
