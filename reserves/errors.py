"""Errors of the reserve engine; each carries a machine-readable `code` and a safe `detail`."""


class ReservesError(Exception):
    """Base of every error raised by `reserves`."""

    code = "reserves_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ConfigError(ReservesError):
    """Invalid configuration; `detail` names the key and the problem."""

    code = "invalid_config"


class TooManyRequests(ReservesError):
    """The caller asks for more than its share; `retry_after` (seconds) says when to try again."""

    code = "rate_limited"
    retry_after = 60


class NotFound(ReservesError):
    code = "not_found"


class InvalidInput(ReservesError):
    code = "invalid_input"


class VerificationError(ReservesError):
    """An attestation failed a check; `detail` says which and why."""

    code = "verification_failed"


class SigningKeyError(ReservesError):
    code = "signing_key"


class StorageError(ReservesError):
    code = "storage"


class Conflict(ReservesError):
    """The request is well-formed but conflicts with what is stored (a second submission, ...)."""

    code = "conflict"


class Forbidden(ReservesError):
    """The request is well-formed but its signer or caller may not do this."""

    code = "forbidden"
