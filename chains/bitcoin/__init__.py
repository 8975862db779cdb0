"""Bitcoin adapters: Esplora HTTP client, descriptor expansion, UTXO counting."""
