"""Signing keys: loading, generation (0600, atomic, no overwrite), secrecy, garbage-safe verify."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest

from reserves.attestation.keys import (
    SigningKey,
    default_key_id,
    generate_key_file,
    load_signing_key,
    verify_bip340,
    verify_bip340_hex,
)
from reserves.errors import SigningKeyError

SECRET_HEX = "b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef"
PUBKEY_HEX = "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659"  # BIP-340 vector 1


def test_pubkey_and_default_key_id():
    key = SigningKey(bytes.fromhex(SECRET_HEX))
    assert key.pubkey_hex == PUBKEY_HEX
    assert key.key_id == "engine-" + hashlib.sha256(bytes.fromhex(PUBKEY_HEX)).hexdigest()[:16]
    assert key.key_id == default_key_id(PUBKEY_HEX)
    assert SigningKey(bytes.fromhex(SECRET_HEX), key_id="ops-2025").key_id == "ops-2025"


def test_secret_never_shown():
    key = load_signing_key(env_value=SECRET_HEX)
    for text in (repr(key), str(key), f"{key}"):
        assert SECRET_HEX not in text and SECRET_HEX.upper() not in text
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(key)


@pytest.mark.parametrize("bad", ["", "zz" * 32, SECRET_HEX[:-2], SECRET_HEX + "00", "0" * 64, "f" * 64])
def test_bad_secret_values_do_not_echo(bad):
    with pytest.raises(SigningKeyError) as info:
        load_signing_key(env_value=bad)
    if bad:
        assert bad not in info.value.detail


def test_exactly_one_source():
    with pytest.raises(SigningKeyError):
        load_signing_key()
    with pytest.raises(SigningKeyError):
        load_signing_key(path="x", env_value=SECRET_HEX)


def test_generate_and_load(tmp_path):
    path = tmp_path / "engine.key"
    key = generate_key_file(path, key_id="k1")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = load_signing_key(path=path, key_id="k1")
    assert loaded.pubkey_hex == key.pubkey_hex
    assert [p.name for p in tmp_path.iterdir()] == ["engine.key"]  # no temp file left behind


def test_generate_refuses_overwrite(tmp_path):
    path = tmp_path / "engine.key"
    path.write_text("keep me")
    with pytest.raises(SigningKeyError, match="already exists"):
        generate_key_file(path)
    assert path.read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["engine.key"]


def test_generate_into_missing_directory(tmp_path):
    with pytest.raises(SigningKeyError):
        generate_key_file(tmp_path / "nope" / "engine.key")


def test_world_readable_key_file_refused(tmp_path):
    path = tmp_path / "engine.key"
    path.write_text(SECRET_HEX)
    os.chmod(path, 0o644)
    with pytest.raises(SigningKeyError, match="chmod 600") as info:
        load_signing_key(path=path)
    assert SECRET_HEX not in str(info.value)


def test_missing_key_file(tmp_path):
    with pytest.raises(SigningKeyError, match="cannot read"):
        load_signing_key(path=tmp_path / "absent.key")


def test_sign_and_verify_round_trip():
    key = SigningKey(bytes.fromhex(SECRET_HEX))
    digest = hashlib.sha256(b"attestation").digest()
    sig = key.sign_digest(digest)
    assert len(sig) == 64
    assert key.sign_digest(digest) != sig  # fresh aux randomness each time
    assert verify_bip340(bytes.fromhex(key.pubkey_hex), digest, sig)
    assert not verify_bip340(bytes.fromhex(key.pubkey_hex), hashlib.sha256(b"other").digest(), sig)


@pytest.mark.parametrize("digest", [b"", b"\x00" * 31, b"\x00" * 33, "00" * 32, None])
def test_sign_only_32_byte_digests(digest):
    with pytest.raises(SigningKeyError):
        SigningKey(bytes.fromhex(SECRET_HEX)).sign_digest(digest)


@pytest.mark.parametrize(
    "pub,msg,sig",
    [
        (b"", b"\x00" * 32, b"\x00" * 64),
        (b"\x00" * 32, b"\x00" * 32, b"\x00" * 64),
        (b"\xff" * 32, b"\x00" * 32, b"\x00" * 64),
        (bytes.fromhex(PUBKEY_HEX), b"\x00" * 32, b"\x00" * 63),
        (bytes.fromhex(PUBKEY_HEX), b"\x00" * 31, b"\x00" * 64),
        ("not bytes", b"\x00" * 32, b"\x00" * 64),
        (None, None, None),
        (12, 34, 56),
    ],
)
def test_verify_never_raises(pub, msg, sig):
    assert verify_bip340(pub, msg, sig) is False


@pytest.mark.parametrize("pub,sig", [("zz", "00" * 64), (PUBKEY_HEX, "x"), (None, "00"), (PUBKEY_HEX, 5)])
def test_verify_hex_never_raises(pub, sig):
    assert verify_bip340_hex(pub, b"\x00" * 32, sig) is False
