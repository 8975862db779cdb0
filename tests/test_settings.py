"""Configuration: the shipped example loads, defaults give the devnet, every bad key is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from reserves.errors import ConfigError
from reserves.settings.load import load_settings

ROOT = Path(__file__).resolve().parents[1]
ENV = {"RESERVES_DATABASE_URL": "postgresql+psycopg://u:p@db/r", "ETH_RPC_URL": "https://rpc.invalid/KEY"}

GOOD = """
[[reserves]]
name = "cold"
kind = "bitcoin-esplora"
esplora_url = "https://esplora.invalid/api"
network = "main"
addresses = ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]
[[deployments]]
name = "eth"
kind = "evm-erc20"
chain_id = "eip155:1"
rpc_url_env = "ETH_RPC_URL"
contract = "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "reserves.toml"
    p.write_text(text)
    return p


def test_no_config_gives_the_devnet_and_sqlite_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings(None, env={})
    assert s.devnet.enabled and s.database.url == f"sqlite:///{tmp_path.resolve() / 'reserves.db'}"
    assert s.signing.key_file == tmp_path.resolve() / "reserves-signing.key" and s.signing.create_if_missing


def test_config_path_from_environment(tmp_path):
    p = write(tmp_path, GOOD)
    s = load_settings(None, env={"RESERVES_CONFIG": str(p), **ENV})
    assert s.config_path == p and not s.devnet.enabled and s.portal.token_symbol == "RBTC"


def test_shipped_mainnet_example_loads():
    env = {
        **ENV,
        "RESERVES_SIGNING_KEY": "11" * 32,
        "RESERVES_ADMIN_TOKEN": "a" * 64,
        "ETH_RPC_URLS": "https://one.invalid/KEY,\n https://two.invalid/KEY",
        "ARB_RPC_URL": "https://arb.invalid/K",
    }
    s = load_settings(ROOT / "examples" / "mainnet.toml", env=env)
    assert s.admin.token == "a" * 64
    assert [r.name for r in s.reserves] == ["cold-storage"]
    eth, arb = s.deployments
    assert (eth.name, eth.supply_role, arb.name, arb.supply_role, arb.bridge_source) == (
        "ethereum",
        "native",
        "arbitrum",
        "bridge",
        "ethereum",
    )
    # from the environment, not the file: two URLs in one variable, both required to agree
    assert eth.config.rpc_urls == ("https://one.invalid/KEY", "https://two.invalid/KEY") and eth.config.quorum == 2
    assert [h.category for h in eth.config.held] == ["treasury", "lockbox"] and eth.config.held[1].bridge == "arbitrum"
    assert eth.config.start_block > 0 and arb.config.held == ()
    assert s.database.url.startswith("postgresql")


def test_rpc_urls_from_a_file(tmp_path):
    (tmp_path / "urls.txt").write_text("https://a.invalid/K1\nhttps://b.invalid/K2\n\n")
    text = GOOD.replace('rpc_url_env = "ETH_RPC_URL"', 'rpc_urls_file = "urls.txt"')
    s = load_settings(write(tmp_path, text), env=ENV)
    assert s.deployments[0].config.rpc_urls == ("https://a.invalid/K1", "https://b.invalid/K2")
    assert "K1" not in repr(s)


def test_secret_from_file(tmp_path):
    (tmp_path / "rpc.txt").write_text("https://rpc.invalid/FROMFILE\n")
    s = load_settings(write(tmp_path, GOOD.replace('rpc_url_env = "ETH_RPC_URL"', 'rpc_url_file = "rpc.txt"')), env={})
    assert s.deployments[0].config.rpc_url == "https://rpc.invalid/FROMFILE"


