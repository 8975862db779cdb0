"""Test helpers: supply_event rows written straight from a DevnetEvm's logs (the monitor's job, done tiny)."""

from __future__ import annotations

from eth_abi import decode
from eth_utils import keccak

from reserves.storage.supply_models import ZERO_ADDRESS, SupplyEventRow

TRANSFER = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
MINT = "0x" + keccak(text="Mint(address,uint256,bytes32,uint32)").hex()
BURN = "0x" + keccak(text="Burn(address,uint256,string)").hex()


def _address(topic: str) -> str:
    return "0x" + topic[-40:].lower()


def event_rows(deployment: str, evm, first_block: int = 0) -> list[SupplyEventRow]:
    """Every Transfer/Mint/Burn log of the devnet token from `first_block` to the head, as monitor rows. Logs of
    other contracts on the same chain (a provider's collateral token mints too) are not the token's events."""
    token = evm.contract.lower()
    rows = []
    for number in range(first_block, evm.head() + 1):
        block = evm.tester.get_block_by_number(number)
        for tx_hash in block["transactions"]:
            for entry in evm.tester.get_transaction_receipt(tx_hash)["logs"]:
                if entry["address"].lower() != token:
                    continue
                row = _row(deployment, entry)
                if row is not None:
                    rows.append(row)
    return rows


def _row(deployment: str, entry: dict) -> SupplyEventRow | None:
    topics, data = entry["topics"], bytes.fromhex(entry["data"][2:])
    base = dict(
        deployment=deployment,
        block_number=entry["block_number"],
        log_index=entry["log_index"],
        block_hash=entry["block_hash"].lower(),
        tx_hash=entry["transaction_hash"].lower(),
    )
    if topics[0] == TRANSFER:
        (amount,) = decode(["uint256"], data)
        return SupplyEventRow(
            **base, kind="transfer", from_address=_address(topics[1]), to_address=_address(topics[2]), amount=amount
        )
    if topics[0] == MINT:
        amount, vout = decode(["uint256", "uint32"], data)
        return SupplyEventRow(
            **base,
            kind="mint",
            to_address=_address(topics[1]),
            amount=amount,
            deposit_txid=topics[2][2:].lower(),
            deposit_vout=vout,
        )
    if topics[0] == BURN:
        amount, address = decode(["uint256", "string"], data)
        return SupplyEventRow(**base, kind="burn", from_address=_address(topics[1]), amount=amount, btc_address=address)
    return None


def transfer(
    deployment: str,
    block: int,
    log: int,
    amount: int,
    *,
    mint: bool = True,
    tx: str | None = None,
    block_hash: str | None = None,
) -> SupplyEventRow:
    """A Transfer from (mint) or to (burn) 0x0 with no Mint/Burn log beside it."""
    holder = "0x" + "ab" * 20
    return SupplyEventRow(
        deployment=deployment,
        block_number=block,
        log_index=log,
        block_hash=block_hash or "0x" + f"{block:064x}",
        tx_hash=tx or "0x" + f"{block:032x}{log:032x}",
        kind="transfer",
        from_address=ZERO_ADDRESS if mint else holder,
        to_address=holder if mint else ZERO_ADDRESS,
        amount=amount,
    )


def mint_pair(
    deployment: str, block: int, log: int, amount: int, txid: str, vout: int, tx: str | None = None
) -> list[SupplyEventRow]:
    """A Transfer from 0x0 and its Mint log (as ReserveToken emits them)."""
    t = transfer(deployment, block, log, amount, tx=tx)
    m = SupplyEventRow(
        deployment=deployment,
        block_number=block,
        log_index=log + 1,
        block_hash=t.block_hash,
        tx_hash=t.tx_hash,
        kind="mint",
        to_address=t.to_address,
        amount=amount,
        deposit_txid=txid,
        deposit_vout=vout,
    )
    return [t, m]


def burn_pair(deployment: str, block: int, log: int, amount: int, address: str) -> list[SupplyEventRow]:
    t = transfer(deployment, block, log, amount, mint=False)
    b = SupplyEventRow(
        deployment=deployment,
        block_number=block,
        log_index=log + 1,
        block_hash=t.block_hash,
        tx_hash=t.tx_hash,
        kind="burn",
        from_address=t.from_address,
        amount=amount,
        btc_address=address,
    )
    return [t, b]
