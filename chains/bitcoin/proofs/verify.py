"""verify_message: one entry point for BIP-322 (any variant) and BIP-137 signatures; never raises on bad input."""

from __future__ import annotations

from embit import bech32
from embit.base import EmbitError
from embit.script import address_to_scriptpubkey

from chains.bitcoin.descriptors import network_params, normalize_address
from chains.errors import ChainConfigError

from .bip137 import is_compact, verify_legacy
from .bip322 import split_prefix, verify_bip322
from .codec import DecodeError, b64decode_strict
from .message import message_bytes
from .result import INCONCLUSIVE, INVALID, SIMPLE, ProofResult

MAX_SIGNATURE_CHARS = 64 * 1024


def verify_message(address: str, message: str, signature: str, network: str) -> ProofResult:
    """The BIP-322 outcome of `signature` over `message` for `address` on `network`.

    Raises ChainConfigError only for an unknown network or an address that is invalid or of another
    network; every problem with the message or signature is an "invalid" result with a detail. A
    well-formed address of a witness version reserved for upgrades is "inconclusive" (BIP-322).
    """
    params = network_params(network)
    try:
        canonical = normalize_address(address, network)
    except ChainConfigError:
        upgrade = _reserved_witness_version(address, params["bech32"])
        if upgrade is None:
            raise
        variant = split_prefix(signature)[0] if isinstance(signature, str) else SIMPLE
        detail = f"inconclusive: witness version {upgrade} is reserved for upgrades"
        return ProofResult(outcome=INCONCLUSIVE, variant=variant, address=address.lower(), detail=detail)
    challenge = address_to_scriptpubkey(canonical).data

    def invalid(detail: str, variant: str = SIMPLE) -> ProofResult:
        return ProofResult(outcome=INVALID, variant=variant, address=canonical, detail=detail)

    try:
        data = message_bytes(message)
    except ValueError as exc:
        return invalid(str(exc))
    if not isinstance(signature, str):
        return invalid("signature must be text (base64, optionally prefixed smp/ful/pof)")
    if len(signature) > MAX_SIGNATURE_CHARS:
        return invalid(f"signature longer than {MAX_SIGNATURE_CHARS} characters")
    try:
        return _dispatch(canonical, challenge, data, signature)
    except (DecodeError, EmbitError, ValueError, IndexError, KeyError, TypeError, OverflowError, RuntimeError) as exc:
        # Defence in depth: a decoder corner case we did not foresee is a rejected proof, not a crash.
        return invalid(f"malformed signature ({type(exc).__name__})", split_prefix(signature)[0])


def _reserved_witness_version(address: str, hrp: str) -> int | None:
    """The version of a well-formed segwit address this network's rules leave to future upgrades (v1 other than
    P2TR, v2..v16), else None. BIP-322 answers inconclusive for them rather than rejecting the address."""
    if not isinstance(address, str) or len(address) > 90:
        return None
    try:
        version, program = bech32.decode(hrp, address.lower() if address.isupper() else address)
    except Exception:  # noqa: BLE001 - embit's decoder raises assorted errors for garbage
        return None
    if version is None or version == 0 or (version == 1 and len(program) == 32):
        return None
    return version


def _dispatch(address: str, challenge: bytes, data: bytes, signature: str) -> ProofResult:
    _, _, prefixed = split_prefix(signature)
    if not prefixed:
        # An unprefixed 65-byte blob with a 27..42 header is a BIP-137 compact signature, not a witness stack.
        try:
            raw = b64decode_strict(signature)
        except DecodeError:
            raw = b""
        if is_compact(raw):
            return verify_legacy(address, challenge, data, raw)
    return verify_bip322(address, challenge, data, signature)
