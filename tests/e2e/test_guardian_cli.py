"""End to end: a guardian signs an attestation of the real server offline with `reserves guardian sign`
and submits it with `reserves guardian submit`; `reserves verify` counts pinned guardians."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

import httpx

from reserves.devnet.guardians import DEVNET_GUARDIANS
from tests.e2e.conftest import RESERVES, verify, wait_for


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([RESERVES, *args], capture_output=True, text=True, timeout=60)


def key_file(tmp_path, name: str):
    secret = hashlib.sha256(f"reserves-portal devnet guardian {name}".encode()).digest()
    path = tmp_path / f"{name}.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret.hex() + "\n")
    return path


def test_a_guardian_signs_offline_and_submits_once(server, tmp_path):
    base, _, proc, _ = server
    page = wait_for(base, proc, 2)
    newest = page["items"][0]
    engine = [k["pubkey"] for k in httpx.get(f"{base}/api/v1/keys").json()["keys"] if k["role"] == "engine"]
    doc = tmp_path / "att.json"
    doc.write_text(json.dumps(newest))
    listed = cli("guardian", "pending", base)
    assert listed.returncode == 0, listed.stderr

    c = key_file(tmp_path, DEVNET_GUARDIANS[2])
    signed = cli(
        "guardian",
        "sign",
        str(doc),
        "--key-file",
        str(c),
        "--pubkey",
        engine[0],
        "--key-id",
        "guardian-c",
        "--out",
        str(tmp_path / "sig.json"),
    )
    assert signed.returncode == 0, signed.stderr
    sig = json.loads((tmp_path / "sig.json").read_text())
    assert sig["attestation_id"] == newest["id"] and len(sig["sig"]) == 128

    sent = cli("guardian", "submit", str(tmp_path / "sig.json"), base)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "devnet-guardian-c" in json.loads(sent.stdout)["signed"]
    again = cli("guardian", "submit", str(tmp_path / "sig.json"), base)
    assert again.returncode == 1 and "duplicate_signature" in again.stdout

    served = httpx.get(f"{base}/api/v1/attestations/{newest['id']}").json()
    (tmp_path / "served.json").write_text(json.dumps(served))
    pins = [k["pubkey"] for k in served["attestation"]["signers"]["guardians"]["keys"]]
    ok = verify(str(tmp_path / "served.json"), "--pubkey", engine[0], *sum((["--guardian", p] for p in pins), []))
    assert ok.returncode == 0 and "final: 3 of 2 required" in ok.stdout, ok.stdout
    one_pin = verify(str(tmp_path / "served.json"), "--pubkey", engine[0], "--guardian", pins[2])
    assert one_pin.returncode == 1 and "guardian" in one_pin.stdout


def test_a_guardian_never_signs_what_does_not_verify(server, tmp_path):
    base, _, proc, _ = server
    page = wait_for(base, proc, 1)
    tampered = json.loads(json.dumps(page["items"][0]))
    tampered["attestation"]["status"] = "healthy" if tampered["attestation"]["status"] != "healthy" else "warning"
    (tmp_path / "t.json").write_text(json.dumps(tampered))
    engine = [k["pubkey"] for k in httpx.get(f"{base}/api/v1/keys").json()["keys"] if k["role"] == "engine"]
    c = key_file(tmp_path, DEVNET_GUARDIANS[2])
    r = cli(
        "guardian",
        "sign",
        str(tmp_path / "t.json"),
        "--key-file",
        str(c),
        "--pubkey",
        engine[0],
        "--out",
        str(tmp_path / "sig.json"),
    )
    assert r.returncode == 1 and "not signed" in r.stderr and not (tmp_path / "sig.json").exists()
    r = cli("guardian", "sign", str(tmp_path / "t.json"), "--key-file", str(tmp_path / "missing.key"))
    assert r.returncode == 2
    (tmp_path / "bad.json").write_text('{"attestation_id": "../../x", "pubkey": "a", "sig": "b"}')
    assert cli("guardian", "submit", str(tmp_path / "bad.json"), base).returncode == 2
    (tmp_path / "junk.json").write_text("[1, 2")
    assert cli("guardian", "submit", str(tmp_path / "junk.json"), base).returncode == 2
