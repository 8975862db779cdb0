"""Challenges: bound to the newest attested block and reserve set, fresh, unique, with hostile input refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reserves.errors import InvalidInput
from reserves.proofs.anchor import anchor_from_body
from reserves.proofs.errors import NoFreshBlock, UnknownChallenge
from reserves.proofs.library import InvalidAddress
from reserves.proofs.message import check_nonce
from reserves.proofs.service import ProofService
from tests.proofs_service.helpers import BLOCK_HASH, NETWORK, body, store_attestation


async def test_message_embeds_domain_set_version_block_hash_and_expiry(service):
    c = await service.create_challenge()
    msg = c["message"]
    assert "domain: reserves.example" in msg
    assert f"reserve-set: version 1 sha256 {'ab' * 32}" in msg
    assert f"hash {BLOCK_HASH}" in msg and "height 200" in msg
    assert f"challenge: {c['id']}" in msg and f"expires: {c['expires_at']}" in msg
    assert c["purpose"] == "operator" and c["nonce"] is None and "nonce:" not in msg
    assert c["block"] == {
        "chain_id": c["block"]["chain_id"],
        "height": 200,
        "block_hash": BLOCK_HASH,
        "block_time": c["block"]["block_time"],
    }


async def test_each_challenge_is_unique_and_can_be_read_back(service):
    a, b = await service.create_challenge(), await service.create_challenge()
    assert a["id"] != b["id"] and a["message"] != b["message"]
    again = await service.get_challenge(a["id"])
    assert again["message"] == a["message"] and again["proofs"] == []


async def test_public_challenge_carries_the_nonce_on_its_own_line(service):
    c = await service.create_challenge(purpose="public", nonce="hello auditor 42")
    assert c["message"].endswith("\nnonce: hello auditor 42") and c["nonce"] == "hello auditor 42"


@pytest.mark.parametrize("nonce", ["", "x" * 129, "a\nblock: forged", "tab\there", "é", None, 5, ["n"], "\x00"])
def test_hostile_nonces_are_refused(nonce):
    with pytest.raises(InvalidInput):
        check_nonce(nonce)


def test_nonce_limits():
    assert check_nonce("~" * 128) == "~" * 128 and check_nonce(" ") == " "


async def test_no_attestation_means_no_challenge(db, rs, settings, clock):
    svc = ProofService(db, settings, rs.wallets, NETWORK, clock=clock)
    with pytest.raises(NoFreshBlock, match="no attestation"):
        await svc.create_challenge()


async def test_an_old_block_is_refused(db, rs, settings, clock):
    await store_attestation(db, body(rs, clock.now - timedelta(hours=3)))
    svc = ProofService(db, settings, rs.wallets, NETWORK, clock=clock)
    with pytest.raises(NoFreshBlock, match="old"):
        await svc.create_challenge()


async def test_a_format_1_attestation_names_no_reserve_set(db, rs, settings, clock):
    doc = body(rs, clock.now)
    del doc["reserves"]["reserve_set"], doc["reserves"]["valid_at"]
    await store_attestation(db, doc)
    with pytest.raises(NoFreshBlock, match="reserve set"):
        await ProofService(db, settings, rs.wallets, NETWORK, clock=clock).create_challenge()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r.update(valid_at={"chain_id": "x", "height": "200", "block_hash": "11" * 32}),
        lambda r: r.update(reserve_set={"version": "1", "hash": "ab"}),
        lambda r: r.update(sources=[]),  # no source read at the valid_at block: its time is unknown
        lambda r: r["sources"][0].update(block_time="yesterday"),
        lambda r: r.update(valid_at=None),
    ],
)
def test_malformed_anchors_are_refused(rs, clock, mutate):
    doc = body(rs, clock.now)
    mutate(doc["reserves"])
    with pytest.raises(NoFreshBlock):
        anchor_from_body(doc)


async def test_newest_attestation_wins(db, rs, settings, clock):
    await store_attestation(db, body(rs, clock.now - timedelta(minutes=20)))
    await store_attestation(db, body(rs, clock.now, version=2, block_hash="22" * 32, height=201), sequence=1)
    c = await ProofService(db, settings, rs.wallets, NETWORK, clock=clock).create_challenge()
    assert c["reserve_set"]["version"] == 2 and c["block"]["block_hash"] == "22" * 32


@pytest.mark.parametrize("cid", ["", "0" * 31, "0" * 33, "G" * 32, "A" * 32, "../" * 11, None, 7, "0" * 10_000])
async def test_malformed_challenge_ids_are_400(service, cid):
    with pytest.raises(InvalidInput):
        await service.get_challenge(cid)


async def test_unknown_challenge_is_404(service):
    with pytest.raises(UnknownChallenge):
        await service.get_challenge("0" * 32)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "bc1" + "q" * 200,
        "not an address",
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
        12,
    ],
)
async def test_challenge_for_a_bad_or_foreign_network_address_is_400(service, address):
    with pytest.raises(InvalidAddress):
        await service.create_challenge(address=address)
