"""Settings: one TOML file (or none, for the devnet default), validated at start."""
