"""Checks one input of to_sign against the script it spends, for the templates this verifier understands.

Understood: P2PKH, P2WPKH, P2SH-P2WPKH, P2WSH and P2SH-P2WSH whose witness script is `multi`/`sortedmulti`,
`<key> CHECKSIG` or miniscript `or_d(multi(k,...), Z)` satisfied through its multi branch, bare P2SH with
the first two as redeem scripts, and P2TR key path. Everything else (other scripts, or_d's other branch,
taproot script path, annexes, future witness versions) is inconclusive, never valid: BIP-322 lets a
validator without a full script interpreter stop there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from embit import hashes
from embit.script import Script
from embit.transaction import Transaction

from .codec import MAX_ELEMENT, MAX_SCRIPT, DecodeError, parse_pushes
from .result import INCONCLUSIVE, INVALID, VALID
from .sigcheck import ScriptFailure, ecdsa_check, schnorr_check, taproot_commits
from .skipped import OP_ENDIF, OP_NOTIF, NotSkippable, skipped_op_count

MAX_MULTISIG_KEYS = 20
MAX_OPS = 201  # Bitcoin Core's MAX_OPS_PER_SCRIPT
OP_IFDUP = 0x73


@dataclass(frozen=True)
class Prevout:
    """The output an input spends: its scriptPubKey and value in satoshis."""

    script: bytes
    value: int


@dataclass(frozen=True)
class InputCheck:
    outcome: str
    signers: tuple[str, ...] = ()
    detail: str = ""


class NotUnderstood(Exception):
    """The script is outside the templates: the outcome is inconclusive."""


def _p2pkh_code(pubkey_hash: bytes) -> bytes:
    return b"\x76\xa9\x14" + pubkey_hash + b"\x88\xac"


def _read_number(script: bytes, pos: int) -> tuple[int, int]:
    """A small number as a script encodes it: OP_1..OP_16, or a one-byte push for 17..20."""
    op = script[pos]
    if 0x51 <= op <= 0x60:
        return op - 0x50, pos + 1
    if op == 1 and pos + 1 < len(script) and 17 <= script[pos + 1] <= MAX_MULTISIG_KEYS:
        return script[pos + 1], pos + 2
    raise NotUnderstood("unexpected opcode")


def _multi_at(script: bytes) -> tuple[int, list[bytes], int]:
    """(threshold, keys, end) of the `<k> <key>... <n> CHECKMULTISIG` the script starts with; end is just past it."""
    try:
        k, pos = _read_number(script, 0)
        keys: list[bytes] = []
        while pos < len(script) and script[pos] in (33, 65):
            keys.append(script[pos + 1 : pos + 1 + script[pos]])
            pos += 1 + script[pos]
        n, pos = _read_number(script, pos)
    except IndexError as exc:
        raise NotUnderstood("truncated script") from exc
    if pos >= len(script) or script[pos] != 0xAE or n != len(keys) or not 1 <= k <= n:
        raise NotUnderstood("not a multisig script")
    if not all((len(key) == 33 and key[0] in (2, 3)) or (len(key) == 65 and key[0] == 4) for key in keys):
        raise NotUnderstood("multisig key with a bad prefix")
    return k, keys, pos + 1


def parse_template(script: bytes) -> tuple[int, list[bytes]]:
    """(threshold, keys) of `<k> <key>... <n> CHECKMULTISIG` or `<key> CHECKSIG` (threshold 1, one key)."""
    if len(script) in (35, 67) and script[0] == len(script) - 2 and script[-1] == 0xAC:
        return 1, [script[1:-1]]
    k, keys, end = _multi_at(script)
    if end != len(script):
        raise NotUnderstood("not a multisig script")
    return k, keys


def parse_or_d_multi(script: bytes) -> tuple[int, list[bytes]]:
    """(threshold, keys) of `<multi> IFDUP NOTIF <Z> ENDIF` (miniscript or_d(multi(k,...), Z)), any skippable Z.

    Only the multi branch is understood; Z must be a fragment that stays skipped when not taken (skipped.py).
    """
    k, keys, end = _multi_at(script)
    if script[end : end + 2] != bytes([OP_IFDUP, OP_NOTIF]) or len(script) < end + 3 or script[-1] != OP_ENDIF:
        raise NotUnderstood("not multi, nor or_d(multi, Z)")
    try:
        z_ops = skipped_op_count(script[end + 2 : -1])
    except NotSkippable as exc:
        raise NotUnderstood(f"or_d(multi, Z) whose Z is not a well-formed fragment: {exc}") from exc
    # CHECKMULTISIG counts 1 + n; IFDUP, NOTIF, ENDIF one each; pushes and OP_1..OP_16 do not count.
    if 4 + len(keys) + z_ops > MAX_OPS:
        raise NotUnderstood("or_d(multi, Z) with more than 201 opcodes")
    return k, keys


def run_template(
    script: bytes, items: list[bytes], digest_for: Callable[[int], bytes], segwit: bool
) -> tuple[str, ...]:
    """Evaluate a template against its stack items (without the script); the keys that signed, or ScriptFailure."""
    what = "script is not a template this verifier understands (multi, sortedmulti, <key> CHECKSIG"
    or_d = False
    try:
        k, keys = parse_template(script)
    except NotUnderstood as exc:
        if not segwit:  # legacy P2SH would also need FindAndDelete over Z: left inconclusive
            raise NotUnderstood(f"{what}): {exc}") from exc
        try:
            k, keys = parse_or_d_multi(script)
        except NotUnderstood as inner:
            raise NotUnderstood(f"{what}, or_d(multi, Z) in P2WSH): {inner}") from inner
        or_d = True
    if segwit and any(len(key) != 33 for key in keys):
        raise NotUnderstood("uncompressed key in a segwit script")
    if or_d:
        return _run_or_d_multi(k, keys, items, digest_for)
    if len(keys) == 1 and script[-1] == 0xAC:
        if len(items) != 1:
            raise ScriptFailure("expected exactly one signature (CLEANSTACK)")
        if not ecdsa_check(items[0], keys[0], digest_for, segwit):
            raise ScriptFailure("signature does not verify")
        return (keys[0].hex(),)
    return _run_multi(k, keys, items, digest_for, segwit)


def _run_multi(
    k: int, keys: list[bytes], items: list[bytes], digest_for: Callable[[int], bytes], segwit: bool
) -> tuple[str, ...]:
    """CHECKMULTISIG that must end the script with true: exactly a dummy and k signatures, in key order."""
    if len(items) != k + 1:
        raise ScriptFailure(f"expected a dummy element and {k} signatures (CLEANSTACK)")
    if items[0]:
        raise ScriptFailure("CHECKMULTISIG dummy element must be empty (NULLDUMMY)")
    signed: list[str] = []
    key_pos = 0
    for sig in items[1:]:
        while True:
            if len(keys) - key_pos < k - len(signed):
                raise ScriptFailure("signatures do not verify against the keys in order")
            key = keys[key_pos]
            key_pos += 1
            if ecdsa_check(sig, key, digest_for, segwit):
                signed.append(key.hex())
                break
    return tuple(signed)


def _run_or_d_multi(
    k: int, keys: list[bytes], items: list[bytes], digest_for: Callable[[int], bytes]
) -> tuple[str, ...]:
    """`<multi> IFDUP NOTIF <Z> ENDIF` through its multi branch; inconclusive when the witness takes the Z branch.

    Why a passing multi branch proves the script whatever Z is: with exactly [dummy, k sigs] below the script,
    CHECKMULTISIG leaves [1]; IFDUP makes it [1, 1]; NOTIF pops a minimal true (MINIMALIF holds) and opens a
    not-taken branch; Z is only read, never run, and parse_or_d_multi has checked that reading it cannot fail
    nor close that branch early (balanced IF..ENDIF, no top-level ELSE, no always-failing opcode, 201 ops);
    ENDIF closes it, leaving [1]: true, and CLEANSTACK holds. The digest commits to the whole witness script,
    Z included, and the address to its hash, so Z cannot be changed under the signatures.

    The other outcomes, under the standard flags BIP-322 applies: fewer than k + 1 items underflow
    CHECKMULTISIG; a non-empty dummy breaks NULLDUMMY; if any of the k signatures is non-empty, a failing
    CHECKMULTISIG is a NULLFAIL error and a passing one with items left below breaks CLEANSTACK (both
    invalid, exactly as _run_multi decides). Only k empty signatures make CHECKMULTISIG push false without
    an error: then NOTIF runs Z on the items left, which this verifier does not interpret (inconclusive).
    """
    if len(items) < k + 1:
        raise ScriptFailure(f"CHECKMULTISIG needs a dummy element and {k} signatures (stack underflow)")
    if not any(items[len(items) - k :]):
        raise NotUnderstood("or_d(multi, Z) satisfied through Z (the multi signatures are empty): not interpreted")
    return _run_multi(k, keys, items, digest_for, True)


def _segwit_v0(tx: Transaction, index: int, value: int, program: bytes, witness: list[bytes]) -> tuple[str, ...]:
    def digest(code: bytes) -> Callable[[int], bytes]:
        return lambda hash_type: tx.sighash_segwit(index, Script(code), value, hash_type)

    if len(program) == 20:
        if len(witness) != 2:
            raise ScriptFailure("P2WPKH witness must be a signature and a public key")
        sig, pubkey = witness
        if hashes.hash160(pubkey) != program:
            raise ScriptFailure("public key does not match the address")
        if not ecdsa_check(sig, pubkey, digest(_p2pkh_code(program)), True):
            raise ScriptFailure("signature does not verify")
        return (pubkey.hex(),)
    if len(program) != 32:
        raise ScriptFailure("witness v0 program must be 20 or 32 bytes")
    if not witness:
        raise ScriptFailure("P2WSH witness is empty")
    script, items = witness[-1], witness[:-1]
    if len(script) > MAX_SCRIPT or hashes.sha256(script) != program:
        raise ScriptFailure("witness script does not match the address")
    if any(len(item) > MAX_ELEMENT for item in items):
        raise ScriptFailure("witness element larger than 520 bytes")
    return run_template(script, items, digest(script), True)


def _taproot(
    tx: Transaction, index: int, prevouts: list[Prevout], program: bytes, witness: list[bytes]
) -> tuple[str, ...]:
    if len(witness) >= 2 and witness[-1][:1] == b"\x50":
        raise NotUnderstood("taproot annex")
    if not witness:
        raise ScriptFailure("taproot witness is empty")
    if len(witness) >= 2:
        if not taproot_commits(program, witness[-2], witness[-1]):
            raise ScriptFailure("taproot control block does not match the address")
        raise NotUnderstood("taproot script path")
    scripts = [Script(p.script) for p in prevouts]
    values = [p.value for p in prevouts]

    def digest(hash_type: int) -> bytes:
        return tx.sighash_taproot(index, scripts, values, hash_type)

    if not schnorr_check(witness[0], program, digest):
        raise ScriptFailure("signature does not verify")
    return (program.hex(),)


def _p2sh(
    tx: Transaction, index: int, value: int, program: bytes, script_sig: bytes, witness: list[bytes]
) -> tuple[str, ...]:
    try:
        pushes = parse_pushes(script_sig)
    except DecodeError as exc:
        raise ScriptFailure(f"scriptSig: {exc}") from exc
    if not pushes or hashes.hash160(pushes[-1]) != program:
        raise ScriptFailure("redeem script does not match the address")
    redeem, items = pushes[-1], pushes[:-1]
    version, inner = _witness_program(redeem)
    if version is not None:
        if items:
            raise ScriptFailure("P2SH-wrapped segwit scriptSig must push only the redeem script")
        if version != 0:
            raise NotUnderstood(f"segwit version {version} inside P2SH")
        return _segwit_v0(tx, index, value, inner, witness)
    if witness:
        raise ScriptFailure("witness given for a non-segwit input")
    return run_template(redeem, items, lambda t: tx.sighash_legacy(index, Script(redeem), t), False)


def _p2pkh(tx: Transaction, index: int, program: bytes, script_sig: bytes, witness: list[bytes]) -> tuple[str, ...]:
    if witness:
        raise ScriptFailure("witness given for a non-segwit input")
    try:
        pushes = parse_pushes(script_sig)
    except DecodeError as exc:
        raise ScriptFailure(f"scriptSig: {exc}") from exc
    if len(pushes) != 2:
        raise ScriptFailure("P2PKH scriptSig must be a signature and a public key")
    sig, pubkey = pushes
    if hashes.hash160(pubkey) != program:
        raise ScriptFailure("public key does not match the address")
    code = _p2pkh_code(program)
    if not ecdsa_check(sig, pubkey, lambda t: tx.sighash_legacy(index, Script(code), t), False):
        raise ScriptFailure("signature does not verify")
    return (pubkey.hex(),)


def _witness_program(script: bytes) -> tuple[int | None, bytes]:
    """(version, program) of a segwit scriptPubKey, (None, b"") for anything else."""
    if 4 <= len(script) <= 42 and script[1] == len(script) - 2 and (script[0] == 0 or 0x51 <= script[0] <= 0x60):
        return (0 if script[0] == 0 else script[0] - 0x50), script[2:]
    return None, b""


def _dispatch(tx: Transaction, index: int, prevouts: list[Prevout]) -> tuple[str, ...]:
    txin = tx.vin[index]
    spk, script_sig, witness = prevouts[index].script, txin.script_sig.data, list(txin.witness.items)
    if len(spk) == 25 and spk[:3] == b"\x76\xa9\x14" and spk[23:] == b"\x88\xac":
        return _p2pkh(tx, index, spk[3:23], script_sig, witness)
    if len(spk) == 23 and spk[:2] == b"\xa9\x14" and spk[22] == 0x87:
        return _p2sh(tx, index, prevouts[index].value, spk[2:22], script_sig, witness)
    version, program = _witness_program(spk)
    if version is None:
        raise NotUnderstood("scriptPubKey is not a template this verifier understands")
    if script_sig:
        raise ScriptFailure("native segwit input must have an empty scriptSig")
    if version == 0:
        return _segwit_v0(tx, index, prevouts[index].value, program, witness)
    if version == 1 and len(program) == 32:
        return _taproot(tx, index, prevouts, program, witness)
    raise NotUnderstood(f"witness version {version} is reserved for upgrades")


def check_input(tx: Transaction, index: int, prevouts: list[Prevout]) -> InputCheck:
    """The BIP-322 outcome of input `index` of `tx` (prevouts: one per input, in order)."""
    try:
        signers = _dispatch(tx, index, prevouts)
    except NotUnderstood as exc:
        return InputCheck(INCONCLUSIVE, (), str(exc))
    except ScriptFailure as exc:
        return InputCheck(INVALID, (), str(exc))
    return InputCheck(VALID, signers, "")
