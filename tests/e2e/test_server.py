"""End to end: the real portal (`reserves run`: three processes) on free ports, then `reserves verify` on what it
published."""

from __future__ import annotations

import json
import time
from datetime import datetime

import httpx

from tests.e2e.conftest import verify, wait_for


def test_server_publishes_a_verifiable_chain(server, tmp_path):
    base, workdir, proc, started = server
    page = wait_for(base, proc, 3)
    first_after = time.monotonic() - started
    # The embedded default keeps its database and key in the working directory.
    assert (workdir / "reserves.db").exists() and (workdir / "reserves-signing.key").exists()
    assert oct((workdir / "reserves-signing.key").stat().st_mode & 0o777) == "0o600"
    # A figure, not a check (tests assert no wall-clock times; wait_for's own deadline is the liveness
    # bound): read from the attestations' own issued_at, not from when this test got to look.
    started_wall = time.time() - (time.monotonic() - started)
    third = next(env for env in page["items"] if env["attestation"]["sequence"] == 2)
    issued = datetime.fromisoformat(third["attestation"]["issued_at"].replace("Z", "+00:00")).timestamp()
    print(f"three attestations {issued - started_wall:.0f} s after start (seen {first_after:.0f} s after)")

    ok = verify(f"{base}/api/v1/attestations?limit=500")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "as a chain verified" in ok.stdout

    keys = httpx.get(f"{base}/api/v1/keys").json()["keys"]
    pubkey = keys[0]["pubkey"]
    # The newest final one: the devnet's guardians co-sign each attestation just after it is stored,
    # so the newest of a page read a moment earlier may still be pending (which verify refuses
    # without --allow-pending).
    newest = httpx.get(f"{base}/api/v1/attestations/latest", params={"final": "true"}).json()
    doc = tmp_path / "latest.json"
    doc.write_text(json.dumps(newest))
    ok = verify(str(doc), "--pubkey", pubkey)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    # Offline, with the chain given as a file: up to that final one.
    final_seq = newest["attestation"]["sequence"]
    items = httpx.get(f"{base}/api/v1/attestations", params={"limit": 500}).json()["items"]
    chain = tmp_path / "chain.json"
    chain.write_text(json.dumps([e for e in items if e["attestation"]["sequence"] <= final_seq]))
    assert verify(str(chain), "--pubkey", pubkey).returncode == 0


def test_verify_rejects_tampering_wrong_keys_and_broken_chains(server, tmp_path):
    base, _, proc, _ = server
    page = wait_for(base, proc, 3)
    pubkey = httpx.get(f"{base}/api/v1/keys").json()["keys"][0]["pubkey"]
    newest = page["items"][0]

    tampered = json.loads(json.dumps(newest))
    tampered["attestation"]["ratio_bp"] = str(int(tampered["attestation"]["ratio_bp"] or 0) + 1)
    (tmp_path / "t.json").write_text(json.dumps(tampered))
    r = verify(str(tmp_path / "t.json"), "--pubkey", pubkey)
    assert r.returncode == 1 and "FAILED" in r.stderr

    r = verify(str(tmp_path / "t.json").replace("t.json", "nope.json"), "--pubkey", pubkey)
    assert r.returncode == 2

    (tmp_path / "n.json").write_text(json.dumps(newest))
    r = verify(str(tmp_path / "n.json"), "--pubkey", "02" * 32)
    assert r.returncode == 1 and "trusted" in r.stdout + r.stderr

    broken = [page["items"][0], page["items"][2]]  # a gap in the chain
    (tmp_path / "b.json").write_text(json.dumps(broken))
    r = verify(str(tmp_path / "b.json"), "--pubkey", pubkey)
    assert r.returncode == 1 and "chain" in r.stdout + r.stderr

    r = verify(str(tmp_path / "n.json"))  # a file and no keys: nothing to trust
    assert r.returncode == 1 and "no trusted keys" in r.stdout + r.stderr


def test_dashboard_and_health_answer(server):
    base, _, proc, _ = server
    wait_for(base, proc, 1)
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}  # liveness
    health = httpx.get(f"{base}/readyz").json()
    # The web role knows the worker only from its status row in the database: alive, leading (else
    # `no_leader`). The public answer names no host, process or worker.
    assert health["status"] == "ok" and health["reasons"] == []
    assert not {"replica", "workers", "leader", "last_snapshot_error"} & set(health)
    html = httpx.get(f"{base}/").text
    assert "DEVNET" in html and "Reserve ratio" in html
