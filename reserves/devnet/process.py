"""The devnet role: the embedded chains, their driver, and the manifest that tells the others where they are.

`reserves devnet` runs one `DevnetProcess` until it is stopped; tests run it in their own process.
The chains (Esplora, JSON-RPC) and the manifest are served by uvicorn in threads; the driver
moves coins and tokens every `[devnet] block_interval_seconds` in a thread of its own.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from chains.devnet.http import serve_in_thread
from chains.devnet.network import Devnet
from reserves.devnet.manifest import manifest
from reserves.settings.model import DevnetSettings

log = logging.getLogger(__name__)


class ManifestApp:
    """ASGI app: `GET /manifest` (the sources as JSON) and `GET /healthz`; nothing else."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.body = json.dumps(document, separators=(",", ":")).encode()

    async def __call__(
        self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http":
            return
        path, method = scope.get("path", ""), scope.get("method", "")
        if method not in ("GET", "HEAD"):
            status, body = 405, b'{"error":"method not allowed"}'
        elif path == "/manifest":
            status, body = 200, self.body
        elif path == "/healthz":
            status, body = 200, b'{"status":"ok"}'
        else:
            status, body = 404, b'{"error":"not found"}'
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"cache-control", b"no-store"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


@dataclass
class DevnetProcess:
    """A running devnet: its chains, the manifest server (`url`) and the driver thread."""

    devnet: Devnet
    url: str
    stop_manifest: Callable[[], None]
    interval: float
    _stop: threading.Event = field(default_factory=threading.Event)
    _driver: threading.Thread | None = None

    @classmethod
    def start(cls, settings: DevnetSettings, *, drive: bool = True) -> DevnetProcess:
        """Start the chains and serve the manifest on `settings.host:port` (0: a free port)."""
        devnet = Devnet.start(
            evm_chains=settings.evm_chains, host=settings.host, advertise_host=settings.advertise_host
        )
        try:
            url, stop = serve_in_thread(ManifestApp(manifest(devnet)), settings.host, settings.port)
        except BaseException:
            devnet.stop()
            raise
        proc = cls(devnet, url, stop, settings.block_interval_seconds)
        if drive:
            proc._driver = threading.Thread(target=proc._drive, name="devnet-driver", daemon=True)
            proc._driver.start()
        log.info("devnet: manifest at %s/manifest, Esplora at %s", url, devnet.esplora_url)
        return proc

    def _drive(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.devnet.tick()
            except Exception:  # a failed step is logged; the devnet goes on with the next one
                log.exception("devnet tick failed")

    def stop(self) -> None:
        self._stop.set()
        if self._driver is not None:
            self._driver.join(timeout=30)
        self.stop_manifest()
        self.devnet.stop()
