"""Descriptor expansion against the BIP-380..386, BIP-84/86 and derived-address vectors (../shared/vectors)."""

from __future__ import annotations

import ast
import re

import pytest
from embit import bip32, bip39
from embit.networks import NETWORKS

from chains.bitcoin.descriptors import normalize_address, parse_descriptor, strip_checksum
from chains.errors import ChainConfigError
from tests.bitcoin.conftest import load_vector

BIPS = load_vector("descriptors-bip380-386.json")["bips"]
DERIVED = load_vector("descriptors-derived-addresses.json")["entries"]
BIP84_86 = load_vector("bip84-bip86-address-vectors.json")


def unsupported_reason(descriptor: str) -> str | None:
    """Why a VALID vector cannot be expanded by embit 0.8 (and so is refused by us), or None.

    Listed explicitly so that no vector is dropped silently; each of these raises ChainConfigError.
    """
    top = descriptor.split("(", 1)[0]
    if top in ("pk", "multi", "sortedmulti"):
        return "embit 0.8 has no top-level pk()/multi()/sortedmulti() (bare scripts have no address)"
    if top in ("combo", "raw", "addr"):
        return f"embit 0.8 does not implement {top}()"
    if re.search(r"/\*['h]", descriptor):
        return "embit 0.8 cannot parse hardened wildcards (/*h)"
    if re.search(r"(xpub|tpub)[1-9A-HJ-NP-Za-km-z]+(/[0-9]+['h]?)*/[0-9]+['h]", descriptor):
        return "hardened step after an xpub needs the private key; embit refuses it at parse time"
    return None


def _scripts(vector: dict) -> list[str]:
    value = vector.get("scripts", "[]")
    return ast.literal_eval(value) if isinstance(value, str) else list(value)


def _valid_cases() -> list[tuple[str, str, list[str]]]:
    cases = []
    for vector in BIPS["BIP-380"]["vectors"]:
        if vector["section"] == "valid":  # key expressions: wrapped in pkh(), which allows every key form
            cases.append((f"BIP-380 {vector['label']}", f"pkh({vector['value']})", []))
    for bip in ("BIP-381", "BIP-382", "BIP-383", "BIP-384", "BIP-385", "BIP-386"):
        for i, vector in enumerate(BIPS[bip]["valid"]):
            cases.append((f"{bip} valid #{i}", vector["descriptor"], _scripts(vector)))
    return cases


def _invalid_cases() -> list[tuple[str, str]]:
    cases = []
    for vector in BIPS["BIP-380"]["vectors"]:
        if vector["section"] == "invalid":
            cases.append((f"BIP-380 {vector['label']}", f"pkh({vector['value']})"))
    for bip in ("BIP-381", "BIP-382", "BIP-383", "BIP-384", "BIP-385", "BIP-386"):
        for vector in BIPS[bip]["invalid"]:
            cases.append((f"{bip} {vector['reason']}", vector["descriptor"]))
    return cases


VALID = _valid_cases()
INVALID = _invalid_cases()


@pytest.mark.parametrize(("label", "descriptor", "scripts"), VALID, ids=[c[0] for c in VALID])
def test_valid_vectors(label: str, descriptor: str, scripts: list[str]) -> None:
    reason = unsupported_reason(descriptor)
    if reason is not None:
        with pytest.raises(ChainConfigError):
            parse_descriptor(descriptor, "main", allow_private=True)
        return
    parsed = parse_descriptor(descriptor, "main", allow_private=True)
    # Ranged vectors list children 0, 1, 2; non-ranged ones a single script. Some vectors
    # (BIP-380 key expressions, BIP-386 tr(KEY,pkh(...))) publish no script: parsing is the check.
    for index, expected in enumerate(scripts):
        assert parsed.script_pubkey(index).hex() == expected


def test_supported_vector_count() -> None:
    """Guard against the unsupported list growing silently: most valid vectors must be expanded."""
    supported = [c for c in VALID if unsupported_reason(c[1]) is None]
    assert len(supported) >= 40, len(supported)
    assert sum(1 for c in supported if c[2]) >= 30


