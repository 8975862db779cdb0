"""Solana adapters: SPL token supply at `finalized` commitment over JSON-RPC."""
