"""Bitcoin over a Bitcoin Core node's JSON-RPC: client, config and reserve adapter."""
