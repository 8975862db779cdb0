"""An in-process EVM chain (eth-tester on py-evm) holding a ReserveToken, served as JSON-RPC over HTTP."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import anyio.to_thread
from eth_abi import encode
from eth_tester import EthereumTester, PyEVMBackend
from eth_utils import function_signature_to_4byte_selector
from litestar import Litestar, Request, Response, post
from litestar.handlers import HTTPRouteHandler

from chains.devnet.ecc import use_libsecp256k1
from chains.devnet.evm_rpc import EvmJsonRpc
from chains.errors import ChainError
from chains.hexes import is_hex64

ARTIFACT_PATH = Path(__file__).resolve().parents[2] / "contracts" / "ReserveToken.json"
_DEPLOY_GAS = 3_000_000
_CALL_GAS = 300_000


class DevnetEvmError(ChainError):
    """The devnet EVM was driven wrongly (no contract yet, reverted mint, bad reorg depth)."""

    code = "devnet_evm"


def load_artifact(path: Path = ARTIFACT_PATH) -> dict[str, Any]:
    """The compiled ReserveToken artifact: `{abi, bytecode, compiler, source_sha256, ...}`."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DevnetEvmError(f"cannot load contract artifact {path.name}: {exc}") from exc


def selector(signature: str) -> str:
    """0x-hex 4-byte function selector of a canonical signature such as `totalSupply()`."""
    return "0x" + function_signature_to_4byte_selector(signature).hex()


