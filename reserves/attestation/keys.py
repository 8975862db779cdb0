"""BIP-340 signing keys: loading, generating, signing 32-byte digests, verifying."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import tempfile
from pathlib import Path

from embit.util import secp256k1

from chains.hexes import is_hex64
from reserves.attestation import eip712
from reserves.errors import SigningKeyError

_KEY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
EVM_KEY_TAG = b"reserves-portal/eip712-key/v1"


def _xonly_internal(pubkey_xonly: bytes) -> bytes:
    """libsecp256k1's 64-byte xonly_pubkey for a 32-byte x coordinate (even y per BIP-340)."""
    point = secp256k1.ec_pubkey_parse(b"\x02" + pubkey_xonly)
    internal, _parity = secp256k1.xonly_pubkey_from_pubkey(point)
    return internal


def is_xonly_pubkey(pubkey_hex: object) -> bool:
    """True when `pubkey_hex` is 64 lowercase hex digits naming a point on the curve."""
    if not isinstance(pubkey_hex, str) or len(pubkey_hex) != 64 or pubkey_hex != pubkey_hex.lower():
        return False
    try:
        _xonly_internal(bytes.fromhex(pubkey_hex))
        return True
    except Exception:  # noqa: BLE001 - not hex or not on the curve
        return False


def default_key_id(pubkey_hex: str) -> str:
    """`engine-` + first 16 hex digits of SHA-256 of the x-only public key bytes."""
    return "engine-" + hashlib.sha256(bytes.fromhex(pubkey_hex)).hexdigest()[:16]


class SigningKey:
    """A BIP-340 secret key. The secret never appears in repr, str or error messages.

    `pubkey_hex` is the 32-byte x-only public key in lowercase hex; `key_id` names it in
    signatures (default: `default_key_id(pubkey_hex)`).
    """

    __slots__ = ("_secret", "pubkey_hex", "key_id", "_evm_secret")

    def __init__(self, secret: bytes, *, key_id: str | None = None) -> None:
        if not isinstance(secret, (bytes, bytearray)) or len(secret) != 32:
            raise SigningKeyError("a signing key is exactly 32 bytes")
        secret = bytes(secret)
        try:
            valid = secp256k1.ec_seckey_verify(secret)
            pub = secp256k1.ec_pubkey_create(secret) if valid else None
        except ValueError as exc:  # libsecp256k1's messages never contain the secret
            raise SigningKeyError("invalid secp256k1 secret key") from exc
        if not valid or pub is None:
            raise SigningKeyError("invalid secp256k1 secret key (zero or not below the group order)")
        xonly = secp256k1.ec_pubkey_serialize(pub, secp256k1.EC_COMPRESSED)[1:33]
        if key_id is not None and not _KEY_ID.fullmatch(key_id):
            raise SigningKeyError("key_id must be 1-64 chars of letters, digits, '.', '_', ':', '-'")
        self._secret = secret
        self.pubkey_hex = xonly.hex()
        self.key_id = key_id or default_key_id(self.pubkey_hex)
        self._evm_secret: bytes | None = None

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id!r}, pubkey={self.pubkey_hex})"

    __str__ = __repr__

    def __reduce__(self):  # pickling would copy the secret somewhere we do not control
        raise TypeError("SigningKey cannot be pickled")

    def sign_digest(self, digest32: bytes, *, aux_rand: bytes | None = None) -> bytes:
        """64-byte BIP-340 signature of a 32-byte digest; aux randomness from os.urandom."""
        if not isinstance(digest32, (bytes, bytearray)) or len(digest32) != 32:
            raise SigningKeyError("only 32-byte digests are signed")
        aux = os.urandom(32) if aux_rand is None else aux_rand
        if len(aux) != 32:
            raise SigningKeyError("aux_rand must be 32 bytes")
        try:
            sig = secp256k1.schnorrsig_sign(bytes(digest32), self._secret, None, aux)
        except (ValueError, AssertionError) as exc:
            raise SigningKeyError("signing failed") from exc
        # Verify before release: a faulty signature would leak nothing but would be published.
        if not verify_bip340(bytes.fromhex(self.pubkey_hex), bytes(digest32), sig):
            raise SigningKeyError("signature failed self-check")
        return sig

    def _evm(self) -> bytes:
        """The EIP-712 signing secret, derived from this key: one key file, and a rotation of the
        engine key rotates its EVM address with it. sha256 of a tag and the secret; a scalar out
        of range (probability ~2**-128) is refused rather than adjusted."""
        if self._evm_secret is None:
            derived = hashlib.sha256(EVM_KEY_TAG + self._secret).digest()
            if not secp256k1.ec_seckey_verify(derived):
                raise SigningKeyError("the derived EIP-712 key is out of range; use another signing key")
            self._evm_secret = derived
        return self._evm_secret

    def mac(self, purpose: bytes, data: bytes) -> str:
        """HMAC-SHA256 hex of `data` under a key derived from this secret for `purpose`: a fingerprint
        nobody without the key can test guesses against (configurations hold passwords and URLs
        with API keys)."""
        key = hashlib.sha256(b"reserves-portal/mac/v1/" + purpose + b"/" + self._secret).digest()
        return hmac.new(key, data, hashlib.sha256).hexdigest()

    @property
    def evm_address(self) -> str:
        """Lowercase 0x address of the derived EIP-712 key."""
        return eip712.address_of(self._evm())

    def sign_eip712(self, signable) -> str:
        """0x-hex 65-byte r||s||v signature of an eth_account SignableMessage (low s, v 27/28)."""
        try:
            signature = eip712.sign_with(self._evm(), signable)
        except Exception as exc:
            raise SigningKeyError("EIP-712 signing failed") from exc
        return "0x" + signature.hex()


