"""Evidence end to end on the devnet: the job collects and caches, the API serves from the database only,
`reserves verify-evidence` checks the answer offline; bad input gets 4xx and exit codes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.di import Provide
from litestar.testing import TestClient

from chains.bitcoin.esplora.adapter import chain_id
from chains.bitcoin.esplora.client import EsploraClient
from chains.bitcoin.esplora.config import BitcoinEsploraConfig
from chains.bitcoin.wallets import WalletSpec
from portal.api.evidence import evidence
from portal.cli.main import main as cli
from portal.errors import HANDLERS
from reserves.evidence.service import EvidencePending, EvidenceService, collect_for_latest, verify_bundle
from reserves.jobs.evidence import evidence_job
from reserves.settings.load import default_settings
from reserves.settings.model import SourceSettings
from reserves.storage import evidence_repository as repo
from reserves.storage.db import open_database
from reserves.storage.migrate import upgrade
from reserves.storage.models import AttestationRow
from tests.bitcoin.conftest import devnet as devnet  # fixture: a funded devnet served as Esplora
from tests.stack import parts, scheduled


def source_json(chain, reading) -> dict:
    """The part of an attestation document the evidence job reads (a reserve source with its utxos)."""
    return {
        "name": "custody",
        "kind": "bitcoin-esplora",
        "chain_id": reading.block.chain_id,
        "height": reading.block.height,
        "block_hash": reading.block.hash,
        "utxos": [
            {
                "txid": u.txid,
                "vout": u.vout,
                "value_sat": str(u.value_sat),
                "height": u.height,
                "address": u.address,
                "wallet": u.wallet,
            }
            for u in reading.utxos
        ],
    }


async def store_attestation(db, sources: list[dict], sequence: int = 1) -> str:
    attestation_id = f"{sequence:064x}"
    document = {"format": "reserves-attestation/2", "sequence": sequence, "reserves": {"sources": sources}}
    async with db.sessions() as session, session.begin():
        session.add(
            AttestationRow(
                id=attestation_id,
                sequence=sequence,
                previous=None,
                issued_at=datetime.now(timezone.utc),
                status="healthy",
                ratio_bp=10000,
                reserves_sat=0,
                liabilities_sat=0,
                document=json.dumps(document),
            )
        )
    return attestation_id


@pytest.fixture
def world(devnet, tmp_path):
    """A migrated database, reserve coins on the devnet, and an attestation counting them."""
    chain, w = devnet.chain, devnet.chain.wallets
    for i, value in enumerate((40_000_000, 3_000_000, 123_456)):
        chain.send(w.reserve_wpkh.address(i), value, from_wallet=w.funding)
        chain.mine(1)
    chain.mine(6)
    url = f"sqlite:///{tmp_path / 'reserves.db'}"
    upgrade(url)
    db = open_database(url)

    async def setup():
        adapter = devnet.adapter(descriptors=[w.reserve_wpkh.descriptor])
        try:
            reading = await adapter.read_reserves()
        finally:
            await adapter.aclose()
        source = source_json(chain, reading)
        await store_attestation(db, [source])
        return source

    source = asyncio.run(setup())
    yield SimpleNamespace(devnet=devnet, db=db, source=source)
    asyncio.run(db.dispose())


def run_job(world):
    async def go():
        client = EsploraClient(world.devnet.url)
        try:
            return await collect_for_latest(world.db, {"custody": client, "other": client})
        finally:
            await client.aclose()

    return asyncio.run(go())


def api(world) -> TestClient:
    app = Litestar(
        route_handlers=[evidence],
        exception_handlers=HANDLERS,
        dependencies={"evidence": Provide(lambda: EvidenceService(world.db), sync_to_thread=False)},
    )
    return TestClient(app)


def test_job_collects_then_reuses_and_api_serves_verifiable_bundles(world) -> None:
    utxos = world.source["utxos"]
    assert len(utxos) == 3
    first = run_job(world)
    assert (first.collected, first.reused, first.failed) == (3, 0, 0)
    again = run_job(world)
    assert (again.collected, again.reused) == (0, 3)
    with api(world) as client:
        for u in utxos:
            response = client.get(f"/api/v1/evidence/{u['txid']}/{u['vout']}")
            assert response.status_code == 200, response.text
            doc = response.json()
            assert doc["network"] == "regtest" and doc["tip"]["hash"] == world.source["block_hash"]
            valid, result = verify_bundle(doc["bundle"], doc["tip"]["hash"], "regtest")
            assert valid, result
            assert (
                result["value_sat"] == u["value_sat"]
                and result["confirmations"] == doc["tip"]["height"] - u["height"] + 1
            )


def test_api_errors(world) -> None:
    run_job(world)
    u = world.source["utxos"][0]
    with api(world) as client:
        assert client.get(f"/api/v1/evidence/{'ab' * 32}/0").json()["error"]["code"] == "not_found"
        assert client.get(f"/api/v1/evidence/{u['txid']}/{u['vout'] + 5}").status_code == 404
        for path in (f"{'zz' * 32}/0", f"{u['txid']}/-1", f"{u['txid']}/{2**32}", f"{u['txid'][:-2]}/0"):
            response = client.get(f"/api/v1/evidence/{path}")
            assert response.status_code == 400, (path, response.text)
            assert response.json()["error"]["code"] == "invalid_input"
        # A non-integer vout matches no route: a plain 404, never a 500.
        assert client.get(f"/api/v1/evidence/{u['txid']}/x").json()["error"]["code"] == "not_found"


def test_pending_before_the_job_and_when_headers_are_missing(world) -> None:
    u = world.source["utxos"][0]
    with api(world) as client:
        response = client.get(f"/api/v1/evidence/{u['txid']}/{u['vout']}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "evidence_pending"
    run_job(world)

    async def drop_tip_header():
        async with world.db.sessions() as session, session.begin():
            await repo.save_headers(session, world.source["chain_id"], {}, {world.source["height"]})

    asyncio.run(drop_tip_header())
    with api(world) as client:
        assert client.get(f"/api/v1/evidence/{u['txid']}/{u['vout']}").json()["error"]["code"] == "evidence_pending"
    assert run_job(world).reused == 3  # the job refetches the missing header
    with api(world) as client:
        assert client.get(f"/api/v1/evidence/{u['txid']}/{u['vout']}").status_code == 200


def test_a_stale_stored_header_is_replaced(world) -> None:
    run_job(world)
    chain_ = world.source["chain_id"]
    height = world.source["height"] - 2

    async def corrupt():
        async with world.db.sessions() as session, session.begin():
            await repo.save_headers(session, chain_, {height: ("cd" * 32, "00" * 80)}, set())

    asyncio.run(corrupt())
    assert run_job(world).failed == 3  # the chain does not link: this run stops, and drops the bad header
    assert run_job(world).reused == 3
    u = world.source["utxos"][0]
    assert asyncio.run(EvidenceService(world.db).evidence(u["txid"], u["vout"]))["bundle"]["txid"] == u["txid"]


def test_unknown_chains_and_failed_sources_are_skipped_and_false_mainnet_fails(world) -> None:
    unknown = {**world.source, "name": "other", "chain_id": "bip122:" + "00" * 16}
    asyncio.run(store_attestation(world.db, [world.source, unknown, {"name": "x", "error": {"code": "e"}}], sequence=2))
    summary = run_job(world)
    assert (summary.collected, summary.skipped, summary.failed) == (3, 3, 0)
    # A source claiming mainnet but served regtest headers: their work is far below mainnet's limit.
    fake_main = {**world.source, "name": "other", "chain_id": chain_id("main")}
    asyncio.run(store_attestation(world.db, [fake_main], sequence=3))
    assert run_job(world).failed == 3


def test_verify_evidence_cli(world, tmp_path: Path) -> None:
    run_job(world)
    u = world.source["utxos"][1]
    doc = asyncio.run(EvidenceService(world.db).evidence(u["txid"], u["vout"]))
    good = tmp_path / "evidence.json"
    good.write_text(json.dumps(doc))
    runner = CliRunner()
    result = runner.invoke(cli, ["verify-evidence", str(good)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["valid"] and out["tip_source"] == "file" and out["network"] == "regtest"
    # A bare bundle with the tip pinned on the command line.
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(doc["bundle"]))
    pinned = runner.invoke(cli, ["verify-evidence", str(bare), "--tip", doc["tip"]["hash"], "--network", "regtest"])
    assert pinned.exit_code == 0 and json.loads(pinned.output)["tip_source"] == "argument"
    # Tampered: exit 1 with a reason.
    doc["bundle"]["value_sat"] = str(int(doc["bundle"]["value_sat"]) + 1)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    tampered = runner.invoke(cli, ["verify-evidence", str(bad)])
    assert tampered.exit_code == 1 and json.loads(tampered.output)["reason"] == "output_mismatch"
    wrong_tip = runner.invoke(cli, ["verify-evidence", str(good), "--tip", "00" * 32])
    assert wrong_tip.exit_code == 1 and json.loads(wrong_tip.output)["reason"] == "tip_mismatch"


@pytest.mark.parametrize(
    "content,args",
    [
        (b"not json", []),
        (b"[" * 100_000, []),
        (b'{"bundle": {}}', []),  # no tip anywhere
        (b'{"bundle": {}, "tip": {"hash": "' + b"ab" * 32 + b'"}}', []),  # no network
        (b"{}", ["--tip", "xyz", "--network", "regtest"]),
        (b"{}", ["--network", "litecoin"]),
    ],
)
def test_verify_evidence_cli_unusable_input(tmp_path: Path, content: bytes, args: list[str]) -> None:
    path = tmp_path / "in.json"
    path.write_bytes(content)
    assert CliRunner().invoke(cli, ["verify-evidence", str(path), *args]).exit_code == 2


def test_verify_evidence_cli_garbage_bundle_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"bundle": {"txid": 5}, "tip": {"hash": "ab" * 32}, "network": "regtest"}))
    result = CliRunner().invoke(cli, ["verify-evidence", str(path)])
    assert result.exit_code == 1 and json.loads(result.output)["reason"] == "malformed"


def test_verify_evidence_cli_refuses_huge_and_missing_files(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * (16 * 1024 * 1024 + 10))
    assert CliRunner().invoke(cli, ["verify-evidence", str(huge)]).exit_code == 2
    assert CliRunner().invoke(cli, ["verify-evidence", str(tmp_path / "missing.json")]).exit_code == 2


def test_evidence_job_builds_clients_from_the_configured_sources(world, caplog) -> None:
    config = SimpleNamespace(esplora_url=world.devnet.url, timeout_seconds=5.0)
    core = SimpleNamespace(name="core", kind="bitcoin-core-rpc", config=SimpleNamespace())  # no bundle
    caplog.set_level("INFO", logger="reserves.jobs.evidence")
    asyncio.run(evidence_job(world.db, [SimpleNamespace(name="custody", kind="bitcoin-esplora", config=config), core]))
    assert "collected=3" in caplog.text


def test_only_a_leading_worker_collects_with_its_database_and_reserve_sources(world, tmp_path, caplog) -> None:
    """What a closing runtime once skipped inside the job, the worker's scheduler decides now: the job gets
    the worker's database and its declared reserve sources, and a follower never runs it."""
    addresses = tuple(u["address"] for u in world.source["utxos"])
    config = BitcoinEsploraConfig(
        name="custody",
        esplora_url=world.devnet.url,
        network="regtest",
        timeout_seconds=5.0,
        wallets=(WalletSpec(name="custody", network="regtest", addresses=addresses),),
    )
    settings = replace(
        default_settings(tmp_path), reserves=(SourceSettings("custody", "bitcoin-esplora", "reserve", config),)
    )
    run, job = scheduled(parts(settings, world.db), "evidence")
    assert job.func is evidence_job and job.args == (world.db, settings.reserves) and not job.keywords
    follower, _ = scheduled(parts(settings, world.db, leading=False), "evidence")
    caplog.set_level("INFO", logger="reserves.jobs.evidence")
    asyncio.run(follower())
    assert "evidence:" not in caplog.text
    u = world.source["utxos"][0]
    with pytest.raises(EvidencePending):
        asyncio.run(EvidenceService(world.db).evidence(u["txid"], u["vout"]))
    asyncio.run(run())
    assert "collected=3" in caplog.text
    assert asyncio.run(EvidenceService(world.db).evidence(u["txid"], u["vout"]))["bundle"]["txid"] == u["txid"]
