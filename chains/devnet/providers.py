"""The devnet's liquidity providers: three of them, declared like a config file's `[[providers]]`.

- `lp-drift` provides 0.5 BTC (regtest addresses) against a USD stablecoin (`USDd`, 6 decimals,
  a second ReserveToken deployed on devnet-l2); the driver mints and burns its collateral from the
  devnet's seeded RNG so its ratio wanders between about 105 % and 175 % at the devnet's price,
  crossing the 150 % and 120 % lines now and then. Its band is kept at the devnet market's price
  (chains/devnet/prices.py), the "true" price the oracle's tickers quote, so the price's own walk
  moves the ratio too.
- `lp-steady` provides 0.3 BTC against 0.6 BTC of collateral, both at regtest addresses (200 %).
- `lp-native` provides an on-chain position (the RBTC its account holds on devnet-ethereum, about
  0.26) against the native coin of devnet-l2, declared as BTC with 18 decimals (as on a chain whose native coin is BTC).

Provider addresses come from a wallet of their own, never a reserve wallet: their coins are not
the custodian's reserves.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from chains.devnet.bitcoin import RegtestChain
from chains.devnet.btc_wallet import WpkhWallet
from chains.devnet.evm import DevnetEvm
from chains.devnet.prices import DevnetPrices

USD_DECIMALS = 6
DRIFT_OBLIGATION_SAT = 50_000_000
STEADY_OBLIGATION_SAT, STEADY_COLLATERAL_SAT = 30_000_000, 60_000_000
NATIVE_POSITION_UNITS = 20_000_000  # 0.2 RBTC (8 decimals) held by the provider on devnet-ethereum
NATIVE_COLLATERAL_WEI = 600_000_000_000_000_000  # 0.6 "BTC" in native units
DRIFT_LOW_BP, DRIFT_HIGH_BP, DRIFT_START_BP = 10_500, 17_500, 14_500
# eth-tester account indexes no other devnet actor uses: 0 owner, 1-4 customers, 7 the bridge's lockbox
# and 8 the treasury on devnet-ethereum (a position at the lockbox would be read as bridged tokens).
DRIFT_ACCOUNT, POSITION_ACCOUNT = 6, 9
NATIVE_HOLDER = "0x00000000000000000000000000000000c011a7e2"


def usd_units_at(bp: int, obligation_sat: int, price_e8: int) -> int:
    """USDd units (6 decimals) worth `bp` basis points of `obligation_sat` at `price_e8` (USD per BTC x 10**8)."""
    return obligation_sat * price_e8 * bp // (10**8 * 10_000 * 10 ** (8 - USD_DECIMALS))


@dataclass
class DevnetProviders:
    """The providers' coins on the devnet chains, and the driver that moves `lp-drift`'s collateral."""

    chain: RegtestChain
    l1: DevnetEvm  # devnet-ethereum: the RBTC position
    l2: DevnetEvm  # devnet-l2: USDd and the native collateral
    l1_name: str
    l2_name: str
    reserve_source: str
    wallet: WpkhWallet
    rng: random.Random
    market: DevnetPrices  # the devnet's "true" BTC price, which the oracle's sources quote
    usd: str = ""

    def fund_bitcoin(self, funding: WpkhWallet) -> None:
        """Pay the providers' regtest addresses (before the chain's first confirmations are mined)."""
        for index, value in ((0, DRIFT_OBLIGATION_SAT), (1, STEADY_OBLIGATION_SAT), (2, STEADY_COLLATERAL_SAT)):
            self.chain.send(self.wallet.address(index), value, from_wallet=funding)

    def fund_evm(self) -> None:
        """Deploy USDd and give lp-drift its collateral; move an RBTC position (bought from the customer
        holding most, so the supply does not change) to lp-native and pay its native collateral."""
        self.usd = self.l2.deploy_other("Devnet USD", "USDd", USD_DECIMALS)
        self._mint_usd(self._usd(DRIFT_START_BP))
        seller = max(self.l1.accounts[1:5], key=self.l1.balance_of)
        amount = min(NATIVE_POSITION_UNITS, self.l1.balance_of(seller))
        if amount:
            self.l1.transfer(seller, self.l1.accounts[POSITION_ACCOUNT], amount)
        self.l2.send_native(NATIVE_HOLDER, NATIVE_COLLATERAL_WEI)

    def step(self) -> None:
        """Sometimes move lp-drift's collateral by 3 % to 12 % of its obligation, within its band."""
        rng = self.rng
        if rng.random() >= 0.35:
            return
        holder = self.l2.accounts[DRIFT_ACCOUNT]
        now = self.l2.balance_of(holder, contract=self.usd)
        change = self._usd(rng.randrange(300, 1200))
        low, high = (self._usd(bp) for bp in (DRIFT_LOW_BP, DRIFT_HIGH_BP))
        if rng.random() < 0.5 and now - change >= low:
            self.l2.burn(holder, change, "collateral withdrawn", contract=self.usd)
        elif now + change <= high:
            self._mint_usd(change)

    def price_e8(self) -> int:
        """The market's BTC price now, in USD x 10**8."""
        return int(self.market.true_price * 10**8)

    def _usd(self, bp: int) -> int:
        """USDd units worth `bp` of lp-drift's obligation at the market's price now."""
        return usd_units_at(bp, DRIFT_OBLIGATION_SAT, self.price_e8())

    def _mint_usd(self, units: int) -> None:
        self.l2.mint(self.l2.accounts[DRIFT_ACCOUNT], units, "00" * 32, 0, contract=self.usd)

    def tables(self) -> list[dict[str, Any]]:
        """The `[[providers]]` tables of the devnet (what its manifest serves)."""
        btc = {"kind": "bitcoin", "source": self.reserve_source}
        return [
            {
                "name": "lp-drift",
                "obligation": btc | {"addresses": [self.wallet.address(0)]},
                "collateral": {
                    "kind": "evm-erc20",
                    "deployment": self.l2_name,
                    "token": self.usd,
                    "addresses": [self.l2.accounts[DRIFT_ACCOUNT]],
                    "decimals": USD_DECIMALS,
                    "asset": "USD",
                },
            },
            {
                "name": "lp-native",
                "obligation": {
                    "kind": "evm-erc20",
                    "deployment": self.l1_name,
                    "token": self.l1.contract,
                    "addresses": [self.l1.accounts[POSITION_ACCOUNT]],
                    "decimals": self.l1.decimals,
                },
                "collateral": {
                    "kind": "evm-native",
                    "deployment": self.l2_name,
                    "addresses": [NATIVE_HOLDER],
                    "decimals": 18,
                    "asset": "BTC",
                },
            },
            {
                "name": "lp-steady",
                "obligation": btc | {"addresses": [self.wallet.address(1)]},
                "collateral": btc | {"addresses": [self.wallet.address(2)]},
            },
        ]
