"""Observability of the web role: request ids and HTTP metrics (one pure-ASGI layer), JSON logs, /metrics."""
