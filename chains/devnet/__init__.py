"""Devnet: an in-process Bitcoin regtest chain behind an Esplora API and in-process EVMs behind JSON-RPC."""
