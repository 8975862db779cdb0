"""Bitcoin over the Esplora HTTP API: client, reserve adapter, history, evidence."""
