"""Attestations: canonical bytes, ids, BIP-340 signatures, chain links, verification."""
