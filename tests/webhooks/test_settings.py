"""The [webhooks] table: defaults, keys from the environment or a file only, every bad value named."""

from __future__ import annotations

import os

import pytest

from reserves.errors import ConfigError
from reserves.settings.load import load_settings
from reserves.settings.webhooks import STANDARD_SCHEDULE
from reserves.webhooks.keys import SIGNING_FILE, VAULT_FILE, load_webhook_keys
from reserves.webhooks.signing import PortalKey
from tests.test_settings import ENV, GOOD, write


def test_defaults_are_strict_and_keyless(tmp_path):
    s = load_settings(write(tmp_path, GOOD), env=ENV).webhooks
    assert s.enabled and not s.allow_private_targets and not s.allow_http
    assert s.retry_schedule_seconds == STANDARD_SCHEDULE and s.key_dir is None
    keys = load_webhook_keys(s)
    assert keys.vault is None and keys.portal_key is None  # no subscription can be made without a key


def test_keys_from_the_environment_and_a_file(tmp_path):
    key = os.urandom(32).hex()
    (tmp_path / "signing.key").write_text(PortalKey.generate().serialize() + "\n")
    text = GOOD + (
        '[webhooks]\nsecrets_key_env = "WH_KEY"\nsigning_key_file = "signing.key"\nallow_private_targets = true\n'
        "retry_schedule_seconds = [0, 1, 2.5]\ntimeout_seconds = 5\nconcurrency = 4\n"
    )
    s = load_settings(write(tmp_path, text), env={**ENV, "WH_KEY": key}).webhooks
    assert s.retry_schedule_seconds == (0.0, 1.0, 2.5) and s.timeout_seconds == 5 and s.concurrency == 4
    assert key not in repr(s)
    keys = load_webhook_keys(s)
    assert keys.vault is not None and keys.portal_key is not None


@pytest.mark.parametrize(
    "table,where",
    [
        ('secrets_key = "00"', "webhooks.secrets_key"),
        ('signing_key = "whsk_x"', "webhooks.signing_key"),
        ("nope = 1", "webhooks.nope"),
        ('secrets_key_env = "MISSING_VAR"', "webhooks.secrets_key_env"),
        ("retry_schedule_seconds = []", "webhooks.retry_schedule_seconds"),
        ("retry_schedule_seconds = [1, -1]", "webhooks.retry_schedule_seconds"),
        ('retry_schedule_seconds = ["5"]', "webhooks.retry_schedule_seconds"),
        ("retry_schedule_seconds = [true]", "webhooks.retry_schedule_seconds"),
        (f"retry_schedule_seconds = [{', '.join(['1'] * 51)}]", "webhooks.retry_schedule_seconds"),
        ("timeout_seconds = 0", "webhooks.timeout_seconds"),
        ("concurrency = 0", "webhooks.concurrency"),
        ('allow_private_targets = "yes"', "webhooks.allow_private_targets"),
        ("jitter = 0.9", "webhooks.jitter"),
        ("max_response_bytes = 99999999", "webhooks.max_response_bytes"),
    ],
)
def test_bad_values_are_named(tmp_path, table, where):
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, GOOD + "[webhooks]\n" + table + "\n"), env=ENV)
    assert where in err.value.detail


def test_a_bad_key_in_the_environment_is_named(tmp_path):
    text = GOOD + '[webhooks]\nsecrets_key_env = "WH_KEY"\n'
    s = load_settings(write(tmp_path, text), env={**ENV, "WH_KEY": "short"}).webhooks
    with pytest.raises(ConfigError, match="webhooks.secrets_key"):
        load_webhook_keys(s)


def test_the_devnet_default_creates_both_keys_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings(None, env={}).webhooks
    assert s.allow_private_targets and s.allow_http and s.key_dir == tmp_path.resolve()
    first = load_webhook_keys(s)
    again = load_webhook_keys(s)
    assert first.portal_key.public == again.portal_key.public and first.vault.key_id == again.vault.key_id
    for name in (VAULT_FILE, SIGNING_FILE):
        assert (tmp_path / name).stat().st_mode & 0o077 == 0


def test_a_key_dir_is_relative_to_data_dir(tmp_path):
    text = 'data_dir = "state"\n' + GOOD + '[webhooks]\nkey_dir = "keys"\n'
    s = load_settings(write(tmp_path, text), env=ENV).webhooks
    assert s.key_dir == (tmp_path / "state" / "keys").resolve()
    keys = load_webhook_keys(s)
    assert keys.vault is not None and (s.key_dir / VAULT_FILE).exists()
