"""Errors raised by chain adapters; every backend failure becomes one of these."""


class ChainError(Exception):
    """Base of every adapter error. `detail` is safe to show and log (no secrets, no URLs with keys)."""

    code = "chain_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ChainConfigError(ChainError):
    """The adapter's configuration is invalid (bad descriptor, wrong network, bad address)."""

    code = "chain_config"


class ChainUnavailable(ChainError):
    """The backend could not be reached or kept failing after retries (timeouts, 5xx, refused)."""

    code = "chain_unavailable"


class ChainDataError(ChainError):
    """The backend answered, but with data we cannot trust (garbage, wrong chain, inconsistent)."""

    code = "chain_data"
