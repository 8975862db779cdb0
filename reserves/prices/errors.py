"""Errors of the price oracle."""

from reserves.errors import ReservesError


class PriceError(ReservesError):
    """Base of the oracle's errors; `detail` says what went wrong."""

    code = "price_error"
