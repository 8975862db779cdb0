"""`reserves proof`: offline verify exit codes, keygen, and challenge/sign/submit on a devnet database."""

from __future__ import annotations

import json
import stat

import pytest
from click.testing import CliRunner

from chains.bitcoin.proofs import sign_simple
from chains.devnet.btc_wallet import DevnetWallets
from portal.cli.main import main
from reserves.proofs.keyfile import KeyEntry, write_key_file
from reserves.proofs.library import cosign_to_sign_psbt
from tests.world import start_devnet

pytestmark = pytest.mark.usefixtures("needs_library")
PASS = "a long enough passphrase"
# A BIP-322 vector (basic-test-vectors.json): "Hello World" by bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l.
VECTOR_ADDRESS = "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l"
VECTOR_SIG = (
    "AkcwRAIgZRfIY3p7/DoVTty6YZbWS71bc5Vct9p9Fia83eRmw2QCICK/ENGfwLtptFluMGs2KsqoNSk89pO7F29zJLUx9a/"
    "sASECx/EgAxlkQpQ9hYjgGu6EBCPMVPwVIVJqO4XCsMvViHI="
)


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env or {}, catch_exceptions=False)


def test_verify_valid_vector_exit_0():
    r = run("proof", "verify", "--address", VECTOR_ADDRESS, "--message", "Hello World", "--signature", VECTOR_SIG)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["outcome"] == "valid"


@pytest.mark.parametrize(
    "args",
    [
        ["--message", "Hello World!", "--signature", VECTOR_SIG],  # another message
        ["--message", "Hello World", "--signature", "AAAA"],  # garbage
        ["--message", "Hello World", "--signature", "x" * 100_000],  # oversized
        ["--message", "Hello World", "--signature", VECTOR_SIG, "--network", "regtest"],  # wrong network
    ],
)
def test_verify_invalid_exit_1(args):
    r = run("proof", "verify", "--address", VECTOR_ADDRESS, *args)
    assert r.exit_code == 1, r.output
    assert json.loads(r.output)["outcome"] == "invalid"


def test_verify_malformed_address_is_invalid_json():
    r = run("proof", "verify", "--address", "not-an-address", "--message", "m", "--signature", VECTOR_SIG)
    assert r.exit_code == 1 and json.loads(r.output)["outcome"] == "invalid"


def test_verify_unknown_script_is_inconclusive_exit_2():
    # A P2WSH address whose signature runs a script outside the understood templates.
    import base64

    from embit.networks import NETWORKS
    from embit.script import Script, p2wsh

    from chains.bitcoin.proofs.codec import serialize_witness_stack

    script = Script(b"\x51")  # OP_TRUE: anyone can spend; not a template the verifier knows
    address = p2wsh(script).address(NETWORKS["main"])
    sig = base64.b64encode(serialize_witness_stack([script.data])).decode()
    r = run("proof", "verify", "--address", address, "--message", "m", "--signature", sig)
    assert r.exit_code == 2 and json.loads(r.output)["outcome"] == "inconclusive", r.output


def test_keygen_writes_a_private_encrypted_file(tmp_path):
    out = tmp_path / "k.json"
    r = run("proof", "keygen", "--out", str(out), "--network", "regtest", env={"RESERVES_ONLINE_PASSPHRASE": PASS})
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert info["address"].startswith("bcrt1q") and stat.S_IMODE(out.stat().st_mode) == 0o600
    again = run("proof", "keygen", "--out", str(out), env={"RESERVES_ONLINE_PASSPHRASE": PASS})
    assert again.exit_code == 3 and "already exists" in again.output


def test_keygen_needs_a_passphrase(tmp_path):
    for env in ({}, {"RESERVES_ONLINE_PASSPHRASE": "short"}):
        r = run("proof", "keygen", "--out", str(tmp_path / "k.json"), env=env)
        assert r.exit_code == 3 and "passphrase" in r.output
    assert not (tmp_path / "k.json").exists()


@pytest.fixture(scope="module")
def devnet_config(tmp_path_factory):
    """A devnet running as `reserves devnet` would, and a config reading it; one snapshot taken by the CLI."""
    devnet = start_devnet()
    d = tmp_path_factory.mktemp("cli")
    cfg = d / "reserves.toml"
    cfg.write_text(
        f'data_dir = "."\n[devnet]\nenabled = true\nurl = "{devnet.url}"\n'
        '[signing]\nkey_file = "k.key"\ncreate_if_missing = true\n'
    )
    try:
        r = run("snapshot", "--config", str(cfg))
        assert r.exit_code == 0, r.output
        yield cfg
    finally:
        devnet.stop()


