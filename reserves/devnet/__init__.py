"""The devnet feature: the only importer of chains.devnet (sources, guardians, custodian proofs)."""
