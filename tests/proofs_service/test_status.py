"""Proof status per address (fresh, expired, none) and key liveness per declared key of each wallet."""

from __future__ import annotations

import pytest

from tests.proofs_service.signing import sign, sign_psbt

pytestmark = pytest.mark.usefixtures("needs_library")


def _by(items, key, value):
    return next(i for i in items if i[key] == value)


async def test_without_proofs_every_address_with_coins_is_none_and_no_key_alive(service, rs):
    s = await service.status()
    assert {a["address"] for a in s["addresses"]} == {rs.address("hot", 0), rs.address("cold", 0), rs.address("tap", 0)}
    assert all(a["status"] == "none" and a["age_seconds"] is None for a in s["addresses"])
    cold = _by(s["wallets"], "name", "cold")
    assert cold["threshold"] == 2 and cold["key_count"] == 3 and cold["alive_count"] == 0
    assert not cold["all_keys_alive"] and not cold["threshold_alive"]
    listed = _by(s["wallets"], "name", "listed")
    assert listed["key_count"] == 0 and not listed["all_keys_alive"]


async def test_fresh_then_expired(service, rs, clock, settings):
    c = await service.create_challenge()
    address = rs.address("hot", 0)
    await service.submit(challenge_id=c["id"], address=address, signature=sign(address, c["message"], rs.hot_key(0)))
    s = await service.status()
    hot = _by(s["addresses"], "address", address)
    assert hot["status"] == "fresh" and hot["age_seconds"] == 300 and hot["challenge_id"] == c["id"]
    assert _by(s["wallets"], "name", "hot")["all_keys_alive"]
    clock.advance(settings.proofs.max_age_seconds)
    s = await service.status()
    assert _by(s["addresses"], "address", address)["status"] == "expired"
    assert not _by(s["wallets"], "name", "hot")["all_keys_alive"]


async def test_invalid_proofs_never_make_an_address_proven(service, rs):
    c = await service.create_challenge()
    await service.submit(challenge_id=c["id"], address=rs.address("hot", 0), signature="AAAA")
    assert _by((await service.status())["addresses"], "address", rs.address("hot", 0))["status"] == "none"


async def test_m_of_n_alive_but_not_all_n_until_the_third_key_signs(service, rs):
    address = rs.address("cold", 0)
    a, b, c3 = rs.cosigner_keys(0)
    ch = await service.create_challenge(address=address)
    await service.submit(challenge_id=ch["id"], address=address, psbt=sign_psbt(ch["psbt"], [a, b]))
    cold = _by((await service.status())["wallets"], "name", "cold")
    assert cold["alive_count"] == 2 and cold["threshold_alive"] and not cold["all_keys_alive"]
    dead = [k for k in cold["keys"] if not k["alive"]]
    assert len(dead) == 1 and dead[0]["proven_at"] is None
    # Another round, another address of the wallet, signed by the other pair: all three alive.
    address1 = rs.address("cold", 1)
    ch = await service.create_challenge(address=address1)
    await service.submit(challenge_id=ch["id"], address=address1, psbt=sign_psbt(ch["psbt"], rs.cosigner_keys(1)[1:]))
    cold = _by((await service.status())["wallets"], "name", "cold")
    assert cold["alive_count"] == 3 and cold["all_keys_alive"]
    s = await service.status()
    assert _by(s["addresses"], "address", address1)["holds_coins"] is False  # proven without coins: still listed


async def test_proofs_of_a_wallet_that_left_the_set_are_not_listed(service, rs, db, settings, clock):
    from reserves.proofs.service import ProofService
    from tests.proofs_service.helpers import NETWORK, body, store_attestation

    c = await service.create_challenge()
    address = rs.address("hot", 3)
    await service.submit(challenge_id=c["id"], address=address, signature=sign(address, c["message"], rs.hot_key(3)))
    smaller = ProofService(db, settings, tuple(w for w in rs.wallets if w.name != "hot"), NETWORK, clock=clock)
    await store_attestation(db, body(rs, clock.now, coins=(("cold", 0),)), sequence=1)
    s = await smaller.status()
    assert [a["address"] for a in s["addresses"]] == [rs.address("cold", 0)]


async def test_two_keys_from_one_seed_are_alive_only_for_their_own_signatures(service, db, rs, clock, settings):
    """Two cosigner keys from one master (same origin fingerprint, other accounts) share their
    declared id; a signature by one of them must not make the other alive."""
    from chains.bitcoin.wallets import parse_wallets
    from reserves.proofs.service import ProofService
    from tests.proofs_service.helpers import NETWORK, _origin

    paths = ("m/48h/1h/0h/2h", "m/48h/1h/1h/2h")
    keys = ",".join(f"{_origin(rs.roots['a'], p)}/0/*" for p in paths) + f",{_origin(rs.roots['c'], paths[0])}/0/*"
    shared = parse_wallets([{"name": "shared", "descriptor": f"wsh(sortedmulti(2,{keys}))"}], NETWORK, "t")[0]
    service = ProofService(db, settings, (*rs.wallets, shared), NETWORK, clock=clock)  # the fixture stored the anchor
    address = shared.address(0)
    ch = await service.create_challenge(address=address)
    signers = [rs.key("a", 0, paths[0]), rs.key("c", 0, paths[0])]
    result = await service.submit(challenge_id=ch["id"], address=address, psbt=sign_psbt(ch["psbt"], signers))
    assert result["outcome"] == "valid"
    wallet = _by((await service.status())["wallets"], "name", "shared")
    assert wallet["key_count"] == 3
    alive = [k["path"] for k in wallet["keys"] if k["alive"]]
    assert wallet["alive_count"] == 2 and not wallet["all_keys_alive"], alive
    assert sorted(alive) == [paths[0], paths[0]]
    assert len({k["id"] for k in wallet["keys"]}) == 3  # each declared key answers to its own id
