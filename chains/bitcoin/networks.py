"""The Bitcoin networks we accept: their genesis hashes and CAIP-2 chain ids (data only, no I/O)."""

from __future__ import annotations

# Genesis block hashes (display order) of the networks we accept; CAIP-2 uses the first 32 chars.
GENESIS = {
    "main": "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
    "test": "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943",
    "signet": "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6",
    "regtest": "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
}


def chain_id(network: str) -> str:
    """CAIP-2 id of a Bitcoin network: `bip122:` + first 32 hex chars of its genesis hash."""
    return "bip122:" + GENESIS[network][:32]
