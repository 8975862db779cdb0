"""The devnet EVM as a JSON-RPC node over real HTTP: protocol errors, batches, tags, logs, two chains."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from eth_account import Account
from web3 import HTTPProvider, Web3

from chains.devnet.evm import DevnetEvm, DevnetEvmError, load_artifact, selector
from tests.evm.conftest import serve

TXID = "0f" * 32
# eth-tester's default accounts use private keys 1, 2, 3, ...
OWNER_KEY = "0x" + (1).to_bytes(32, "big").hex()


def rpc(url: str, method: str, *params: Any) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": list(params)}
    return httpx.post(url, json=body, timeout=10).json()


@pytest.fixture
def two_chains() -> Iterator[list[tuple[DevnetEvm, str]]]:
    chains = [DevnetEvm(31337), DevnetEvm(31338, decimals=18, symbol="RBTC.L2")]
    served = []
    for chain in chains:
        chain.deploy()
        served.append((chain, *serve(chain.app)))
    yield [(chain, url) for chain, url, _ in served]
    for _, _, stop in served:
        stop()


def test_parse_error(devnet_evm: tuple[DevnetEvm, str]) -> None:
    _, url = devnet_evm
    reply = httpx.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert reply.status_code == 200
    assert reply.json() == {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"jsonrpc": "2.0", "id": 1, "method": "eth_nope", "params": []}, -32601),
        ({"jsonrpc": "2.0", "id": 1, "method": "eth_sendTransaction", "params": [{}]}, -32601),
        ({"id": 1, "method": "eth_chainId"}, -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": {"a": 1}}, -32602),
        ({"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": ["0x12"]}, -32602),
        ({"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"to": "0x" + "00" * 20}, "0xnope"]}, -32602),
        ([], -32600),
    ],
)
def test_protocol_errors(devnet_evm: tuple[DevnetEvm, str], payload: Any, code: int) -> None:
    _, url = devnet_evm
    assert httpx.post(url, json=payload).json()["error"]["code"] == code


def test_batch_and_notifications(devnet_evm: tuple[DevnetEvm, str]) -> None:
    _, url = devnet_evm
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": "b", "method": "nope"},
        {"jsonrpc": "2.0", "method": "eth_chainId"},  # notification: no answer
        {"jsonrpc": "2.0", "id": 3, "method": "net_version"},
    ]
    answers = httpx.post(url, json=batch).json()
    assert [a["id"] for a in answers] == [1, "b", 3]
    assert answers[0]["result"] == hex(31337) and answers[2]["result"] == "31337"
    assert answers[1]["error"]["code"] == -32601
    assert httpx.post(url, json={"jsonrpc": "2.0", "method": "eth_chainId"}).status_code == 204


def test_block_tags(devnet_evm: tuple[DevnetEvm, str]) -> None:
    chain, url = devnet_evm
    head = chain.mine(10)

    def number(tag):
        return int(rpc(url, "eth_getBlockByNumber", tag, False)["result"]["number"], 16)

    assert number("latest") == head == int(rpc(url, "eth_blockNumber")["result"], 16)
    assert number("finalized") == head - 4 and number("safe") == head - 2
    assert number("earliest") == 0 and number(hex(3)) == 3
    assert rpc(url, "eth_getBlockByNumber", hex(head + 1), False)["result"] is None
    block = rpc(url, "eth_getBlockByNumber", hex(3), False)["result"]
    assert rpc(url, "eth_getBlockByHash", block["hash"], False)["result"]["number"] == "0x3"
    assert len(block["logsBloom"]) == 2 + 512 and block["miner"].startswith("0x")


def test_calls_at_a_block_number_and_eip1898(devnet_evm: tuple[DevnetEvm, str]) -> None:
    chain, url = devnet_evm
    chain.mint(chain.accounts[2], 77, TXID, 3)
    head = chain.head()
    call = {"to": chain.contract, "data": selector("totalSupply()")}
    assert int(rpc(url, "eth_call", call, hex(head))["result"], 16) == 77
    assert int(rpc(url, "eth_call", call, hex(head - 1))["result"], 16) == 0
    block_hash = chain.block_hash(head)
    assert int(rpc(url, "eth_call", call, {"blockHash": block_hash})["result"], 16) == 77
    assert rpc(url, "eth_call", call, hex(head + 5))["error"]["message"] == "header not found"


def test_revert_is_code_3_with_data(devnet_evm: tuple[DevnetEvm, str]) -> None:
    chain, url = devnet_evm
    data = selector("mint(address,uint256,bytes32,uint32)") + "00" * 128
    error = rpc(url, "eth_call", {"from": chain.accounts[3], "to": chain.contract, "data": data})["error"]
    assert error["code"] == 3 and error["data"] == selector("NotOwner()")


def test_logs_and_receipts(devnet_evm: tuple[DevnetEvm, str]) -> None:
    chain, url = devnet_evm
    tx = chain.mint(chain.accounts[1], 500, TXID, 9)
    chain.burn(chain.accounts[1], 200, "bcrt1qexample")
    assert chain.total_supply() == 300 and chain.balance_of(chain.accounts[1]) == 300
    receipt = rpc(url, "eth_getTransactionReceipt", tx)["result"]
    assert receipt["status"] == "0x1" and receipt["contractAddress"] is None
    mint_topic = Web3.keccak(text="Mint(address,uint256,bytes32,uint32)").to_0x_hex()
    logs = rpc(
        url, "eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "address": chain.contract, "topics": [mint_topic]}
    )["result"]
    assert len(logs) == 1 and logs[0]["topics"][2] == "0x" + TXID and logs[0]["removed"] is False
    assert int(logs[0]["data"][2:66], 16) == 500 and int(logs[0]["data"][66:], 16) == 9
    assert rpc(url, "eth_getTransactionReceipt", "0x" + "00" * 32)["result"] is None
    assert rpc(url, "eth_getTransactionByHash", tx)["result"]["input"].startswith(
        selector("mint(address,uint256,bytes32,uint32)")
    )


def test_two_chains_have_their_own_ids_and_supply(two_chains: list[tuple[DevnetEvm, str]]) -> None:
    (l1, url1), (l2, url2) = two_chains
    l1.mint(l1.accounts[1], 5, TXID, 0)
    l2.mint(l2.accounts[1], 6 * 10**10, TXID, 1)
    assert rpc(url1, "eth_chainId")["result"] == hex(31337)
    assert rpc(url2, "eth_chainId")["result"] == hex(31338)
    assert (l1.total_supply(), l2.total_supply()) == (5, 6 * 10**10)
    w3 = Web3(HTTPProvider(url2))
    token = w3.eth.contract(address=l2.contract, abi=load_artifact()["abi"])
    assert token.functions.decimals().call() == 18 and token.functions.symbol().call() == "RBTC.L2"
    assert w3.eth.chain_id == 31338  # the CHAINID seen by web3 and by signed transactions agree


def test_raw_transactions_are_bound_to_the_chain_id(two_chains: list[tuple[DevnetEvm, str]]) -> None:
    (l1, url1), (l2, url2) = two_chains
    l1.mint(l1.owner, 1_000, TXID, 0)
    data = (
        selector("transfer(address,uint256)") + "00" * 12 + l1.accounts[4][2:].lower() + (250).to_bytes(32, "big").hex()
    )
    tx = {
        "to": l1.contract,
        "data": data,
        "gas": 100_000,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**9,
        "nonce": int(rpc(url1, "eth_getTransactionCount", l1.owner, "latest")["result"], 16),
        "chainId": 31337,
        "type": 2,
    }
    raw = Account.sign_transaction(tx, OWNER_KEY).raw_transaction.to_0x_hex()
    assert "error" in rpc(url2, "eth_sendRawTransaction", raw)  # signed for 31337, refused by 31338
    assert "result" in rpc(url1, "eth_sendRawTransaction", raw)
    assert l1.balance_of(l1.accounts[4]) == 250


def test_driving_errors() -> None:
    chain = DevnetEvm(31337)
    with pytest.raises(DevnetEvmError, match="deploy"):
        chain.mint(chain.accounts[0], 1, TXID, 0)
    chain.deploy()
    with pytest.raises(DevnetEvmError, match="64 hex"):
        chain.mint(chain.accounts[0], 1, "abc", 0)
    with pytest.raises(DevnetEvmError, match="reverted"):
        chain.burn(chain.accounts[1], 1, "bcrt1q")  # nothing to burn
    with pytest.raises(DevnetEvmError, match="reorg depth"):
        chain.reorg(chain.head() + 1)
