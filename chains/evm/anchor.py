"""Publishing attestation ids on an EVM chain through contracts/AttestationAnchor.sol (web3, async).

The client knows nothing of attestations beyond the contract's struct: the caller passes the
typed-data values and the engine's 65-byte EIP-712 signature; the contract checks the signature
with ecrecover and refuses anything but a newer attestation of its engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from eth_account import Account
from eth_typing import HexStr
from web3 import AsyncWeb3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3Exception

from chains.errors import ChainDataError, ChainUnavailable
from chains.evm.provider import RpcProvider

ARTIFACT = Path(__file__).resolve().parents[2] / "contracts" / "AttestationAnchor.json"
GAS_LIMIT = 200_000


def load_artifact() -> dict:
    return json.loads(ARTIFACT.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class AnchorReceipt:
    tx_hash: str
    block_number: int
    succeeded: bool


def struct(values: dict) -> tuple:
    """The contract's Attestation tuple from eip712.message(...) values."""
    return (
        values["id"],
        values["sequence"],
        values["status"],
        values["ratioBp"],
        values["reservesSat"],
        values["supplySat"],
        values["issuedAt"],
    )


class AnchorClient:
    """One anchor contract on one chain, sending from one account (it pays the gas)."""

    def __init__(
        self, rpc_url: str, contract: str, sender_key: str, *, chain_id: int | None = None, timeout: float = 60.0
    ) -> None:
        self._w3 = AsyncWeb3(RpcProvider(rpc_url, request_kwargs={"timeout": aiohttp.ClientTimeout(total=timeout)}))
        self._account = Account.from_key(sender_key)
        self._contract = self._w3.eth.contract(
            address=AsyncWeb3.to_checksum_address(contract), abi=load_artifact()["abi"]
        )
        self._chain_id, self._timeout = chain_id, timeout

    @property
    def sender(self) -> str:
        return self._account.address

    async def signer(self, values: dict, sig: bytes) -> str:
        """What the contract's `signer()` view recovers (lowercase 0x address)."""
        try:
            return (await self._contract.functions.signer(struct(values), sig).call()).lower()
        except (Web3Exception, OSError, aiohttp.ClientError) as exc:
            raise ChainUnavailable(f"anchor contract: signer() failed ({type(exc).__name__})") from exc

    async def send(self, values: dict, sig: bytes) -> str:
        """Send `anchor(a, sig)`; the transaction hash (0x hex). A revert found by estimation is ChainDataError."""
        try:
            chain_id = self._chain_id or await self._w3.eth.chain_id
            nonce = await self._w3.eth.get_transaction_count(self._account.address, "pending")
            call = self._contract.functions.anchor(struct(values), sig)
            await call.estimate_gas({"from": self._account.address})  # reverts surface here, costing nothing
            tx = await call.build_transaction(
                {"from": self._account.address, "nonce": nonce, "chainId": chain_id, "gas": GAS_LIMIT}
            )
            signed = self._account.sign_transaction(tx)
            sent = await self._w3.eth.send_raw_transaction(signed.raw_transaction)
        except ContractLogicError as exc:
            raise ChainDataError(f"anchor contract refused the attestation: {str(exc)[:200]}") from exc
        except (Web3Exception, OSError, aiohttp.ClientError, ValueError) as exc:
            raise ChainUnavailable(f"anchor transaction not sent ({type(exc).__name__})") from exc
        return "0x" + bytes(sent).hex()

    async def wait(self, tx_hash: str) -> AnchorReceipt:
        try:
            receipt = await self._w3.eth.wait_for_transaction_receipt(HexStr(tx_hash), timeout=self._timeout)
        except TimeExhausted as exc:
            raise ChainUnavailable(f"anchor transaction {tx_hash} not mined within {self._timeout:g} s") from exc
        except (Web3Exception, OSError, aiohttp.ClientError) as exc:
            raise ChainUnavailable(f"anchor receipt not read ({type(exc).__name__})") from exc
        return AnchorReceipt(tx_hash, int(receipt["blockNumber"]), int(receipt["status"]) == 1)

    async def block_number(self) -> int:
        try:
            return int(await self._w3.eth.block_number)
        except (Web3Exception, OSError, aiohttp.ClientError) as exc:
            raise ChainUnavailable(f"anchor chain: block number not read ({type(exc).__name__})") from exc

    async def record(self, attestation_id: bytes) -> dict[str, Any]:
        try:
            seq, status, ratio, issued, anchored = await self._contract.functions.records(attestation_id).call()
        except (Web3Exception, OSError, aiohttp.ClientError) as exc:
            raise ChainUnavailable(f"anchor contract: records() failed ({type(exc).__name__})") from exc
        return {"sequence": seq, "status": status, "ratio_bp": ratio, "issued_at": issued, "anchored_at": anchored}

    async def aclose(self) -> None:
        provider = self._w3.provider
        if hasattr(provider, "disconnect"):
            await provider.disconnect()
