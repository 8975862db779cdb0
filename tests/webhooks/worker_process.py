"""One delivering worker in a process of its own (for the two-process test): runs a Dispatcher for
a while, then exits. Arguments: database URL, owner name, seconds, secrets key hex, signing key."""

from __future__ import annotations

import asyncio
import sys

from reserves.storage.db import open_database
from reserves.webhooks.dispatcher import Dispatcher
from reserves.webhooks.keys import WebhookKeys
from reserves.webhooks.signing import PortalKey
from reserves.webhooks.vault import Vault
from tests.webhooks.conftest import FAST


async def main(url: str, owner: str, seconds: float, vault_hex: str, signing: str) -> None:
    db = open_database(url)
    dispatcher = Dispatcher(db, FAST, WebhookKeys(Vault(bytes.fromhex(vault_hex)), PortalKey.parse(signing)), owner)
    dispatcher.start()
    try:
        await asyncio.sleep(seconds)
    finally:
        await dispatcher.stop()
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]))
