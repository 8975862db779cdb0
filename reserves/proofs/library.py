"""The one door to the Bitcoin proof library (BIP-322 / BIP-137) and to wallet scripts, with our errors."""

from __future__ import annotations

import importlib
from typing import Any

from embit.descriptor import Descriptor
from embit.script import Script, p2pkh
from embit.transaction import SIGHASH, Transaction, TransactionInput, TransactionOutput

from chains.bitcoin.descriptors import normalize_address
from chains.bitcoin.proofs.script_check import NotUnderstood, parse_or_d_multi, parse_template
from chains.bitcoin.proofs.signing import ExactPSBT
from chains.errors import ChainConfigError, ChainError
from reserves.errors import InvalidInput

MAX_ADDRESS = 100
MAX_SIGNATURE = 64 * 1024 * 4 // 3 + 4  # 64 KiB of signature data as base64
# Where the proof library may live (the proofs work package chose the module name).
_CANDIDATES = ("chains.bitcoin.proofs", "chains.bitcoin.bip322")


class InvalidAddress(InvalidInput):
    code = "invalid_address"


def lib() -> Any:
    """The proof library module exposing verify_message, sign_simple, to_sign_psbt, signature_from_psbt."""
    for name in _CANDIDATES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "verify_message"):
            return module
    raise RuntimeError("the BIP-322 proof library is not installed (chains.bitcoin.proofs)")


def canonical_address(address: object, network: str) -> str:
    """`address` in canonical form for `network`; InvalidAddress (400) when malformed or of another network."""
    if not isinstance(address, str) or not 1 <= len(address) <= MAX_ADDRESS:
        raise InvalidAddress(f"address: a Bitcoin address of at most {MAX_ADDRESS} characters")
    try:
        return normalize_address(address.strip(), network)
    except ChainConfigError as exc:
        raise InvalidAddress(f"address: {exc.detail} (this portal's reserves are on {network})") from exc


def check_text(value: object, what: str, limit: int = MAX_SIGNATURE) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInput(f"{what}: a non-empty string of at most {limit} characters")
    return value.strip()


def verify(address: str, message: str, signature: str, network: str):
    """ProofResult of `signature`; never raises for a bad signature (outcome invalid/inconclusive)."""
    try:
        return lib().verify_message(address, message, signature, network)
    except ChainConfigError as exc:
        raise InvalidAddress(f"address: {exc.detail}") from exc


def finalize_psbt(psbt_b64: str, address: str, message: str, network: str) -> tuple[str, tuple[str, ...]]:
    """(BIP-322 signature, pubkeys whose partial signatures verified) of a signed to_sign PSBT.

    InvalidInput when the PSBT cannot be read or finalized (too few signatures, another message).
    """
    try:
        return lib().signature_from_psbt(psbt_b64, address, message, network)
    except ChainConfigError as exc:
        raise InvalidAddress(f"address: {exc.detail}") from exc
    except ChainError as exc:
        raise InvalidInput(f"psbt: {exc.detail}") from exc


def to_sign_psbt(address: str, message: str, network: str, witness_script: bytes | None) -> str:
    try:
        return lib().to_sign_psbt(address, message, network, witness_script=witness_script)
    except ChainError as exc:
        raise InvalidInput(f"psbt: {exc.detail}") from exc


def sign_simple(address: str, message: str, key: Any, network: str) -> str:
    return lib().sign_simple(address, message, key, network)


def witness_script(wallet: Any, address: str) -> bytes | None:
    """The P2WSH witness script of `address` in `wallet` (what a PSBT signer needs), else None."""
    descriptor = getattr(wallet, "descriptor", None)
    if not descriptor or not descriptor.startswith("wsh("):
        return None
    where = wallet.locate(address)
    if where is None:
        return None

    try:
        desc = Descriptor.from_string(descriptor)
        derived = desc.derive(where[1], branch_index=where[0]) if desc.is_wildcard else desc
        script = derived.witness_script()
    except Exception as exc:  # embit raises its own assorted errors for descriptors it cannot derive
        raise InvalidInput(f"wallet {wallet.name}: cannot derive the witness script ({type(exc).__name__})") from exc
    return None if script is None else script.data


def multi_branch(witness_script: bytes | None) -> tuple[int, list[bytes]] | None:
    """(M, keys as SEC bytes) a PSBT proof signs through: a plain multisig witness script, or the multi
    branch of an or_d(multi, Z) one (the only branch the verifier proves); None for anything else."""
    if witness_script is None:
        return None
    for parse in (parse_template, parse_or_d_multi):
        try:
            m, keys = parse(witness_script)
        except NotUnderstood:
            continue
        return (m, keys) if witness_script[-1] != 0xAC else None  # `<key> CHECKSIG` is not a multi
    return None


def cosign_to_sign_psbt(psbt_b64: str, keys: list[Any]) -> str:
    """Add each key's partial signature (P2WSH / P2WPKH, SIGHASH_ALL) to a BIP-322 to_sign PSBT.

    What a hardware wallet does with the PSBT; the devnet and the tests play its cosigners. The
    digest is taken over the to_sign exactly as BIP-322 defines it (version 0, nSequence 0,
    nLockTime 0, one OP_RETURN output) rather than over embit's view of the PSBT, which
    rewrites a version 0 transaction to version 2 (the library's ExactPSBT keeps the zeros when
    the PSBT is written back).
    """
    psbt = ExactPSBT.from_string(psbt_b64)
    inp = psbt.inputs[0]
    tx = Transaction(
        version=0,
        vin=[TransactionInput(inp.vin.txid, inp.vin.vout, sequence=0)],
        vout=[TransactionOutput(0, Script(b"\x6a"))],
        locktime=0,
    )
    for key in keys:
        pub = key.get_public_key()
        code = inp.witness_script if inp.witness_script is not None else p2pkh(pub)
        digest = tx.sighash_segwit(0, code, 0, sighash=SIGHASH.ALL)
        inp.partial_sigs[pub] = key.sign(digest).serialize() + bytes([SIGHASH.ALL])
    return psbt.to_string()


def verify_offline(address: str, message: str, signature: str, network: str) -> dict[str, Any]:
    """ProofResult JSON of a signature, with no database: an unusable address or network is `invalid`."""
    try:
        return verify(address, message, signature, network).to_json()
    except InvalidInput as exc:
        return {
            "outcome": "invalid",
            "variant": None,
            "address": address,
            "valid_at_time": None,
            "valid_at_age": None,
            "signers": [],
            "detail": exc.detail,
            "funds": [],
        }
