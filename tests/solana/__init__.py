"""Tests of the Solana SPL supply adapter against a JSON-RPC test double."""
