"""The optional online signer: keys loaded from the encrypted key file, signing public challenges."""

from __future__ import annotations

import fcntl
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embit import ec
from embit.networks import NETWORKS
from embit.script import p2tr, p2wpkh

from reserves.proofs import library
from reserves.proofs.errors import KeyFileError
from reserves.proofs.keyfile import KeyEntry, read_key_file, write_key_file, write_secret_file

log = logging.getLogger(__name__)
DEVNET_KEY_FILE = "online-signer.key"
DEVNET_PASSPHRASE_FILE = "online-signer.passphrase"
DEVNET_LOCK_FILE = "online-signer.lock"
MAX_ONLINE_ADDRESSES = 16  # one public request signs at most this many addresses


@dataclass(frozen=True)
class OnlineKey:
    address: str
    key: Any  # embit.ec.PrivateKey

    def __repr__(self) -> str:
        return f"OnlineKey(address={self.address!r})"


class OnlineSigner:
    """Keys for some reserve addresses; signs BIP-322 simple signatures over challenge messages."""

    def __init__(self, keys: list[OnlineKey], network: str) -> None:
        self.keys = keys[:MAX_ONLINE_ADDRESSES]
        self.network = network

    @classmethod
    def from_file(cls, path: Path, passphrase: str, network: str) -> OnlineSigner:
        entries = read_key_file(path, passphrase)
        keys = []
        for entry in entries:
            if entry.network != network:
                raise KeyFileError(
                    f"key file {path}: key for {entry.address} is on {entry.network}, the reserves are on {network}"
                )
            key = ec.PrivateKey(entry.secret)
            if entry.address not in addresses_of(key, network):
                raise KeyFileError(f"key file {path}: the key listed for {entry.address} does not make that address")
            keys.append(OnlineKey(entry.address, key))
        if not keys:
            raise KeyFileError(f"key file {path}: holds no key")
        return cls(keys, network)

    def sign(self, message: str, addresses: set[str]) -> list[tuple[str, str]]:
        """(address, signature) for each key whose address is in `addresses` (the reserve set)."""
        return [
            (k.address, library.sign_simple(k.address, message, k.key, self.network))
            for k in self.keys
            if k.address in addresses
        ]


def addresses_of(key: Any, network: str) -> tuple[str, str]:
    """The P2WPKH and the P2TR (BIP-86 key path) address of `key` on `network`."""
    pub = key.get_public_key()
    params = NETWORKS[network]
    return p2wpkh(pub).address(params), p2tr(pub).address(params)


def new_key_entry(network: str, kind: str = "wpkh") -> KeyEntry:
    """A fresh random key and its address (P2WPKH, or P2TR key path with kind "tr")."""
    if network not in NETWORKS or network == "liquidv1":
        raise KeyFileError(f"network: one of main, test, signet, regtest (got {network!r})")
    if kind not in ("wpkh", "tr"):
        raise KeyFileError("type: wpkh or tr")
    secret = secrets.token_bytes(32)
    key = ec.PrivateKey(secret)
    wpkh_address, tr_address = addresses_of(key, network)
    return KeyEntry(wpkh_address if kind == "wpkh" else tr_address, network, secret)


def load_online_signer(settings: Any, network: str | None) -> OnlineSigner | None:
    """The configured online signer, or None when none is configured (or the reserves have no network)."""
    p = settings.proofs
    if p.online_key_file is None or p.online_passphrase is None or network is None:
        return None
    return OnlineSigner.from_file(p.online_key_file, p.online_passphrase, network)


def devnet_online_signer(data_dir: Path, entries: list[KeyEntry], network: str) -> OnlineSigner:
    """The devnet's online signer: a key file and a generated passphrase (both 0600) in `data_dir`.

    Created on first start from the devnet's hot-wallet keys; reused afterwards (devnet keys are
    deterministic, so the file always matches the devnet's reserve addresses).
    """
    key_path, pass_path = data_dir / DEVNET_KEY_FILE, data_dir / DEVNET_PASSPHRASE_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    # Several processes (web workers, the worker) may start at once: one creates, the others wait.
    with open(data_dir / DEVNET_LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not key_path.exists():
            passphrase = secrets.token_urlsafe(32)
            if pass_path.exists():
                pass_path.unlink()  # a passphrase without its key file protects nothing
            write_secret_file(pass_path, passphrase.encode())
            write_key_file(key_path, entries, passphrase)
            log.info("devnet: created the online signer's key file %s", key_path)
    try:
        passphrase = pass_path.read_text().strip()
    except OSError as exc:
        raise KeyFileError(f"{pass_path}: cannot read ({exc.strerror})") from exc
    return OnlineSigner.from_file(key_path, passphrase, network)
