"""Submissions: verified with the BIP-322 library, stored with their age; hostile input never counts."""

from __future__ import annotations

import base64

import pytest

from reserves.errors import InvalidInput
from reserves.proofs.errors import AddressNotInReserveSet, ChallengeExpired, UnknownChallenge, WrongChallengePurpose
from reserves.proofs.library import InvalidAddress
from tests.proofs_service.signing import sign, sign_psbt

pytestmark = pytest.mark.usefixtures("needs_library")


async def test_hot_wallet_signature_is_valid_with_its_age(service, rs, clock):
    c = await service.create_challenge()
    address = rs.address("hot", 0)
    clock.advance(30)
    r = await service.submit(
        challenge_id=c["id"], address=address, signature=sign(address, c["message"], rs.hot_key(0))
    )
    assert r["outcome"] == "valid" and r["variant"] == "simple" and r["wallet"] == "hot"
    assert r["proven_at"] == c["block"]["block_time"]
    assert r["age_seconds"] == 5 * 60 + 30  # from the challenge block's time, not from submission
    assert r["signer_keys"] == [rs.wallets[0].policy().keys[0].id]
    stored = await service.get_challenge(c["id"])
    assert [p["outcome"] for p in stored["proofs"]] == ["valid"]
    assert "signature" not in stored["proofs"][0]  # served results never echo the signature


async def test_taproot_key_path_signature_is_valid(service, rs):
    c = await service.create_challenge()
    address = rs.address("tap", 0)
    r = await service.submit(
        challenge_id=c["id"], address=address, signature=sign(address, c["message"], rs.tap_key(0))
    )
    assert r["outcome"] == "valid" and r["signer_keys"] == [rs.wallets[2].policy().keys[0].id]


async def test_multisig_psbt_with_all_three_cosigners_proves_every_key(service, rs):
    address = rs.address("cold", 0)
    c = await service.create_challenge(address=address)
    assert c["address"] == address and c["psbt"]
    r = await service.submit(challenge_id=c["id"], address=address, psbt=sign_psbt(c["psbt"], rs.cosigner_keys(0)))
    assert r["outcome"] == "valid"
    assert sorted(r["signer_keys"]) == sorted(k.id for k in rs.wallets[1].policy().keys)


async def test_multisig_psbt_with_two_cosigners_proves_those_two(service, rs):
    address = rs.address("cold", 0)
    c = await service.create_challenge(address=address)
    a, b, _ = rs.cosigner_keys(0)
    r = await service.submit(challenge_id=c["id"], address=address, psbt=sign_psbt(c["psbt"], [a, b]))
    assert r["outcome"] == "valid" and len(r["signer_keys"]) == 2


async def test_multisig_psbt_with_one_signature_is_stored_invalid(service, rs):
    address = rs.address("cold", 0)
    c = await service.create_challenge(address=address)
    r = await service.submit(challenge_id=c["id"], address=address, psbt=sign_psbt(c["psbt"], rs.cosigner_keys(0)[:1]))
    assert r["outcome"] == "invalid" and r["signer_keys"] == []


async def test_replay_of_an_old_signature_on_a_new_challenge_is_invalid(service, rs):
    address = rs.address("hot", 0)
    old = await service.create_challenge()
    signature = sign(address, old["message"], rs.hot_key(0))
    new = await service.create_challenge()
    r = await service.submit(challenge_id=new["id"], address=address, signature=signature)
    assert r["outcome"] == "invalid" and r["signer_keys"] == []


async def test_signature_by_another_key_is_invalid(service, rs):
    c = await service.create_challenge()
    address = rs.address("hot", 0)
    r = await service.submit(
        challenge_id=c["id"], address=address, signature=sign(rs.address("hot", 1), c["message"], rs.hot_key(1))
    )
    assert r["outcome"] == "invalid"


