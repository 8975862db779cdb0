"""AttestationAnchor on a real anvil: the contract checks the engine's EIP-712 signature with ecrecover,
and the anchoring job publishes final attestations in order and records their transactions."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from eth_account import Account
from web3 import HTTPProvider, Web3

from chains.evm.anchor import AnchorClient, load_artifact, struct
from reserves.attestation import canonical, eip712
from reserves.jobs.anchor import anchor_job
from reserves.settings.load import default_settings
from reserves.settings.trust import AnchorSettings
from reserves.storage.db import open_database
from reserves.storage.engine_models import AnchorRow
from reserves.storage.migrate import upgrade
from reserves.storage.models import AttestationRow
from reserves.trust import anchoring
from tests.attestation.helpers import chain_v4, key
from tests.stack import parts, scheduled

ENGINE = key(7, "engine")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_artifact_matches_its_source():
    artifact = load_artifact()
    source = Path(ROOT, "contracts", "AttestationAnchor.sol").read_bytes()
    assert artifact["source_sha256"] == hashlib.sha256(source).hexdigest(), (
        "contracts/AttestationAnchor.sol changed: run `npm run build:contracts` and commit the artifact"
    )


@pytest.fixture
def deployed(anvil):
    """(w3, contract, funded sender key) with the anchor deployed for ENGINE's EIP-712 address."""
    w3 = Web3(HTTPProvider(anvil, request_kwargs={"timeout": 30}))
    artifact = load_artifact()
    owner = w3.eth.accounts[0]
    sender = Account.create()
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(Web3.to_checksum_address(ENGINE.evm_address), sender.address).transact({"from": owner})
    )
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": owner, "to": sender.address, "value": 10**18}))
    return w3, contract, "0x" + bytes(sender.key).hex()


def _parts(doc: dict) -> tuple[dict, bytes, str]:
    body = {k: v for k, v in doc.items() if k != "signatures"}
    att_id = canonical.attestation_id(body)
    sig = bytes.fromhex(next(s for s in doc["signatures"] if s["alg"] == "eip712")["sig"][2:])
    return eip712.message(att_id, body), sig, att_id


def test_the_contract_recovers_the_engine_from_an_attestation(deployed):
    _, contract, _ = deployed
    doc = chain_v4(1, engine=ENGINE)[0]
    values, sig, att_id = _parts(doc)
    assert contract.functions.signer(struct(values), sig).call().lower() == ENGINE.evm_address
    body = {k: v for k, v in doc.items() if k != "signatures"}
    assert contract.functions.digest(struct(values)).call() == eip712.digest(att_id, body)
    for change in ({"ratioBp": values["ratioBp"] + 1}, {"status": 3}, {"sequence": 1}, {"supplySat": 0}):
        assert contract.functions.signer(struct({**values, **change}), sig).call().lower() != ENGINE.evm_address
    assert contract.functions.signer(struct(values), sig[:64]).call() == "0x" + "00" * 20


@pytest.fixture
async def anchor_env(deployed, anvil, tmp_path):
    """A migrated SQLite database and an Anchorer with an AnchorClient on anvil (`rt.anchor` is the client)."""
    w3, contract, sender_key = deployed
    url = f"sqlite:///{tmp_path / 'anchor.db'}"
    upgrade(url)
    db = open_database(url)
    settings = AnchorSettings(rpc_url=anvil, chain_id="eip155:31339", contract=contract.address, sender_key=sender_key)
    client = AnchorClient(anvil, contract.address, sender_key, chain_id=31339)
    anchorer = anchoring.Anchorer(db, client, settings)
    rt = SimpleNamespace(db=db, anchor=client, anchorer=anchorer)
    yield rt, contract
    await client.aclose()
    await db.dispose()


