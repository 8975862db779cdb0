"""Making BIP-322 signatures: simple signatures from a key, and a PSBT round trip for hardware wallets and multisig."""

from __future__ import annotations

import base64

from embit import hashes
from embit.ec import PrivateKey
from embit.psbt import PSBT
from embit.script import Script, Witness, address_to_scriptpubkey
from embit.transaction import SIGHASH, Transaction, TransactionInput, TransactionOutput
from embit.util import secp256k1

from chains.bitcoin.descriptors import network_params, normalize_address
from chains.errors import ChainConfigError

from .codec import serialize_witness_stack
from .message import bip322_message_hash, message_bytes, to_sign, to_spend
from .result import VALID, ProofFormatError
from .script_check import NotUnderstood, parse_or_d_multi, parse_template
from .sigcheck import ScriptFailure, ecdsa_check
from .verify import MAX_SIGNATURE_CHARS, verify_message

PSBT_GLOBAL_GENERIC_SIGNED_MESSAGE = b"\x09"
PSBT_IN_TAP_KEY_SIG = b"\x13"


class ExactPSBT(PSBT):
    """A PSBT that keeps zero fields: embit 0.8 turns nVersion 0 into 2 and nSequence 0 into 0xFFFFFFFF
    (`x or default`), while BIP-322's default to_sign has both at 0. Signing through it signs the right digest."""

    @property
    def tx(self) -> Transaction:
        version = 2 if self.tx_version is None else self.tx_version
        vin = [
            TransactionInput(i.txid, i.vout, sequence=0xFFFFFFFF if i.sequence is None else i.sequence)
            for i in self.inputs
        ]
        return Transaction(version=version, locktime=self.locktime or 0, vin=vin, vout=[o.vout for o in self.outputs])


def _challenge(address: str, network: str) -> bytes:
    network_params(network)
    return address_to_scriptpubkey(normalize_address(address, network)).data


def _message(message: str) -> bytes:
    try:
        return message_bytes(message)
    except ValueError as exc:
        raise ProofFormatError(str(exc)) from exc


def encode_simple(witness: list[bytes]) -> str:
    return "smp" + base64.b64encode(serialize_witness_stack(witness)).decode()


def sign_simple(
    address: str, message: str, key: PrivateKey, network: str, *, grind: bool = True, aux_rand: bytes | None = None
) -> str:
    """A BIP-322 simple signature ("smp" prefix) for a P2WPKH address or a P2TR address (BIP-86 key path).

    ECDSA nonces are RFC 6979 (`grind` searches for a low R as Bitcoin Core does); Schnorr signatures use
    `aux_rand` as BIP-340 auxiliary randomness (None: 32 zero bytes, deterministic).
    """
    challenge = _challenge(address, network)
    spend = to_spend(bip322_message_hash(_message(message)), challenge)
    unsigned = to_sign(spend)
    if len(challenge) == 22 and challenge[:2] == b"\x00\x14":
        pubkey = key.get_public_key().sec()
        if not key.compressed or hashes.hash160(pubkey) != challenge[2:]:
            raise ProofFormatError("the key does not control this P2WPKH address")
        code = Script(b"\x76\xa9\x14" + challenge[2:] + b"\x88\xac")
        sig = key.sign(unsigned.sighash_segwit(0, code, 0, SIGHASH.ALL), grind=grind).serialize()
        return encode_simple([sig + bytes([SIGHASH.ALL]), pubkey])
    if len(challenge) == 34 and challenge[:2] == b"\x51\x20":
        tweaked = key.taproot_tweak(b"")
        if tweaked.xonly() != challenge[2:]:
            raise ProofFormatError("the key is not the BIP-86 internal key of this P2TR address")
        digest = unsigned.sighash_taproot(0, [Script(challenge)], [0], SIGHASH.DEFAULT)
        return encode_simple([secp256k1.schnorrsig_sign(digest, tweaked.secret, None, aux_rand)])
    raise ProofFormatError("sign_simple supports P2WPKH and P2TR (key path) addresses")


def to_sign_psbt(address: str, message: str, network: str, witness_script: bytes | None = None) -> str:
    """Base64 PSBT of the unsigned to_sign (witness UTXO = to_spend output 0; witness script for P2WSH).

    The message itself rides in PSBT_GLOBAL_GENERIC_SIGNED_MESSAGE (0x09) so a signer can show it.
    """
    challenge = _challenge(address, network)
    data = _message(message)
    spend = to_spend(bip322_message_hash(data), challenge)
    psbt = ExactPSBT(to_sign(spend))
    psbt.unknown = {PSBT_GLOBAL_GENERIC_SIGNED_MESSAGE: data}
    inp = psbt.inputs[0]
    inp.witness_utxo = TransactionOutput(0, Script(challenge))
    if len(challenge) == 34 and challenge[:2] == b"\x00\x20":
        if witness_script is None or hashes.sha256(witness_script) != challenge[2:]:
            raise ChainConfigError("a P2WSH address needs the witness script it commits to")
        inp.witness_script = Script(witness_script)
    elif witness_script is not None:
        raise ChainConfigError("a witness script is only used with a P2WSH address")
    elif not (challenge[:2] == b"\x00\x14" and len(challenge) == 22) and not (
        challenge[:2] == b"\x51\x20" and len(challenge) == 34
    ):
        raise ChainConfigError("PSBT signing supports P2WPKH, P2WSH and P2TR addresses")
    return psbt.to_string()