@pytest.mark.parametrize(
    "text, key",
    [
        ("[portal]\nport = 0\n", "portal.port"),
        ("[portal]\nprot = 8000\n", "portal.prot"),
        ("bogus = 1\n", "bogus"),
        ("[schedule]\nsnapshot_interval_seconds = 0\n", "schedule.snapshot_interval_seconds"),
        ("[policy]\nwarning_below_bp = 9000\n", "policy.warning_below_bp"),
        ('[database]\nurl = "mysql://x"\n', "database.url"),
        ('[devnet]\nenabled = "yes"\n', "devnet.enabled"),
        ('[portal]\nhsts = "yes"\n', "portal.hsts"),
        ("reserves = 5\n", "reserves"),
    ],
)
def test_bad_top_level_keys_are_named(tmp_path, text, key):
    with pytest.raises(ConfigError) as err:
        env = {k: v for k, v in ENV.items() if k != "RESERVES_DATABASE_URL"}
        load_settings(write(tmp_path, text + ("\n" + GOOD if "reserves =" not in text else "")), env=env)
    assert key in err.value.detail


@pytest.mark.parametrize(
    "old, new, key",
    [
        ('kind = "bitcoin-esplora"', 'kind = "bitcoin-magic"', "reserves.cold.kind"),
        ('kind = "bitcoin-esplora"', 'kind = "evm-erc20"', "reserves.cold.kind"),
        ('network = "main"', 'network = "regtest"', "reserves.cold"),
        ('contract = "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"', 'contract = "0x12"', "deployments.eth.contract"),
        ('rpc_url_env = "ETH_RPC_URL"', 'rpc_url_env = "NOT_SET_ANYWHERE"', "deployments.eth.rpc_url_env"),
    ],
)
def test_bad_source_keys_are_named(tmp_path, old, new, key):
    text = GOOD.replace(old, new, 1)
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text), env=ENV)
    assert key is None or key in err.value.detail, err.value.detail


def test_duplicate_names_and_missing_sources(tmp_path):
    dup = GOOD + GOOD[GOOD.index("[[deployments]]") :]
    with pytest.raises(ConfigError, match=r"deployments\[1\].name: duplicate"):
        load_settings(write(tmp_path, dup), env=ENV)
    with pytest.raises(ConfigError, match="reserves: declare at least one"):
        load_settings(write(tmp_path, "[portal]\nport = 8001\n"), env=ENV)


@pytest.mark.parametrize(
    "name",
    ["cold\\u0000", "cold\\nstorage", "cold\\u001b[31m", "cold\\u202eb", "cold\\u200b", "\\u0085cold"],
    ids=["NUL", "line break", "terminal escape", "right-to-left override", "zero-width space", "NEL"],
)
@pytest.mark.parametrize("section", ["reserves", "deployments"])
def test_names_with_control_or_format_characters_are_refused(tmp_path, section, name):
    """A name is shown on every page, logged and stored: TOML escapes must not smuggle in what
    would break a log line or reorder the text around it."""
    old = 'name = "cold"' if section == "reserves" else 'name = "eth"'
    with pytest.raises(ConfigError, match=rf"{section}\[0\]\.name: printable characters only"):
        load_settings(write(tmp_path, GOOD.replace(old, f'name = "{name}"', 1)), env=ENV)


def test_a_name_with_spaces_and_letters_of_any_script_loads(tmp_path):
    name = "Ethereum – mainnet 以太 \u0645\u06cc\u200c\u0631\u0648\u062f"  # Persian needs a zero-width non-joiner
    text = GOOD.replace('name = "eth"', f'name = "{name}"', 1)
    assert load_settings(write(tmp_path, text), env=ENV).deployments[0].name == name


@pytest.mark.parametrize("content", [b"\xff\xfe not utf8", b"[portal\n", b"a = 1\na = 2\n", b"x" * 1_000_001])
def test_malformed_or_oversized_files_fail_clearly(tmp_path, content):
    p = tmp_path / "bad.toml"
    p.write_bytes(content)
    with pytest.raises(ConfigError, match="config file"):
        load_settings(p, env={})


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "nope.toml", env={})


