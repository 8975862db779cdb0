"""The issue's "done when": on the devnet run as three processes, a subscription made with the CLI
receives signed, verifiable events within seconds, and the delivery log says so."""

from __future__ import annotations

import json
import os
import subprocess
import time

import httpx
from standardwebhooks.webhooks import Webhook

from tests.roles.test_run import RESERVES, stack, wait_attested  # noqa: F401 - `stack` is a fixture
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import v1a_valid


def test_a_subscription_made_with_the_cli_receives_signed_events(stack, tmp_path):  # noqa: F811
    proc, web, _worker, _log = stack
    wait_attested(web, proc)
    config = tmp_path / "portal.toml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVES_")}
    receiver = Receiver()
    try:
        url = receiver.url("/hook")
        made = subprocess.run(
            [RESERVES, "webhooks", "add", url, "-e", "attestation.published", "--config", str(config)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        sub = json.loads(made.stdout)
        receiver.verify_with("/hook", sub["secret"])
        started = time.monotonic()
        [got] = receiver.wait_for("/hook", 1, timeout=60)[:1]
        waited = time.monotonic() - started
        # Verified here, by the independent library: the worker may deliver before the receiver
        # learnt the secret (the CLI printed it a moment after the subscription existed).
        Webhook(sub["secret"]).verify(got.body, got.headers)
        body = json.loads(got.body)
        assert body["type"] == "attestation.published" and body["delivery_sequence"] == 1
        keys = httpx.get(web + "/api/v1/webhooks/keys", timeout=5).json()["keys"]
        assert v1a_valid(keys[0]["key"], got)  # the web role publishes the key the worker signs with
        fetched = httpx.get(web + body["data"]["attestation"]["path"], timeout=5)
        assert fetched.status_code == 200 and fetched.json()["id"] == body["data"]["attestation"]["id"]
        log = subprocess.run(
            [RESERVES, "webhooks", "deliveries", sub["id"], "--config", str(config)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        items = json.loads(log.stdout)["items"]
        assert items and items[-1]["state"] == "succeeded" and items[-1]["log"][0]["status_code"] == 200
        print(f"first signed event {waited:.1f} s after the subscription (snapshot interval 2 s)")
    finally:
        receiver.close()
