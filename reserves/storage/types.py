"""Column types: integer amounts beyond 64 bits without losing a unit on any backend."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# 78 digits hold any uint256 (token supplies are uint256 on EVM chains).
AMOUNT_DIGITS = 78


class Amount(TypeDecorator[int]):
    """A non-negative integer amount: numeric(78,0) on PostgreSQL, zero-padded text on SQLite.

    SQLite's numeric affinity turns large values into doubles (precision lost above 2**53), so
    there it is stored as fixed-width decimal text: zero padding keeps ORDER BY, min() and max()
    correct as plain string comparisons.
    """

    impl = Numeric(AMOUNT_DIGITS, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(AMOUNT_DIGITS))
        return dialect.type_descriptor(Numeric(AMOUNT_DIGITS, 0))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or len(str(value)) > AMOUNT_DIGITS:
            raise ValueError(f"amount must be a non-negative integer of at most {AMOUNT_DIGITS} digits")
        if dialect.name == "sqlite":
            return str(value).zfill(AMOUNT_DIGITS)
        return Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int(value)
