"""The `reserves` command: bad configuration stops it with the key named; db upgrade, keys, config check."""

from __future__ import annotations

import json

from click.testing import CliRunner

from portal.cli.main import main
from tests.test_settings import GOOD

ENV = {"ETH_RPC_URL": "https://rpc.invalid/KEY"}


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env={**ENV, **(env or {})}, catch_exceptions=False)


def test_serve_refuses_an_invalid_config_naming_the_key(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(GOOD.replace('contract = "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"', 'contract = "nope"'))
    r = run("serve", "--config", str(cfg))
    assert r.exit_code == 2 and "deployments.eth.contract" in r.output and "Traceback" not in r.output


def test_config_from_the_environment_variable(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[portal]\nport = 99999\n" + GOOD)
    r = run("config", "check", env={"RESERVES_CONFIG": str(cfg)})
    assert r.exit_code == 2 and "portal.port" in r.output


def test_config_check_lists_what_is_declared(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(GOOD)
    r = run("config", "check", "--config", str(cfg))
    assert r.exit_code == 0 and json.loads(r.output)["deployments"] == ["eth (evm-erc20)"]


def test_db_upgrade_migrates_the_configured_database(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n' + GOOD)
    r = run("db", "upgrade", "--config", str(cfg))
    from reserves.storage.migrate import head_revision

    assert r.exit_code == 0 and f"at revision {head_revision()}" in r.output and (tmp_path / "x.db").exists()


def test_keys_generate_writes_a_private_file_once(tmp_path):
    path = tmp_path / "k.key"
    r = run("keys", "generate", str(path))
    out = json.loads(r.output)
    assert r.exit_code == 0 and len(out["pubkey"]) == 64 and oct(path.stat().st_mode & 0o777) == "0o600"
    secret = path.read_text()
    assert out["pubkey"] not in secret  # the file holds the secret, not the public key
    again = run("keys", "generate", str(path))
    assert again.exit_code == 2 and path.read_text() == secret  # never overwritten


def test_snapshot_without_a_signing_key_says_how_to_make_one(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n[signing]\nkey_file = "missing.key"\n' + GOOD)
    r = run("snapshot", "--config", str(cfg), env={"RESERVES_SIGNING_KEY": ""})
    assert r.exit_code == 2 and "signing.key_file" in r.output and "reserves keys generate" in r.output


def test_the_worker_without_a_key_says_so_before_starting(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n[signing]\nkey_file = "missing.key"\n' + GOOD)
    r = run("worker", "--config", str(cfg), env={"RESERVES_SIGNING_KEY": ""})
    assert r.exit_code == 2 and "reserves keys generate" in r.output and "Traceback" not in r.output


def test_the_web_role_needs_no_signing_key(tmp_path, monkeypatch):
    """The key stays with the worker: the web role starts without one (and never loads it)."""
    seen: dict = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: seen.update(kw, app=app))
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n[signing]\nkey_file = "missing.key"\n' + GOOD)
    r = run("serve", "--config", str(cfg), "--workers", "3", env={"RESERVES_SIGNING_KEY": ""})
    assert r.exit_code == 0, r.output
    assert seen["app"] == "portal.asgi:app_from_environment" and seen["workers"] == 3 and seen["factory"] is True
    assert not (tmp_path / "missing.key").exists()


def test_the_worker_says_in_one_line_that_a_changed_reserve_set_needs_a_reason(tmp_path):
    # The first start records version 1; the second declares another address under the same
    # reason, which the worker refuses. It must say so before it serves, not in a traceback.
    import asyncio

    from reserves.attestation.keys import generate_key_file
    from reserves.settings.load import load_settings
    from reserves.worker.worker import Worker

    generate_key_file(tmp_path / "k.key")
    head = f'[signing]\nkey_file = "{tmp_path / "k.key"}"\n[database]\nurl = "sqlite:///{tmp_path / "r.db"}"\n'
    first = tmp_path / "a.toml"
    first.write_text(head + GOOD)

    async def start_and_stop():
        await (await Worker.start(load_settings(first, env=ENV))).close()  # records version 1

    asyncio.run(start_and_stop())
    second = tmp_path / "b.toml"
    second.write_text(
        head
        + GOOD.replace(
            'addresses = ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]',
            'addresses = ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"]',
        )
    )
    r = run("worker", "--config", str(second))
    assert r.exit_code == 2 and "reserve_set" in r.output and "Traceback" not in r.output, r.output


def test_serve_leaves_forwarded_headers_to_the_app_and_refuses_a_wildcard(tmp_path, monkeypatch):
    from reserves.attestation.keys import generate_key_file

    seen: dict = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: seen.update(kw))
    generate_key_file(tmp_path / "k.key")
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[portal]\nforwarded_allow_ips = "10.0.0.1"\n[signing]\nkey_file = "{tmp_path / "k.key"}"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "r.db"}"\n' + GOOD
    )
    assert run("serve", "--config", str(cfg)).exit_code == 0
    # uvicorn's handling would trust the leftmost X-Forwarded-For with "*": the app resolves clients itself.
    assert seen["proxy_headers"] is False and "forwarded_allow_ips" not in seen
    cfg.write_text(cfg.read_text().replace('"10.0.0.1"', '"*"'))
    seen.clear()
    refused = run("serve", "--config", str(cfg))
    assert refused.exit_code == 2 and "forwarded_allow_ips" in refused.output and not seen, refused.output


def test_guardian_submit_refuses_a_file_it_did_not_write_before_any_request(tmp_path):
    """The attestation id goes into the URL path: only 64 lowercase hex digits pass (not any letter
    str.isalnum accepts), and a huge file is read only up to the limit, never whole."""
    good = {"pubkey": "ab" * 32, "sig": "cd" * 64}
    bad_ids = ["é" * 64, "../" * 21 + "a", "A" * 64, "ab" * 31, "g" * 64]
    for bad in bad_ids:
        path = tmp_path / "sig.json"
        path.write_text(json.dumps({**good, "attestation_id": bad}))
        result = run("guardian", "submit", str(path), "http://127.0.0.1:9")
        assert result.exit_code == 2, (bad, result.output)
        assert "not one written by `reserves guardian sign`" in result.output
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({**good, "attestation_id": "ab" * 32, "pad": "x" * 2_000_000}))
    result = run("guardian", "submit", str(huge), "http://127.0.0.1:9")
    assert result.exit_code == 2 and "error:" in result.output
