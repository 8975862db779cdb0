"""The devnet job proves control each round: single keys directly, 2 of 3 (also or_d(multi, Z)) by rotating cosigner
pairs."""

from __future__ import annotations

import logging

import pytest

from reserves.devnet import proofs as devnet_job
from reserves.devnet.proofs import devnet_proofs_job, prove_round
from tests.portal.conftest import snapshot
from tests.world import world


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with world(tmp_path_factory.mktemp("job")) as w:
        yield w.client


def test_no_attestation_yet_is_skipped_quietly(client, caplog):
    caplog.set_level(logging.INFO, logger="reserves.devnet.proofs")
    rt = client.world
    rt.call(devnet_proofs_job, rt.db, rt.settings)  # never raises: logged and retried next round
    assert "devnet proofs skipped" in caplog.text


def test_rounds_prove_addresses_and_in_time_every_multisig_key(client, monkeypatch):
    rt = client.world
    snapshot(client)
    results = rt.call(prove_round, rt.db, rt.settings)
    assert results and all(r["outcome"] == "valid" for r in results), results
    assert {r["source"] for r in results} == {"devnet"}
    # A few more rounds at other turns of the rotation.
    for turn in range(3):
        monkeypatch.setattr(devnet_job.time, "time", lambda t=turn: (t + 1) * devnet_job.ROUND_SECONDS)
        assert all(r["outcome"] == "valid" for r in rt.call(prove_round, rt.db, rt.settings))
    status = client.get("/api/v1/proofs").json()
    wallets = {w["name"]: w for w in status["wallets"]}
    multisig = wallets["multisig-2of3"]
    assert multisig["all_keys_alive"] and multisig["alive_count"] == 3
    assert wallets["hot"]["all_keys_alive"] and wallets["taproot"]["all_keys_alive"]
    # or_d(multi(2,A,B,C), D after a far block): proven through its multi branch, so A, B and C prove
    # alive; D cannot sign before its lock. The vault (a key behind a relative lock) stays unproven.
    recovery = wallets["multisig-recovery"]
    assert recovery["key_count"] == 4 and recovery["alive_count"] == 3 and not recovery["all_keys_alive"]
    proven = {a["wallet"] for a in status["addresses"] if a["status"] == "fresh"}
    assert {"hot", "taproot", "multisig-2of3", "multisig-recovery"} <= proven and "vault" not in proven
    html = client.get("/proofs").text
    assert "no fresh proof" in html and "all 3 keys proven, not just 2" in html
