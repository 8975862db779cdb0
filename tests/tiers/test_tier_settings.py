"""`[[tiers]]` and `[[contracts]]`: valid declarations load; malformed or hostile ones are refused, the key named."""

from __future__ import annotations

import pytest

from reserves.errors import ConfigError
from reserves.settings.load import load_settings
from reserves.settings.tiers import check_against_wallets, parse_tiers

KEY = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
DESCRIPTOR = f"wsh(and_v(v:pk({KEY}),after(840000)))"
WALLETS = {"vault": "main", "cold": "main", "hot": "main"}


def tiers(**locked_changes):
    locked = {"name": "locked", "target_bp": 8000, "band_bp": 500, "wallets": ["vault"], "locked": True}
    locked |= {"unlocked_to": "liquid"} | locked_changes
    return [locked, {"name": "liquid", "target_bp": 2000, "band_bp": 500, "wallets": ["cold", "hot"]}]


def contract(**changes):
    c = {
        "name": "dlc-1",
        "outpoint": "c0" * 32 + ":1",
        "wallet": "vault",
        "descriptor": DESCRIPTOR,
        "amount_sat": 100_000_000,
        "unlock_height": 840000,
    }
    return c | changes


def test_a_valid_declaration_loads_and_matches_the_wallets():
    t = parse_tiers({"tiers": tiers(), "contracts": [contract()]})
    check_against_wallets(t, WALLETS)
    assert [x.name for x in t.tiers] == ["locked", "liquid"] and t.tier_of("hot") == "liquid"
    c = t.contracts[0]
    assert (c.txid, c.vout, c.unlock_kind, c.unlock_at, c.index) == ("c0" * 32, 1, "height", 840000, 0)


def test_no_tiers_is_nothing_to_check():
    t = parse_tiers({})
    assert not t.declared
    check_against_wallets(t, WALLETS)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"tiers": tiers(target_bp=7000)}, "sum to 9000"),
        ({"tiers": tiers(target_bp=-1)}, "target_bp"),
        ({"tiers": tiers(target_bp=10001)}, "target_bp"),
        ({"tiers": tiers(target_bp=True)}, "target_bp"),
        ({"tiers": tiers(target_bp="8000")}, "target_bp"),
        ({"tiers": tiers(band_bp=1.5)}, "band_bp"),
        ({"tiers": tiers(wallets=[])}, "wallets"),
        ({"tiers": tiers(wallets="vault")}, "wallets"),
        ({"tiers": tiers(wallets=["cold"])}, "declared twice"),
        ({"tiers": tiers(wallets=["vault; DROP TABLE"])}, "wallets[0]"),
        ({"tiers": tiers(name="liquid")}, "declared twice"),
        ({"tiers": tiers(name="x" * 65)}, "name"),
        ({"tiers": tiers(name="\u202etxt")}, "name"),
        ({"tiers": tiers(unlocked_to=None)}, "unlocked_to"),
        ({"tiers": tiers(unlocked_to="locked")}, "not locked"),
        ({"tiers": tiers(unlocked_to="nowhere")}, "not locked"),
        ({"tiers": tiers(extra=1)}, "unknown key"),
        ({"tiers": {"name": "x"}}, "array of tables"),
        ({"tiers": [tiers()[0]] * 17}, "at most 16"),
        ({"contracts": [contract()]}, "declare [[tiers]] first"),
        ({"tiers": tiers(), "contracts": [contract(outpoint="c0" * 32)]}, "outpoint"),
        ({"tiers": tiers(), "contracts": [contract(outpoint="C0" * 32 + ":1")]}, "outpoint"),
        ({"tiers": tiers(), "contracts": [contract(outpoint="c0" * 32 + ":-1")]}, "outpoint"),
        ({"tiers": tiers(), "contracts": [contract(outpoint="c0" * 32 + ":99999999999")]}, "outpoint"),
        ({"tiers": tiers(), "contracts": [contract(outpoint=7)]}, "outpoint"),
        ({"tiers": tiers(), "contracts": [contract(amount_sat=0)]}, "amount_sat"),
        ({"tiers": tiers(), "contracts": [contract(amount_sat=21_000_000 * 10**8 + 1)]}, "amount_sat"),
        ({"tiers": tiers(), "contracts": [contract(unlock_time=1_700_000_000)]}, "exactly one"),
        ({"tiers": tiers(), "contracts": [{**contract(), "unlock_height": 500_000_000}]}, "unlock_height"),
        ({"tiers": tiers(), "contracts": [contract(descriptor="")]}, "descriptor"),
        ({"tiers": tiers(), "contracts": [contract(descriptor="x" * 9000)]}, "descriptor"),
        ({"tiers": tiers(), "contracts": [contract(), contract(outpoint="d0" * 32 + ":0")]}, "declared twice"),
        ({"tiers": tiers(), "contracts": [contract(), contract(name="dlc-2")]}, "declared twice"),
        ({"tiers": tiers(), "contracts": [contract(index=2**31)]}, "index"),
    ],
)
def test_malformed_declarations_are_refused_with_the_key_named(data, message):
    with pytest.raises(ConfigError) as err:
        parse_tiers(data)
    assert message in err.value.detail


@pytest.mark.parametrize(
    "data, wallets, message",
    [
        ({"tiers": tiers(wallets=["vault", "ghost"])}, WALLETS, "'ghost' is not a declared reserve wallet"),
        ({"tiers": tiers()}, {**WALLETS, "spare": "main"}, "'spare' is in no tier"),
        ({"tiers": tiers(), "contracts": [contract(wallet="ghost")]}, WALLETS, "not a declared reserve wallet"),
        ({"tiers": tiers(), "contracts": [contract(wallet="hot")]}, WALLETS, "not a locked one"),
        ({"tiers": tiers(), "contracts": [contract(descriptor="wsh(pk(nonsense))")]}, WALLETS, "descriptor"),
        ({"tiers": tiers(), "contracts": [contract()]}, {k: "regtest" for k in WALLETS}, None),
    ],
)
def test_declarations_must_fit_the_declared_wallets(data, wallets, message):
    t = parse_tiers(data)
    if message is None:  # a mainnet-agnostic descriptor (a raw key) parses on any network
        check_against_wallets(t, wallets)
        return
    with pytest.raises(ConfigError) as err:
        check_against_wallets(t, wallets)
    assert message in err.value.detail


def test_a_config_file_with_tiers_loads_and_an_unknown_wallet_is_refused(tmp_path):
    base = (tmp_path / "base.toml", tmp_path / "bad.toml")
    address = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    common = f"""
data_dir = "{tmp_path}"
[signing]
key_file = "{tmp_path / "engine.key"}"
create_if_missing = true
[[reserves]]
name = "cold"
kind = "bitcoin-esplora"
esplora_url = "http://127.0.0.1:1"
network = "main"
addresses = ["{address}"]
[[deployments]]
name = "eth"
kind = "evm-erc20"
chain_id = "eip155:1"
rpc_url = "http://127.0.0.1:2"
contract = "0x52908400098527886E0F7030069857D2E4169EE7"
"""
    base[0].write_text(common + '[[tiers]]\nname = "all"\ntarget_bp = 10000\nband_bp = 0\nwallets = ["cold"]\n')
    assert load_settings(base[0], env={}).tiers.tier_of("cold") == "all"
    base[1].write_text(common + '[[tiers]]\nname = "all"\ntarget_bp = 10000\nband_bp = 0\nwallets = ["colt"]\n')
    with pytest.raises(ConfigError, match="'colt' is not a declared reserve wallet"):
        load_settings(base[1], env={})
