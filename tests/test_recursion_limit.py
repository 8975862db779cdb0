"""Deeply nested JSON must fail cleanly in a running portal, not kill it (py-evm raises the recursion limit)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import json, sys, threading
import msgspec
from chains.registry import get_spec
get_spec("evm-erc20"); get_spec("bitcoin-esplora")
import chains.devnet.network  # imports py-evm, which raises the limit
from chains.devnet.network import Devnet
from chains.safety import clamp_recursion_limit
clamp_recursion_limit()
assert sys.getrecursionlimit() <= 4000, sys.getrecursionlimit()
deep = b"[" * 300_000 + b"]" * 300_000
out = []
def parse():
    for f in (json.loads, msgspec.json.decode):
        try:
            f(deep)
        except RecursionError:
            out.append(f.__name__)
parse()
t = threading.Thread(target=parse); t.start(); t.join()
print(",".join(out))
"""


def test_adapter_imports_leave_a_safe_recursion_limit():
    # A child process: a segfault there fails this test instead of killing the test run.
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr[-2000:]}"
    assert r.stdout.strip() == "loads,json_decode,loads,json_decode"


def test_registry_clamps_after_loading_an_adapter():
    from chains.registry import get_spec

    sys.setrecursionlimit(100_000)
    get_spec("evm-erc20")
    assert sys.getrecursionlimit() <= 4000
