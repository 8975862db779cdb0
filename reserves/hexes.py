"""The hex validators of chains.hexes, for the portal: it imports reserves only (DESIGN.md §3)."""

from __future__ import annotations

from chains.hexes import HEX64, is_evm_address, is_evm_hash, is_hex64

__all__ = ["HEX64", "is_evm_address", "is_evm_hash", "is_hex64"]
