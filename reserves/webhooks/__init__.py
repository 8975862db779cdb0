"""Signed webhooks (Standard Webhooks) and the public event stream, fed by the engine's outbox."""