def verify_bip340(pubkey_xonly32: bytes, digest32: bytes, sig64: bytes) -> bool:
    """True iff `sig64` is a valid BIP-340 signature of `digest32` by `pubkey_xonly32`.

    Never raises: wrong lengths, wrong types, points not on the curve all give False.
    """
    try:
        if not all(isinstance(b, (bytes, bytearray)) for b in (pubkey_xonly32, digest32, sig64)):
            return False
        if len(pubkey_xonly32) != 32 or len(digest32) != 32 or len(sig64) != 64:
            return False
        internal = _xonly_internal(bytes(pubkey_xonly32))
        return bool(secp256k1.schnorrsig_verify(bytes(sig64), bytes(digest32), internal))
    except Exception:  # noqa: BLE001 - any failure to parse means "not a valid signature"
        return False


def verify_bip340_hex(pubkey_hex: object, digest32: bytes, sig_hex: object) -> bool:
    """`verify_bip340` on hex strings; non-strings and non-hex give False."""
    if not isinstance(pubkey_hex, str) or not isinstance(sig_hex, str):
        return False
    try:
        return verify_bip340(bytes.fromhex(pubkey_hex), digest32, bytes.fromhex(sig_hex))
    except ValueError:
        return False


def _parse_secret_hex(text: str, origin: str) -> bytes:
    value = text.strip()
    if not is_hex64(value, any_case=True):
        # Never echo the value: it may be a secret with a typo.
        raise SigningKeyError(f"{origin}: expected 64 hex characters")
    return bytes.fromhex(value)


def load_signing_key(
    *, path: str | os.PathLike | None = None, env_value: str | None = None, key_id: str | None = None
) -> SigningKey:
    """Load a key from a hex file (`path`) or a hex string (`env_value`); exactly one is given.

    A key file readable by group or others is refused, like ssh does.
    """
    if env_value is not None and path is None:
        return SigningKey(_parse_secret_hex(env_value, "signing key value"), key_id=key_id)
    if path is None or env_value is not None:
        raise SigningKeyError("give exactly one of path or env_value")
    p = Path(path)
    try:
        mode = p.stat().st_mode
        if os.name == "posix" and mode & 0o077:
            raise SigningKeyError(f"key file {p} is accessible by others; chmod 600 it")
        text = p.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise SigningKeyError(f"cannot read key file {p}: {type(exc).__name__}") from exc
    return SigningKey(_parse_secret_hex(text, f"key file {p}"), key_id=key_id)


def generate_key_file(path: str | os.PathLike, *, key_id: str | None = None) -> SigningKey:
    """Create a new random key at `path` (hex, mode 0600, written atomically); never overwrites."""
    p = Path(path)
    while True:
        secret = os.urandom(32)
        if secp256k1.ec_seckey_verify(secret):
            break
    key = SigningKey(secret, key_id=key_id)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".key-", suffix=".tmp")
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secret.hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        # link() fails if the target exists, so a concurrent writer cannot be clobbered, and
        # readers never see a half-written file.
        os.link(tmp, p)
    except FileExistsError as exc:
        raise SigningKeyError(f"key file {p} already exists; refusing to overwrite") from exc
    except OSError as exc:
        raise SigningKeyError(f"cannot write key file {p}: {type(exc).__name__}") from exc
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return key
