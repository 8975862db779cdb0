"""Admin API keys: storage, CLI, the guard over real HTTP."""
