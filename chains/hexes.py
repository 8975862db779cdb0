"""Hex validation for every layer: txids, block hashes, ids, keys, signatures and EVM values."""

from __future__ import annotations

import re
from typing import TypeGuard

# The patterns carry no anchors: use them with `fullmatch` (or through the `is_*` functions), never
# `match`, which would accept any longer string starting with a valid one. (`^...$` does not save
# `match` either: `$` also matches before a final "\n".) Unanchored, they also embed in larger
# patterns (`HEX64_ANY_CASE.pattern` in the devnet's routes).
#
# Lowercase is the rule wherever hex is written by us or by Esplora, Bitcoin Core and web3; the
# either-case forms are for input people paste (keys, deposit txids) and for peers that accept both.
# The `0x` of EVM values is always lowercase. The `is_*` functions are type guards: True also tells
# the type checker that `value` is a str.

# 16 bytes: a proof-of-control challenge id.
HEX32 = re.compile(r"[0-9a-f]{32}")
# 32 bytes: a txid or block hash (display order), an attestation id (SHA-256), a BIP-340 x-only key.
HEX64 = re.compile(r"[0-9a-f]{64}")
HEX64_ANY_CASE = re.compile(r"[0-9a-fA-F]{64}")
# 64 bytes: a BIP-340 signature.
HEX128 = re.compile(r"[0-9a-f]{128}")
# 80 bytes: a serialized Bitcoin block header.
HEADER_HEX = re.compile(r"[0-9a-f]{160}")
# Any whole number of bytes, none included (a serialized transaction, a script).
HEX_BYTES = re.compile(r"(?:[0-9a-f]{2})*")
HEX_BYTES_ANY_CASE = re.compile(r"(?:[0-9a-fA-F]{2})*")

# EVM JSON-RPC values. Hashes, data and quantities as nodes write them (lowercase); callers that
# accept either case lowercase first or pass `any_case`.
EVM_HASH = re.compile(r"0x[0-9a-f]{64}")
EVM_DATA = re.compile(r"0x(?:[0-9a-f]{2})*")
# A quantity has no leading zeros ("0x0", "0x1a"; never "0x" or "0x01").
EVM_QUANTITY = re.compile(r"0x(?:0|[1-9a-f][0-9a-f]*)")
# 65 bytes r || s || v, lowercase: an EIP-712 (ECDSA) signature as we publish it.
EVM_SIGNATURE = re.compile(r"0x[0-9a-f]{130}")
# 20 bytes in either case: EIP-55 checksums mix cases (the checksum itself is checked elsewhere).
EVM_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def is_hex64(value: object, *, any_case: bool = False) -> TypeGuard[str]:
    """Whether `value` is a str of exactly 64 hex digits (lowercase unless `any_case`), no prefix."""
    return isinstance(value, str) and (HEX64_ANY_CASE if any_case else HEX64).fullmatch(value) is not None


def is_hex_bytes(value: object, *, any_case: bool = False) -> TypeGuard[str]:
    """Whether `value` is a str of an even number of hex digits (lowercase unless `any_case`), maybe none."""
    return isinstance(value, str) and (HEX_BYTES_ANY_CASE if any_case else HEX_BYTES).fullmatch(value) is not None


def is_evm_hash(value: object, *, any_case: bool = False) -> TypeGuard[str]:
    """Whether `value` is `0x` and 64 hex digits (lowercase unless `any_case`): a block or tx hash, a topic."""
    return isinstance(value, str) and value.startswith("0x") and is_hex64(value[2:], any_case=any_case)


def is_evm_data(value: object, *, any_case: bool = False) -> TypeGuard[str]:
    """Whether `value` is `0x` and whole bytes of hex (lowercase unless `any_case`), maybe none."""
    return isinstance(value, str) and value.startswith("0x") and is_hex_bytes(value[2:], any_case=any_case)


def is_evm_quantity(value: object, *, any_case: bool = False) -> TypeGuard[str]:
    """Whether `value` is a JSON-RPC quantity: `0x` and hex digits without leading zeros ("0x0" for zero)."""
    if not isinstance(value, str) or not value.startswith("0x"):
        return False
    # ASCII-only lowering: no other character may turn into a hex digit on the way.
    digits = value[2:].lower() if any_case and value.isascii() else value[2:]
    return EVM_QUANTITY.fullmatch("0x" + digits) is not None


def is_evm_address(value: object) -> TypeGuard[str]:
    """Whether `value` is `0x` and 40 hex digits in either case (EIP-55 checksum not checked here)."""
    return isinstance(value, str) and EVM_ADDRESS.fullmatch(value) is not None


def is_evm_signature(value: object) -> TypeGuard[str]:
    """Whether `value` is `0x` and 130 lowercase hex digits: a 65-byte ECDSA signature (r, s, v)."""
    return isinstance(value, str) and EVM_SIGNATURE.fullmatch(value) is not None
