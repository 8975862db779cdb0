"""TEST DOUBLE part: Bitcoin Core's `scantxoutset` scan objects (descriptors, ranges) over a RegtestChain."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from embit.descriptor import Descriptor
from embit.descriptor.checksum import checksum as descriptor_checksum
from embit.networks import NETWORKS
from embit.script import Script, address_to_scriptpubkey

from chains.devnet.bitcoin import RegtestChain

DEFAULT_RANGE = (0, 1000)  # Core's default when a ranged descriptor comes without "range"
MAX_RANGE_SPAN = 1_000_000  # Core refuses wider ranges ("Range is too large")
_ADDR = re.compile(r"addr\(([^()]{1,100})\)")
_RAW = re.compile(r"raw\(((?:[0-9a-fA-F]{2}){1,10000})\)")


class RpcFault(Exception):
    """A JSON-RPC error the double answers with: Core's `code` and `message`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Needle:
    """A script a scan looks for and the descriptor Core would infer for it."""

    script: bytes
    desc: str


def _checked(text: str) -> str:
    body, sep, given = text.partition("#")
    try:
        computed = descriptor_checksum(body)
    except Exception as exc:  # embit raises its own error for characters outside the charset
        raise RpcFault(-5, "Invalid characters in payload") from exc
    if sep and given != computed:
        raise RpcFault(-5, f"Provided checksum '{given[:16]}' does not match computed checksum '{computed}'")
    return body


def _range(value: Any) -> tuple[int, int]:
    """Core's ParseDescriptorRange: a number n means [0, n]; else [begin, end], inclusive."""
    if isinstance(value, int) and not isinstance(value, bool):
        begin, end = 0, value
    elif (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        begin, end = value
    else:
        raise RpcFault(-1, "Range must be specified as end or as [begin,end]")
    if begin < 0 or end < 0:
        raise RpcFault(-8, "Range should be greater or equal than 0")
    if begin > end:
        raise RpcFault(-8, "Range specified as [begin,end] must not have begin after end")
    if end >= 0x80000000:
        raise RpcFault(-8, "End of range is too high")
    if end - begin >= MAX_RANGE_SPAN:
        raise RpcFault(-8, "Range is too large")
    return begin, end


def expand(scan_object: Any, cache: dict[tuple[str, int, int], list[Needle]]) -> list[Needle]:
    """The scripts one scan object stands for (`cache` keeps ranged expansions between scans)."""
    if isinstance(scan_object, str):
        text, given = scan_object, None
    elif isinstance(scan_object, dict) and isinstance(scan_object.get("desc"), str):
        text, given = scan_object["desc"], scan_object.get("range")
    else:
        raise RpcFault(-8, "Scan object needs to be either a string or an object")
    body = _checked(text)
    params = NETWORKS["regtest"]
    if match := _ADDR.fullmatch(body):
        try:
            script = address_to_scriptpubkey(match.group(1))
            if script.address(params) != match.group(1):
                raise ValueError("another network")
        except Exception as exc:
            raise RpcFault(-5, "Address is not valid") from exc
        return [Needle(script.data, _desc_of(script.data))]
    if match := _RAW.fullmatch(body):
        script = bytes.fromhex(match.group(1))
        return [Needle(script, _desc_of(script))]
    try:
        desc = Descriptor.from_string(body)
    except Exception as exc:  # embit's parser raises several types
        raise RpcFault(-5, "Invalid descriptor") from exc
    if desc.num_branches != 1:
        raise RpcFault(-5, "Multipath descriptors are not allowed here")
    if not desc.is_wildcard:
        if given is not None:
            raise RpcFault(-8, "Range should not be specified for an un-ranged descriptor")
        return [Needle(desc.derive(0).script_pubkey().data, _desc_of(desc.derive(0).script_pubkey().data))]
    begin, end = _range(given) if given is not None else DEFAULT_RANGE
    key = (body, begin, end)
    if key not in cache:
        cache[key] = [
            Needle(s, _desc_of(s)) for s in (desc.derive(i).script_pubkey().data for i in range(begin, end + 1))
        ]
    return cache[key]


def _desc_of(script: bytes) -> str:
    # Core infers a descriptor from the scan's keys; the double gives the address form it falls
    # back to, which carries the same script.
    address = Script(script).address(NETWORKS["regtest"]) if Script(script).script_type() else None
    body = f"addr({address})" if address else f"raw({script.hex()})"
    return f"{body}#{descriptor_checksum(body)}"


def btc(sats: int) -> Decimal:
    """Core's amount form: BTC with exactly 8 decimals."""
    return (Decimal(sats) / Decimal(100_000_000)).quantize(Decimal("0.00000001"))


def scan_chain(chain: RegtestChain, needles: list[Needle]) -> dict[str, Any]:
    """The `scantxoutset start` result: confirmed outputs not spent in a block, at the chain's tip.

    Core's UTXO set holds only block outputs, so mempool outputs are absent and outputs a mempool
    transaction spends are still there. The genesis coinbase is not in it; OP_RETURN outputs neither.
    """
    wanted = {n.script: n for n in needles}
    with chain.lock:
        tip = chain.tip_height
        found: list[dict[str, Any]] = []
        txouts = 0
        for block in chain.blocks()[1:]:
            for txid in block.txids:
                rec = chain.tx(txid)
                for vout, out in enumerate(rec.tx.vout):
                    spender = chain.spender(txid, vout)
                    if out.script_pubkey.data[:1] == b"\x6a" or (spender and chain.tx(spender).height is not None):
                        continue
                    txouts += 1
                    needle = wanted.get(out.script_pubkey.data)
                    if needle is not None:
                        found.append(
                            {
                                "txid": txid,
                                "vout": vout,
                                "scriptPubKey": out.script_pubkey.data.hex(),
                                "desc": needle.desc,
                                "amount": btc(out.value),
                                "coinbase": rec.is_coinbase,
                                "height": block.height,
                                "blockhash": block.hash,
                                "confirmations": tip - block.height + 1,
                            }
                        )
        return {
            "success": True,
            "txouts": txouts,
            "height": tip,
            "bestblock": chain.tip_hash,
            "unspents": found,
            "total_amount": btc(sum(int(u["amount"] * 100_000_000) for u in found)),
        }
