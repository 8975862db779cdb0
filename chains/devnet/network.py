"""The whole devnet: a regtest chain behind Esplora, EVM chains behind JSON-RPC, and a driver that moves coins.

The portal reads it exactly like real chains: `reserve_sources()` and `deployment_sources()` give
plain adapter configurations (URLs, named wallets, contracts) and nothing else. The driver plays
the custodian and its customers: deposits to reserve addresses, a mint of the same amount net of
the fee once a deposit is 6 blocks deep, burns followed by a release of BTC from the reserve.
The reserve shows every case the counting rules know: a 2-of-3 with a time-locked recovery branch
(spendable now), a vault whose deposits are locked for VAULT_OLDER_BLOCKS blocks, a coinbase paying
a reserve address (immature for 100 blocks), and an address two wallets both declare (a duplicate).
The token shows every supply term: devnet-ethereum (native) declares an issuer treasury customers
sometimes sell back to and a burn address, and is read from two RPC servers with quorum 2;
devnet-l2 is native; devnet-bridged is a lock-and-mint representation of devnet-ethereum whose
lockbox sits on devnet-ethereum (chains/devnet/bridge.py). Bridging moves no BTC.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any

from embit import ec
from litestar import Litestar

from chains.bitcoin.wallets import WalletSpec, parse_wallets
from chains.devnet.bitcoin import RegtestChain, regtest_script
from chains.devnet.bridge import Bridge
from chains.devnet.btc_wallet import CONTRACT_AFTER_HEIGHTS, WpkhWallet
from chains.devnet.custody import MINT_FEE_BP, RESERVE_KINDS, ReserveKeys
from chains.devnet.esplora import serve_chain
from chains.devnet.evm import DevnetEvm
from chains.devnet.http import StopServer, serve_in_thread
from chains.devnet.prices import DevnetPrices, FeedContract, TickerApp
from chains.devnet.providers import DevnetProviders
from chains.devnet.reconcile_cases import make_broken_cases
from chains.safety import clamp_recursion_limit

log = logging.getLogger(__name__)

FIRST_EVM_CHAIN_ID = 31337
EVM_NAMES = ["devnet-ethereum", "devnet-l2", "devnet-bridged"]
BRIDGED_INDEX = 2  # evms[2] is a representation of evms[0]; no deposit mints there
TREASURY_ACCOUNT = 8  # eth-tester account index of the issuer's treasury on devnet-ethereum
BURN_ADDRESS = "0x000000000000000000000000000000000000dEaD"
BURNED_ONCE = 300_000  # raw units sent to BURN_ADDRESS at start (0.003 RBTC)
DEPOSIT_CONFIRMATIONS = 6  # mint once the deposit counts as a reserve
EVM_CONFIRMATIONS = 2  # the adapter reads supply at head minus this
# The custodian's own coins. While the supply is young (~14 BTC) a release can spend a 1.2 BTC coin
# whose change counts only 6 blocks later: 0.8 BTC let such a dip reach 99.6 %; 3 BTC keeps > 102 %.
BUFFER_SAT = 300_000_000
RELEASE_FEE_MARGIN = 10_000
RESERVE_SOURCE = "devnet-custody"
# The custodian's locked contracts (sats), funded at start; with the vault they make the `locked` tier.
CONTRACT_SAT = {"dlc-short": 200_000_000, "dlc-long": 300_000_000}
# Tiers of the devnet's reserve: about 37 % locked at start; when dlc-short expires its 2 BTC move
# to `liquid` and `locked` leaves its band (a policy finding, the status unchanged).
LOCKED_WALLETS = ("vault", *CONTRACT_AFTER_HEIGHTS)
TIER_TARGETS = {"locked": (4000, 500), "liquid": (6000, 500)}
BUFFER_INDEX = 5  # hot child holding the buffer; also declared by the "buffer" list
COINBASE_INDEX = 9  # taproot child a coinbase pays at start (immature for 100 blocks)


def deployment_name(index: int) -> str:
    """The deployment name of `evms[index]`."""
    return EVM_NAMES[index] if index < len(EVM_NAMES) else f"devnet-evm-{index + 1}"


@dataclass
class PendingDeposit:
    txid: str
    vout: int
    value_sat: int
    customer: int  # index of the EVM account that gets the tokens


@dataclass
class Devnet:
    """Handle of a running devnet; build it with `Devnet.start()`, release it with `stop()`."""

    chain: RegtestChain
    evms: list[DevnetEvm]
    esplora_url: str
    evm_urls: list[str]
    rng: random.Random
    replica_url: str | None = None  # a second JSON-RPC server of evms[0] (quorum of two)
    bridge: Bridge | None = None
    prices: DevnetPrices | None = None  # the exchange tickers and the feed contract on evms[0]
    ticker_url: str | None = None
    providers: DevnetProviders | None = None  # with two EVM chains or more
    pending: list[PendingDeposit] = field(default_factory=list)
    releases: list[tuple[str, int]] = field(default_factory=list)
    contracts: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> funding outpoint
    _keys: ReserveKeys | None = None  # built on first use
    _stops: list[StopServer] = field(default_factory=list)

    @classmethod
    def start(
        cls, *, evm_chains: int = 3, seed: int = 2026, host: str = "127.0.0.1", advertise_host: str | None = None
    ) -> Devnet:
        """Mine the start of the chains and serve them on free ports of `host`; the URLs the
        devnet hands out name `advertise_host` (default `host`)."""
        clamp_recursion_limit()  # py-evm raised it when chains.devnet.evm was imported
        chain = RegtestChain()
        # Mature coinbases for the funding wallet, stamped in the past so that the chain's tip
        # time stays behind the wall clock (a tip in the future would look odd on the dashboard).
        chain.mine(101, time=int(time.time()) - 600)
        evms = []
        for i in range(evm_chains):
            evm = DevnetEvm(FIRST_EVM_CHAIN_ID + i)
            evm.deploy()
            evms.append(evm)
        esplora_url, stop_esplora = serve_chain(chain, host)
        served = [serve_in_thread(evm.app, host) for evm in evms]
        # The same chain behind a second server: devnet-ethereum is read from both, quorum 2.
        replica = serve_in_thread(
            Litestar(route_handlers=[evms[0].route_handler("/")], openapi_config=None, logging_config=None), host
        )
        tickers = TickerApp()
        ticker = serve_in_thread(tickers, host)
        if advertise_host:
            ticker = (_advertised(ticker[0], advertise_host), ticker[1])
            esplora_url, served, replica = (
                _advertised(esplora_url, advertise_host),
                [(_advertised(u, advertise_host), stop) for u, stop in served],
                (_advertised(replica[0], advertise_host), replica[1]),
            )
        bridge = Bridge(evms[0], evms[BRIDGED_INDEX]) if len(evms) > BRIDGED_INDEX else None
        market = DevnetPrices(tickers, FeedContract(evms[0]), random.Random(seed + 1))
        net = cls(
            chain,
            evms,
            esplora_url,
            [url for url, _ in served],
            random.Random(seed),
            replica_url=replica[0],
            bridge=bridge,
            prices=market,
            ticker_url=ticker[0],
            _stops=[stop_esplora, *[stop for _, stop in served], replica[1], ticker[1]],
        )
        if len(evms) > 1:
            net.providers = DevnetProviders(
                chain,
                evms[0],
                evms[1],
                deployment_name(0),
                deployment_name(1),
                RESERVE_SOURCE,
                WpkhWallet("providers", 0),
                random.Random(seed + 2),  # its own: the rest of the devnet's seeded sequence does not change
                market,
            )
        net._bootstrap()
        return net

    def _bootstrap(self) -> None:
        """Initial state: customer deposits to every reserve wallet, minted, plus the buffer."""
        for i, kind in enumerate(RESERVE_KINDS):
            for j in range(3):
                self._deposit(kind, index=j, value=(j + 1) * 40_000_000 + i * 7_000_000)
        self.chain.send(
            self.chain.wallets.reserve_address("wpkh", BUFFER_INDEX), BUFFER_SAT, from_wallet=self.chain.wallets.funding
        )
        for name, value in CONTRACT_SAT.items():
            address = self.chain.wallets.contract_address(name)
            txid = self.chain.send(address, value, from_wallet=self.chain.wallets.funding)
            self.contracts[name] = (txid, self._vout_paying(txid, address))
        if self.providers is not None:
            self.providers.fund_bitcoin(self.chain.wallets.funding)
        # The custodian mines one block paying the reserve: not counted until it matures.
        self.chain.mine(
            1, time=int(time.time()) - 60, to_address=self.chain.wallets.reserve_address("tr", COINBASE_INDEX)
        )
        self.chain.mine(DEPOSIT_CONFIRMATIONS - 1, time=int(time.time()) - 59)
        self._mint_matured()
        make_broken_cases(self, MINT_FEE_BP)
        self._bootstrap_held()
        if self.prices is not None:
            self.prices.tick()  # the feed's first round and the tickers' first prices
        if self.providers is not None:
            self.providers.fund_evm()
        for evm in self.evms:
            evm.mine(EVM_CONFIRMATIONS)

    def price_sources(self) -> list[dict]:
        """`[[prices.sources]]` tables: four tickers (Binance's misbehaves now and then) and the feed."""
        if self.prices is None or self.ticker_url is None:
            return []
        return self.prices.source_tables(self.ticker_url, self.evm_urls[0])

    def reserve_sources(self) -> list[tuple[str, str, dict]]:
        """(name, kind, config) of the reserve: one Esplora source declaring the named wallets."""
        return [
            (
                RESERVE_SOURCE,
                "bitcoin-esplora",
                {
                    "esplora_url": self.esplora_url,
                    "network": "regtest",
                    "wallets": self._wallet_tables(),
                    "min_confirmations": DEPOSIT_CONFIRMATIONS,
                    "max_age_seconds": 600,
                },
            )
        ]

    def _wallet_tables(self) -> list[dict]:
        descriptors = self.chain.wallets.reserve_descriptors
        tables = [
            {"name": name, "label": label, "descriptor": descriptors[kind], "gap_limit": 20}
            for kind, (name, label) in RESERVE_KINDS.items()
        ]
        contracts = self.chain.wallets.contract_descriptors
        tables += [{"name": name, "label": f"Locked contract {name}", "descriptor": d} for name, d in contracts.items()]
        buffer = self.chain.wallets.reserve_address("wpkh", BUFFER_INDEX)
        # Also covered by "hot", declared first: its coins count once, under "hot", listed as duplicates.
        tables.append({"name": "buffer", "label": "Custodian's buffer (also in the hot wallet)", "addresses": [buffer]})
        return tables

    def tier_tables(self) -> dict[str, list[dict]]:
        """`[[tiers]]` and `[[contracts]]` as a config file would declare them for the devnet's reserve."""
        names = [t["name"] for t in self._wallet_tables()]
        locked, liquid = TIER_TARGETS["locked"], TIER_TARGETS["liquid"]
        tiers = [
            {"name": "locked", "target_bp": locked[0], "band_bp": locked[1], "wallets": list(LOCKED_WALLETS)}
            | {"locked": True, "unlocked_to": "liquid"},
            {
                "name": "liquid",
                "target_bp": liquid[0],
                "band_bp": liquid[1],
                "wallets": [n for n in names if n not in LOCKED_WALLETS],
            },
        ]
        contracts = [
            {
                "name": name,
                "outpoint": f"{txid}:{vout}",
                "wallet": name,
                "descriptor": self.chain.wallets.contract_descriptors[name],
                "amount_sat": CONTRACT_SAT[name],
                "unlock_height": CONTRACT_AFTER_HEIGHTS[name],
            }
            for name, (txid, vout) in self.contracts.items()
        ]
        return {"tiers": tiers, "contracts": contracts}

    def reserve_wallets(self) -> list[WalletSpec]:
        """The declared reserve wallets, as the portal parses them."""
        return list(parse_wallets(self._wallet_tables(), "regtest", f"reserves.{RESERVE_SOURCE}.wallets"))

    def signing_keys(self, address: str) -> list[ec.PrivateKey]:
        """Private keys of every declared key at reserve `address` (see ReserveKeys)."""
        if self._keys is None:
            self._keys = ReserveKeys(self.reserve_wallets())
        return self._keys.signing_keys(address)

    def deployment_sources(self) -> list[tuple[str, str, dict]]:
        """(name, kind, table) of the token on each EVM chain, read at head minus 2.

        The tables are what a config file's `[[deployments]]` would hold: devnet-ethereum declares
        its treasury and burn exclusions and two RPC URLs (quorum 2); devnet-bridged declares
        `role = "bridge"` with its lockbox on devnet-ethereum.
        """
        out = []
        for i, (evm, url) in enumerate(zip(self.evms, self.evm_urls)):
            # A TOML table: values of any TOML type (a bridge adds an array of tables).
            table: dict[str, Any] = {
                "chain_id": f"eip155:{evm.chain_id}",
                "rpc_url": url,
                "contract": evm.contract,
                "expected_decimals": evm.decimals,
                "confirmations": EVM_CONFIRMATIONS,
                "max_age_seconds": 600,
            }
            if i == 0:
                del table["rpc_url"]
                table |= self._native_extras(url)
            if self.bridge is not None and evm is self.bridge.target:
                table |= {
                    "role": "bridge",
                    "bridge_source": deployment_name(0),
                    "lockboxes": [
                        {
                            "address": self.bridge.lockbox,
                            "category": "lockbox",
                            "reason": f"Bridge lockbox on {deployment_name(0)}: backs every {deployment_name(i)} token",
                        }
                    ],
                }
            out.append((deployment_name(i), "evm-erc20", table))
        return out

    def _native_extras(self, url: str) -> dict:
        """devnet-ethereum's exclusions, and its two JSON-RPC servers read with quorum 2."""
        urls = [url] if self.replica_url is None else [url, self.replica_url]
        return {"rpc_urls": urls, "quorum": len(urls), "exclusions": self.exclusion_tables()}

    def exclusion_tables(self) -> list[dict]:
        """The held addresses devnet-ethereum declares itself (bridges add their lockboxes)."""
        return [
            {
                "address": self.treasury,
                "category": "treasury",
                "reason": "Issuer treasury: tokens bought back from customers, not in circulation until resold",
            },
            {
                "address": BURN_ADDRESS,
                "category": "burn",
                "reason": "0x…dEaD: no key exists for it, tokens sent there can never move again",
            },
        ]

    def provider_tables(self) -> list[dict]:
        """The `[[providers]]` tables of the devnet's liquidity providers (chains/devnet/providers.py)."""
        return [] if self.providers is None else self.providers.tables()

    @property
    def treasury(self) -> str:
        return self.evms[0].accounts[TREASURY_ACCOUNT]

    def native_evms(self) -> list[DevnetEvm]:
        """The chains where deposits are minted and customers burn for BTC (not the bridged one)."""
        return [evm for evm in self.evms if self.bridge is None or evm is not self.bridge.target]

    def tick(self) -> None:
        """One step: maybe a deposit, maybe a burn, a Bitcoin block, mints that matured, EVM blocks."""
        roll = self.rng.random()
        if roll < 0.5:
            kind = self.rng.choice(list(RESERVE_KINDS))  # the vault too: its deposits count, locked
            self._deposit(kind, index=self.rng.randrange(0, 6), value=self.rng.randrange(5, 60) * 1_000_000)
        elif roll < 0.7:
            self._burn()
        self.chain.mine(1)
        self._release()
        self._mint_matured()
        self._treasury_trade()
        if self.bridge is not None:
            self.bridge.step(self.rng)
        if self.prices is not None:
            self.prices.tick()
        if self.providers is not None:
            self.providers.step()
        for evm in self.evms:
            evm.mine(1)

    def stop(self) -> None:
        for stop in self._stops:
            stop(wait=False)  # all of them wind down together
        for stop in self._stops:
            stop()
        self._stops.clear()

    def _deposit(self, kind: str, *, index: int, value: int) -> None:
        address = self.chain.wallets.reserve_address(kind, index)
        txid = self.chain.send(address, value, from_wallet=self.chain.wallets.funding)
        vout = self._vout_paying(txid, address)
        self.pending.append(PendingDeposit(txid, vout, value, customer=1 + self.rng.randrange(0, 4)))

    def _vout_paying(self, txid: str, address: str) -> int:
        script = regtest_script(address)
        for vout in range(8):
            out = self.chain.output(txid, vout)
            if out is not None and out.script_pubkey == script:
                return vout
        raise RuntimeError(f"devnet: {txid} does not pay {address}")

    def _mint_matured(self) -> None:
        tip = self.chain.tip_height
        still = []
        for dep in self.pending:
            out = self.chain.output(dep.txid, dep.vout)
            if out is None or out.height is None or tip - out.height + 1 < DEPOSIT_CONFIRMATIONS:
                still.append(dep)
                continue
            natives = self.native_evms()
            evm = natives[int(dep.txid[:8], 16) % len(natives)]
            amount = dep.value_sat - dep.value_sat * MINT_FEE_BP // 10_000
            evm.mint(evm.accounts[dep.customer], amount, dep.txid, dep.vout)
        self.pending = still

    def _burn(self) -> None:
        """A customer burns tokens on one chain; the custodian releases the BTC on the next tick."""
        evm = self.rng.choice(self.native_evms())
        holder = evm.accounts[1 + self.rng.randrange(0, 4)]
        balance = evm.balance_of(holder)
        amount = min(balance, self.rng.randrange(1, 20) * 1_000_000)
        reserve = self.chain.wallets.reserve_wpkh
        if amount < 100_000 or self.chain.balance(reserve) < amount + BUFFER_SAT:
            return
        address = self.chain.wallets.funding.address(7)
        evm.burn(holder, amount, address)
        self.releases.append((address, amount))

    def _bootstrap_held(self) -> None:
        """Every held term non-zero from the first attestation: a burn, a treasury buy-back, a bridging."""
        evm = self.evms[0]
        evm.transfer(evm.accounts[1], BURN_ADDRESS, BURNED_ONCE)
        evm.transfer(evm.accounts[2], self.treasury, 2_000_000)
        if self.bridge is not None:
            self.bridge.lock(evm.accounts[3], 5_000_000)
            self.bridge.settle()

    def _treasury_trade(self) -> None:
        """Customers sometimes sell tokens back to the issuer's treasury; it sometimes resells them."""
        evm, roll = self.evms[0], self.rng.random()
        customer = evm.accounts[1 + self.rng.randrange(0, 4)]
        if roll < 0.1:
            amount = min(evm.balance_of(customer), self.rng.randrange(1, 5) * 1_000_000)
            if amount > 0:
                evm.transfer(customer, self.treasury, amount)
        elif roll < 0.17:
            amount = min(evm.balance_of(self.treasury), self.rng.randrange(1, 5) * 1_000_000)
            if amount > 0:
                evm.transfer(self.treasury, customer, amount)

    def _release(self) -> None:
        """Pay burned amounts out of the reserve, each from the smallest coin that covers it.

        Change is unconfirmed for 6 blocks and so does not count: spending a small coin keeps that
        (real, conservative) dip in counted reserves small. A release with no coin big enough
        waits for a later tick.
        """
        reserve = self.chain.wallets.reserve_wpkh
        waiting = []
        for address, amount in self.releases:
            coins = sorted(self.chain.spendable(reserve), key=lambda c: c.value)
            coin = next((c for c in coins if c.value >= amount + RELEASE_FEE_MARGIN), None)
            if coin is None:
                waiting.append((address, amount))
                continue
            tx = reserve.build_payment([coin], regtest_script(address), amount, fee_rate=2)
            self.chain.submit(tx)
        self.releases = waiting


def _advertised(url: str, host: str) -> str:
    """`url` with its host replaced by `host` (the name other machines reach the devnet by)."""
    scheme, rest = url.split("://", 1)
    port = rest.rsplit(":", 1)[1]
    return f"{scheme}://{host}:{port}"
