"""The EIP-712 signature of an attestation: typed data a contract can check with `ecrecover`.

Domain `{name: "Reserves attestation", version: "1"}`, with no chainId and no verifyingContract:
the signature states a fact about an off-chain document, valid on every chain, so any contract
anywhere can check it (contracts/AttestationAnchor.sol is one). The struct:

    Attestation(bytes32 id,uint64 sequence,uint8 status,uint256 ratioBp,uint256 reservesSat,
                uint256 supplySat,uint64 issuedAt)

`id` is the attestation id (32 bytes), `status` 0 healthy, 1 warning, 2 undercollateralized,
3 stale; `ratioBp` is 0 when the attestation has no ratio (it is then stale, status 3);
`issuedAt` is Unix seconds. The digest is keccak256(0x19 0x01 || domainSeparator || hashStruct).
Hashing, signing and recovery are eth-account's (encode_typed_data, sign_message, recover_message).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from eth_utils import keccak

from chains.hexes import is_evm_address, is_evm_signature
from reserves.attestation import arithmetic as ar

DOMAIN = {"name": "Reserves attestation", "version": "1"}
STATUS_CODES = {"healthy": 0, "warning": 1, "undercollateralized": 2, "stale": 3}
TYPES = {
    "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"}],
    "Attestation": [
        {"name": "id", "type": "bytes32"},
        {"name": "sequence", "type": "uint64"},
        {"name": "status", "type": "uint8"},
        {"name": "ratioBp", "type": "uint256"},
        {"name": "reservesSat", "type": "uint256"},
        {"name": "supplySat", "type": "uint256"},
        {"name": "issuedAt", "type": "uint64"},
    ],
}
HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0


def _eth_account(module: str = "eth_account") -> ModuleType:
    """eth-account (or one of its modules), imported when an EIP-712 signature is first made or checked.

    Every process loads this module with the attestation formats, but only the worker (signing) and a
    verifier (checking) use it: importing eth-account costs about half a second (py_ecc, through
    eth-keyfile), which the web role, `reserves run` and most commands would pay at each start for nothing.
    """
    return importlib.import_module(module)


def message(attestation_id: str, body: dict) -> dict:
    """The `Attestation` struct's values for a body and its id."""
    ratio = body["ratio_bp"]
    return {
        "id": bytes.fromhex(attestation_id),
        "sequence": body["sequence"],
        "status": STATUS_CODES[body["status"]],
        "ratioBp": 0 if ratio is None else int(ratio),
        "reservesSat": int(body["reserves"]["total_sat"]),
        "supplySat": int(body["supply"]["total_sat"]),
        "issuedAt": int(ar.parse_timestamp(body["issued_at"]).timestamp()),
    }


def typed_data(attestation_id: str, body: dict) -> dict:
    """The full EIP-712 typed data (what eth_signTypedData_v4 takes), JSON-friendly but for `id`."""
    return {"types": TYPES, "primaryType": "Attestation", "domain": DOMAIN, "message": message(attestation_id, body)}


def signable(attestation_id: str, body: dict) -> Any:
    """The eth-account SignableMessage of the typed data (what sign_with signs, and recover checks)."""
    return _eth_account("eth_account.messages").encode_typed_data(full_message=typed_data(attestation_id, body))


def digest(attestation_id: str, body: dict) -> bytes:
    """keccak256(0x1901 || domainSeparator || hashStruct(message)): what ecrecover checks."""
    s = signable(attestation_id, body)
    return keccak(b"\x19" + s.version + s.header + s.body)


def recover(attestation_id: str, body: dict, sig_hex: object) -> str | None:
    """The lowercase 0x address that made `sig_hex` (65 bytes r||s||v), or None when it is unusable."""
    if not is_evm_signature(sig_hex):
        return None
    # Only the canonical form: low s (EIP-2) and v 27 or 28, what contracts that check malleability accept.
    s_value, v_value = int(sig_hex[66:130], 16), int(sig_hex[130:], 16)
    if not 1 <= s_value <= HALF_ORDER or v_value not in (27, 28):
        return None
    try:
        signature = bytes.fromhex(sig_hex[2:])
        address = _eth_account().Account.recover_message(signable(attestation_id, body), signature=signature)
    except Exception:  # noqa: BLE001 - any failure to recover means "not a valid signature"
        return None
    return address.lower()


def address_of(secret: bytes) -> str:
    """The lowercase 0x address of a 32-byte secp256k1 secret."""
    return _eth_account().Account.from_key(secret).address.lower()


def sign_with(secret: bytes, signable_message: Any) -> bytes:
    """The 65-byte r||s||v signature of a SignableMessage (see `signable`) by `secret` (low s, v 27/28)."""
    return bytes(_eth_account().Account.sign_message(signable_message, secret).signature)


def is_address(value: object) -> bool:
    """A lowercase 0x address, as the signers member writes it."""
    return is_evm_address(value) and value == value.lower()
