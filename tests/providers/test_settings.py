"""[[providers]] and [provider_policy]: every malformed or hostile entry is a ConfigError naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from reserves.errors import ConfigError
from reserves.settings.load import load_settings
from tests.support import SETTINGS_BASE as BASE

TOKEN, HOLDER = "0x2222222222222222222222222222222222222222", "0x3333333333333333333333333333333333333333"
GOOD = (
    '\n[[providers]]\nname = "lp-1"\n'
    'obligation = { kind = "bitcoin", source = "cold", addresses = ["bcrt1q2c89z6gqedhtfr3zg29z5pnh4p7wgczm26uczx"] }\n'
    f'collateral = {{ kind = "evm-erc20", deployment = "eth", token = "{TOKEN}", addresses = ["{HOLDER}"], '
    'decimals = 6, asset = "USD" }\n'
)


# USD collateral is valued with the oracle: one ticker is enough for the settings.
PRICES = (
    '\n[prices]\nmin_sources = 1\n[[prices.sources]]\nname = "cb"\nkind = "price-ticker"\nformat = "coinbase"\n'
    'url = "https://api.coinbase.com"\n'
)


def load(tmp_path: Path, text: str, prices: str = PRICES):
    path = tmp_path / "reserves.toml"
    path.write_text(BASE + text + prices)
    return load_settings(path, env={"K": "00" * 32})


@pytest.mark.parametrize(
    "prices, why",
    [
        ("", "USD collateral is valued with the price oracle; declare [[prices.sources]] (pair BTC/USD)"),
        (PRICES.replace("min_sources = 1", 'min_sources = 1\npair = "BTC/EUR"'), "but prices.pair is BTC/EUR"),
    ],
)
def test_usd_collateral_without_a_btc_usd_oracle_is_refused(tmp_path, prices, why):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, GOOD, prices)
    assert err.value.detail.startswith("providers[0].collateral.asset: ") and why in err.value.detail
    btc = GOOD.replace('decimals = 6, asset = "USD"', 'decimals = 8, asset = "BTC"')
    assert load(tmp_path, btc, prices).providers[0].collateral.asset == "BTC"  # BTC collateral needs no price


def test_a_declared_provider_is_read_through_its_source_and_deployment(tmp_path):
    s = load(tmp_path, GOOD + "[provider_policy]\nwarning_below_bp = 16000\n")
    (p,) = s.providers
    assert (p.obligation.via, p.obligation.chain_id[:8], p.collateral.via, p.collateral.asset) == (
        "cold",
        "bip122:0",
        "eth",
        "USD",
    )
    assert s.provider_policy.warning_below_bp == 16000 and s.provider_policy.penalty_bp == 1000


BAD = [
    (GOOD.replace('"lp-1"', '"lp\\u0000x"'), "providers[0].name"),
    (GOOD.replace('"lp-1"', '"' + "x" * 65 + '"'), "providers[0].name"),
    (GOOD + GOOD, "providers[1].name"),
    (GOOD.replace('source = "cold"', 'source = "nope"'), "providers[0].obligation.source"),
    (GOOD.replace('kind = "bitcoin"', 'kind = "solana"'), "providers[0].obligation.kind"),
    (GOOD.replace('deployment = "eth"', 'deployment = "cold"'), "providers[0].collateral.deployment"),
    (GOOD.replace("0x2222222222222222222222222222222222222222", "0x22"), "providers[0].collateral.token"),
    (
        GOOD.replace("0x3333333333333333333333333333333333333333", "0xAbCdEf3333333333333333333333333333333333"),
        "providers[0].collateral.addresses[0]",
    ),
    (GOOD.replace("decimals = 6", "decimals = 99"), "providers[0].collateral.decimals"),
    (GOOD.replace("decimals = 6", "decimals = true"), "providers[0].collateral.decimals"),
    (GOOD.replace('asset = "USD"', 'asset = "ETH"'), "providers[0].collateral.asset"),
    (GOOD.replace('addresses = ["bcrt1', 'addresses = ["bc1qnotregtest", "bcrt1'), "providers[0].obligation"),
    (
        GOOD.replace(', asset = "USD" }', ', asset = "USD", rpc_url = "http://evil" }'),
        "providers[0].collateral.rpc_url",
    ),
    (GOOD.replace('name = "lp-1"', 'name = "lp-1"\nextra = 1'), "providers[0].extra"),
    ('[[providers]]\nname = "x"\nobligation = "all"\n', "providers[0].obligation"),
    (GOOD + "[provider_policy]\nliquidatable_below_bp = 16000\n", "provider_policy"),
    (GOOD + "[provider_policy]\npenalty_bp = 1.5\n", "provider_policy.penalty_bp"),
    (GOOD + "[provider_policy]\nbogus = 1\n", "provider_policy.bogus"),
    (
        GOOD.replace("collateral = {", "collateral = { kind = 'bitcoin', source = 'cold', addresses = [] }\nx = {"),
        "providers[0]",
    ),
]


@pytest.mark.parametrize("text,where", BAD)
def test_malformed_or_hostile_providers_are_refused_naming_the_key(tmp_path, text, where):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    assert caught.value.detail.startswith(where), caught.value.detail


def test_an_obligation_is_btc(tmp_path):
    holder = "0x3333333333333333333333333333333333333333"
    native = f'obligation = {{ kind = "evm-native", deployment = "eth", addresses = ["{holder}"], asset = "USD" }}'
    text = GOOD.replace(GOOD.splitlines()[3], native)
    with pytest.raises(ConfigError, match="obligation.asset"):
        load(tmp_path, text)