@pytest.mark.parametrize(("label", "descriptor"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_vectors(label: str, descriptor: str) -> None:
    with pytest.raises(ChainConfigError):
        parse_descriptor(descriptor, "main", allow_private=True)


@pytest.mark.parametrize("vector", BIPS["BIP-380"]["vectors"][:8], ids=lambda v: v["label"])
def test_checksum_vectors(vector: dict) -> None:
    """BIP-380 checksum section: only 'Valid checksum' and 'No checksum' are accepted."""
    if vector["label"] in ("Valid checksum", "No checksum"):
        assert strip_checksum(vector["value"]) == "raw(deadbeef)"
    else:
        with pytest.raises(ChainConfigError):
            strip_checksum(vector["value"])


def _to_testnet_keys(descriptor: str) -> str:
    """The same descriptor with xpub/xprv re-encoded as tpub/tprv (same key material, testnet version)."""

    def convert(match: re.Match[str]) -> str:
        key = bip32.HDKey.from_base58(match.group(0))
        return key.to_base58(NETWORKS["test"]["xprv" if key.is_private else "xpub"])

    return re.sub(r"x(pub|prv)[1-9A-HJ-NP-Za-km-z]{100,112}", convert, descriptor)


@pytest.mark.parametrize("entry", DERIVED, ids=lambda e: e["descriptor"][:40])
def test_derived_addresses(entry: dict) -> None:
    descriptor = entry["descriptor"]
    if unsupported_reason(descriptor):
        assert entry["embit_agrees"] is not True  # the vector file agrees embit cannot do these
        with pytest.raises(ChainConfigError):
            parse_descriptor(descriptor, "main", allow_private=True)
        return
    for network, key in (("main", "mainnet_addresses"), ("test", "testnet_addresses")):
        text = descriptor if network == "main" else _to_testnet_keys(descriptor)
        parsed = parse_descriptor(text, network, allow_private=True)
        assert [parsed.address(i) for i in range(len(entry[key]))] == entry[key]


@pytest.mark.parametrize("check", BIP84_86["descriptor_check"], ids=lambda c: f"{c['descriptor'][:4]}-{c['index']}")
def test_bip84_bip86_descriptors(check: dict) -> None:
    for text in (check["descriptor"], check["descriptor_with_checksum"]):
        assert parse_descriptor(text, "main").address(check["index"]) == check["published_address"]
    tampered = check["descriptor_with_checksum"][:-1] + ("q" if check["descriptor_with_checksum"][-1] != "q" else "p")
    with pytest.raises(ChainConfigError, match="checksum"):
        parse_descriptor(tampered, "main")


@pytest.mark.parametrize("bip", ["BIP-84", "BIP-86"])
def test_bip84_bip86_published_addresses_from_mnemonic(bip: str) -> None:
    """The published chain mnemonic -> account -> address, through our descriptor expansion."""
    blocks = BIP84_86["vectors"][bip]["published"]
    purpose = 84 if bip == "BIP-84" else 86
    root = bip32.HDKey.from_seed(bip39.mnemonic_to_seed(blocks[0]["mnemonic"]))
    account = root.derive(f"m/{purpose}h/0h/0h").to_public().to_base58(NETWORKS["main"]["xpub"])
    wrapper = "wpkh" if purpose == 84 else "tr"
    for block in blocks[2:]:
        change, index = map(int, block["label"].rsplit("/", 2)[-2:])
        parsed = parse_descriptor(f"{wrapper}({account}/{change}/*)", "main")
        assert parsed.address(index) == block["address"]


def test_wrong_network_extended_keys() -> None:
    check = BIP84_86["descriptor_check"][0]
    with pytest.raises(ChainConfigError, match="wrong network"):
        parse_descriptor(check["descriptor"], "regtest")
    with pytest.raises(ChainConfigError, match="wrong network"):
        parse_descriptor(_to_testnet_keys(check["descriptor"]), "main")


def test_private_keys_refused_without_echo() -> None:
    wif = "L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1"
    with pytest.raises(ChainConfigError) as info:
        parse_descriptor(f"wpkh({wif})", "main")
    assert wif not in str(info.value) and "private" in info.value.detail


def test_multipath_descriptor_yields_both_branches() -> None:
    xpub = BIP84_86["descriptor_check"][0]["descriptor"].split("]")[1].split("/")[0]
    parsed = parse_descriptor(f"wpkh({xpub}/<0;1>/*)", "main")
    assert parsed.branches == 2 and parsed.ranged
    assert parsed.address(0, 0) == "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
    assert parsed.address(0, 1) == "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el"


@pytest.mark.parametrize(
    ("address", "network", "expected"),
    [
        ("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", "main", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"),
        ("BC1QCR8TE4KR609GCAWUTMRZA0J4XV80JY8Z306FYU", "main", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"),
        ("3PUNyaW7M55oKWJ3kDukwk9bsKvryra15j", "main", "3PUNyaW7M55oKWJ3kDukwk9bsKvryra15j"),
        ("tb1qngw83fg8dz0k749cg7k3emc7v98wy0c7ltysd7", "signet", "tb1qngw83fg8dz0k749cg7k3emc7v98wy0c7ltysd7"),
    ],
)
def test_addresses_normalized(address: str, network: str, expected: str) -> None:
    assert normalize_address(address, network) == expected


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", "regtest"),  # mainnet address on regtest
        ("tb1qngw83fg8dz0k749cg7k3emc7v98wy0c7ltysd7", "main"),
        ("3PUNyaW7M55oKWJ3kDukwk9bsKvryra15j", "test"),
        ("bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyX", "main"),  # bad bech32 checksum
        ("not an address at all", "main"),
        ("", "main"),
    ],
)
def test_bad_addresses(address: str, network: str) -> None:
    with pytest.raises(ChainConfigError):
        normalize_address(address, network)
