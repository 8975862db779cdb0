"""Per-client rate limits of the web role: route classes, GCRA buckets in process or in Redis, the ASGI layer."""
