"""The shipped example receiver (examples/webhook_receiver.py) accepts the portal's deliveries, by
shared secret and by the published Ed25519 key alone, and refuses a forged one."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.webhooks.conftest import emit, run_until_idle

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webhook_receiver.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("by", ["secret", "public key"])
async def test_the_example_receiver_accepts_real_deliveries(db, service, dispatcher, keys, by):
    port = _free_port()
    made = await service.add(url=f"http://127.0.0.1:{port}/hook", events=["status.changed"])
    env = {"PATH": "/usr/bin:/bin"}
    env.update({"WEBHOOK_SECRET": made["secret"]} if by == "secret" else {"WEBHOOK_PUBLIC_KEY": keys.portal_key.public})
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLE), str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        await emit(db)
        await run_until_idle(dispatcher)
        page = await service.deliveries(made["id"])
        assert [(i["state"], i["last_status"]) for i in page["items"]] == [("succeeded", 204)]
        forged = httpx.post(
            f"http://127.0.0.1:{port}/hook",
            content=b'{"type":"status.changed","data":{}}',
            headers={"webhook-id": "msg_x", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1,AAAA"},
        )
        assert forged.status_code == 400
    finally:
        proc.terminate()
        out, _err = proc.communicate(timeout=10)
    assert "status.changed #1 attestation " + "a" * 64 in out
