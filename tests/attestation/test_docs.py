"""docs/attestation.md stays true: its example verifies and its standalone snippet runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from reserves.attestation import verify_document

DOC = (Path(__file__).resolve().parents[2] / "docs" / "attestation.md").read_text(encoding="utf-8")
EXAMPLE_KEY = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9"  # BIP-340 vector 0


def blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", DOC, flags=re.S)


def test_example_envelope_verifies():
    example = json.loads(blocks("json")[0])
    report = verify_document(example, trusted_keys={EXAMPLE_KEY: "example-2025"})
    assert report.ok, report.failed()
    assert example["attestation"]["status"] == "stale" and example["attestation"]["ratio_bp"] is None
    reserves = example["attestation"]["reserves"]
    assert example["attestation"]["format"] == "reserves-attestation/4" and reserves["locked_sat"] != "0"
    att = example["attestation"]
    assert att["status_basis"]["changed"] and att["signers"]["guardians"]["threshold"] == 2
    assert [s["alg"] for s in att["signatures"]] == ["bip340", "eip712", "bip340", "bip340"]
    assert reserves["sources"][0]["uncounted"] and reserves["valid_at"] is not None
    deployments = {d["name"]: d for d in example["attestation"]["supply"]["deployments"]}
    assert deployments["arbitrum"]["role"] == "bridge" and deployments["ethereum"]["rpc"]["endpoints"] == 3
    assert {h["category"] for h in deployments["ethereum"]["held"]} == {"lockbox", "treasury", "burn"}


def test_worked_example_is_the_example_document():
    example = json.loads(blocks("json")[0])["attestation"]["supply"]
    section = DOC.split("**Worked example**")[1].split("**Recomputing by hand.**")[0]
    deployments = {d["name"]: d for d in example["deployments"]}
    for name in ("ethereum", "arbitrum"):
        assert deployments[name]["supply_sat"] in section
    assert deployments["ethereum"]["circulating"] == "99956789012345678901"
    assert f"= {example['total_sat']}" in section


def test_every_format_2_and_3_member_is_documented():
    from reserves.attestation.formats import load_schema

    defs = load_schema()["$defs"]
    members = (
        set(defs["source_ok"]["properties"]) | set(defs["utxo"]["properties"]) | set(defs["uncounted"]["properties"])
    )
    members |= set(load_schema()["properties"]["reserves"]["properties"])
    members |= set(defs["deployment_ok"]["properties"]) | set(defs["held_balance"]["properties"])
    members |= set(defs["rpc_agreement"]["properties"])
    for name in members:
        assert re.search(rf"[`.{{ ]{name}[`,}} ]", DOC), name


def test_every_format_4_member_is_documented():
    from reserves.attestation.formats import load_schema

    props = load_schema()["properties"]
    members = set(props["status_basis"]["properties"]) | set(props["flows"]["properties"])
    members |= set(props["window"]["oneOf"][1]["properties"]) | set(props["scope"]["properties"])
    members |= set(props["signers"]["properties"]) | set(props["policy"]["properties"])
    members |= set(props["scope"]["properties"]["control"]["properties"])
    for name in members:
        assert re.search(rf"[`.{{ ]{name}[`,}} ]", DOC), name


def test_standalone_snippet_runs(tmp_path, monkeypatch, capsys):
    (tmp_path / "attestation.json").write_text(blocks("json")[0])
    snippet = next(b for b in blocks("python") if "rfc8785.dumps" in b)
    monkeypatch.chdir(tmp_path)
    exec(compile(snippet, "docs/attestation.md", "exec"), {})
    assert capsys.readouterr().out.strip() == "example-2025 True True"


def test_every_check_name_is_documented():
    table = DOC.split("| check | what it establishes |")[1].split("\n\n")[0]
    for name in (
        "internal",
        "json",
        "domain",
        "schema",
        "id",
        "signature[i]",
        "trusted[i]",
        "signatures",
        "link",
        "timestamps",
        "policy",
        "reserves",
        "supply",
        "totals",
        "ratio",
        "status",
        "wallets",
        "counting",
        "valid_at",
        "held",
        "rpc",
        "chain.sequence",
        "chain.links",
        "chain.time",
        "chain.format",
        "chain",
    ):
        assert f"`{name}`" in table, name


def test_documented_reason_strings_are_the_rules():
    from datetime import datetime, timedelta, timezone

    from reserves.attestation.arithmetic import MAX_FUTURE_BLOCK_SECONDS, Observation, Policy, decide_status

    rule = DOC.split("## Status rule")[1].split("## Verifying")[0]
    issued = datetime(2025, 3, 1, 12, tzinfo=timezone.utc)
    cases = {
        "`<label> <name>: failed (<code>)`": Observation("supply deployment", "bsc", error_code="x"),
        "`<label> <name>: block_time <time> is older than max_age_seconds <n>`": Observation(
            "reserve source", "cold", block_time=issued - timedelta(seconds=61), max_age_seconds=60
        ),
        "`<label> <name>: block_time <time> is in the future, more than 7200 seconds after issued_at`": Observation(
            "reserve source", "cold", block_time=issued + timedelta(hours=3), max_age_seconds=60
        ),
    }
    assert f"issued_at + {MAX_FUTURE_BLOCK_SECONDS} s" in rule
    for template, ob in cases.items():
        assert template in rule
        _, [reason] = decide_status(
            issued_at=issued, observations=[ob], ratio=None, liabilities=0, policy=Policy(10_000)
        )
        pattern = re.escape(template.strip("`"))
        for slot in ("<label>", "<name>", "<code>", "<time>", "<n>"):
            pattern = pattern.replace(re.escape(slot), ".+")
        assert re.fullmatch(pattern, reason), (template, reason)
