"""The online signer's key file: AES-256-GCM under scrypt, 0600, never overwritten, hostile files refused."""

from __future__ import annotations

import base64
import json
import stat

import pytest

from reserves.proofs.errors import KeyFileError
from reserves.proofs.keyfile import decrypt_keys, encrypt_keys, read_key_file, write_key_file
from reserves.proofs.online import OnlineSigner, new_key_entry

PASS = "correct horse battery staple"


def _doc(entries=None, n=2**10):
    return json.loads(encrypt_keys(entries or [new_key_entry("regtest")], PASS, n=n))


def test_round_trip_and_mode(tmp_path):
    entry = new_key_entry("regtest")
    path = tmp_path / "k.json"
    write_key_file(path, [entry], PASS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_text()
    assert entry.secret.hex() not in raw and PASS not in raw
    doc = json.loads(raw)
    assert doc["kdf"]["name"] == "scrypt" and doc["cipher"]["name"] == "aes-256-gcm"
    assert read_key_file(path, PASS) == [entry]
    assert entry.secret.hex() not in repr(entry)


def test_never_overwrites(tmp_path):
    path = tmp_path / "k.json"
    write_key_file(path, [new_key_entry("regtest")], PASS)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists"):
        write_key_file(path, [new_key_entry("regtest")], PASS)
    assert path.read_bytes() == before


def test_wrong_passphrase():
    raw = encrypt_keys([new_key_entry("regtest")], PASS, n=2**10)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        decrypt_keys(raw, PASS + "!")


def test_short_passphrase_refused():
    with pytest.raises(KeyFileError):
        encrypt_keys([new_key_entry("regtest")], "short")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["kdf"].update(n=2**30),  # would take gigabytes
        lambda d: d["kdf"].update(n=1000),  # not a power of two
        lambda d: d["kdf"].update(n="1024"),
        lambda d: d["kdf"].update(r=10_000),
        lambda d: d["kdf"].update(name="pbkdf2"),
        lambda d: d["cipher"].update(name="aes-128-cbc"),
        lambda d: d["cipher"].update(nonce=base64.b64encode(b"short").decode()),
        lambda d: d["kdf"].update(salt="!!!not base64"),
        lambda d: d.update(ciphertext=base64.b64encode(b"\x00" * 64).decode()),
        lambda d: d.update(ciphertext=None),
        lambda d: d.update(format="something-else"),
        lambda d: d["kdf"].update(p=2),  # a changed header fails authentication
    ],
)
def test_hostile_or_damaged_files(mutate):
    doc = _doc()
    mutate(doc)
    with pytest.raises(KeyFileError):
        decrypt_keys(json.dumps(doc).encode(), PASS)


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b"\xff\xfe", json.dumps({"format": 1}).encode()])
def test_garbage_files(raw):
    with pytest.raises(KeyFileError):
        decrypt_keys(raw, PASS)


def test_huge_file_refused_before_reading(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (2 * 1024 * 1024))
    with pytest.raises(KeyFileError, match="larger"):
        read_key_file(path, PASS)


def test_missing_file(tmp_path):
    with pytest.raises(KeyFileError, match="cannot read"):
        read_key_file(tmp_path / "nope", PASS)


def test_signer_refuses_a_key_of_another_network_or_address(tmp_path):
    entry = new_key_entry("main")
    path = tmp_path / "k.json"
    write_key_file(path, [entry], PASS)
    with pytest.raises(KeyFileError, match="main"):
        OnlineSigner.from_file(path, PASS, "regtest")
    other = new_key_entry("regtest")
    forged = type(other)(new_key_entry("regtest").address, "regtest", other.secret)
    path2 = tmp_path / "k2.json"
    write_key_file(path2, [forged], PASS)
    with pytest.raises(KeyFileError, match="does not make"):
        OnlineSigner.from_file(path2, PASS, "regtest")
    assert OnlineSigner.from_file(path, PASS, "main").keys[0].address == entry.address


@pytest.mark.parametrize("n, r, p", [(2**20, 32, 1), (2**20, 8, 16), (2**17, 32, 16)])
def test_scrypt_cost_is_bounded_before_deriving(monkeypatch, n, r, p):
    """Each parameter within its own range can still multiply to gigabytes (128*n*r bytes) or
    minutes (n*r*p): such a file is refused before scrypt runs."""
    import reserves.proofs.keyfile as kf

    def never(*_):
        raise AssertionError("scrypt ran on a hostile cost")

    doc = _doc()
    doc["kdf"].update(n=n, r=r, p=p)
    monkeypatch.setattr(kf, "_derive", never)
    with pytest.raises(KeyFileError, match="out of range"):
        decrypt_keys(json.dumps(doc).encode(), PASS)
