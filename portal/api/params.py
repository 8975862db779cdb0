"""What the API accepts, as its OpenAPI document declares it: patterns, lengths and enumerations.

The services check every value themselves (the real defence); these declarations make the
contract say exactly what they accept, so a schema-valid request is never refused for its form.
tests/portal/test_api_params.py holds each pattern against the service's own check.

Ids and cursors are declared with `pattern=` (Litestar then refuses a mismatch itself, with the same
400 invalid_input); enumerations and numbers that a service answers with its own code
(invalid_kind, invalid_limit...) only with `schema_extra`, so the service still answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reserves import hexes

HEX32 = f"^{hexes.HEX32.pattern}$"  # a challenge id
HEX64 = f"^{hexes.HEX64.pattern}$"  # an attestation id as stored (lowercase)
HEX64_ANY_CASE = f"^{hexes.HEX64_ANY_CASE.pattern}$"  # a txid, a key or an id the service lowercases first
# A BIP-340 signature, in either case (the service lowercases it first).
HEX128_ANY_CASE = "^" + hexes.HEX128.pattern.replace("a-f", "a-fA-F") + "$"
EVM_HASH_ANY_CASE = "^" + hexes.EVM_HASH.pattern.replace("a-f", "a-fA-F") + "$"  # lowercased by the service
NONCE = r"^[\x20-\x7e]{1,128}$"  # printable ASCII, no line break
ADDRESS = r"^[0-9A-HJ-NP-Za-z]{1,100}$"  # the characters of base58 and bech32 addresses

# A page cursor: unpadded base64url of "s:" and a sequence number of 1 to 15 digits (every number
# below 2**53 that a chain of attestations can reach). Three digits encode as one 4-character group.
_DIGIT_PAIR = "(?:[MN][DTjz]|O[DT])"  # the first digit of a group, with the second's high bits
_GROUP = f"{_DIGIT_PAIR}[AEIMQUYcgk][w-z0-5]"
CURSOR = f"^czo[w-z0-5](?:{_GROUP}){{0,4}}(?:(?:[MN][AQgw]|O[AQ])|{_DIGIT_PAIR}[AEIMQUYcgk])?$"


def one_of(values: Iterable[str]) -> str:
    """A pattern accepting exactly these values."""
    return "^(?:" + "|".join(re.escape(v) for v in values) + ")$"


def in_range(low: int, high: int) -> str:
    """Decimal numbers from `low` (0 or 1) to `high`, leading zeros allowed as the services allow them."""
    digits = str(high)
    parts = []
    # Numbers with fewer digits than `high`.
    for n in range(1, len(digits)):
        first = "[1-9]" if n > 1 or low == 1 else "[0-9]"
        parts.append(first + ("[0-9]" * (n - 1)))
    if len(digits) == 1:
        parts.append(f"[{low}-{digits}]")
    else:
        # As many digits as `high`: below it digit by digit, or `high` itself.
        for i, d in enumerate(digits):
            lo = 1 if i == 0 else 0
            if int(d) > lo:
                parts.append(digits[:i] + f"[{lo}-{int(d) - 1}]" + "[0-9]" * (len(digits) - i - 1))
        parts.append(digits)
    return "^0*(?:" + "|".join(parts) + ")$"
