"""[portal] stream_* settings: defaults, parsed values, refused ones named by key."""

from __future__ import annotations

import pytest

from reserves.errors import ConfigError
from reserves.settings.load import load_settings
from reserves.settings.model import PortalSettings


def load(tmp_path, text: str):
    path = tmp_path / "reserves.toml"
    path.write_text("[devnet]\nenabled = true\n" + text)
    return load_settings(path, env={})


def test_defaults():
    p = PortalSettings()
    assert (p.stream_max_clients, p.stream_heartbeat_seconds, p.stream_poll_seconds) == (200, 15.0, 1.0)
    assert (p.stream_max_per_client, p.stream_max_seconds, p.stream_send_timeout_seconds, p.stream_gap_seconds) == (
        4,
        1800.0,
        30.0,
        5.0,
    )


def test_the_limits_are_read(tmp_path):
    s = load(
        tmp_path,
        "[portal]\nstream_max_per_client = 2\nstream_max_seconds = 600\nstream_send_timeout_seconds = 5\n"
        "stream_gap_seconds = 1.5\n",
    )
    p = s.portal
    assert (p.stream_max_per_client, p.stream_max_seconds, p.stream_send_timeout_seconds, p.stream_gap_seconds) == (
        2,
        600.0,
        5.0,
        1.5,
    )


def test_values_are_read(tmp_path):
    s = load(tmp_path, "[portal]\nstream_max_clients = 5\nstream_heartbeat_seconds = 0.5\nstream_poll_seconds = 2\n")
    assert (s.portal.stream_max_clients, s.portal.stream_heartbeat_seconds, s.portal.stream_poll_seconds) == (
        5,
        0.5,
        2.0,
    )


@pytest.mark.parametrize(
    "line",
    [
        "stream_max_clients = 0",
        "stream_max_clients = true",
        "stream_max_clients = 1.5",
        "stream_heartbeat_seconds = 0",
        'stream_heartbeat_seconds = "15"',
        "stream_heartbeat_seconds = 301",
        "stream_poll_seconds = -1",
        "stream_poll_seconds = 61",
        "stream_max_per_client = 0",
        "stream_max_per_client = 2.5",
        "stream_max_seconds = 0.5",
        "stream_max_seconds = 86401",
        "stream_send_timeout_seconds = 0",
        'stream_send_timeout_seconds = "30"',
        "stream_gap_seconds = 0",
        "stream_gap_seconds = 601",
    ],
)
def test_bad_values_name_their_key(tmp_path, line):
    with pytest.raises(ConfigError) as err:
        load(tmp_path, f"[portal]\n{line}\n")
    assert err.value.detail.startswith("portal." + line.split(" ")[0] + ":")
