"""Configuration of the engine's trust features: guardians, policy bands, rotation, scope, time series,
replicas; every bad value is refused at start with the key named."""

from __future__ import annotations

import pytest

from reserves.attestation.keys import SigningKey
from reserves.errors import ConfigError
from reserves.settings.load import load_settings
from tests.test_settings import ENV, GOOD, write

G = [SigningKey(bytes([i]) * 32, key_id=f"g{i}") for i in (1, 2, 3)]


def guardians(threshold, keys) -> str:
    rows = ", ".join(f'{{key_id = "{k}", pubkey = "{p}"}}' for k, p in keys)
    return f"\n[guardians]\nthreshold = {threshold}\nkeys = [{rows}]\n"


def test_guardians_policy_scope_timeseries_replicas_load(tmp_path):
    text = (
        GOOD
        + guardians(2, [(k.key_id, k.pubkey_hex.upper()) for k in G])
        + """
[policy]
hysteresis_bp = 75
window_blocks = 288
flow_flag_bp = 500
recent_blocks = 3
[scope]
statements = ["Coins are held in segregated cold storage."]
[timeseries]
raw_retention_days = 90
[replicas]
leader_poll_seconds = 1.0
lease_seconds = 5
"""
    )
    s = load_settings(write(tmp_path, text), env=ENV)
    assert s.guardians.threshold == 2 and [p for _, p in s.guardians.keys] == [k.pubkey_hex for k in G]
    assert (s.policy.hysteresis_bp, s.policy.window_blocks, s.policy.flow_flag_bp, s.policy.recent_blocks) == (
        75,
        288,
        500,
        3,
    )
    assert s.scope.statements == ("Coins are held in segregated cold storage.",)
    assert s.timeseries.raw_retention_days == 90 and s.replicas.lease_seconds == 5.0


@pytest.mark.parametrize(
    "extra, key",
    [
        (guardians(3, [("a", G[0].pubkey_hex), ("b", G[1].pubkey_hex)]), "guardians.threshold: 3 of 2"),
        (guardians(0, [("a", G[0].pubkey_hex)]), "guardians.threshold"),
        (guardians('"2"', [("a", G[0].pubkey_hex)]), "guardians.threshold"),
        (guardians(1, [("a", G[0].pubkey_hex), ("b", G[0].pubkey_hex)]), "listed twice"),
        (guardians(1, [("a", G[0].pubkey_hex), ("a", G[1].pubkey_hex)]), "unique"),
        (guardians(1, [("a", "ff" * 32)]), "x-only"),
        (guardians(1, [("a", "02" + G[0].pubkey_hex)]), "x-only"),
        (guardians(1, [("a b", G[0].pubkey_hex)]), "key_id"),
        (guardians(1, [("x", G[0].pubkey_hex)] * 33), "at most 32"),
        ("\n[guardians]\nthreshold = 1\nkeys = []\n", "guardians.keys"),
        ('\n[guardians]\nthreshold = 1\nkeys = [{key_id = "a"}]\n', "guardians.keys[0].pubkey"),
        ('\n[guardians]\nthreshold = 1\nm = 2\nkeys = [{key_id = "a", pubkey = "' + "11" * 32 + '"}]\n', "guardians.m"),
        ("\n[policy]\nhysteresis_bp = -1\n", "policy.hysteresis_bp"),
        ("\n[policy]\nhysteresis_bp = 5001\n", "policy.hysteresis_bp"),
        ("\n[policy]\nwindow_blocks = 0\n", "policy.window_blocks"),
        ("\n[policy]\nflow_flag_bp = 0\n", "policy.flow_flag_bp"),
        ("\n[policy]\nrecent_blocks = true\n", "policy.recent_blocks"),
        ('\n[scope]\nstatements = [""]\n', "scope.statements"),
        ('\n[scope]\nstatements = ["' + "x" * 501 + '"]\n', "scope.statements"),
        ('\n[scope]\nstatements = "one"\n', "scope.statements"),
        ("\n[timeseries]\nraw_retention_days = 3\n", "raw_retention_days"),
        ("\n[replicas]\nleader_poll_seconds = 5\nlease_seconds = 6\n", "lease_seconds"),
        ("\n[replicas]\nleader_poll_seconds = 0\n", "leader_poll_seconds"),
        ('\n[signing]\nprevious_key_env = "NOT_SET"\n', "previous_key_env"),
        ('\n[signing]\nprevious_key_env = "A"\nprevious_key_file = "k"\n', "previous_key_file"),
        ('\n[signing]\nrotation_reason = "' + "r" * 501 + '"\n', "rotation_reason"),
    ],
)
def test_bad_values_are_refused_with_their_key(tmp_path, extra, key):
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, GOOD + extra), env={**ENV, "A": "11" * 32})
    assert key in info.value.detail, info.value.detail


def test_the_engine_key_cannot_be_a_guardian(tmp_path):
    """Refused when the first attestation is built: the engine key comes from the environment at start."""
    from reserves.attestation.members.guardians import GuardianSet
    from reserves.attestation.members.signers import signers_json
    from reserves.errors import SigningKeyError

    with pytest.raises(SigningKeyError, match="cannot also be a guardian"):
        signers_json(G[0], GuardianSet(1, ((G[0].key_id, G[0].pubkey_hex),)))
