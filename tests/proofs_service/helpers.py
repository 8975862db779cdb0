"""A regtest reserve set with known keys, and attestation bodies that anchor challenges to a block."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from embit import bip32
from embit.networks import NETWORKS

from chains.bitcoin.wallets import parse_wallets
from reserves.storage.models import AttestationRow, RatioPoint

NETWORK = "regtest"
BLOCK_HASH = "11" * 32
CHAIN_ID = "bip122:0f9188f13cb7b2c71f2a335e3a4fc328"


def hd(label: str) -> bip32.HDKey:
    return bip32.HDKey.from_seed(hashlib.sha256(label.encode()).digest() * 2, version=NETWORKS[NETWORK]["xprv"])


def _origin(root: bip32.HDKey, path: str) -> str:
    xpub = root.derive(path).to_public().to_base58(NETWORKS[NETWORK]["xpub"])
    return f"[{root.my_fingerprint.hex()}{path[1:]}]{xpub}"


@dataclass
class ReserveSet:
    """Wallets: hot (wpkh), cold (wsh sortedmulti 2 of 3), tap (tr key path), listed (address list)."""

    wallets: tuple
    roots: dict

    def key(self, label: str, index: int, path: str):
        return self.roots[label].derive(f"{path}/0/{index}").key

    def address(self, wallet: str, index: int) -> str:
        return next(w for w in self.wallets if w.name == wallet).address(index)

    def hot_key(self, index: int):
        return self.key("hot", index, "m/84h/1h/0h")

    def tap_key(self, index: int):
        return self.key("tap", index, "m/86h/1h/0h")

    def cosigner_keys(self, index: int) -> list:
        return [self.key(c, index, "m/48h/1h/0h/2h") for c in ("a", "b", "c")]


def reserve_set() -> ReserveSet:
    roots = {label: hd(label) for label in ("hot", "tap", "a", "b", "c", "listed")}
    cosigners = ",".join(f"{_origin(roots[c], 'm/48h/1h/0h/2h')}/0/*" for c in ("a", "b", "c"))
    listed = roots["listed"].derive("m/84h/1h/0h/0/0").key.get_public_key()
    from embit.script import p2wpkh

    wallets = parse_wallets(
        [
            {"name": "hot", "descriptor": f"wpkh({_origin(roots['hot'], 'm/84h/1h/0h')}/0/*)"},
            {"name": "cold", "label": "Cold storage, 2 of 3", "descriptor": f"wsh(sortedmulti(2,{cosigners}))"},
            {"name": "tap", "descriptor": f"tr({_origin(roots['tap'], 'm/86h/1h/0h')}/0/*)"},
            {"name": "listed", "addresses": [p2wpkh(listed).address(NETWORKS[NETWORK])]},
        ],
        NETWORK,
        "reserves.test.wallets",
    )
    return ReserveSet(wallets, roots)


def body(
    rs: ReserveSet,
    block_time: datetime,
    *,
    version: int = 1,
    block_hash: str = BLOCK_HASH,
    height: int = 200,
    coins: tuple[tuple[str, int], ...] = (("hot", 0), ("cold", 0), ("tap", 0)),
) -> dict:
    """A minimal format-2 body: the fields the proofs service reads (reserve set, valid_at, utxos)."""
    utxos = [
        {
            "txid": f"{i:064x}",
            "vout": 0,
            "value_sat": "100000",
            "height": height - 10,
            "address": rs.address(w, idx),
            "wallet": w,
        }
        for i, (w, idx) in enumerate(coins)
    ]
    stamp = block_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "format": "reserves-attestation/2",
        "issued_at": stamp,
        "reserves": {
            "reserve_set": {"version": version, "hash": "ab" * 32},
            "valid_at": {"chain_id": CHAIN_ID, "height": height, "block_hash": block_hash},
            "sources": [
                {
                    "name": "devnet",
                    "chain_id": CHAIN_ID,
                    "height": height,
                    "block_hash": block_hash,
                    "block_time": stamp,
                    "utxos": utxos,
                }
            ],
        },
    }


async def store_attestation(db, document: dict, sequence: int = 0) -> None:
    issued = datetime.fromisoformat(document["issued_at"].replace("Z", "+00:00"))
    att_id = hashlib.sha256(json.dumps(document, sort_keys=True).encode() + bytes([sequence])).hexdigest()
    async with db.sessions() as session:
        session.add(
            AttestationRow(
                id=att_id,
                sequence=sequence,
                previous=None if sequence == 0 else f"{sequence:064x}",
                issued_at=issued,
                status="healthy",
                ratio_bp=10000,
                reserves_sat=1,
                liabilities_sat=1,
                document=json.dumps(document),
            )
        )
        session.add(
            RatioPoint(
                time=issued + timedelta(microseconds=sequence),
                sequence=sequence,
                attestation_id=att_id,
                status="healthy",
                ratio_bp=10000,
                reserves_sat=1,
                liabilities_sat=1,
            )
        )
        await session.commit()


class Clock:
    """A settable clock for the service (challenges expire, proofs age)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
