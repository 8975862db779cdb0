"""The write path of one snapshot, in the order it runs: read, build, sign, store."""
