"""Output descriptors and addresses of declared reserves: parsing, checks and expansion with embit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from embit import bip32, ec
from embit.descriptor import Descriptor
from embit.descriptor.checksum import checksum as embit_checksum
from embit.networks import NETWORKS
from embit.script import address_to_scriptpubkey

from chains.errors import ChainConfigError

NETWORK_NAMES = ("main", "test", "signet", "regtest")
MAX_DESCRIPTOR_CHARS = 8192
# Consensus/standardness limits: a P2SH redeem script is at most 520 bytes (pushed as one stack
# element); a P2WSH witness script at most 3600 bytes (standardness). BIP-383 lists sh(multi())
# with 16 keys as invalid because of the first.
MAX_REDEEM_SCRIPT = 520
MAX_WITNESS_SCRIPT = 3600

# BIP-380 key origin: exactly 8 hex digits, then /index steps with h or ' as hardened marker.
_ORIGIN = re.compile(r"\[[0-9a-fA-F]{8}(?:/[0-9]+[h']?)*\]")
# Shapes embit accepts but BIP-380 forbids: capital H hardened marker, empty path step.
_BAD_STEP = re.compile(r"/(?:[0-9]+|\*)H|/(?=[/,)\]])")
_UPPER_BECH32 = re.compile(r"(?:BC|TB|BCRT)1[02-9AC-HJ-NP-Z]+")


def network_params(network: str) -> dict[str, Any]:
    """embit's parameter table of `network` (main, test, signet, regtest)."""
    if network not in NETWORK_NAMES:
        raise ChainConfigError(f"unknown network {network!r}; expected one of {', '.join(NETWORK_NAMES)}")
    return NETWORKS[network]


def strip_checksum(text: str) -> str:
    """The descriptor without its `#checksum`, after checking the checksum when one is given (BIP-380)."""
    body, sep, given = text.partition("#")
    try:
        expected = embit_checksum(body)
    except Exception as exc:  # embit raises its own error type for characters outside the charset
        raise ChainConfigError("descriptor has characters outside the BIP-380 character set") from exc
    if sep and given != expected:
        raise ChainConfigError("descriptor checksum does not match (BIP-380)")
    return body


def normalize_address(address: str, network: str) -> str:
    """The canonical form of `address` (lowercase for bech32); ChainConfigError when invalid or of another network."""
    params = network_params(network)
    if not isinstance(address, str) or not 14 <= len(address) <= 90:
        raise ChainConfigError("not a Bitcoin address")
    # Bech32 may be written all upper case (QR codes); embit decodes lower case only. Base58 is
    # case-sensitive and mixed-case bech32 is invalid, so nothing else is folded.
    candidate = address.lower() if _UPPER_BECH32.fullmatch(address) else address
    try:
        canonical = address_to_scriptpubkey(candidate).address(params)
    except Exception as exc:  # embit raises several types for undecodable input
        raise ChainConfigError("not a valid Bitcoin address") from exc
    if candidate != canonical:
        raise ChainConfigError(f"address is not a {params['name']} address")
    return canonical


# Derived addresses by (descriptor text, network, branch, index), shared by every parse of the same
# descriptor in the process: derivation is pure-Python EC work (milliseconds per child), and every
# wallet of every source is parsed again by each role and each check that needs it.
MAX_DERIVED = 500_000
_DERIVED: dict[tuple[str, str, int, int], str] = {}


@dataclass(frozen=True)
class ReserveDescriptor:
    """A checked output descriptor of one network.

    `ranged` descriptors (`/*`) yield one address per child index (non-hardened, 0 <= i < 2**31) and per
    branch (`<0;1>` multipath gives two); a non-ranged one yields exactly one address per branch.
    """

    text: str
    network: str
    ranged: bool
    branches: int
    _desc: Descriptor = field(repr=False, compare=False)

    def address(self, index: int, branch: int = 0) -> str:
        """The address of child `index` on `branch` (index is ignored for non-ranged descriptors)."""
        if not 0 <= index < bip32.HARDENED_INDEX or not 0 <= branch < self.branches:
            raise ChainConfigError(f"child index {index} / branch {branch} out of range")
        index = index if self.ranged else 0
        key = (self.text, self.network, branch, index)
        found = _DERIVED.get(key)
        if found is not None:
            return found
        try:
            derived = self._desc.derive(index, branch_index=branch)
            address = derived.address(NETWORKS[self.network])
        except Exception as exc:
            raise ChainConfigError("descriptor cannot be expanded") from exc
        if len(_DERIVED) >= MAX_DERIVED:
            _DERIVED.clear()  # a bound, not a policy: the next lookups derive again
        _DERIVED[key] = address
        return address

    def script_pubkey(self, index: int, branch: int = 0) -> bytes:
        """The scriptPubKey bytes of child `index` on `branch`."""
        derived = self._desc.derive(index if self.ranged else 0, branch_index=branch)
        return derived.script_pubkey().data


