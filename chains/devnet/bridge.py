"""The devnet's lock-and-mint bridge: tokens locked in a lockbox on the native chain, minted on another.

Bridging in: a customer transfers X to the lockbox on the source chain; a later tick the bridge mints
X to the same address on the representation chain (a `mint` against the all-zero deposit txid: it
is backed by the lockbox, not by a Bitcoin deposit). Bridging back: the customer burns X on the
representation (btcAddress "bridge:<holder>", no BTC is released); a later tick the lockbox pays X
back on the source chain. No step moves BTC. Between the two halves tokens are "in flight": locked
but not yet minted, or burned but not yet released; the supply rule (native entry minus the
lockbox, bridge entry max(locked, minted)) counts them once in every state. Acting one tick apart
also keeps the readings (head minus N on each chain) from seeing a release before its burn.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from chains.devnet.evm import DevnetEvm

LOCKBOX_ACCOUNT = 7  # eth-tester account index of the lockbox on the source chain
NO_DEPOSIT_TXID = "00" * 32  # bridge mints name no Bitcoin deposit
BRIDGE_MEMO = "bridge:{holder}"  # btcAddress of a burn that bridges back (no BTC release)
MIN_BRIDGE = 100_000  # raw units (8 decimals): 0.001 RBTC


@dataclass
class Bridge:
    """A lock-and-mint bridge from `source` (native) to `target` (representation), driven by `step`.

    `inbound` holds (holder, units) locked on the source and not yet minted on the target;
    `outbound` holds (holder, units) burned on the target and not yet released on the source.
    Both chains use the same decimals, so units map one to one.
    """

    source: DevnetEvm
    target: DevnetEvm
    customers: tuple[int, ...] = (1, 2, 3, 4)
    inbound: list[tuple[str, int]] = field(default_factory=list)
    outbound: list[tuple[str, int]] = field(default_factory=list)
    bridged_in: int = 0  # operations completed, for tests and logs
    bridged_out: int = 0

    @property
    def lockbox(self) -> str:
        """The lockbox address on the source chain (an eth-tester account the driver controls)."""
        return self.source.accounts[LOCKBOX_ACCOUNT]

    def step(self, rng: random.Random) -> None:
        """Finish what earlier ticks started, then maybe start one new bridge in or out."""
        self.settle()
        roll = rng.random()
        if roll < 0.25:
            self.lock(self.source.accounts[rng.choice(self.customers)], rng.randrange(1, 10) * 1_000_000)
        elif roll < 0.4:
            self.redeem(self.target.accounts[rng.choice(self.customers)], rng.randrange(1, 10) * 1_000_000)

    def lock(self, holder: str, amount: int) -> int:
        """Move up to `amount` of `holder`'s units into the lockbox; returns what was locked (0: none)."""
        amount = min(amount, self.source.balance_of(holder))
        if amount < MIN_BRIDGE:
            return 0
        self.source.transfer(holder, self.lockbox, amount)
        self.inbound.append((holder, amount))
        return amount

    def redeem(self, holder: str, amount: int) -> int:
        """Burn up to `amount` of `holder`'s representation to bridge it back; returns what was burned."""
        amount = min(amount, self.target.balance_of(holder))
        if amount < MIN_BRIDGE:
            return 0
        self.target.burn(holder, amount, BRIDGE_MEMO.format(holder=holder))
        self.outbound.append((holder, amount))
        return amount

    def settle(self) -> None:
        """Mint what was locked, release what was burned (each started at least one tick ago)."""
        for holder, amount in self.inbound:
            self.target.mint(holder, amount, NO_DEPOSIT_TXID, 0)
            self.bridged_in += 1
        for holder, amount in self.outbound:
            self.source.transfer(self.lockbox, holder, amount)
            self.bridged_out += 1
        self.inbound, self.outbound = [], []