def _challenge(cfg, *extra) -> dict:
    r = run("proof", "challenge", "--config", str(cfg), *extra)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_challenge_sign_and_submit_on_the_devnet_database(devnet_config, tmp_path):
    wallets = DevnetWallets()
    address = wallets.reserve_address("wpkh", 1)
    key = wallets.private_keys("wpkh", 1)[0]
    key_file = tmp_path / "hot.json"
    write_key_file(key_file, [KeyEntry(address, "regtest", key.secret)], PASS)
    c = _challenge(devnet_config)
    r = run(
        "proof",
        "sign",
        "--config",
        str(devnet_config),
        "--challenge",
        c["id"],
        "--address",
        address,
        "--key-file",
        str(key_file),
        env={"RESERVES_ONLINE_PASSPHRASE": PASS},
    )
    assert r.exit_code == 0 and json.loads(r.output)["outcome"] == "valid", r.output
    # The same signature replayed on a new challenge is stored invalid (exit 1).
    signature = sign_simple(address, c["message"], key, "regtest")
    c2 = _challenge(devnet_config)
    r = run(
        "proof",
        "submit",
        "--config",
        str(devnet_config),
        "--challenge",
        c2["id"],
        "--address",
        address,
        "--signature",
        signature,
    )
    assert r.exit_code == 1 and json.loads(r.output)["outcome"] == "invalid", r.output


def test_multisig_via_psbt_files(devnet_config, tmp_path):
    wallets = DevnetWallets()
    address = wallets.reserve_address("wsh_sortedmulti", 0)
    psbt_file = tmp_path / "to_sign.psbt"
    c = _challenge(devnet_config, "--address", address, "--psbt-out", str(psbt_file))
    signed = cosign_to_sign_psbt(psbt_file.read_text().strip(), wallets.private_keys("wsh_sortedmulti", 0)[1:])
    psbt_file.write_text(signed)
    r = run(
        "proof",
        "submit",
        "--config",
        str(devnet_config),
        "--challenge",
        c["id"],
        "--address",
        address,
        "--psbt",
        str(psbt_file),
    )
    assert r.exit_code == 0 and len(json.loads(r.output)["signer_keys"]) == 2, r.output


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--challenge", "0" * 32, "--address", "ADDR", "--signature", "AAAA"], "no challenge"),
        (["--challenge", "zz", "--address", "ADDR", "--signature", "AAAA"], "challenge_id"),
        (
            ["--challenge", "0" * 32, "--address", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "--signature", "AAAA"],
            "regtest",
        ),
        (["--challenge", "0" * 32, "--address", "ADDR"], "exactly one"),
        (["--challenge", "0" * 32, "--address", "ADDR", "--psbt", "/nonexistent/file"], "cannot read"),
    ],
)
def test_submit_bad_input_exit_3(devnet_config, args, needle):
    address = DevnetWallets().reserve_address("wpkh", 0)
    r = run("proof", "submit", "--config", str(devnet_config), *[address if a == "ADDR" else a for a in args])
    assert r.exit_code == 3 and needle in r.output and "Traceback" not in r.output, r.output


def test_sign_with_a_key_file_lacking_the_address(devnet_config, tmp_path):
    from reserves.proofs.online import new_key_entry

    key_file = tmp_path / "other.json"
    write_key_file(key_file, [new_key_entry("regtest")], PASS)
    c = _challenge(devnet_config)
    r = run(
        "proof",
        "sign",
        "--config",
        str(devnet_config),
        "--challenge",
        c["id"],
        "--address",
        DevnetWallets().reserve_address("wpkh", 0),
        "--key-file",
        str(key_file),
        env={"RESERVES_ONLINE_PASSPHRASE": PASS},
    )
    assert r.exit_code == 3 and "holds no key" in r.output
    r = run(
        "proof",
        "sign",
        "--config",
        str(devnet_config),
        "--challenge",
        c["id"],
        "--address",
        DevnetWallets().reserve_address("wpkh", 0),
        "--key-file",
        str(key_file),
        env={"RESERVES_ONLINE_PASSPHRASE": PASS + "x"},
    )
    assert r.exit_code == 3 and "wrong passphrase" in r.output