@pytest.mark.parametrize(
    "text, key",
    [
        ('[portal]\ntoken_symbol = "' + "X" * 33 + '"\n', "portal.token_symbol"),
        ('[portal]\nissuer_name = "' + "n" * 201 + '"\n', "portal.issuer_name"),
        ('[portal]\nissuer_url = "ftp://example.com"\n', "portal.issuer_url"),
        ('[signing]\nkey_id = "bad key id"\n', "signing.key_id"),
        ("[schedule]\nsource_timeout_seconds = 0\n", "schedule.source_timeout_seconds"),
        ("[devnet]\nenabled = true\n", "devnet.enabled"),
    ],
)
def test_values_the_attestation_would_refuse_are_refused_at_start(tmp_path, text, key):
    """Anything that passes here must not make every snapshot fail later."""
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text + GOOD), env=ENV)
    assert key in err.value.detail


def test_reserves_on_two_bitcoin_networks_are_refused(tmp_path):
    second = GOOD[GOOD.index("[[reserves]]") : GOOD.index("[[deployments]]")].replace('name = "cold"', 'name = "tn"')
    second = second.replace('"main"', '"test"').replace(
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"
    )
    with pytest.raises(ConfigError, match="one Bitcoin network"):
        load_settings(write(tmp_path, GOOD + second), env=ENV)


def test_key_id_with_a_trailing_newline_is_refused(tmp_path):
    """`$` matches before a final newline: the engine would sign ids its own schema refuses."""
    with pytest.raises(ConfigError, match="signing.key_id"):
        load_settings(write(tmp_path, '[signing]\nkey_id = "engine\\n"\n' + GOOD), env=ENV)


def test_admin_token_and_online_passphrase_never_appear_in_repr(tmp_path):
    """Settings are printed in tracebacks and debug logs: secrets stay out of their repr (like rpc_url's)."""
    text = GOOD + (
        '\n[admin]\ntoken_env = "ADMIN_TOKEN"\n[proofs]\nonline_key_file = "k.json"\n'
        'online_passphrase_env = "ONLINE_PASS"\n'
    )
    env = {**ENV, "ADMIN_TOKEN": "T" * 40 + "ADMINSECRET", "ONLINE_PASS": "PASSSECRET-long-enough"}
    s = load_settings(write(tmp_path, text), env=env)
    assert s.admin.token.endswith("ADMINSECRET") and s.proofs.online_passphrase == "PASSSECRET-long-enough"
    for text in (repr(s), repr(s.admin), repr(s.proofs), str(s)):
        assert "ADMINSECRET" not in text and "PASSSECRET" not in text


def test_hsts_is_off_unless_the_portal_is_declared_served_over_tls(tmp_path):
    assert not load_settings(write(tmp_path, GOOD), env=ENV).portal.hsts
    assert load_settings(write(tmp_path, "[portal]\nhsts = true\n" + GOOD), env=ENV).portal.hsts


def test_request_limits_of_the_web_server(tmp_path):
    d = load_settings(write(tmp_path, GOOD), env=ENV).portal
    assert (d.header_timeout_seconds, d.max_header_bytes, d.max_header_count) == (10.0, 16_384, 100)
    assert (d.max_query_bytes, d.max_connections) == (4096, 1000)
    text = GOOD + "[portal]\nheader_timeout_seconds = 2.5\nmax_connections = 64\nmax_query_bytes = 1024\n"
    s = load_settings(write(tmp_path, text), env=ENV).portal
    assert (s.header_timeout_seconds, s.max_connections, s.max_query_bytes) == (2.5, 64, 1024)
    for bad in ("header_timeout_seconds = 0", "max_connections = 1", "max_header_bytes = 10", "max_query_bytes = 1e9"):
        with pytest.raises(ConfigError, match="portal."):
            load_settings(write(tmp_path, GOOD + f"[portal]\n{bad}\n"), env=ENV)
