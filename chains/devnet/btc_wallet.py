"""Deterministic devnet wallets: keys from fixed seeds, reserve descriptors, P2WPKH signing with embit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

from embit import bip32, bip39, ec, hashes
from embit.descriptor import Descriptor
from embit.descriptor.checksum import add_checksum
from embit.networks import NETWORKS
from embit.script import Script, Witness, p2pkh, p2wpkh
from embit.transaction import SIGHASH, Transaction, TransactionInput, TransactionOutput

from chains.errors import ChainError

# Addresses per wallet whose keys are kept at hand; devnet wallets never go further.
KEYS_PER_WALLET = 64
# Fee estimate for P2WPKH spends (vbytes): overhead + per input + per output.
_TX_OVERHEAD_VB, _INPUT_VB, _OUTPUT_VB = 11, 68, 31
DUST_SAT = 546


class DevnetError(ChainError):
    """The devnet was asked for something it cannot do (no funds, invalid transaction, bad time)."""

    code = "devnet"


def _root(label: str) -> tuple[bip32.HDKey, str]:
    """A regtest master key from a fixed mnemonic derived from `label` (same keys on every run)."""
    mnemonic = bip39.mnemonic_from_bytes(hashlib.sha256(b"reserves-devnet:" + label.encode()).digest()[:16])
    seed = bip39.mnemonic_to_seed(mnemonic)
    return bip32.HDKey.from_seed(seed, version=NETWORKS["regtest"]["xprv"]), mnemonic


@dataclass(frozen=True)
class Coin:
    """An output a wallet can spend: outpoint, value in sats, its scriptPubKey bytes."""

    txid: str
    vout: int
    value: int
    script_pubkey: bytes


class WpkhWallet:
    """A BIP-84-style P2WPKH wallet on branch 0 of one account (`m/84h/1h/<account>h/0/i`).

    Change returns to child 0, so a declared `wpkh(.../0/*)` reserve keeps seeing its change.
    """

    def __init__(self, label: str, account: int) -> None:
        root, self.mnemonic = _root(label)
        self.path = f"m/84h/1h/{account}h"
        self._account = root.derive(self.path)
        self.fingerprint = root.my_fingerprint.hex()

    @cached_property
    def descriptor(self) -> str:
        """`wpkh([fp/84h/1h/Nh]tpub.../0/*)#checksum` (public, watch-only)."""
        xpub = self._account.to_public().to_base58(NETWORKS["regtest"]["xpub"])
        return add_checksum(f"wpkh([{self.fingerprint}{self.path[1:]}]{xpub}/0/*)")

    @cached_property
    def _keys(self) -> dict[bytes, ec.PrivateKey]:
        keys = {}
        for i in range(KEYS_PER_WALLET):
            key = self._account.derive([0, i]).key
            keys[p2wpkh(key.get_public_key()).data] = key
        return keys

    @cached_property
    def _addresses(self) -> list[str]:
        return [Script(spk).address(NETWORKS["regtest"]) for spk in self._keys]

    def address(self, index: int = 0) -> str:
        """Regtest address of child `index` (0 <= index < KEYS_PER_WALLET)."""
        return self._addresses[index]

    def script_pubkey(self, index: int = 0) -> bytes:
        return list(self._keys)[index]

    def owns(self, script_pubkey: bytes) -> bool:
        return script_pubkey in self._keys

    @property
    def scripts(self) -> list[bytes]:
        return list(self._keys)

    def build_payment(self, coins: list[Coin], to_script: bytes, value: int, fee_rate: int) -> Transaction:
        """A signed transaction paying `value` sats to `to_script` from `coins`, change to child 0.

        Coins are taken largest first; the fee is `fee_rate` sat/vB of a P2WPKH size estimate. Change
        below the dust limit goes to the fee.
        """
        if value < DUST_SAT:
            raise DevnetError(f"payment of {value} sat is below the dust limit")
        chosen: list[Coin] = []
        for coin in sorted(coins, key=lambda c: (-c.value, c.txid, c.vout)):
            chosen.append(coin)
            fee = fee_rate * (_TX_OVERHEAD_VB + _INPUT_VB * len(chosen) + 2 * _OUTPUT_VB)
            if sum(c.value for c in chosen) >= value + fee:
                break
        else:
            raise DevnetError(f"insufficient funds: {sum(c.value for c in coins)} sat spendable, {value} asked + fee")
        outputs = [TransactionOutput(value, Script(to_script))]
        change = sum(c.value for c in chosen) - value - fee
        if change >= DUST_SAT:
            outputs.append(TransactionOutput(change, Script(self.script_pubkey(0))))
        vin = [TransactionInput(bytes.fromhex(c.txid), c.vout, sequence=0xFFFFFFFD) for c in chosen]
        tx = Transaction(version=2, vin=vin, vout=outputs, locktime=0)
        self.sign(tx, chosen)
        return tx

    def sign(self, tx: Transaction, coins: list[Coin]) -> None:
        """Sign every input of `tx` (spending `coins` in order) with BIP-143 SIGHASH_ALL."""
        for i, coin in enumerate(coins):
            key = self._keys.get(coin.script_pubkey)
            if key is None:
                raise DevnetError(f"input {i} does not belong to this wallet")
            pub = key.get_public_key()
            digest = tx.sighash_segwit(i, p2pkh(pub), coin.value, sighash=SIGHASH.ALL)
            sig = key.sign(digest)
            tx.vin[i].witness = Witness([sig.serialize() + bytes([SIGHASH.ALL]), pub.sec()])


def verify_p2wpkh_input(tx: Transaction, index: int, prev_script: bytes, prev_value: int) -> bool:
    """Whether input `index` of `tx` is a valid P2WPKH spend of (`prev_script`, `prev_value`)."""
    items = tx.vin[index].witness.items
    if len(prev_script) != 22 or prev_script[:2] != b"\x00\x14" or len(items) != 2 or tx.vin[index].script_sig.data:
        return False
    sig_bytes, pub_bytes = items
    if not sig_bytes or hashes.hash160(pub_bytes) != prev_script[2:]:
        return False
    try:
        pub = ec.PublicKey.parse(pub_bytes)
        sig = ec.Signature.parse(sig_bytes[:-1])
        digest = tx.sighash_segwit(index, p2pkh(pub), prev_value, sighash=sig_bytes[-1])
    except Exception:  # noqa: BLE001 - malformed key, DER or sighash type: not a valid spend
        return False
    return pub.compressed and pub.verify(sig, digest)


# Lock numbers of the devnet's time-locked wallets: the recovery branch of the 2-of-3 opens at a
# height the devnet never reaches; vault deposits stay locked for a week of blocks.
RECOVERY_AFTER_HEIGHT = 1_000_000
VAULT_OLDER_BLOCKS = 1008
# Locked contracts (DLC-like: one key, spendable after a height): the first opens a few minutes into
# a `make run` session (the devnet starts near height 110, a block every 5 s), the second far later.
CONTRACT_AFTER_HEIGHTS = {"dlc-short": 180, "dlc-long": 5000}
_CONTRACT_PATH = "m/48h/1h/2h/2h"
_COSIGNER_PATH = "m/48h/1h/0h/2h"
_RECOVERY_PATH = "m/48h/1h/1h/2h"


def _xpub(label: str, path: str) -> str:
    """`[fingerprint/path]tpub` of account `path` under the devnet root `label`."""
    root, _ = _root(label)
    xpub = root.derive(path).to_public().to_base58(NETWORKS["regtest"]["xpub"])
    return f"[{root.my_fingerprint.hex()}{path[1:]}]{xpub}"


class DevnetWallets:
    """The devnet's fixed cast of wallets.

    - `funding`: P2WPKH wallet that receives coinbases and pays customers' deposits;
    - `reserve_wpkh`: P2WPKH reserve wallet that can spend (releases);
    - `reserve_descriptors`: the declared reserves, all regtest, ranged on `/0/*`: `wpkh`, `tr`
      (key path, BIP-86 keys), `wsh_sortedmulti` (2 of 3 BIP-48 cosigner keys), `wsh_recovery`
      (2 of 3, or a recovery key after block RECOVERY_AFTER_HEIGHT) and `wsh_vault` (one key,
      each coin VAULT_OLDER_BLOCKS blocks after its deposit).
    `KEY_SOURCES[kind]` names the (root label, account path) of each declared key, in declaration
    order, so that the devnet can hand out private keys for proofs of control.
    """

    KEY_SOURCES: dict[str, list[tuple[str, str]]] = {
        "wpkh": [("reserve", "m/84h/1h/1h")],
        "tr": [("reserve", "m/86h/1h/0h")],
        "wsh_sortedmulti": [(c, _COSIGNER_PATH) for c in ("cosigner-a", "cosigner-b", "cosigner-c")],
        "wsh_recovery": [(c, _RECOVERY_PATH) for c in ("cosigner-a", "cosigner-b", "cosigner-c", "recovery")],
        "wsh_vault": [("vault", _COSIGNER_PATH)],
    }

    def __init__(self) -> None:
        self.funding = WpkhWallet("funding", 0)
        self.reserve_wpkh = WpkhWallet("reserve", 1)
        self._objects: dict[str, Descriptor] = {}

    @cached_property
    def reserve_descriptors(self) -> dict[str, str]:
        keys = {kind: [f"{_xpub(label, path)}/0/*" for label, path in srcs] for kind, srcs in self.KEY_SOURCES.items()}
        a, b, c, recovery = keys["wsh_recovery"]
        return {
            "wpkh": self.reserve_wpkh.descriptor,
            "tr": add_checksum(f"tr({keys['tr'][0]})"),
            "wsh_sortedmulti": add_checksum(f"wsh(sortedmulti(2,{','.join(keys['wsh_sortedmulti'])}))"),
            "wsh_recovery": add_checksum(
                f"wsh(or_d(multi(2,{a},{b},{c}),and_v(v:pk({recovery}),after({RECOVERY_AFTER_HEIGHT}))))"
            ),
            "wsh_vault": add_checksum(f"wsh(and_v(v:pk({keys['wsh_vault'][0]}),older({VAULT_OLDER_BLOCKS})))"),
        }

    @cached_property
    def contract_descriptors(self) -> dict[str, str]:
        """Non-ranged `wsh(and_v(v:pk(K),after(n)))` per contract of CONTRACT_AFTER_HEIGHTS, each its own key."""
        out = {}
        for i, (name, height) in enumerate(CONTRACT_AFTER_HEIGHTS.items()):
            key = f"{_xpub('contract', _CONTRACT_PATH)}/0/{i}"
            out[name] = add_checksum(f"wsh(and_v(v:pk({key}),after({height})))")
        return out

    def contract_address(self, name: str) -> str:
        """Regtest address of contract `name` (see `contract_descriptors`)."""
        desc = Descriptor.from_string(self.contract_descriptors[name].split("#")[0])
        return desc.derive(0).address(NETWORKS["regtest"])

    def reserve_address(self, kind: str, index: int = 0) -> str:
        """Regtest address of child `index` of reserve descriptor `kind` (see `reserve_descriptors`)."""
        return self._parsed(kind).derive(index).address(NETWORKS["regtest"])

    def _parsed(self, kind: str) -> Descriptor:
        if kind not in self._objects:
            self._objects[kind] = Descriptor.from_string(self.reserve_descriptors[kind].split("#")[0])
        return self._objects[kind]

    def private_keys(self, kind: str, index: int, branch: int = 0) -> list[ec.PrivateKey]:
        """Private keys of every declared key of `kind` at child `index` (declaration order).

        Taproot keys are the internal (untweaked) keys, as a BIP-322 signer expects them.
        """
        out = []
        for label, path in self.KEY_SOURCES[kind]:
            root, _ = _root(label)
            out.append(root.derive(f"{path}/{branch}/{index}").key)
        return out
