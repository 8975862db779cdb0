"""The devnet's token shows every supply term: treasury and burn exclusions, a lock-and-mint bridge, counted once."""

from __future__ import annotations

import pytest

from chains.devnet.bridge import NO_DEPOSIT_TXID
from chains.devnet.network import BURN_ADDRESS, BURNED_ONCE, Devnet
from reserves.devnet.manifest import apply, manifest
from reserves.settings.load import default_settings

TICKS = 60


@pytest.fixture(scope="module")
def devnet():
    net = Devnet.start()
    try:
        yield net
    finally:
        net.stop()


def test_three_deployments_with_roles_that_link(devnet):
    sources = {s.name: s for s in apply(default_settings(), manifest(devnet)).deployments}
    assert list(sources) == ["devnet-ethereum", "devnet-l2", "devnet-bridged"]
    eth, l2, bridged = sources.values()
    assert [s.config.chain_id for s in sources.values()] == ["eip155:31337", "eip155:31338", "eip155:31339"]
    assert (bridged.supply_role, bridged.bridge_source) == ("bridge", "devnet-ethereum")
    assert eth.supply_role == l2.supply_role == "native" and l2.config.held == ()
    held = {h.address.lower(): h for h in eth.config.held}
    lockbox = held[devnet.bridge.lockbox.lower()]
    assert (lockbox.category, lockbox.bridge) == ("lockbox", "devnet-bridged") and lockbox.reason
    assert held[devnet.treasury.lower()].category == "treasury" and held[BURN_ADDRESS.lower()].category == "burn"
    assert len(set(eth.config.rpc_urls)) == 2 and eth.config.quorum == 2 and len(bridged.config.rpc_urls) == 1


def counted_units(devnet) -> int:
    """The supply rule applied at the newest block of every chain (all 8 decimals: units = sats)."""
    eth, l2, bridged = devnet.evms
    lockbox = eth.balance_of(devnet.bridge.lockbox)
    held = lockbox + eth.balance_of(devnet.treasury) + eth.balance_of(BURN_ADDRESS)
    return (eth.total_supply() - held) + l2.total_supply() + max(lockbox, bridged.total_supply())


def test_bridging_and_buy_backs_keep_every_token_counted_once(devnet):
    eth, l2, bridged = devnet.evms
    bridge = devnet.bridge
    for _ in range(TICKS):
        devnet.tick()
        lockbox = eth.balance_of(bridge.lockbox)
        pending_in = sum(amount for _, amount in bridge.inbound)
        pending_out = sum(amount for _, amount in bridge.outbound)
        # Everything minted on the bridged chain is locked on devnet-ethereum, in flight included.
        assert lockbox - pending_in == bridged.total_supply() + pending_out
        assert lockbox >= bridged.total_supply()
        # The bridge adds nothing: the count is the native supply less the treasury and the burn.
        natives = eth.total_supply() + l2.total_supply()
        assert counted_units(devnet) == natives - eth.balance_of(devnet.treasury) - BURNED_ONCE
    assert eth.balance_of(BURN_ADDRESS) == BURNED_ONCE
    assert bridge.bridged_in >= 2 and bridge.bridged_out >= 1 and eth.balance_of(devnet.treasury) > 0


def test_no_deposit_is_minted_on_the_bridged_chain(devnet):
    assert devnet.bridge.target not in devnet.native_evms() and len(devnet.native_evms()) == 2
    assert NO_DEPOSIT_TXID == "0" * 64


def test_fewer_chains_have_no_bridge():
    net = Devnet.start(evm_chains=1)
    try:
        [(name, _, table)] = net.deployment_sources()
        assert name == "devnet-ethereum" and net.bridge is None and "role" not in table
        net.tick()
    finally:
        net.stop()
