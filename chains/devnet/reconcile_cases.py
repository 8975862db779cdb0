"""Broken reconciliation cases the devnet makes on purpose, so the portal shows what it catches."""

from __future__ import annotations

import hashlib
from typing import Any

from chains.devnet.bitcoin import regtest_script

# A txid no Bitcoin transaction has (sha256 of a sentence: nobody can make a transaction hash to it).
NO_SUCH_DEPOSIT = hashlib.sha256(b"devnet: a deposit that never happened").hexdigest()
# Small amounts (sats): together about 0.012 BTC of unbacked tokens against the 3 BTC buffer.
NOT_RESERVE_SAT = 300_000
WRONG_AMOUNT_SAT = 400_000
REUSED_SAT = 500_000
UNRELEASED_BURN = 150_000
# Funding-wallet children nothing else of the devnet pays (deposits' change goes to child 0,
# releases to child 7).
NOT_RESERVE_CHILD = 9
UNRELEASED_CHILD = 10
# Hot-wallet children used for the cases' reserve deposits (inside the declared gap limit).
WRONG_AMOUNT_CHILD = 11
REUSED_CHILD = 12


def make_broken_cases(devnet: Any, mint_fee_bp: int) -> dict[str, str]:
    """Mint without deposit, deposit to a non-reserve address, mint above the deposit net of fee,
    a deposit minted twice, a mint naming a missing output, and a burn never released.
    Called once at devnet start; returns case name -> token transaction hash."""

    chain, wallets = devnet.chain, devnet.chain.wallets
    evm = devnet.evms[0]
    customer = evm.accounts[1]

    def net(value: int) -> int:
        return value - value * mint_fee_bp // 10_000

    def deposit(address: str, value: int) -> tuple[str, int]:
        txid = chain.send(address, value, from_wallet=wallets.funding)
        return txid, _vout_paying(chain, txid, address)

    cases = {"deposit_not_found": evm.mint(customer, 200_000, NO_SUCH_DEPOSIT, 0)}
    txid, vout = deposit(wallets.funding.address(NOT_RESERVE_CHILD), NOT_RESERVE_SAT)
    cases["not_reserve_address"] = evm.mint(customer, net(NOT_RESERVE_SAT), txid, vout)
    txid, vout = deposit(wallets.reserve_address("wpkh", WRONG_AMOUNT_CHILD), WRONG_AMOUNT_SAT)
    cases["amount_mismatch"] = evm.mint(customer, WRONG_AMOUNT_SAT, txid, vout)  # the fee was not taken
    txid, vout = deposit(wallets.reserve_address("wpkh", REUSED_CHILD), REUSED_SAT)
    cases["well_formed"] = evm.mint(customer, net(REUSED_SAT), txid, vout)
    cases["deposit_reused"] = evm.mint(customer, net(REUSED_SAT), txid, vout)
    cases["output_not_found"] = evm.mint(customer, 100_000, txid, 7)
    # Paid nowhere: the driver's releases only serve what it appends to devnet.releases.
    cases["unreleased"] = evm.burn(customer, UNRELEASED_BURN, wallets.funding.address(UNRELEASED_CHILD))
    devnet.broken_cases = cases
    return cases


def _vout_paying(chain: Any, txid: str, address: str) -> int:
    script = regtest_script(address)
    tx = chain.tx(txid)
    return next(i for i, out in enumerate(tx.tx.vout) if out.script_pubkey.data == script)
