"""The proof-of-funds body: a finalized BIP-174 PSBT of to_sign, parsed strictly, with each input's UTXO."""

from __future__ import annotations

from dataclasses import dataclass, field

from embit.script import Script, Witness
from embit.transaction import Transaction

from .codec import DecodeError, Reader, parse_transaction, parse_witness_stack
from .script_check import Prevout

PSBT_MAGIC = b"psbt\xff"
GLOBAL_UNSIGNED_TX = 0x00
GLOBAL_VERSION = 0xFB
IN_NON_WITNESS_UTXO = 0x00
IN_WITNESS_UTXO = 0x01
IN_FINAL_SCRIPTSIG = 0x07
IN_FINAL_SCRIPTWITNESS = 0x08


@dataclass
class PsbtInput:
    non_witness_utxo: Transaction | None = None
    witness_utxo: Prevout | None = None
    final_scriptsig: bytes = b""
    final_witness: list[bytes] = field(default_factory=list)


def _read_map(reader: Reader) -> dict[bytes, bytes]:
    """One key-value map up to its 0x00 separator; duplicate keys are an error (BIP-174)."""
    entries: dict[bytes, bytes] = {}
    while True:
        key = reader.var_bytes()
        if not key:
            return entries
        if key in entries:
            raise DecodeError("duplicate PSBT key")
        entries[key] = reader.var_bytes()


def _parse_prevout(value: bytes) -> Prevout:
    reader = Reader(value)
    amount = reader.u64()
    script = reader.var_bytes()
    reader.end()
    return Prevout(script, amount)


def _parse_input(entries: dict[bytes, bytes]) -> PsbtInput:
    parsed = PsbtInput()
    for key, value in entries.items():
        kind = key[0]
        if kind in (IN_NON_WITNESS_UTXO, IN_WITNESS_UTXO, IN_FINAL_SCRIPTSIG, IN_FINAL_SCRIPTWITNESS) and len(key) != 1:
            raise DecodeError("PSBT input key has unexpected key data")
        if kind == IN_NON_WITNESS_UTXO:
            parsed.non_witness_utxo = parse_transaction(value)
        elif kind == IN_WITNESS_UTXO:
            parsed.witness_utxo = _parse_prevout(value)
        elif kind == IN_FINAL_SCRIPTSIG:
            parsed.final_scriptsig = value
        elif kind == IN_FINAL_SCRIPTWITNESS:
            parsed.final_witness = parse_witness_stack(value)
    return parsed


def parse_finalized_psbt(data: bytes) -> tuple[Transaction, list[PsbtInput]]:
    """The signed to_sign transaction (finals put in place) and the per-input PSBT data of a version 0 PSBT."""
    if not data.startswith(PSBT_MAGIC):
        raise DecodeError("not a PSBT (missing magic bytes)")
    reader = Reader(data)
    reader.read(len(PSBT_MAGIC))
    globals_ = _read_map(reader)
    if globals_.get(bytes([GLOBAL_VERSION]), b"\x00\x00\x00\x00") != b"\x00\x00\x00\x00":
        raise DecodeError("only PSBT version 0 is accepted")
    raw_tx = globals_.get(bytes([GLOBAL_UNSIGNED_TX]))
    if raw_tx is None:
        raise DecodeError("PSBT has no unsigned transaction")
    tx = parse_transaction(raw_tx)
    if any(txin.script_sig.data or txin.witness.items for txin in tx.vin):
        raise DecodeError("PSBT unsigned transaction carries scriptSig or witness data")
    inputs = [_parse_input(_read_map(reader)) for _ in tx.vin]
    for _ in tx.vout:
        _read_map(reader)
    reader.end()
    for txin, extra in zip(tx.vin, inputs):
        txin.script_sig = Script(extra.final_scriptsig)
        txin.witness = Witness(extra.final_witness)
    return tx, inputs


def resolve_prevout(tx: Transaction, inputs: list[PsbtInput], index: int) -> Prevout:
    """The UTXO input `index` claims to spend, from its own fields or an earlier input's full transaction."""
    txin = tx.vin[index]
    full = inputs[index].non_witness_utxo
    if full is None:
        full = next(
            (
                inputs[j].non_witness_utxo
                for j in range(index)
                if tx.vin[j].txid == txin.txid and inputs[j].non_witness_utxo
            ),
            None,
        )
    from_full = None
    if full is not None:
        if full.txid() != txin.txid:
            raise DecodeError(f"input {index}: non-witness UTXO is not the transaction it spends")
        if txin.vout >= len(full.vout):
            raise DecodeError(f"input {index}: spends an output its UTXO transaction does not have")
        out = full.vout[txin.vout]
        from_full = Prevout(out.script_pubkey.data, out.value)
    claimed = inputs[index].witness_utxo
    if claimed is not None and from_full is not None and claimed != from_full:
        raise DecodeError(f"input {index}: witness UTXO and non-witness UTXO disagree")
    result = from_full or claimed
    if result is None:
        raise DecodeError(f"input {index}: no UTXO given (witness or non-witness)")
    return result
