"""The `reserves` command line."""
