"""The Litestar app, JSON API, dashboard and CLI."""
