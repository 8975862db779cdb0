"""Message digests and BIP-322's virtual transactions: to_spend (commits to message and address) and to_sign."""

from __future__ import annotations

from embit import hashes
from embit.script import Script, Witness
from embit.transaction import Transaction, TransactionInput, TransactionOutput

from .codec import compact_size

BIP322_TAG = "BIP0322-signed-message"
BITCOIN_MAGIC = b"\x18Bitcoin Signed Message:\n"
MAX_MESSAGE_BYTES = 64 * 1024


def message_bytes(message: str) -> bytes:
    """The UTF-8 bytes that get hashed; ValueError for text that is not encodable (lone surrogates) or too long."""
    if not isinstance(message, str):
        raise ValueError("message must be text")
    try:
        data = message.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("message is not valid Unicode text (UTF-8)") from exc
    if len(data) > MAX_MESSAGE_BYTES:
        raise ValueError(f"message longer than {MAX_MESSAGE_BYTES} bytes")
    return data


def bip322_message_hash(data: bytes) -> bytes:
    """BIP-340 tagged hash of the message as-is (no length prefix, no terminator)."""
    return hashes.tagged_hash(BIP322_TAG, data)


def legacy_message_hash(data: bytes, magic: bytes = BITCOIN_MAGIC) -> bytes:
    """BIP-137 / signmessage digest: double SHA-256 of magic prefix, compact size of the message, message."""
    return hashes.double_sha256(magic + compact_size(len(data)) + data)


def to_spend(message_hash: bytes, challenge: bytes) -> Transaction:
    """Version 0, one input spending 000..000:FFFFFFFF with scriptSig OP_0 PUSH32[hash], one 0-value output to the
    challenge."""
    script_sig = Script(b"\x00\x20" + message_hash)
    txin = TransactionInput(b"\x00" * 32, 0xFFFFFFFF, script_sig, sequence=0)
    return Transaction(version=0, vin=[txin], vout=[TransactionOutput(0, Script(challenge))], locktime=0)


def to_sign(spend: Transaction, witness: list[bytes] | None = None) -> Transaction:
    """The default to_sign: version 0, lock time 0, spends to_spend:0 with nSequence 0, one 0-value OP_RETURN output."""
    txin = TransactionInput(spend.txid(), 0, Script(b""), sequence=0, witness=Witness(list(witness or [])))
    return Transaction(version=0, vin=[txin], vout=[TransactionOutput(0, Script(b"\x6a"))], locktime=0)
