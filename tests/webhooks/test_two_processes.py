"""Two worker processes deliver from one PostgreSQL database while events keep arriving: every
event reaches every receiver exactly once, numbered in order, each verified independently."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from reserves.storage.db import open_database
from reserves.storage.migrate import upgrade
from reserves.webhooks.keys import WebhookKeys
from reserves.webhooks.service import WebhookService
from reserves.webhooks.signing import PortalKey
from reserves.webhooks.vault import Vault
from tests.pg import fresh_database
from tests.webhooks.conftest import FAST, emit

ROOT = Path(__file__).resolve().parents[2]


async def test_two_worker_processes_deliver_each_attempt_once(pg_server, receiver):
    vault_key, portal_key = os.urandom(32), PortalKey.generate()
    keys = WebhookKeys(Vault(vault_key), portal_key)
    with fresh_database(pg_server) as url:
        upgrade(url)
        db = open_database(url)
        try:
            service = WebhookService(db, FAST, keys)
            paths = [f"/p{i}" for i in range(3)]
            for p in paths:
                made = await service.add(url=receiver.url(p, "flaky", fail_first=2), events=["status.changed"])
                receiver.verify_with(p, made["secret"])
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            workers = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "tests.webhooks.worker_process",
                        url,
                        f"proc-{n}",
                        "12",
                        vault_key.hex(),
                        portal_key.serialize(),
                    ],
                    cwd=ROOT,
                    env=env,
                )
                for n in (1, 2)
            ]
            try:
                for i in range(30):  # events keep arriving while both deliver
                    await emit(db, payload={"from": "healthy", "to": "warning", "reason": str(i), "ratio_bp": "1"})
                    await asyncio.sleep(0.05)
                for p in paths:
                    await receiver.until(p, 32, timeout=30)  # 30 events + the 2 refused first attempts
            finally:
                for proc in workers:
                    assert proc.wait(timeout=60) == 0
        finally:
            await db.dispose()
    for p in paths:
        ok = [r for r in receiver.at(p) if r.status == 200]
        assert all(r.verified for r in receiver.at(p))
        ids = [r.headers["webhook-id"] for r in ok]
        assert len(ids) == len(set(ids)) == 30, p  # every event once, none twice
        seqs = sorted(json.loads(r.body)["delivery_sequence"] for r in ok)
        assert seqs == list(range(1, 31))
