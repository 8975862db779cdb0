"""`reserves verify` through click's CliRunner: exit codes 0/1/2, stdin, chains, --previous, --json."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from portal.cli.verify import verify
from reserves.attestation import attestation_id, envelope, sign
from tests.attestation.helpers import ISSUED, key, make_body

SIGNER = key(7)
PUBKEY = SIGNER.pubkey_hex


def chain(n):
    docs, previous = [], None
    for seq in range(n):
        doc = sign(make_body(seq, previous, issued=ISSUED + timedelta(minutes=seq)), [SIGNER])
        previous = attestation_id(doc)
        docs.append(doc)
    return docs


DOCS = chain(3)


def run(*args, input=None):
    return CliRunner().invoke(verify, [str(a) for a in args], input=input)


def write(tmp_path, name, value):
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return path


def test_ok_file_exits_0(tmp_path):
    r = run(write(tmp_path, "a.json", envelope(DOCS[0])), "--pubkey", PUBKEY)
    assert r.exit_code == 0, r.output
    assert f"OK: 1 attestation(s) verified; newest id {attestation_id(DOCS[0])}" in r.output


def test_uppercase_pubkey_is_the_same_key(tmp_path):
    assert run(write(tmp_path, "a.json", DOCS[0]), "--pubkey", PUBKEY.upper()).exit_code == 0


def test_tampered_exits_1(tmp_path):
    env = envelope(copy.deepcopy(DOCS[0]))
    env["attestation"]["reserves"]["total_sat"] = str(int(env["attestation"]["reserves"]["total_sat"]) + 1)
    r = run(write(tmp_path, "t.json", env), "--pubkey", PUBKEY)
    assert r.exit_code == 1
    assert "FAILED" in r.output and "signature[0]" in r.output


def test_well_formed_but_untrusted_key_exits_1(tmp_path):
    r = run(write(tmp_path, "a.json", DOCS[0]), "--pubkey", key(8).pubkey_hex)
    assert r.exit_code == 1 and "is not a trusted key" in r.output


@pytest.mark.parametrize("bad", ["zz", "", PUBKEY[:-1], PUBKEY + "0", "g" * 64, " " + PUBKEY, "02" + PUBKEY])
def test_malformed_pubkey_is_a_usage_error(tmp_path, bad):
    r = run(write(tmp_path, "a.json", DOCS[0]), "--pubkey", PUBKEY, "--pubkey", bad)
    assert r.exit_code == 2, r.output
    assert "Invalid value for '--pubkey'" in r.output
    assert "not a BIP-340 x-only public key: expected 64 hex digits" in r.output
    assert "not a trusted key" not in r.output


def test_compressed_key_gets_a_hint(tmp_path):
    r = run(write(tmp_path, "a.json", DOCS[0]), "--pubkey", "02" + PUBKEY)
    assert r.exit_code == 2 and "drop its 02/03 prefix" in r.output


@pytest.mark.parametrize(
    "keys",
    [
        {"keys": [{"pubkey": "zz", "key_id": "k"}]},
        {"keys": [{"pubkey": PUBKEY, "key_id": "k"}, {"pubkey": "02" * 33, "key_id": "x"}]},
        ["zz"],
        [PUBKEY, 5],
        [{"key_id": "no-pubkey"}],
        {"keys": []},
        [],
        {"nothing": 1},
    ],
)
def test_malformed_keys_file_exits_2(tmp_path, keys):
    r = run(write(tmp_path, "a.json", DOCS[0]), "--keys", write(tmp_path, "keys.json", keys))
    assert r.exit_code == 2, r.output
    assert "error: " in r.output and "keys.json" in r.output


@pytest.mark.parametrize("keys", [{"keys": [{"pubkey": PUBKEY, "key_id": SIGNER.key_id}]}, [PUBKEY.upper()]])
def test_keys_file_exits_0(tmp_path, keys):
    r = run(write(tmp_path, "a.json", DOCS[0]), "--keys", write(tmp_path, "keys.json", keys))
    assert r.exit_code == 0, r.output


def test_unreadable_file_exits_2(tmp_path):
    r = run(tmp_path / "missing.json", "--pubkey", PUBKEY)
    assert r.exit_code == 2 and "cannot read" in r.output
    r = run(tmp_path, "--pubkey", PUBKEY)  # a directory
    assert r.exit_code == 2
    r = run(write(tmp_path, "junk.json", "{not json"), "--pubkey", PUBKEY)
    assert r.exit_code == 2 and "junk.json" in r.output


def test_stdin(tmp_path):
    r = run("-", "--pubkey", PUBKEY, input=json.dumps(envelope(DOCS[1])).encode())
    assert r.exit_code == 0, r.output
    r = run("-", "--pubkey", PUBKEY, input=b"")
    assert r.exit_code == 2


def test_json_list_is_verified_as_a_chain(tmp_path):
    shuffled = [envelope(DOCS[2]), DOCS[0], envelope(DOCS[1])]
    r = run(write(tmp_path, "c.json", shuffled), "--pubkey", PUBKEY)
    assert r.exit_code == 0, r.output
    assert "3 attestation(s) as a chain verified" in r.output and "chain.links" in r.output
    r = run(write(tmp_path, "gap.json", [DOCS[0], DOCS[2]]), "--pubkey", PUBKEY)
    assert r.exit_code == 1 and "gap: sequence 0 is followed by 2" in r.output


def test_page_of_history_is_a_chain(tmp_path):
    page = {"items": [envelope(d) for d in reversed(DOCS)]}
    r = run(write(tmp_path, "page.json", page), "--pubkey", PUBKEY)
    assert r.exit_code == 0 and "as a chain" in r.output


def test_previous(tmp_path):
    prev = write(tmp_path, "prev.json", envelope(DOCS[0]))
    r = run(write(tmp_path, "b.json", envelope(DOCS[1])), "--previous", prev, "--pubkey", PUBKEY)
    assert r.exit_code == 0, r.output
    assert "2 attestation(s) as a chain verified" in r.output
    # a valid sequence 0, but not the one DOCS[1] names: the link is checked
    other = sign(make_body(0, None, issued=ISSUED - timedelta(minutes=5)), [SIGNER])
    wrong = write(tmp_path, "wrong.json", envelope(other))
    r = run(write(tmp_path, "b.json", envelope(DOCS[1])), "--previous", wrong, "--pubkey", PUBKEY)
    assert r.exit_code == 1 and "chain.links" in r.output
    r = run(write(tmp_path, "b.json", envelope(DOCS[1])), "--previous", tmp_path / "nope.json", "--pubkey", PUBKEY)
    assert r.exit_code == 2


def test_json_output(tmp_path):
    r = CliRunner().invoke(verify, [str(write(tmp_path, "a.json", DOCS[0])), "--pubkey", PUBKEY, "--json"])
    assert r.exit_code == 0
    report = json.loads(r.stdout)
    assert report["ok"] is True and report["id"] == attestation_id(DOCS[0]) and report["attestations"] == 1
    assert {c["name"] for c in report["checks"]} >= {"schema", "signature[0]", "status"}
    tampered = DOCS[0] | {"ratio_bp": "1"}
    r = CliRunner().invoke(verify, [str(write(tmp_path, "t.json", tampered)), "--pubkey", PUBKEY, "--json"])
    assert r.exit_code == 1 and json.loads(r.stdout)["ok"] is False


def test_no_keys_for_a_file_exits_1(tmp_path):
    r = run(write(tmp_path, "a.json", DOCS[0]))
    assert r.exit_code == 1 and "no trusted keys" in r.output
