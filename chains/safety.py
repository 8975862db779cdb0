"""Process-wide safety settings that the chain libraries disturb on import."""

from __future__ import annotations

import sys

# py-evm and py_ecc (imported by web3 and eth-tester) raise the interpreter's recursion limit to
# 100,000 at import time. The C JSON parsers (json, msgspec) then recurse that deep on hostile
# nested input and overflow the C stack: the process dies with a segfault instead of raising
# RecursionError. 4,000 frames still fit an 8 MiB thread stack and is far above what our code
# or an ERC-20 call in the devnet EVM needs.
SAFE_RECURSION_LIMIT = 4000


def clamp_recursion_limit() -> None:
    """Bring the recursion limit back to SAFE_RECURSION_LIMIT if an import raised it."""
    if sys.getrecursionlimit() > SAFE_RECURSION_LIMIT:
        sys.setrecursionlimit(SAFE_RECURSION_LIMIT)
