"""EVM adapters: ERC-20 supply at a confirmed block through web3.py."""
