"""Fuzz the whole API (public and admin, with the admin token) from its own OpenAPI documents against the
real server (`reserves run`, uvicorn, over real HTTP) with schemathesis's full check set, in both
generation modes and every phase: no 5xx, every answer as documented, every schema-valid request
accepted and every schema-violating one refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.api.stream import STREAM_PATH
from tests.running_portal import ADMIN_TOKEN, running_portal

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
ROOT = Path(__file__).resolve().parents[2]
# Cases per operation and phase: enough to reach each parameter's edges, few enough that the file
# runs in about a minute on 2 cores.
MAX_EXAMPLES = 25

# Where a check cannot hold for a reason the schema cannot express, the check is switched off for
# that operation only, and the reason is given. Everything else runs every check.
CONFIG = """
hooks = "tests.portal.fuzz_hooks"

# Every check schemathesis has (`--checks all` on the command line would override the per-operation
# settings below, so the config enables them all instead).
[checks]
enabled = true

# A value over its maxLength can make a body exceed the 64 KiB body limit: 413 is then its refusal.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

# Cross-parameter rules (from before to; at most 2000 buckets in the range; 2000 to 2200): OpenAPI
# cannot relate two query parameters, so a schema-valid pair can be refused with 400.
# /api/v1/prices/history shares those range rules (reserves.read.history.check_range).
[[operations]]
include-path-regex = '^/api/v1/(prices/)?history$'
checks.positive_data_acceptance.enabled = false

# A deployment name is configuration, not syntax: the document cannot list the names a portal is
# configured with, and an unknown one is 400 unknown_deployment.
[[operations]]
include-path-regex = '^/api/v1/(monitor/issues|reconciliation)$'
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path = "/admin/v1/reconciliation/links"
checks.positive_data_acceptance.enabled = false

# A Bitcoin address's checksum and network, and a proof's "exactly one of signature or psbt", are
# checked by the service (invalid_address, invalid_input); a pattern can only give the characters.
[[operations]]
include-path-regex = '^/admin/v1/(challenges|proofs)$'
checks.positive_data_acceptance.enabled = false

# A webhook target is refused by network policy (private, numeric or unresolvable hosts:
# target_refused), which no schema can state.
[[operations]]
include-path-regex = '^/admin/v1/webhooks(/[{]sub_id[}])?$'
checks.positive_data_acceptance.enabled = false
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    # Not named `portal`: that is tests/portal/conftest.py's in-process world, which `client` uses.
    with running_portal(tmp_path_factory.mktemp("fuzz")) as p:
        yield p


@pytest.mark.parametrize("document", ["/schema/openapi.json", "/admin/v1/openapi.json"], ids=["public", "admin"])
def test_the_whole_api_honours_its_openapi_document(served, tmp_path, document):
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    run = subprocess.run(
        [
            SCHEMATHESIS,
            "--config-file",
            str(config),
            "run",
            f"{served.base}{document}",
            "--mode",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--generation-deterministic",
            "--continue-on-failure",
            "--header",
            f"Authorization: Bearer {ADMIN_TOKEN}",
            # The event stream never ends, so no request to it could be read whole: tests/stream covers it.
            "--exclude-path",
            STREAM_PATH,
            # Readiness takes no input and answers 503 by design once the newest attestation has aged
            # (a slow run): tests/observe covers both.
            "--exclude-path",
            "/readyz",
            "--exclude-path",
            "/admin/v1/health",
        ],
        # In the test's own folder: schemathesis keeps a cache of failures where it runs.
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # for the hooks module
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-20000:]
    assert "No issues found" in out or " passed" in out, out[-3000:]
    assert "Traceback" not in served.log_path.read_text(), served.log_path.read_text()[-5000:]


def test_history_near_the_ends_of_time_is_a_400(client):
    # Found by the fuzzer: the default `from` (to minus one day) before year 1 was a 500.
    for params in (
        {"to": "0001-01-01T00:01:00Z"},
        {"from": "0001-01-01T00:00:00+01:00"},
        {"to": "9999-12-31T23:59:59-01:00"},
    ):
        r = client.get("/api/v1/history", params=params)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input", (params, r.text)