async def _insert(db, docs: list[dict], finality: str = "final") -> None:
    async with db.sessions() as session:
        async with session.begin():
            for doc in docs:
                body = {k: v for k, v in doc.items() if k != "signatures"}
                session.add(
                    AttestationRow(
                        id=canonical.attestation_id(body),
                        sequence=doc["sequence"],
                        previous=doc["previous"],
                        issued_at=canonical_time(doc),
                        status=doc["status"],
                        ratio_bp=int(doc["ratio_bp"]),
                        reserves_sat=int(doc["reserves"]["total_sat"]),
                        liabilities_sat=int(doc["supply"]["total_sat"]),
                        document=json.dumps(doc),
                        finality=finality,
                    )
                )


def canonical_time(doc: dict):
    from reserves.attestation.arithmetic import parse_timestamp

    return parse_timestamp(doc["issued_at"])


async def _rows(db) -> list[AnchorRow]:
    from sqlmodel import select

    async with db.sessions() as session:
        return list((await session.exec(select(AnchorRow).order_by(AnchorRow.sequence))).all())


async def test_the_job_anchors_final_attestations_in_order_and_records_them(anchor_env):
    rt, contract = anchor_env
    docs = chain_v4(3, engine=ENGINE)
    await _insert(rt.db, docs[:2])
    await _insert(rt.db, docs[2:], finality="pending")
    assert not contract.functions.anchoredAny().call()
    await anchor_job(rt.anchorer)
    rows = await _rows(rt.db)
    assert [(r.sequence, r.status) for r in rows] == [(0, "confirmed"), (1, "confirmed")]
    assert all(r.tx_hash and r.block_number for r in rows)
    for doc, row in zip(docs, rows):
        record = contract.functions.records(bytes.fromhex(row.attestation_id)).call()
        assert record[0] == doc["sequence"] and record[4] > 0
    # Pending ones wait; once final, the next run anchors them.
    async with rt.db.sessions() as session:
        async with session.begin():
            row = await session.get(
                AttestationRow, canonical.attestation_id({k: v for k, v in docs[2].items() if k != "signatures"})
            )
            row.finality = "final"
    await anchor_job(rt.anchorer)
    assert [(r.sequence, r.status) for r in await _rows(rt.db)][-1] == (2, "confirmed")
    assert contract.functions.latestSequence().call() == 2


async def test_only_a_leading_worker_anchors(anchor_env, tmp_path):
    """What a following or closing runtime once skipped inside the job, the worker's scheduler decides now:
    the job gets the worker's Anchorer, and a follower sends nothing (only one process may anchor)."""
    rt, contract = anchor_env
    await _insert(rt.db, chain_v4(1, engine=ENGINE))
    settings = default_settings(tmp_path)
    run, job = scheduled(parts(settings, rt.db, anchorer=rt.anchorer), "anchor")
    assert job.func is anchor_job and job.args == (rt.anchorer,) and not job.keywords
    follower, _ = scheduled(parts(settings, rt.db, leading=False, anchorer=rt.anchorer), "anchor")
    await follower()
    assert await _rows(rt.db) == [] and not contract.functions.anchoredAny().call()
    await run()
    assert [(r.sequence, r.status) for r in await _rows(rt.db)] == [(0, "confirmed")]
    assert contract.functions.anchoredAny().call()


async def test_the_contract_refuses_other_signers_and_old_sequences(anchor_env):
    rt, contract = anchor_env
    docs = chain_v4(2, engine=ENGINE)
    await rt.anchor.wait(await rt.anchor.send(*_parts(docs[1])[:2]))
    other = chain_v4(1, engine=key(8, "other"))[0]
    values, sig, _ = _parts(other)
    with pytest.raises(Exception, match="refused"):
        await rt.anchor.send(values, sig)
    old = chain_v4(1, engine=ENGINE)[0]  # sequence 0: not newer than what the contract holds
    values, sig, _ = _parts(old)
    with pytest.raises(Exception, match="refused"):
        await rt.anchor.send(values, sig)


