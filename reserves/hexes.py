"""The hex validators of chains.hexes, for the portal: it imports reserves only (DESIGN.md §3)."""

from __future__ import annotations

from chains.hexes import EVM_HASH, HEX32, HEX64, HEX64_ANY_CASE, HEX128, is_evm_address, is_evm_hash, is_hex64

__all__ = ["EVM_HASH", "HEX32", "HEX64", "HEX64_ANY_CASE", "HEX128", "is_evm_address", "is_evm_hash", "is_hex64"]
