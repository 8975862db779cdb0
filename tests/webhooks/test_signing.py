"""Standard Webhooks signatures against the official vectors and the independent `standardwebhooks` library;
secrets sealed at rest."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from reserves.errors import ConfigError
from reserves.webhooks.errors import SecretError
from reserves.webhooks.signing import (
    PortalKey,
    new_secret,
    secret_bytes,
    sign_v1,
    signature_header,
    verify_v1a,
)
from reserves.webhooks.vault import Vault, parse_key
from tests.conftest import SHARED

VECTORS = json.loads((Path(SHARED) / "vectors" / "standard-webhooks-vectors.json").read_text())
OFFICIAL = VECTORS["official_vectors"]
KNOWN = OFFICIAL[0]


def test_the_official_known_answer():
    sig = sign_v1(secret_bytes(KNOWN["secret"]), KNOWN["msg_id"], KNOWN["timestamp"], KNOWN["payload"].encode())
    assert sig == KNOWN["expected_signature"]
    assert secret_bytes(KNOWN["secret"]).hex() == KNOWN["secret_decoded_hex"]


def test_the_derived_vectors():
    spec = VECTORS["derived_vectors_not_official"][0]
    assert (
        sign_v1(secret_bytes(spec["secret"]), spec["msg_id"], spec["timestamp"], spec["payload"].encode())
        == (spec["expected_signature"])
    )
    ed = VECTORS["derived_vectors_not_official"][1]
    key = PortalKey.parse(ed["whsk_candidate"])
    assert key.public == ed["whpk_candidate"] and key.public_bytes().hex() == ed["ed25519_public_hex"]
    assert key.sign_v1a(KNOWN["msg_id"], KNOWN["timestamp"], KNOWN["payload"].encode()) == ed["expected_signature"]
    header = ed["expected_signature"]
    assert verify_v1a(ed["whpk_candidate"], KNOWN["msg_id"], KNOWN["timestamp"], KNOWN["payload"].encode(), header)
    assert not verify_v1a(
        ed["whpk_candidate"], KNOWN["msg_id"], KNOWN["timestamp"] + 1, KNOWN["payload"].encode(), header
    )


def test_secret_forms():
    forms = next(v for v in OFFICIAL if v["name"] == "secret forms")
    expected = secret_bytes(KNOWN["secret"])
    for accepted in forms["accepted"][:2]:
        assert secret_bytes(accepted) == expected
    for rejected in forms["rejected"]:
        with pytest.raises(SecretError):
            secret_bytes(rejected)


def test_the_independent_library_accepts_our_signatures_and_rejects_tampering():
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    body = b'{"type":"status.changed","timestamp":"2026-12-05T00:00:00Z","data":{"x":1}}'
    import time

    ts = int(time.time())
    header = signature_header("msg_1", ts, body, [secret_bytes(secret)], PortalKey.generate())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(ts), "webhook-signature": header}
    assert Webhook(secret).verify(body, headers) == json.loads(body)
    for bad in (
        {**headers, "webhook-id": "msg_2"},
        {**headers, "webhook-timestamp": str(ts + 1)},
        {**headers, "webhook-signature": header.replace("v1,", "v1,A", 1)},
    ):
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(body, bad)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_the_independent_library_signs_what_we_sign():
    secret = new_secret()
    from datetime import datetime, timezone

    when = datetime(2026, 12, 5, tzinfo=timezone.utc)
    theirs = Webhook(secret).sign("msg_x", when, "payload")
    assert theirs == sign_v1(secret_bytes(secret), "msg_x", int(when.timestamp()), b"payload")


def test_the_portal_key_round_trips_and_rejects_bad_forms():
    key = PortalKey.generate()
    assert PortalKey.parse(key.serialize()).public == key.public
    seed_and_public = base64.b64decode(key.serialize()[5:]) + key.public_bytes()
    assert PortalKey.parse("whsk_" + base64.b64encode(seed_and_public).decode()).public == key.public
    for bad in (
        "",
        "whsk_",
        "whsk_!!!",
        "whpk_" + key.serialize()[5:],
        "whsk_" + base64.b64encode(b"x" * 31).decode(),
        "whsk_" + base64.b64encode(b"x" * 64).decode(),
    ):
        with pytest.raises(SecretError):
            PortalKey.parse(bad)
    assert key.serialize() not in repr(key)


def test_secrets_are_sealed_bound_to_their_subscription():
    vault = Vault(os.urandom(32))
    sealed = vault.seal("wh_a", "whsec_abc")
    assert "whsec_abc" not in sealed and sealed.startswith(f"v1.{vault.key_id}.")
    assert vault.open("wh_a", sealed) == "whsec_abc"
    with pytest.raises(SecretError, match="another subscription"):
        vault.open("wh_b", sealed)  # copied to another subscription's row
    head, blob = sealed.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(blob))
    raw[-1] ^= 1
    with pytest.raises(SecretError):
        vault.open("wh_a", head + "." + base64.urlsafe_b64encode(bytes(raw)).decode())
    with pytest.raises(SecretError, match="sealed under key"):
        Vault(os.urandom(32)).open("wh_a", sealed)
    for junk in ("", "v2.x.y", "v1", "v1.k.", f"v1.{vault.key_id}.!!!"):
        with pytest.raises(SecretError):
            vault.open("wh_a", junk)


@pytest.mark.parametrize("text", ["", "00" * 31, "zz" * 32, base64.b64encode(b"x" * 31).decode(), "not a key"])
def test_a_bad_vault_key_is_a_config_error(text):
    with pytest.raises(ConfigError, match="webhooks.secrets_key"):
        parse_key(text)


def test_vault_key_forms():
    raw = os.urandom(32)
    assert parse_key(raw.hex()) == raw and parse_key(base64.b64encode(raw).decode()) == raw
