"""`[admin] key_cache_seconds`: loaded, bounded, and the example configuration's value."""

from __future__ import annotations

import pytest

from reserves.errors import ConfigError
from reserves.settings.load import default_settings, load_settings
from tests.test_settings import ENV, GOOD, ROOT, write


def test_the_cache_delay_defaults_to_five_seconds(tmp_path):
    assert default_settings(tmp_path).admin.key_cache_seconds == 5.0
    assert load_settings(write(tmp_path, GOOD), env=ENV).admin.key_cache_seconds == 5.0


@pytest.mark.parametrize("value,expected", [("0", 0.0), ("1.5", 1.5), ("60", 60.0)])
def test_the_cache_delay_is_read(tmp_path, value, expected):
    s = load_settings(write(tmp_path, f"[admin]\nkey_cache_seconds = {value}\n" + GOOD), env=ENV)
    assert s.admin.key_cache_seconds == expected and s.admin.token is None


@pytest.mark.parametrize("value", ["-1", "61", '"5"', "true", "inf"])
def test_a_bad_cache_delay_is_refused(tmp_path, value):
    with pytest.raises(ConfigError, match="admin.key_cache_seconds"):
        load_settings(write(tmp_path, f"[admin]\nkey_cache_seconds = {value}\n" + GOOD), env=ENV)


def test_the_example_sets_it():
    env = {"RESERVES_ADMIN_TOKEN": "t" * 40, "ETH_RPC_URLS": "https://a.example https://b.example"}
    env |= {"ARB_RPC_URL": "https://c.example", "RESERVES_SIGNING_KEY": "11" * 32}
    env |= {"RESERVES_DATABASE_URL": "postgresql+psycopg://u:p@db:5432/r"}
    assert load_settings(ROOT / "examples" / "mainnet.toml", env=env).admin.key_cache_seconds == 5.0