class DevnetEvm:
    """One EVM chain with chain id `chain_id`, a funded owner account and (after deploy) a token.

    Every state-changing call mines its own block (eth-tester auto-mines). Amounts are raw token
    units (`decimals` places). `app` answers Ethereum JSON-RPC POSTed to `/`; `safe`/`finalized`
    are `latest` minus `safe_depth`/`finalized_depth` blocks, like anvil. All access to the chain
    is serialised by one lock, so the Python API and the HTTP app may be used from any thread.
    """

    def __init__(
        self,
        chain_id: int,
        *,
        decimals: int = 8,
        symbol: str = "RBTC",
        name: str = "Reserve BTC",
        finalized_depth: int = 64,
        safe_depth: int = 32,
        artifact_path: Path = ARTIFACT_PATH,
    ) -> None:
        use_libsecp256k1()  # before the backend derives its accounts' keys
        backend = PyEVMBackend()
        # eth-tester hard-codes the chain id as a class attribute of a chain class it creates
        # afresh for every backend, so setting it on that class changes this chain only, and
        # survives the backend rebuilding the chain object when it reverts to genesis.
        type(backend.chain).chain_id = chain_id
        self.chain_id = chain_id
        self.decimals, self.symbol, self.name = decimals, symbol, name
        self.lock = threading.RLock()
        self.tester = EthereumTester(backend)
        self.accounts: list[str] = list(self.tester.get_accounts())
        self.owner = self.accounts[0]
        self.contract: str | None = None
        self._artifact_path = artifact_path
        self.rpc = EvmJsonRpc(
            self.tester,
            chain_id,
            self.lock,
            finalized_depth=finalized_depth,
            safe_depth=safe_depth,
            call_from=self.owner,
        )
        # logging_config=None: Litestar would otherwise reconfigure the root logger of the whole process.
        self.app = Litestar(route_handlers=[self.route_handler("/")], openapi_config=None, logging_config=None)

    def route_handler(self, path: str = "/") -> HTTPRouteHandler:
        """A Litestar POST handler serving this chain's JSON-RPC at `path` (to mount elsewhere)."""
        rpc = self.rpc

        @post(path, status_code=200, name=f"evm-rpc-{self.chain_id}-{path}")
        async def json_rpc(request: Request) -> Response:
            body = await request.body()
            # eth-tester is synchronous and slow-ish; keep the event loop free for other apps.
            answer = await anyio.to_thread.run_sync(rpc.handle_body, body)
            if answer is None:
                return Response(content=b"", status_code=204)
            return Response(content=json.dumps(answer).encode(), media_type="application/json")

        return json_rpc

    def deploy(self) -> str:
        """Deploy ReserveToken(name, symbol, decimals) from the owner; returns its checksummed address."""
        self.contract = self.deploy_other(self.name, self.symbol, self.decimals)
        return self.contract

    def deploy_bytecode(self, init_code: str) -> str:
        """Deploy any contract (init code and its encoded constructor arguments, 0x hex) from the
        owner; returns its address."""
        return self._send({"data": init_code, "gas": _DEPLOY_GAS})["contract_address"]

    def transact(self, to: str, data: str) -> str:
        """Send `data` to contract `to` from the owner (a mined block); returns the tx hash."""
        return self._send({"to": to, "data": data})["transaction_hash"]

    def deploy_other(self, name: str, symbol: str, decimals: int) -> str:
        """Deploy another ReserveToken (a collateral token, say) without making it this chain's token."""
        artifact = load_artifact(self._artifact_path)
        args = encode(["string", "string", "uint8"], [name, symbol, decimals])
        return self._send({"data": artifact["bytecode"] + args.hex(), "gas": _DEPLOY_GAS})["contract_address"]

    def send_native(self, to: str, wei: int) -> str:
        """Pay `wei` of the native coin from the owner to `to`; returns the tx hash."""
        return self._send({"to": to, "value": wei})["transaction_hash"]

    def native_balance(self, account: str) -> int:
        with self.lock:
            return int(self.tester.get_balance(account))

    def mint(self, to: str, amount: int, deposit_txid_hex: str, vout: int, *, contract: str | None = None) -> str:
        """Mint `amount` units to `to` against Bitcoin output `txid:vout`; returns the tx hash.

        `deposit_txid_hex` is the txid as explorers show it (64 hex digits, optional 0x); it is
        stored in that byte order as the event's bytes32.
        """
        txid = deposit_txid_hex.removeprefix("0x")
        if not is_hex64(txid, any_case=True):
            raise DevnetEvmError("deposit txid must be 64 hex digits")
        data = encode(["address", "uint256", "bytes32", "uint32"], [to, amount, bytes.fromhex(txid), vout])
        sig = "mint(address,uint256,bytes32,uint32)"
        return self._send({"to": contract or self._token(), "data": selector(sig) + data.hex()})["transaction_hash"]

    def burn(self, holder: str, amount: int, btc_address: str, *, contract: str | None = None) -> str:
        """Burn `amount` of `holder`'s units (holder must be a devnet account); returns the tx hash."""
        data = encode(["uint256", "string"], [amount, btc_address])
        to = contract or self._token()
        tx = {"from": holder, "to": to, "data": selector("burn(uint256,string)") + data.hex()}
        return self._send(tx)["transaction_hash"]

    def transfer(self, sender: str, to: str, amount: int) -> str:
        """Move `amount` units between accounts (supply unchanged); returns the tx hash."""
        data = encode(["address", "uint256"], [to, amount])
        tx = {"from": sender, "to": self._token(), "data": selector("transfer(address,uint256)") + data.hex()}
        return self._send(tx)["transaction_hash"]

    def mine(self, n: int = 1) -> int:
        """Mine `n` empty blocks; returns the new head number."""
        with self.lock:
            self.tester.mine_blocks(n)
            return self.rpc.latest()

    def head(self) -> int:
        """Number of the newest mined block."""
        with self.lock:
            return self.rpc.latest()

    def block_hash(self, number: int) -> str:
        """0x-hex hash of canonical block `number`."""
        with self.lock:
            return self.tester.get_block_by_number(number)["hash"]

    def total_supply(self, block: int | str = "latest") -> int:
        """`totalSupply()` in raw units at `block` (a number or tag), as the chain computes it."""
        return self._read_uint("totalSupply()", block)

    def balance_of(self, account: str, block: int | str = "latest", *, contract: str | None = None) -> int:
        """`balanceOf(account)` in raw units (of this chain's token, or of `contract`)."""
        return self._read_uint("balanceOf(address)", block, encode(["address"], [account]).hex(), contract)

    def reorg(self, depth: int) -> int:
        """Replace the newest `depth` blocks with `depth + 1` empty ones; returns the new head.

        Transactions of the dropped blocks are gone (there is no mempool to re-include them), so a
        mint among them no longer counts. Block hashes at those heights change.
        """
        with self.lock:
            latest = self.rpc.latest()
            if not 1 <= depth <= latest:
                raise DevnetEvmError(f"reorg depth must be between 1 and {latest}")
            fork = self.tester.get_block_by_number(latest - depth)["hash"]
            self.tester.backend.revert_to_snapshot(bytes.fromhex(fork[2:]))
            self.tester.mine_blocks(depth + 1)
            return self.rpc.latest()

    def _token(self) -> str:
        if self.contract is None:
            raise DevnetEvmError("no ReserveToken deployed yet; call deploy() first")
        return self.contract

    def _read_uint(self, signature: str, block: int | str, args_hex: str = "", contract: str | None = None) -> int:
        tx = {"from": self.owner, "to": contract or self._token(), "data": selector(signature) + args_hex}
        with self.lock:
            number = block if isinstance(block, int) else self.rpc.resolve_block(block)
            return int(self.tester.call(tx, number), 16)

    def _send(self, tx: dict[str, Any]) -> dict[str, Any]:
        tx = {"from": self.owner, "gas": _CALL_GAS, **tx}
        with self.lock:
            tx_hash = self.tester.send_transaction(tx)
            receipt = self.tester.get_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise DevnetEvmError(f"transaction {tx_hash} reverted")
        return receipt
