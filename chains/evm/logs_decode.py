"""Token logs as eth_getLogs returns them, checked and decoded: Transfer, Mint and Burn of ReserveToken.

Every check names the chain and block: a log that breaks one is data we cannot trust, and the
whole range is refused (never half stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from chains.errors import ChainDataError
from chains.hexes import EVM_DATA, EVM_QUANTITY, is_evm_hash

TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
MINT_TOPIC = "0x" + keccak(text="Mint(address,uint256,bytes32,uint32)").hex()
BURN_TOPIC = "0x" + keccak(text="Burn(address,uint256,string)").hex()
TOPIC_KINDS = {TRANSFER_TOPIC: "transfer", MINT_TOPIC: "mint", BURN_TOPIC: "burn"}
ZERO_ADDRESS = "0x" + "00" * 20
# A Burn's Bitcoin address is chosen by any holder: an odd one must not stop the replay, so it
# is kept only when it is printable UTF-8 of a sane length (reconciliation flags the rest).
MAX_BTC_ADDRESS = 200
_WORD_HEX = 64


@dataclass(frozen=True)
class TokenLog:
    """One decoded token log. Addresses and hashes are lowercase 0x-hex, amounts raw token units.

    `kind` is "transfer" (from/to set; from 0x0 mints, to 0x0 burns), "mint" (to, amount,
    deposit_txid as 64 hex without 0x, deposit_vout) or "burn" (from, amount, btc_address, None
    when the holder wrote something unusable).
    """

    block_number: int
    block_hash: str
    log_index: int
    tx_hash: str
    kind: str
    amount: int
    from_address: str | None = None
    to_address: str | None = None
    deposit_txid: str | None = None
    deposit_vout: int | None = None
    btc_address: str | None = None


def decode_logs(raw: Any, label: str, contract: str, start: int, end: int) -> list[TokenLog]:
    """Check and decode an eth_getLogs result for blocks [start, end] of `contract`.

    Raises ChainDataError (naming `label` and the block) unless: every log is of `contract`,
    has a known topic0 and the right topic/data layout, is not `removed`, lies in [start, end],
    the logs are strictly increasing by (blockNumber, logIndex) (so no duplicates), and all logs
    of one block carry the same blockHash.
    """
    if not isinstance(raw, list):
        raise ChainDataError(f"{label}: eth_getLogs [{start}, {end}] returned {type(raw).__name__}, not a list")
    contract = contract.lower()
    out: list[TokenLog] = []
    hashes: dict[int, str] = {}
    last = (-1, -1)
    for item in raw:
        log = _decode_one(item, label, contract, start, end)
        where = f"{label}: block {log.block_number}"
        if (log.block_number, log.log_index) <= last:
            raise ChainDataError(
                f"{where}: logs out of order or duplicated (log {log.log_index} after {last[1]} of block {last[0]})"
            )
        last = (log.block_number, log.log_index)
        if hashes.setdefault(log.block_number, log.block_hash) != log.block_hash:
            raise ChainDataError(f"{where}: logs of one block carry two block hashes")
        out.append(log)
    return out


def _decode_one(item: Any, label: str, contract: str, start: int, end: int) -> TokenLog:
    if not isinstance(item, dict):
        raise ChainDataError(f"{label}: eth_getLogs [{start}, {end}]: a log is not an object")
    number = quantity(item.get("blockNumber"))
    if number is None or not start <= number <= end:
        raise ChainDataError(
            f"{label}: eth_getLogs [{start}, {end}]: log of block {item.get('blockNumber')!r} outside the range"
        )
    where = f"{label}: block {number}"
    if item.get("removed", False) is not False:
        raise ChainDataError(f"{where}: node returned a removed log")
    address = item.get("address")
    if not isinstance(address, str) or address.lower() != contract:
        raise ChainDataError(f"{where}: log of another contract ({str(address)[:42]!r})")
    index = quantity(item.get("logIndex"))
    block_hash, tx_hash = _hash(item.get("blockHash")), _hash(item.get("transactionHash"))
    if index is None or block_hash is None or tx_hash is None:
        raise ChainDataError(f"{where}: log without a valid logIndex, blockHash or transactionHash")
    topics, data = item.get("topics"), item.get("data")
    if not isinstance(topics, list) or not topics or not all(_hash(t) for t in topics):
        raise ChainDataError(f"{where}: log {index} has malformed topics")
    if not isinstance(data, str) or not EVM_DATA.fullmatch(data.lower()):
        raise ChainDataError(f"{where}: log {index} has malformed data")
    topics = [t.lower() for t in topics]
    kind = TOPIC_KINDS.get(topics[0])
    if kind is None:
        raise ChainDataError(f"{where}: log {index} has an unknown topic0 {topics[0]}")
    fields = _FIELDS[kind](topics, bytes.fromhex(data[2:]))
    if fields is None:
        raise ChainDataError(f"{where}: {kind} log {index} has the wrong topic or data layout")
    return TokenLog(block_number=number, block_hash=block_hash, log_index=index, tx_hash=tx_hash, kind=kind, **fields)


def _transfer(topics: list[str], data: bytes) -> dict[str, Any] | None:
    if len(topics) != 3 or len(data) != 32:
        return None
    src, dst = _topic_address(topics[1]), _topic_address(topics[2])
    if src is None or dst is None:
        return None
    return {"from_address": src, "to_address": dst, "amount": int.from_bytes(data, "big")}


def _mint(topics: list[str], data: bytes) -> dict[str, Any] | None:
    if len(topics) != 3 or len(data) != 64:
        return None
    to, vout = _topic_address(topics[1]), int.from_bytes(data[32:], "big")
    if to is None or vout >= 2**32:
        return None
    return {
        "to_address": to,
        "amount": int.from_bytes(data[:32], "big"),
        "deposit_txid": topics[2][2:],
        "deposit_vout": vout,
    }


def _burn(topics: list[str], data: bytes) -> dict[str, Any] | None:
    # ABI: amount word, offset word (0x40), length word, the string padded to whole words.
    if len(topics) != 2 or len(data) < 96 or int.from_bytes(data[32:64], "big") != 64:
        return None
    src, length = _topic_address(topics[1]), int.from_bytes(data[64:96], "big")
    if src is None or length > len(data) - 96 or len(data) != 96 + -(-length // 32) * 32:
        return None
    return {
        "from_address": src,
        "amount": int.from_bytes(data[:32], "big"),
        "btc_address": _btc_address(data[96 : 96 + length]),
    }


def _btc_address(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if 0 < len(text) <= MAX_BTC_ADDRESS and text.isprintable() else None


_FIELDS = {"transfer": _transfer, "mint": _mint, "burn": _burn}


def _topic_address(topic: str) -> str | None:
    """The address in an indexed address topic (12 zero bytes, then 20), or None."""
    if topic[2:26] != "0" * 24:
        return None
    return "0x" + topic[26:]


def _hash(value: Any) -> str | None:
    if isinstance(value, str) and is_evm_hash(value.lower()):
        return value.lower()
    return None


def quantity(value: Any) -> int | None:
    """A JSON-RPC quantity ("0x1a") as int, or None when it is not one."""
    if isinstance(value, str) and EVM_QUANTITY.fullmatch(value.lower()):
        return int(value, 16)
    return None


def block_hash(value: Any) -> str | None:
    """A 32-byte 0x-hex hash, lowercased, or None."""
    return _hash(value)
