"""Make expected.json from inputs.json with the engine as it stood before the redesign (run once).

`python -m tests.golden.make_expected` writes the attestations of the scenario (BIP-340 `sig`
values blanked: their aux randomness differs per run) and the verification reports of every
document the golden test checks: the chain, each format's stored examples and tampered copies.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

from tests.golden import harness, reports

HERE = Path(__file__).resolve().parent


def openapi() -> dict:
    """The public OpenAPI document of the portal as it stood (written before the web role was split
    from the worker; test_golden compares the two roles' documents, merged, with it)."""
    from portal.app import create_app
    from reserves.settings.load import default_settings

    with tempfile.TemporaryDirectory() as tmp:
        return create_app(default_settings(Path(tmp))).openapi_schema.to_schema()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        envelopes = asyncio.run(harness.replay(Path(tmp)))
    expected = {
        "attestations": [harness.stable(e) for e in envelopes],
        "canonical": [reports.canonical_hex(e) for e in envelopes],
        "reports": reports.all_reports(envelopes),
    }
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    (HERE / "chain.json").write_text(json.dumps(envelopes, indent=1) + "\n")
    (HERE / "openapi.json").write_text(json.dumps(openapi(), indent=1, sort_keys=True) + "\n")
    print(f"{len(envelopes)} attestations, {len(expected['reports'])} reports")


if __name__ == "__main__":
    main()
