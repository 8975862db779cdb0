"""Trust features: guardians and finality, key history, anchoring, the audit log."""