def _parse_psbt(psbt_b64: str) -> PSBT:
    if not isinstance(psbt_b64, str) or len(psbt_b64) > MAX_SIGNATURE_CHARS:
        raise ProofFormatError("PSBT must be base64 text of at most 64 KiB")
    try:
        return ExactPSBT.from_string(psbt_b64.strip())
    except Exception as exc:  # embit raises many types (PSBTError, ValueError, RuntimeError) for garbage
        raise ProofFormatError("not a valid base64 PSBT") from exc


def _witness_from_partials(psbt: PSBT, challenge: bytes) -> tuple[list[bytes], tuple[str, ...]]:
    """Witness stack and the keys whose partial signature verified, for a P2WPKH or P2WSH input."""
    inp, tx = psbt.inputs[0], psbt.tx

    def digest_for(code: bytes):
        return lambda hash_type: tx.sighash_segwit(0, Script(code), 0, hash_type)

    partials = [(pub.sec(), sig) for pub, sig in inp.partial_sigs.items()]
    if challenge[:2] == b"\x00\x14":
        code = b"\x76\xa9\x14" + challenge[2:] + b"\x88\xac"
        for pub, sig in partials:
            if hashes.hash160(pub) == challenge[2:] and _verifies(sig, pub, digest_for(code)):
                return [sig, pub], (pub.hex(),)
        raise ProofFormatError("the PSBT has no valid signature for this P2WPKH address")
    script = inp.witness_script.data if inp.witness_script is not None else b""
    if hashes.sha256(script) != challenge[2:]:
        raise ProofFormatError("the PSBT's witness script does not match the address")
    try:
        k, keys = _signing_template(script)
    except NotUnderstood as exc:
        raise ProofFormatError(
            f"witness script is not multi/sortedmulti, <key> CHECKSIG or or_d(multi, Z): {exc}"
        ) from exc
    good = {pub: sig for pub, sig in partials if pub in keys and _verifies(sig, pub, digest_for(script))}
    ordered = [key for key in keys if key in good]
    if len(ordered) < k:
        raise ProofFormatError(f"{len(ordered)} valid partial signature(s), {k} required")
    sigs = [good[key] for key in ordered[:k]]
    items = sigs if script[-1] == 0xAC else [b""] + sigs
    return items + [script], tuple(key.hex() for key in ordered)


def _signing_template(script: bytes) -> tuple[int, list[bytes]]:
    """(threshold, keys) to sign: the template's, or the multi branch's of an or_d(multi, Z) (same witness shape)."""
    try:
        return parse_template(script)
    except NotUnderstood:
        return parse_or_d_multi(script)


def _verifies(sig: bytes, pub: bytes, digest_for) -> bool:
    try:
        return ecdsa_check(sig, pub, digest_for, True)
    except ScriptFailure:
        return False


def _check_to_sign(tx: Transaction, spend: Transaction) -> None:
    if len(tx.vin) != 1 or tx.vin[0].txid != spend.txid() or tx.vin[0].vout != 0:
        raise ProofFormatError("the PSBT does not spend the to_spend of this address and message (or has extra inputs)")
    if len(tx.vout) != 1 or tx.vout[0].value != 0 or tx.vout[0].script_pubkey.data != b"\x6a":
        raise ProofFormatError("the PSBT's transaction must have exactly one 0-value OP_RETURN output")
    if tx.version not in (0, 2):
        raise ProofFormatError("to_sign version must be 0 or 2")


def signature_from_psbt(psbt_b64: str, address: str, message: str, network: str) -> tuple[str, tuple[str, ...]]:
    """Finalize a signed to_sign PSBT into a BIP-322 signature; also every key whose partial signature verified.

    The result is a simple ("smp") signature when to_sign kept its defaults (version, lock time and sequence
    0); a signer that changed them (embit-based signers write version 2) gets a full ("ful") one. All N
    cosigners of an M-of-N wallet may sign: the witness uses the first M valid signatures in script order, and
    the returned keys show liveness of all of them. ProofFormatError when the PSBT is not this address's and
    message's to_sign, or lacks enough valid signatures.
    """
    challenge = _challenge(address, network)
    spend = to_spend(bip322_message_hash(_message(message)), challenge)
    psbt = _parse_psbt(psbt_b64)
    tx = psbt.tx
    _check_to_sign(tx, spend)
    inp = psbt.inputs[0]
    keys: tuple[str, ...]
    if inp.final_scriptwitness is not None:
        witness, keys = list(inp.final_scriptwitness.items), ()
    elif challenge[:2] == b"\x51\x20" and len(challenge) == 34:
        # embit 0.8 keeps PSBT_IN_TAP_KEY_SIG (0x13) among the unknown fields (it finalizes its own signatures).
        key_sig = inp.unknown.get(PSBT_IN_TAP_KEY_SIG)
        if key_sig is None:
            raise ProofFormatError("the PSBT has no taproot key-path signature")
        witness, keys = [key_sig], ()
    else:
        witness, keys = _witness_from_partials(psbt, challenge)
    if tx.version == 0 and tx.locktime == 0 and tx.vin[0].sequence == 0:
        signature = encode_simple(witness)
    else:
        tx.vin[0].witness = Witness(witness)
        signature = "ful" + base64.b64encode(tx.serialize()).decode()
    checked = verify_message(address, message, signature, network)
    if checked.outcome != VALID:
        raise ProofFormatError(f"the finalized signature is {checked.outcome}: {checked.detail}")
    return signature, keys or checked.signers
