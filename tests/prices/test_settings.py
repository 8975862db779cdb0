"""`[prices]` and `[[prices.sources]]`: a valid table loads; malformed, oversized and hostile ones are refused with a
ConfigError naming the key (never a traceback, never echoing a URL); any value of any key gives one or the other."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.cli.main import main
from reserves.errors import ConfigError
from reserves.settings.load import load_settings
from reserves.settings.prices import prices
from tests.support import SETTINGS_BASE as BASE

FEED = "0x" + "22" * 20
TABLE = '[prices]\npair = "BTC/USD"\n'


def ticker(name: str, fmt: str = "kraken", **keys: str) -> str:
    lines = {"name": f'"{name}"', "kind": '"price-ticker"', "format": f'"{fmt}"', "url": '"https://api.example.com"'}
    lines |= keys
    return "\n[[prices.sources]]\n" + "".join(f"{k} = {v}\n" for k, v in lines.items() if v is not None)


SOURCES = ticker("kraken") + ticker("coinbase", "coinbase") + ticker("bitstamp", "bitstamp")
FEED_SOURCE = f'\n[[prices.sources]]\nname = "feed"\nkind = "price-feed"\nrpc_url_env = "RPC"\ncontract = "{FEED}"\n'
ENV = {"K": "00" * 32, "RPC": "https://rpc.example.com/v3/PROJECTKEY"}


def load(tmp_path: Path, text: str, env: dict | None = None):
    path = tmp_path / "reserves.toml"
    path.write_text(BASE + text)
    return load_settings(path, env={**ENV, **(env or {})})


def test_a_valid_table_loads_with_its_sources_and_policy(tmp_path):
    table = TABLE + "interval_seconds = 10\nmin_sources = 4\ndeviation_bp = 150\n"
    table += 'min_price = "1000.5"\nmax_price = 1000000\n'
    s = load(tmp_path, table + SOURCES + FEED_SOURCE).prices
    assert s.enabled and s.pair == "BTC/USD" and s.interval_seconds == 10.0
    assert (s.policy.min_sources, s.policy.deviation_bp, str(s.policy.min_price), str(s.policy.max_price)) == (
        4,
        150,
        "1000.5",
        "1000000",
    )
    assert [(x.name, x.kind) for x in s.sources] == [
        ("kraken", "price-ticker"),
        ("coinbase", "price-ticker"),
        ("bitstamp", "price-ticker"),
        ("feed", "price-feed"),
    ]
    assert s.sources[3].config.rpc_url == ENV["RPC"]  # a key in the path, through the environment
    assert "PROJECTKEY" not in repr(s)


def test_no_sources_is_the_feature_off_whatever_min_sources(tmp_path):
    s = load(tmp_path, TABLE + "min_sources = 5\n").prices
    assert not s.enabled and s.policy.min_sources == 5


LONG = "x" * 5000
BAD = [
    # wrong types
    (TABLE + 'interval_seconds = "30"\n' + SOURCES, "prices.interval_seconds"),
    (TABLE + "deviation_bp = 2.5\n" + SOURCES, "prices.deviation_bp"),
    (TABLE + 'min_sources = "3"\n' + SOURCES, "prices.min_sources"),
    (TABLE + "heartbeat_seconds = [300]\n" + SOURCES, "prices.heartbeat_seconds"),
    (TABLE + "max_age_seconds = { s = 1 }\n" + SOURCES, "prices.max_age_seconds"),
    (TABLE + "min_price = 1.5\n" + SOURCES, "prices.min_price"),
    (TABLE + "max_price = 2026-01-01\n" + SOURCES, "prices.max_price"),
    ("[prices]\npair = 5\n" + SOURCES, "prices.pair"),
    (TABLE + 'sources = "kraken"\n', "prices.sources"),
    (TABLE + "sources = [1, 2]\n", "prices.sources"),
    # bool where an integer or a number is expected
    (TABLE + "min_sources = true\n" + SOURCES, "prices.min_sources"),
    (TABLE + "deviation_bp = false\n" + SOURCES, "prices.deviation_bp"),
    (TABLE + "interval_seconds = true\n" + SOURCES, "prices.interval_seconds"),
    (TABLE + "min_price = true\n" + SOURCES, "prices.min_price"),
    (TABLE + ticker("k", timeout_seconds="true"), "prices.sources.k.timeout_seconds"),
    (TABLE + ticker("k", max_bytes="true"), "prices.sources.k.max_bytes"),
    (TABLE + ticker("k", max_bytes="65536.5"), "prices.sources.k.max_bytes"),
    # negative, zero, huge, not finite
    (TABLE + "interval_seconds = 0\n" + SOURCES, "prices.interval_seconds"),
    (TABLE + "interval_seconds = -30\n" + SOURCES, "prices.interval_seconds"),
    (TABLE + "interval_seconds = 1e300\n" + SOURCES, "prices.interval_seconds"),
    (TABLE + "interval_seconds = inf\n" + SOURCES, "prices.interval_seconds"),
    (TABLE + "interval_seconds = nan\n" + SOURCES, "prices.interval_seconds"),
    (TABLE + "heartbeat_seconds = 0\n" + SOURCES, "prices.heartbeat_seconds"),
    (TABLE + "max_age_seconds = -1\n" + SOURCES, "prices.max_age_seconds"),
    (TABLE + "max_age_seconds = 9223372036854775807\n" + SOURCES, "prices.max_age_seconds"),
    (TABLE + "min_sources = 0\n" + SOURCES, "prices.min_sources"),
    (TABLE + "min_sources = -3\n" + SOURCES, "prices.min_sources"),
    (TABLE + "min_sources = 33\n" + SOURCES, "prices.min_sources"),
    (TABLE + 'min_price = "0"\n' + SOURCES, "prices.min_price"),
    (TABLE + 'min_price = "-1"\n' + SOURCES, "prices.min_price"),
    (TABLE + "min_price = -1\n" + SOURCES, "prices.min_price"),
    (TABLE + 'max_price = "NaN"\n' + SOURCES, "prices.max_price"),
    (TABLE + 'max_price = "Infinity"\n' + SOURCES, "prices.max_price"),
    (TABLE + 'max_price = "1' + "0" * 30 + '"\n' + SOURCES, "prices.max_price"),
    (TABLE + 'max_price = "' + "9" * 500 + '"\n' + SOURCES, "prices.max_price"),
    (TABLE + f"max_price = {10**40}\n" + SOURCES, "prices.max_price"),  # tomllib reads integers of any size
    (TABLE + f"min_sources = {10**40}\n" + SOURCES, "prices.min_sources"),
    (TABLE + 'min_price = "0.000000001"\n' + SOURCES, "prices.min_price"),  # finer than a price_e8
    (TABLE + 'min_price = "1e5"\n' + SOURCES, "prices.min_price"),
    (TABLE + 'min_price = "1_000"\n' + SOURCES, "prices.min_price"),
    (TABLE + 'min_price = " 1"\n' + SOURCES, "prices.min_price"),
    (TABLE + 'min_price = "5"\nmax_price = "5"\n' + SOURCES, "prices.min_price"),
    (TABLE + 'min_price = "6"\nmax_price = "5"\n' + SOURCES, "prices.min_price"),
    (TABLE + ticker("k", timeout_seconds="0"), "prices.sources.k.timeout_seconds"),
    (TABLE + ticker("k", timeout_seconds="1e308"), "prices.sources.k.timeout_seconds"),
    (TABLE + ticker("k", max_bytes="-1"), "prices.sources.k.max_bytes"),
    # min_sources above the number of sources, and the deviation out of range
    (TABLE + "min_sources = 4\n" + SOURCES, "prices.min_sources"),
    (TABLE + ticker("only") + ticker("two", "coinbase"), "prices.min_sources"),  # the default is 3
    (TABLE + "deviation_bp = 0\n" + SOURCES, "prices.deviation_bp"),
    (TABLE + "deviation_bp = -200\n" + SOURCES, "prices.deviation_bp"),
    (TABLE + "deviation_bp = 5001\n" + SOURCES, "prices.deviation_bp"),
    (TABLE + "deviation_bp = 10000\n" + SOURCES, "prices.deviation_bp"),
    # names, kinds, keys
    (TABLE + SOURCES + ticker("kraken", "binance"), "prices.sources[3].name"),
    (TABLE + ticker(""), "prices.sources[0].name"),
    (TABLE + ticker("   "), "prices.sources[0].name"),
    (TABLE + ticker("x" * 65), "prices.sources[0].name"),
    (TABLE + ticker("7").replace('name = "7"', "name = 7"), "prices.sources[0].name"),
    (TABLE + ticker("k", kind='"price-oracle"'), "prices.sources.k.kind"),
    (TABLE + ticker("k", kind='"evm-erc20"'), "prices.sources.k.kind"),  # a supply adapter
    (TABLE + ticker("k", kind='"bitcoin-esplora"'), "prices.sources.k.kind"),
    (TABLE + ticker("k", kind=None), "prices.sources.k.kind"),
    (TABLE + ticker("k", kind="1"), "prices.sources.k.kind"),
    (TABLE + ticker("k", fmt="ftx"), "prices.sources.k.format"),
    (TABLE + "bogus = 1\n" + SOURCES, "prices.bogus"),
    (TABLE + "Pair = 'BTC/USD'\n" + SOURCES, "prices.Pair"),
    (TABLE + ticker("k", extra="1"), "prices.sources.k.extra"),
    (TABLE + ticker("k", pair='"ETH/USD"'), "prices.sources[0].pair"),
    (TABLE + ticker("k", pair="1"), "prices.sources[0].pair"),
    (TABLE + ticker("k", symbol='"../../admin"'), "prices.sources.k.symbol"),
    (
        TABLE + '\n[[prices.sources]]\nname = "f"\nkind = "price-feed"\nrpc_url = "http://x"\ncontract = "0x22"\n',
        "prices.sources.f.contract",
    ),
    ('[prices]\npair = "BTCUSD"\n' + SOURCES, "prices.pair"),
    ('[prices]\npair = "btc/usd"\n' + SOURCES, "prices.pair"),  # a second spelling of BTC/USD
    ('[prices]\npair = "BTC/Usd"\n' + SOURCES, "prices.pair"),
    ('[prices]\npair = "BTC/USD/EUR"\n' + SOURCES, "prices.pair"),
    ('[prices]\npair = "/USD"\n' + SOURCES, "prices.pair"),
    ('[prices]\npair = "BTC/ＵＳＤ"\n' + SOURCES, "prices.pair"),  # full-width letters pass isalnum()
    ('[prices]\npair = "BTC/U\u0405D"\n' + SOURCES, "prices.pair"),  # a Cyrillic S among Latin letters
    # URLs: not http(s), no host, credentials, what urlsplit would silently drop or choke on
    (TABLE + ticker("k", url='"ftp://api.example.com"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"file:///etc/passwd"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"javascript:alert(1)"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"api.example.com"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"http://"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"https://:443"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"https://user:pass@api.example.com"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"https://token@api.example.com"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"https://:secret@api.example.com"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"https://api.example.com:99999"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"https://[::1"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"https://api.example.com/\\r\\nX-Evil: 1"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"https://api.exam\\tple.com"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"https://api.example.com\\u0000.evil"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"https://api example.com"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url='"https://api.example.com/?key=1"'), "prices.sources.k.url"),  # the base URL
    (TABLE + ticker("k", url='"https://api.example.com/#x"'), "prices.sources.k.url"),
    (TABLE + ticker("k", url="5"), "prices.sources.k.url"),
    (TABLE + ticker("k", url=None), "prices.sources.k.url"),
    (
        TABLE + f'\n[[prices.sources]]\nname = "f"\nkind = "price-feed"\nrpc_url = "ws://x"\ncontract = "{FEED}"\n',
        "prices.sources.f.rpc_url",
    ),
    (
        TABLE
        + f'\n[[prices.sources]]\nname = "f"\nkind = "price-feed"\nrpc_url = "https://u:p@x"\ncontract = "{FEED}"\n',
        "prices.sources.f.rpc_url",
    ),
    # very long strings
    (TABLE + ticker("k", url=f'"https://api.example.com/{"a" * 2000}"'), "prices.sources.k.url"),
    (TABLE + ticker("k", fmt=LONG), "prices.sources.k.format"),
    (TABLE + ticker("k", symbol=f'"{"X" * 33}"'), "prices.sources.k.symbol"),
    (f'[prices]\npair = "{"B" * 16}/{"U" * 16}"\n' + SOURCES, "prices.pair"),
    (f'[prices]\npair = "BTC/{"U" * 100_000}"\n' + SOURCES, "prices.pair"),
    (TABLE + ticker("k", url_env=f'"{LONG}"', url=None), "prices.sources.k.url_env"),
    # NUL and control characters
    (TABLE + ticker("a\\u0000b"), "prices.sources[0].name"),
    (TABLE + ticker("a\\nb"), "prices.sources[0].name"),
    (TABLE + ticker("a\\u001b[31mb"), "prices.sources[0].name"),
    (TABLE + ticker("a\\u202eb"), "prices.sources[0].name"),  # a right-to-left override
    (TABLE + ticker("a\\u0085b"), "prices.sources[0].name"),
    ('[prices]\npair = "BTC/US\\u0000D"\n' + SOURCES, "prices.pair"),
    (TABLE + ticker("k", symbol='"XBT\\u0000USD"'), "prices.sources.k.symbol"),
    (TABLE + ticker("k", symbol='"XBTＵＳＤ"'), "prices.sources.k.symbol"),
    (TABLE + ticker("k", url_file='"a\\u0000b"', url=None), "prices.sources.k.url_file"),
    # secrets
    (TABLE + ticker("k", url_env='"NOT_SET"', url=None), "prices.sources.k.url_env"),
    (TABLE + ticker("k", url_env='"RPC"'), "prices.sources.k.url_env"),  # both url and url_env
    (TABLE + ticker("k", url_env="1", url=None), "prices.sources.k.url"),
    (TABLE + ticker("k", url_file='"/nonexistent/url"', url=None), "prices.sources.k.url_file"),
    (TABLE + ticker("k", url_file='"/"', url=None), "prices.sources.k.url_file"),
    (TABLE + ticker("k", url_file='"~no-such-user-here/url"', url=None), "prices.sources.k.url_file"),
]


@pytest.mark.parametrize("text,where", BAD, ids=[where for _, where in BAD])
def test_malformed_oversized_or_hostile_prices_are_refused_naming_the_key(tmp_path, text, where):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    detail = caught.value.detail
    assert detail.startswith(where + ":") or detail.startswith(where + "."), detail
    assert len(detail) < 600 and "x" * 100 not in detail  # a long value is named, not echoed


def test_prices_that_is_not_a_table_is_refused(tmp_path):
    for value in ("5", '"on"', "[1, 2]", "true"):
        path = tmp_path / "reserves.toml"
        path.write_text(f"prices = {value}\n" + BASE)
        with pytest.raises(ConfigError) as caught:
            load_settings(path, env=ENV)
        assert caught.value.detail.startswith("prices: must be a table"), caught.value.detail


def test_text_that_is_not_toml_is_refused_as_such(tmp_path):
    raw_nul = TABLE + 'pair = "BTC/USD\x00"\n'  # a raw control character, not an escape: TOML refuses it
    for text in (TABLE + "min_sources = 0x\n", raw_nul, "[prices\n", "[prices]\n" * 2):
        with pytest.raises(ConfigError) as caught:
            load(tmp_path, text)
        assert "not valid TOML" in caught.value.detail, text


@pytest.mark.parametrize(
    "content, words",
    [(b"\xff\xfe\x00binary", "not UTF-8"), (b"https://api.example.com/" + b"a" * 70_000, "larger than")],
)
def test_a_secret_file_that_is_binary_or_huge_is_refused(tmp_path, content, words):
    secret = tmp_path / "url.txt"
    secret.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, TABLE + ticker("k", url_file=f'"{secret}"', url=None))
    assert caught.value.detail.startswith("prices.sources.k.url_file:") and words in caught.value.detail


@pytest.mark.parametrize(
    "url",
    [
        "https://user:SECRETKEY@api.example.com",
        "https://api.example.com/?apikey=SECRETKEY",
        "https://api.example.com/SECRETKEY#frag",
        "https://api.example.com/SECRETKEY\r\n",
        "ftp://SECRETKEY@api.example.com",
    ],
)
def test_a_refused_url_is_never_echoed(tmp_path, url):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, TABLE + ticker("k", url_env='"URL"', url=None), env={"URL": url + "x"})
    assert "SECRETKEY" not in caught.value.detail and caught.value.detail.startswith("prices.sources.k.url")


def test_the_command_line_says_which_key_without_a_traceback(tmp_path):
    cfg = tmp_path / "reserves.toml"
    cfg.write_text(BASE + TABLE + "min_sources = 4\n" + SOURCES)
    r = CliRunner().invoke(main, ["config", "check", "--config", str(cfg)], env=ENV, catch_exceptions=False)
    assert r.exit_code == 2 and "prices.min_sources" in r.output and "Traceback" not in r.output


# -- any value of any key: a PriceSettings or a ConfigError, nothing else --------------------------------

TOML_SCALARS = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=60)
    | st.sampled_from(["BTC/USD", "1", "0.5", "https://api.example.com", "kraken", "price-ticker", "price-feed", FEED])
)
TOML_VALUES = st.recursive(
    TOML_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
)
TABLE_KEYS = st.sampled_from(
    ["pair", "interval_seconds", "deviation_bp", "min_sources", "heartbeat_seconds", "max_age_seconds", "min_price"]
    + ["max_price", "sources", "other"]
)
SOURCE_KEYS = st.sampled_from(
    ["name", "kind", "format", "url", "symbol", "timeout_seconds", "max_bytes", "rpc_url", "contract", "pair"]
    + ["url_env", "url_file", "rpc_url_env", "extra"]
)


@st.composite
def source_tables(draw):
    kind = draw(st.sampled_from(["price-ticker", "price-feed"]))
    table = {"name": draw(st.sampled_from(["a", "b", "c"])), "kind": kind}
    table |= {"format": "kraken", "url": "https://api.example.com", "rpc_url": "https://rpc.example.com"}
    if table["kind"] == "price-feed":
        del table["format"], table["url"]
        table["contract"] = FEED
    else:
        del table["rpc_url"]
    for key, value in draw(st.dictionaries(SOURCE_KEYS, TOML_VALUES, max_size=3)).items():
        table[key] = value
    return table


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(TABLE_KEYS, TOML_VALUES, max_size=4), st.lists(source_tables(), max_size=4))
def test_any_values_give_settings_or_a_config_error(table, entries):
    table = {**table, "sources": entries} if "sources" not in table else table
    try:
        parsed = prices(table, {"RPC": "https://rpc.example.com"}, Path("/nonexistent-base"))
    except ConfigError as exc:
        assert exc.detail.startswith("prices"), exc.detail
    else:
        assert parsed.policy.min_price < parsed.policy.max_price
        assert not parsed.sources or parsed.policy.min_sources <= len(parsed.sources)
        assert all(s.name.isprintable() for s in parsed.sources)
