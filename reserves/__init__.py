"""Reserve engine: snapshots, ratio and status, signed attestations, storage, jobs."""
