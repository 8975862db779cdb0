"""`reserves webhooks ...` over the same service as the admin API, on the embedded default's database."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from portal.cli.main import main


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the embedded default: SQLite and keys in the current folder
    monkeypatch.delenv("RESERVES_CONFIG", raising=False)
    monkeypatch.delenv("RESERVES_DATABASE_URL", raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(main, ["webhooks", *args], catch_exceptions=False)

    return invoke


def test_the_whole_life_from_the_shell(run, tmp_path):
    r = run(
        "add",
        "http://127.0.0.1:9/hook",
        "-e",
        "status.changed,ratio.below",
        "--threshold-bp",
        "10000",
        "--description",
        "desk",
    )
    assert r.exit_code == 0, r.output
    made = json.loads(r.output)
    assert made["secret"].startswith("whsec_") and made["events"] == ["status.changed", "ratio.below"]
    sub = made["id"]
    assert (tmp_path / "reserves-webhooks-secrets.key").stat().st_mode & 0o077 == 0  # created, owner-only
    listed = run("list")
    assert listed.exit_code == 0 and sub in listed.output and made["secret"] not in listed.output
    assert json.loads(run("show", sub).output)["description"] == "desk"
    assert json.loads(run("pause", sub).output)["state"] == "paused"
    assert json.loads(run("resume", sub).output)["state"] == "active"
    updated = json.loads(run("update", sub, "-e", "status.changed", "--clear-threshold").output)
    assert updated["events"] == ["status.changed"] and updated["threshold_bp"] is None
    rotated = json.loads(run("rotate-secret", sub).output)
    assert rotated["secret"] != made["secret"]
    assert json.loads(run("deliveries", sub).output)["items"] == []
    missing = run("redeliver", sub, "5")
    assert missing.exit_code == 2 and "no such delivery" in missing.output
    assert json.loads(run("delete", sub).output) == {"deleted": sub}
    gone = run("show", sub)
    assert gone.exit_code == 2 and "no such webhook subscription" in gone.output


@pytest.mark.parametrize(
    "args,message",
    [
        (("add", "ftp://x.example/", "-e", "status.changed"), "http"),
        (("add", "http://127.0.0.1:9/", "-e", "nope"), "unknown event type"),
        (("add", "http://127.0.0.1:9/", "-e", "ratio.below"), "threshold_bp"),
        (("add", "http://u:p@127.0.0.1:9/", "-e", "status.changed"), "user"),
        (("show", "../../etc/passwd"), "no such webhook subscription"),
        (("pause", "wh_" + "a" * 16), "no such webhook subscription"),
    ],
)
def test_bad_input_is_a_one_line_error(run, args, message):
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert r.output.startswith("error: ") and message in r.output.lower() and "Traceback" not in r.output


def test_keygen_prints_keys_that_load(run, tmp_path):
    from reserves.webhooks.signing import PortalKey
    from reserves.webhooks.vault import parse_key

    r = run("keygen")
    keys = json.loads(r.output)
    assert len(parse_key(keys["secrets_key"])) == 32
    assert PortalKey.parse(keys["signing_key"]).public == keys["public_key"]
    assert list(tmp_path.iterdir()) == []  # printed, never saved