@pytest.mark.parametrize(
    "garbage",
    [
        "AAAA",
        "smp" + "A" * 40,
        base64.b64encode(b"\xff" * 300).decode(),
        "%%%%",
        "a" * 60_000,
        "ful" + base64.b64encode(b"\x00" * 10).decode(),
        "xyz" + "A" * 100,
    ],
)
async def test_garbage_signatures_are_stored_invalid_never_valid(service, rs, garbage):
    c = await service.create_challenge()
    r = await service.submit(challenge_id=c["id"], address=rs.address("hot", 0), signature=garbage)
    assert r["outcome"] in ("invalid", "inconclusive")
    assert r["outcome"] != "valid" and garbage[:40] not in r["detail"]


@pytest.mark.parametrize(
    "psbt", ["cHNidP8=", "not base64 at all", base64.b64encode(b"psbt\xff" + b"\x00" * 50).decode()]
)
async def test_garbage_psbts_are_stored_invalid(service, rs, psbt):
    c = await service.create_challenge()
    r = await service.submit(challenge_id=c["id"], address=rs.address("cold", 0), psbt=psbt)
    assert r["outcome"] == "invalid"


async def test_oversized_signature_is_refused(service, rs):
    c = await service.create_challenge()
    with pytest.raises(InvalidInput):
        await service.submit(challenge_id=c["id"], address=rs.address("hot", 0), signature="A" * 200_000)


async def test_signature_and_psbt_are_exclusive(service, rs):
    c = await service.create_challenge()
    for kwargs in ({}, {"signature": "AAAA", "psbt": "AAAA"}):
        with pytest.raises(InvalidInput, match="exactly one"):
            await service.submit(challenge_id=c["id"], address=rs.address("hot", 0), **kwargs)
    for bad in ("", "   ", 5, ["x"], {"a": 1}):
        with pytest.raises(InvalidInput):
            await service.submit(challenge_id=c["id"], address=rs.address("hot", 0), signature=bad)


async def test_unknown_challenge(service, rs):
    with pytest.raises(UnknownChallenge):
        await service.submit(challenge_id="f" * 32, address=rs.address("hot", 0), signature="AAAA")


async def test_expired_challenge_is_refused_and_nothing_stored(service, rs, clock, settings):
    c = await service.create_challenge()
    address = rs.address("hot", 0)
    signature = sign(address, c["message"], rs.hot_key(0))
    clock.advance(settings.proofs.challenge_ttl_seconds)
    with pytest.raises(ChallengeExpired):
        await service.submit(challenge_id=c["id"], address=address, signature=signature)
    assert (await service.get_challenge(c["id"]))["proofs"] == []


async def test_public_challenges_take_no_submissions(service, rs):
    c = await service.create_challenge(purpose="public", nonce="n")
    with pytest.raises(WrongChallengePurpose):
        await service.submit(challenge_id=c["id"], address=rs.address("hot", 0), signature="AAAA")


async def test_address_outside_the_reserve_set_is_refused(service, rs):
    c = await service.create_challenge()
    from embit.networks import NETWORKS
    from embit.script import p2wpkh

    from tests.proofs_service.helpers import hd

    key = hd("stranger").derive("m/84h/1h/0h/0/0").key
    stranger = p2wpkh(key.get_public_key()).address(NETWORKS["regtest"])
    with pytest.raises(AddressNotInReserveSet):
        await service.submit(challenge_id=c["id"], address=stranger, signature=sign(stranger, c["message"], key))


@pytest.mark.parametrize(
    "address",
    ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "", "x" * 1000, None],
)
async def test_wrong_network_or_malformed_address(service, address):
    c = await service.create_challenge()
    with pytest.raises(InvalidAddress):
        await service.submit(challenge_id=c["id"], address=address, signature="AAAA")


async def test_uppercase_bech32_is_the_same_address(service, rs):
    c = await service.create_challenge()
    address = rs.address("hot", 0)
    r = await service.submit(
        challenge_id=c["id"], address=address.upper(), signature=sign(address, c["message"], rs.hot_key(0))
    )
    assert r["outcome"] == "valid" and r["address"] == address
