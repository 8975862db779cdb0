"""Admin API keys: named, scoped bearer keys stored only as hashes; the guard's cached keyring."""