async def test_only_the_publisher_may_anchor(anchor_env, anvil):
    """The engine signs before its guardians do: anyone else anchoring a pending attestation is refused."""
    rt, contract = anchor_env
    stranger = Account.create()
    w3 = Web3(HTTPProvider(anvil))
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": stranger.address, "value": 10**18})
    )
    intruder = AnchorClient(anvil, contract.address, "0x" + bytes(stranger.key).hex(), chain_id=31339)
    try:
        with pytest.raises(Exception, match="refused"):
            await intruder.send(*_parts(chain_v4(1, engine=ENGINE)[0])[:2])
    finally:
        await intruder.aclose()
    assert not contract.functions.anchoredAny().call()


async def test_a_crash_between_send_and_record_is_resolved_from_the_contract(anchor_env):
    rt, contract = anchor_env
    await rt.anchor.wait(await rt.anchor.send(*_parts(chain_v4(1, engine=ENGINE)[0])[:2]))
    latest = contract.functions.latestId().call()
    seq = contract.functions.latestSequence().call()
    async with rt.db.sessions() as session:
        async with session.begin():
            session.add(
                AnchorRow(
                    attestation_id=latest.hex(),
                    sequence=seq,
                    chain_id="eip155:31339",
                    contract=contract.address.lower(),
                    status="sending",
                    submitted_at=canonical_time({"issued_at": "2026-01-01T00:00:00Z"}),
                )
            )
            session.add(
                AnchorRow(
                    attestation_id="ab" * 32,
                    sequence=seq + 1,
                    chain_id="eip155:31339",
                    contract=contract.address.lower(),
                    status="sending",
                    submitted_at=canonical_time({"issued_at": "2026-01-01T00:00:00Z"}),
                )
            )
    await rt.anchorer.resolve_unsent()
    statuses = {r.attestation_id: r.status for r in await _rows(rt.db)}
    assert statuses[latest.hex()] == "confirmed" and statuses["ab" * 32] == "error"


def test_settings_refuse_a_key_in_the_file(tmp_path):
    from reserves.errors import ConfigError
    from reserves.settings.trust import anchor

    base = {
        "rpc_url": "http://127.0.0.1:1",
        "chain_id": "eip155:1",
        "contract": "0x" + "11" * 20,
        "sender_key_env": "K",
    }
    assert anchor(base, {"K": "11" * 32}, tmp_path).contract == "0x" + "11" * 20
    for bad, match in (
        ({"sender_key": "11" * 32}, "never the key"),
        ({"chain_id": "1"}, "CAIP-2"),
        ({"contract": "0x12"}, "0x address"),
        ({"rpc_url": "ftp://x"}, "http"),
        ({"confirmations": -1}, "confirmations"),
        ({"extra": 1}, "unknown key"),
    ):
        with pytest.raises(ConfigError, match=match):
            anchor({**base, **bad}, {"K": "11" * 32}, tmp_path)
    with pytest.raises(ConfigError, match="32 bytes"):
        anchor(base, {"K": "nothex"}, tmp_path)
    assert replace(anchor(base, {"K": "11" * 32}, tmp_path), confirmations=2).confirmations == 2


async def test_a_late_receipt_is_confirmed_from_the_contract_not_sent_again(anchor_env):
    rt, contract = anchor_env
    doc = chain_v4(1, engine=ENGINE)[0]
    await _insert(rt.db, [doc])
    values, sig, att_id = _parts(doc)
    tx = await rt.anchor.send(values, sig)
    await rt.anchor.wait(tx)
    async with rt.db.sessions() as session:
        async with session.begin():  # what a receipt timeout left behind
            session.add(
                AnchorRow(
                    attestation_id=att_id,
                    sequence=0,
                    chain_id="eip155:31339",
                    contract=contract.address.lower(),
                    tx_hash=tx,
                    status="error",
                    error="not mined within 60 s",
                    submitted_at=canonical_time(doc),
                )
            )
    await anchor_job(rt.anchorer)
    [row] = await _rows(rt.db)
    assert (row.status, row.tx_hash, row.error) == ("confirmed", tx, None)