def parse_descriptor(text: str, network: str, *, allow_private: bool = False) -> ReserveDescriptor:
    """Parse and check `text` (optionally `#checksum`-suffixed) for `network`.

    Reserves are public declarations, so private keys are refused unless `allow_private` (used only
    for test vectors). Errors never echo the descriptor, which could hold a key.
    """
    params = network_params(network)
    if not isinstance(text, str) or not text or len(text) > MAX_DESCRIPTOR_CHARS:
        raise ChainConfigError(f"descriptor must be a non-empty string of at most {MAX_DESCRIPTOR_CHARS} chars")
    body = strip_checksum(text.strip())
    _check_syntax(body)
    try:
        desc = Descriptor.from_string(body)
    except Exception as exc:  # embit's parser raises ValueError, EmbitError, AssertionError...
        raise ChainConfigError(f"unsupported or invalid descriptor: {_reason(exc)}") from exc
    _check_keys(desc, params, allow_private)
    parsed = ReserveDescriptor(body, network, bool(desc.is_wildcard), int(desc.num_branches), desc)
    _check_scripts(parsed)
    return parsed


def _reason(exc: Exception) -> str:
    # embit messages can quote the offending key material; keep only the error class.
    return type(exc).__name__


def _check_syntax(body: str) -> None:
    for match in re.finditer(r"\[[^\]]*\]?", body):
        if not _ORIGIN.fullmatch(match.group(0)):
            raise ChainConfigError("invalid key origin (BIP-380: [8 hex digits/path])")
    if "]" in _ORIGIN.sub("", body):
        raise ChainConfigError("key origin without opening '['")
    if _BAD_STEP.search(body):
        raise ChainConfigError("invalid derivation step (BIP-380 allows digits with h or ')")


def _check_keys(desc: Descriptor, params: dict[str, Any], allow_private: bool) -> None:
    witness = bool(desc.is_segwit or desc.wsh or desc.taproot)
    allowed_versions = {params["xpub"], params["xprv"]}
    for key in desc.keys:
        if key.is_private and not allow_private:
            raise ChainConfigError("descriptor holds a private key; declare the public (xpub/tpub) form")
        if key.is_extended and key.key.version not in allowed_versions:
            raise ChainConfigError(f"extended key is not a {params['name']} key (wrong network)")
        if witness and not _compressed(key.key):
            raise ChainConfigError("uncompressed public key in a segwit or taproot descriptor")


def _compressed(key: Any) -> bool:
    if isinstance(key, bip32.HDKey):
        return True
    if isinstance(key, (ec.PrivateKey, ec.PublicKey)):
        return bool(key.compressed)
    return False


def _check_scripts(parsed: ReserveDescriptor) -> None:
    """Expand child 0 of every branch once so that unexpandable descriptors fail at config time."""
    for branch in range(parsed.branches):
        try:
            derived = parsed._desc.derive(0, branch_index=branch)
            redeem = derived.redeem_script()
            witness = derived.witness_script()
            derived.address(NETWORKS[parsed.network])
        except Exception as exc:  # hardened steps after an xpub, hardened wildcards, ...
            raise ChainConfigError(f"descriptor cannot be expanded: {_reason(exc)}") from exc
        if redeem is not None and len(redeem.data) > MAX_REDEEM_SCRIPT:
            raise ChainConfigError(f"P2SH redeem script exceeds {MAX_REDEEM_SCRIPT} bytes")
        if witness is not None and len(witness.data) > MAX_WITNESS_SCRIPT:
            raise ChainConfigError(f"P2WSH witness script exceeds {MAX_WITNESS_SCRIPT} bytes")
