"""The devnet role: its manifest over real HTTP, the URLs it advertises, and how the other roles read it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from dataclasses import replace

import httpx
import pytest

from reserves.devnet.manifest import FORMAT, apply, fetch, resolve
from reserves.errors import ConfigError
from reserves.settings.load import default_settings
from reserves.settings.model import DevnetSettings
from tests.e2e.conftest import RESERVES
from tests.world import devnet_settings, start_devnet


@pytest.fixture(scope="module")
def devnet():
    proc = start_devnet(advertise_host="localhost")
    yield proc
    proc.stop()


def test_the_manifest_lists_the_sources_as_config_tables(devnet):
    data = httpx.get(devnet.url + "/manifest", timeout=10).json()
    assert data["format"] == FORMAT and data["mint_fee_bp"] == 20
    assert [r["name"] for r in data["reserves"]] == ["devnet-custody"]
    assert [d["name"] for d in data["deployments"]] == ["devnet-ethereum", "devnet-l2", "devnet-bridged"]
    assert all(d["kind"] == "evm-erc20" for d in data["deployments"])


def test_the_advertised_host_names_every_url_and_they_answer(devnet):
    data = httpx.get(devnet.url + "/manifest", timeout=10).json()
    esplora = data["reserves"][0]["esplora_url"]
    rpc = [u for d in data["deployments"] for u in d.get("rpc_urls", [d.get("rpc_url")])]
    assert esplora.startswith("http://localhost:") and all(u.startswith("http://localhost:") for u in rpc)
    assert len(httpx.get(esplora + "/blocks/tip/hash", timeout=10).text) == 64
    answer = httpx.post(rpc[0], json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=10)
    assert answer.json()["result"] == "0x7a69"


@pytest.mark.parametrize(
    "method, path, status",
    [("GET", "/nope", 404), ("POST", "/manifest", 405), ("GET", "/healthz", 200), ("HEAD", "/manifest", 200)],
)
def test_the_manifest_server_answers_nothing_else(devnet, method, path, status):
    r = httpx.request(method, devnet.url + path, timeout=10)
    assert r.status_code == status and r.headers["cache-control"] == "no-store"


async def test_roles_resolve_the_devnet_sources_and_guardians(tmp_path, devnet):
    settings = await resolve(devnet_settings(tmp_path, devnet))
    assert [s.name for s in settings.reserves] == ["devnet-custody"]
    assert settings.deployments[2].supply_role == "bridge" and settings.guardians.threshold == 2
    assert settings.reconciliation.mint_fee_bp == 20
    plain = replace(default_settings(tmp_path), devnet=DevnetSettings())  # no devnet: nothing fetched
    assert await resolve(plain) is plain


async def test_a_missing_devnet_is_one_clear_error_after_the_wait(tmp_path):
    from tests.support import free_port

    url = f"http://127.0.0.1:{free_port()}/manifest"
    started = asyncio.get_running_loop().time()
    with pytest.raises(ConfigError, match="no devnet manifest at .* start it with `reserves devnet`"):
        await fetch(url, wait_seconds=1.0)
    assert asyncio.get_running_loop().time() - started < 10


async def test_an_answer_that_is_no_manifest_is_refused(devnet):
    # The devnet's /healthz answers JSON, just not a manifest: refused, not half applied.
    with pytest.raises(ConfigError, match="devnet manifest: not a"):
        apply(default_settings(), await fetch(devnet.url + "/healthz", wait_seconds=1.0))


async def test_an_endless_answer_is_cut_off_not_buffered():
    """Test double of a broken devnet: an endless body is refused after MAX_MANIFEST_BYTES."""
    from chains.devnet.http import serve_in_thread

    async def endless(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        for _ in range(5000):
            await send({"type": "http.response.body", "body": b"[" * 1024, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    url, stop = serve_in_thread(endless)
    try:
        with pytest.raises(ConfigError, match="larger than 1000000 bytes"):
            await fetch(url + "/manifest", wait_seconds=0.5)
    finally:
        stop()


def test_a_taken_port_is_one_line_and_exit_1(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVES_")}
        done = subprocess.run(
            [RESERVES, "devnet", "--port", str(port)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert f"the devnet cannot listen on 127.0.0.1:{port}" in done.stderr
