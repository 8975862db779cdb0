"""What a process imports to start: the node clients and the devnet's chains only where they are used.

Each of web3 (with eth-account and py_ecc) and eth-tester (with py-evm) costs about a second at every
process start. The web role never reads a chain nor signs, `reserves run` only supervises, and a config
that declares EVM deployments is parsed without building their adapters; only the worker, which reads
the chains and signs, imports web3, and only the devnet process imports eth-tester (and no web3).
"""

from __future__ import annotations

import json
import subprocess
import sys

CLIENTS = ("web3", "eth_account", "py_ecc", "eth_tester", "eth")

PROBE = f"""
import json, sys
clients = {CLIENTS!r}
loaded = lambda: sorted(m for m in clients if m in sys.modules)
import portal.cli.main
import portal.app
from chains.registry import get_spec
node = {{"rpc_url": "https://rpc.example", "contract": "0x52908400098527886E0F7030069857D2E4169EE7"}}
get_spec("evm-erc20").parse_config("eth", {{"chain_id": "eip155:1", **node}})
get_spec("price-feed").parse_config("feed", {{"pair": "BTC/USD", **node}})
web = loaded()
import reserves.worker.worker
import reserves.jobs.schedule
print(json.dumps({{"web": web, "worker": loaded()}}))
"""


def probe(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_web_role_and_the_cli_import_no_node_client_and_the_worker_no_devnet_chain():
    loaded = probe(PROBE)
    assert loaded["web"] == [], loaded
    assert not {"eth_tester", "eth"} & set(loaded["worker"]), loaded


def test_the_devnet_process_imports_no_web3():
    code = "import json, sys\nimport portal.cli.main, portal.cli.roles, reserves.devnet.process\n"
    code += f"print(json.dumps({{'devnet': sorted(m for m in {CLIENTS!r} if m in sys.modules)}}))"
    assert "web3" not in probe(code)["devnet"]
