"""Proofs of control: fresh challenges, verified submissions, per-address status and key liveness."""
