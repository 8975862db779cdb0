"""Building signatures by hand for template tests: to_spend/to_sign for an address, ECDSA/Schnorr digests."""

from __future__ import annotations

import base64

from embit.ec import PrivateKey
from embit.script import Script, address_to_scriptpubkey
from embit.transaction import Transaction

from chains.bitcoin.proofs.codec import serialize_witness_stack
from chains.bitcoin.proofs.message import bip322_message_hash, to_sign, to_spend

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def key(i: int) -> PrivateKey:
    return PrivateKey(i.to_bytes(32, "big"))


def unsigned(address: str, message: str) -> Transaction:
    challenge = address_to_scriptpubkey(address).data
    return to_sign(to_spend(bip322_message_hash(message.encode()), challenge))


def ecdsa_v0(tx: Transaction, script_code: bytes, k: PrivateKey, hash_type: int = 1) -> bytes:
    digest = tx.sighash_segwit(0, Script(script_code), 0, hash_type)
    return k.sign(digest).serialize() + bytes([hash_type])


def smp(items: list[bytes]) -> str:
    return "smp" + base64.b64encode(serialize_witness_stack(items)).decode()


def ful(tx: Transaction) -> str:
    return "ful" + base64.b64encode(tx.serialize()).decode()


def der(r: int, s: int) -> bytes:
    def part(x: int) -> bytes:
        raw = x.to_bytes(32, "big").lstrip(b"\x00")
        if raw[0] & 0x80:
            raw = b"\x00" + raw
        return b"\x02" + bytes([len(raw)]) + raw

    body = part(r) + part(s)
    return b"\x30" + bytes([len(body)]) + body


def split_der(sig: bytes) -> tuple[int, int]:
    len_r = sig[3]
    r = int.from_bytes(sig[4 : 4 + len_r], "big")
    len_s = sig[5 + len_r]
    return r, int.from_bytes(sig[6 + len_r : 6 + len_r + len_s], "big")
