"""BIP-322 verification: simple (witness stack), full (to_sign) and proof of funds (finalized PSBT) signatures.

Proof of funds without chain access: the PSBT carries each extra input's UTXO (witness or non-witness), so
the signatures of those inputs are verified against the UTXOs it claims (a non-witness UTXO must hash to the
outpoint's txid). Whether those outputs exist and are unspent is not checked here: the result lists them in
`funds` and says so in `detail`, for a caller with chain access to check.
"""

from __future__ import annotations

from embit.transaction import Transaction

from .codec import DecodeError, b64decode_strict, parse_transaction, parse_witness_stack
from .message import bip322_message_hash, to_sign, to_spend
from .pof import parse_finalized_psbt, resolve_prevout
from .result import FULL, INCONCLUSIVE, INVALID, PROOF_OF_FUNDS, SIMPLE, VALID, FundsInput, ProofResult
from .script_check import InputCheck, Prevout, check_input

PREFIXES = {"smp": SIMPLE, "ful": FULL, "pof": PROOF_OF_FUNDS}


def split_prefix(signature: str) -> tuple[str, str, bool]:
    """(variant, base64 body, prefixed): an unprefixed signature is the pre-2026 simple form."""
    variant = PREFIXES.get(signature[:3])
    if variant is None:
        return SIMPLE, signature, False
    return variant, signature[3:], True


def verify_bip322(address: str, challenge: bytes, message: bytes, signature: str) -> ProofResult:
    """Verify a BIP-322 signature of `message` for the scriptPubKey `challenge` (address already checked)."""
    variant, body, _ = split_prefix(signature)

    def result(outcome: str, detail: str, **extra) -> ProofResult:
        return ProofResult(outcome=outcome, variant=variant, address=address, detail=detail, **extra)

    try:
        raw = b64decode_strict(body)
    except DecodeError:
        return result(INVALID, "error decoding signature as base64")
    spend = to_spend(bip322_message_hash(message), challenge)
    try:
        if variant == SIMPLE:
            return _simple(raw, spend, result)
        if variant == FULL:
            return _full(raw, spend, result)
        return _proof_of_funds(raw, spend, result)
    except DecodeError as exc:
        return result(INVALID, f"error parsing signature as {variant.replace('_', ' ')} variant: {exc}")


def _simple(raw: bytes, spend: Transaction, result) -> ProofResult:
    if not raw:
        return result(INVALID, "signature too short: empty witness stack")
    witness = parse_witness_stack(raw)
    if not witness:
        return result(INVALID, "invalid signature: empty witness stack")
    tx = to_sign(spend, witness)
    prevouts = [Prevout(spend.vout[0].script_pubkey.data, 0)]
    check = check_input(tx, 0, prevouts)
    spk = prevouts[0].script
    legacy_only = spk[:3] == b"\x76\xa9\x14" or spk[:2] == b"\xa9\x14"  # P2PKH / P2SH need a scriptSig
    if check.outcome == INVALID and legacy_only:
        return result(
            INVALID,
            f"invalid signature: {check.detail}; "
            "a simple signature cannot satisfy a P2PKH or P2SH address, use the full format",
        )
    return _finish(tx, [check], result)


def _check_shape(tx: Transaction, spend: Transaction) -> str | None:
    """Why `tx` is not a to_sign of `spend` (BIP-322 basic validation), or None."""
    first = tx.vin[0]
    if first.txid != spend.txid() or first.vout != 0:
        return "invalid signature: to_sign does not spend the to_spend of this address and message"
    if len(tx.vout) != 1 or tx.vout[0].value != 0 or tx.vout[0].script_pubkey.data != b"\x6a":
        return "invalid signature: to_sign must have exactly one 0-value OP_RETURN output"
    outpoints = {(txin.txid, txin.vout) for txin in tx.vin}
    if len(outpoints) != len(tx.vin):
        return "invalid signature: to_sign spends the same outpoint twice"
    return None


def _full(raw: bytes, spend: Transaction, result) -> ProofResult:
    tx = parse_transaction(raw)
    problem = _check_shape(tx, spend)
    if problem:
        return result(INVALID, problem)
    if len(tx.vin) != 1:
        return result(
            INVALID,
            "invalid signature: a full signature with extra inputs must be a proof of funds (pof) carrying their UTXOs",
        )
    check = check_input(tx, 0, [Prevout(spend.vout[0].script_pubkey.data, 0)])
    return _finish(tx, [check], result)


def _proof_of_funds(raw: bytes, spend: Transaction, result) -> ProofResult:
    tx, inputs = parse_finalized_psbt(raw)
    problem = _check_shape(tx, spend)
    if problem:
        return result(INVALID, problem)
    challenge = Prevout(spend.vout[0].script_pubkey.data, 0)
    copy = inputs[0].non_witness_utxo
    if (inputs[0].witness_utxo not in (None, challenge)) or (copy is not None and copy.txid() != spend.txid()):
        return result(INVALID, "invalid signature: the PSBT's first input UTXO is not to_spend's output")
    prevouts = [challenge] + [resolve_prevout(tx, inputs, i) for i in range(1, len(tx.vin))]
    checks = [check_input(tx, i, prevouts) for i in range(len(tx.vin))]
    funds = tuple(
        FundsInput(txin.txid.hex(), txin.vout, prevout.value, prevout.script.hex())
        for txin, prevout in zip(tx.vin[1:], prevouts[1:])
    )
    return _finish(tx, checks, result, funds=funds)


def _finish(tx: Transaction, checks: list[InputCheck], result, funds: tuple[FundsInput, ...] = ()) -> ProofResult:
    """Combine input outcomes in BIP-322 order: invalid beats inconclusive; the version rule comes last."""
    for i, check in enumerate(checks):
        if check.outcome == INVALID:
            return result(INVALID, f"invalid signature: {_where(i)}{check.detail}")
    for i, check in enumerate(checks):
        if check.outcome == INCONCLUSIVE:
            return result(INCONCLUSIVE, f"inconclusive: {_where(i)}{check.detail}")
    if tx.version not in (0, 2):
        return result(
            INCONCLUSIVE, f"inconclusive: to_sign version {tx.version} is reserved for upgrades (0 or 2 expected)"
        )
    lock_time, age = tx.locktime, tx.vin[0].sequence
    detail = "signature valid"
    if lock_time or age:
        detail += f" at time {lock_time} and age {age} (nLockTime / nSequence of to_sign)"
    if funds:
        total = sum(f.value_sat for f in funds)
        detail += (
            f"; proof of funds: the signatures of {len(funds)} additional input(s) ({total} sat) verify against the "
            "UTXOs the PSBT carries, but whether those outputs exist and are unspent was not checked (needs the chain)"
        )
    return result(
        VALID, detail, valid_at_time=lock_time or None, valid_at_age=age or None, signers=checks[0].signers, funds=funds
    )


def _where(index: int) -> str:
    return "" if index == 0 else f"proof-of-funds input {index}: "
