"""No change of behaviour: the engine builds the same attestations from the same recorded inputs,
every stored document of formats 1 to 4 verifies with the same report, the API keeps its shape.

expected.json, chain.json, older.json and openapi.json were written by the code as it stood before
the redesign of issue 11 (make_expected.py, make_older.py); only harness.py follows the layout.
"""

from __future__ import annotations

import copy
import json

import pytest

from portal import deps
from portal.api.admin_schema import admin_openapi
from portal.app import ADMIN_CONTROLLERS, create_app
from portal.worker_app import WorkerAdminController, create_worker_app
from reserves.attestation.verify import verify_chain
from reserves.settings.load import default_settings
from reserves.worker.worker import Worker
from tests.golden import harness, reports, scenario

HERE = scenario.HERE


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    import asyncio

    return asyncio.run(harness.replay(tmp_path_factory.mktemp("golden")))


def test_the_same_inputs_build_byte_identical_attestations(replayed):
    expected = scenario.expected()
    assert len(replayed) == len(expected["attestations"])
    for i, (env, want) in enumerate(zip(replayed, expected["attestations"])):
        assert reports.canonical_hex(env) == expected["canonical"][i], f"sequence {i}: canonical bytes differ"
        assert harness.stable(env) == want, f"sequence {i}: document differs"


def test_the_replayed_signatures_verify(replayed):
    engine_a = replayed[0]["attestation"]["signers"]["engine"]["pubkey"]
    report = verify_chain(replayed, {engine_a: "engine-a"}, allow_pending=True)  # trust passes the rotation
    assert report.ok, report.failed()


def test_stored_documents_verify_with_the_same_reports():
    chain = json.loads((HERE / "chain.json").read_text())
    expected = scenario.expected()["reports"]
    got = reports.all_reports(chain)
    assert sorted(got) == sorted(expected)
    differ = [name for name in expected if got[name] != expected[name]]
    assert not differ, f"{len(differ)} reports differ, first: {differ[:5]}"


def test_the_reports_are_not_all_alike():
    expected = scenario.expected()["reports"]
    ok = [name for name, r in expected.items() if r["ok"]]
    assert 10 < len(ok) < len(expected) - 100  # good documents pass, tampered ones fail


# The one route that moved roles: it reads a chain, so the worker serves it, not the web role.
MOVED_TO_WORKER = {"/admin/v1/reserves/at/{height}"}
# Routes added after the redesign (issue 12: webhooks and the live stream), and the one route whose
# documentation changed with them (the list of event kinds); every other route is as recorded.
ADDED = {
    "/admin/v1/webhooks",
    "/admin/v1/webhooks/{sub_id}",
    "/admin/v1/webhooks/{sub_id}/deliveries",
    "/admin/v1/webhooks/{sub_id}/deliveries/{delivery_id}/redeliver",
    "/admin/v1/webhooks/{sub_id}/pause",
    "/admin/v1/webhooks/{sub_id}/resume",
    "/admin/v1/webhooks/{sub_id}/rotate-secret",
    "/api/v1/events/stream",
    "/api/v1/webhooks/keys",
    # Issue 13: readiness apart from liveness, and the operators' detail behind the admin token.
    "/readyz",
    "/admin/v1/health",
    # Issue 15: the median price oracle.
    "/api/v1/prices/latest",
    "/api/v1/prices/history",
    # Issue 15: the reserve tiers and locked contracts.
    "/api/v1/reserves/tiers",
    # Issue 15: the liquidity providers' ratios and states.
    "/api/v1/providers",
}
# Re-documented routes and what of their documentation changed: the list of event kinds (issue 12);
# /healthz became liveness only (issue 13: its answers are the same JSON object, now {"status": "ok"}).
REDOCUMENTED = {"/api/v1/events": {"description"}, "/healthz": {"description", "summary"}}
# Issue 13 made the document declare what the server already enforced (patterns, lengths, ranges,
# types, an optional body): the comparison above ignores those keys, contract_additions checks each
# change is one of them and only ever narrows what the document said was accepted.
CONSTRAINTS = {"pattern", "minLength", "maxLength", "minimum", "maximum", "type", "description"}
NOW_OPTIONAL_BODY = {"/admin/v1/challenges"}


def declared(doc):
    """`doc` without the constraint keys issue 13 declared (nor an optional body's `required`)."""
    if isinstance(doc, dict):
        return {
            k: declared(v)
            for k, v in doc.items()
            if k not in CONSTRAINTS and k != "required" or k == "required" and not isinstance(v, bool)
        }
    if isinstance(doc, list):
        return [declared(v) for v in doc]
    return doc


def contract_additions(before, paths, schemas) -> list[str]:
    """Every difference that is not an added constraint, a tightened length, or an optional body."""
    wrong: list[str] = []

    def walk(old, new, where):
        if isinstance(old, dict) and isinstance(new, dict):
            for k in set(old) | set(new):
                here = f"{where}/{k}"
                if k not in new:
                    wrong.append(f"removed {here}")
                elif k not in old:
                    if k not in CONSTRAINTS or k == "type" and "oneOf" in old:
                        wrong.append(f"added {here}")
                elif k == "maxLength" and new[k] < old[k] or k == "description" and isinstance(new[k], str):
                    continue
                elif k == "required" and isinstance(old[k], bool):
                    if old[k] != new[k] and not (where.startswith(tuple(NOW_OPTIONAL_BODY)) and not new[k]):
                        wrong.append(f"changed {here}")
                else:
                    walk(old[k], new[k], here)
        elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
            for i, (o, n) in enumerate(zip(old, new)):
                walk(o, n, f"{where}[{i}]")
        elif old != new:
            wrong.append(f"changed {where}")

    for p in before["paths"]:
        if p not in REDOCUMENTED:
            walk(before["paths"][p], paths[p], p)
    for k, v in before["components"]["schemas"].items():
        walk(v, _without_added(k, schemas[k]), f"#{k}")
    return wrong


ADDED_SCHEMAS = {"NewSubscription", "Finality"}
# Issue 14: the summary also says whether the newest attestation is final, since when it is stale, and
# its window and flows (the overview's first screen and area lines); optional, nothing else changed.
ADDED_PROPERTIES = {"DashboardView": {"finality", "stale_since", "window", "flows"}}


def _without_added(name: str, schema: dict) -> dict:
    added = ADDED_PROPERTIES.get(name)
    if not added:
        return schema
    out = copy.deepcopy(schema)
    out["properties"] = {k: v for k, v in out.get("properties", {}).items() if k not in added}
    assert not added & set(out.get("required", [])), "an added property must be optional"
    return out


def _as_recorded(path_item: dict) -> dict:
    """An admin route's documentation as recorded before issue 13: without the 403 every admin route
    gained (insufficient_scope), and with "token" where the 401 now says "key"."""
    out = copy.deepcopy(path_item)
    for operation in out.values():
        responses = operation["responses"]
        assert "insufficient_scope" in responses.pop("403")["description"]
        responses["401"]["description"] = responses["401"]["description"].replace("bearer key", "bearer token")
    return out


def test_the_openapi_document_is_unchanged_but_for_the_route_that_moved_to_the_worker(tmp_path):
    settings = default_settings(tmp_path)
    web = create_app(settings).openapi_schema.to_schema()
    worker = create_worker_app(Worker(settings)).openapi_schema.to_schema()
    # Issue 13: the public documents list no admin route; each role documents its own at /admin/v1/openapi.json.
    web_admin = admin_openapi(ADMIN_CONTROLLERS, title="web", dependencies=deps.DEPENDENCIES)
    worker_admin = admin_openapi([WorkerAdminController], title="worker")
    assert not [p for p in (*web["paths"], *worker["paths"]) if p.startswith("/admin")]
    assert all(p.startswith("/admin/v1/") for p in (*web_admin["paths"], *worker_admin["paths"]))
    before = json.loads((HERE / "openapi.json").read_text())
    assert set(worker_admin["paths"]) == MOVED_TO_WORKER
    assert not MOVED_TO_WORKER & set(web_admin["paths"])
    admin_paths = {**web_admin["paths"], **worker_admin["paths"]}
    paths = {**web["paths"], **{p: _as_recorded(item) for p, item in admin_paths.items()}}
    schemas = {
        **worker["components"].get("schemas", {}),
        **web["components"].get("schemas", {}),
        **web_admin["components"].get("schemas", {}),
        **worker_admin["components"].get("schemas", {}),
    }
    assert set(paths) - set(before["paths"]) == ADDED and set(before["paths"]) <= set(paths)
    assert {p: declared(paths[p]) for p in before["paths"] if p not in REDOCUMENTED} == {
        p: declared(v) for p, v in before["paths"].items() if p not in REDOCUMENTED
    }
    # The re-documented routes kept their parameters and answers; only their text changed.
    for p, changed in REDOCUMENTED.items():
        now, then = paths[p]["get"], before["paths"][p]["get"]
        assert {k: declared(v) for k, v in now.items() if k not in changed} == {
            k: declared(v) for k, v in then.items() if k not in changed
        }
    assert set(schemas) - set(before["components"]["schemas"]) == ADDED_SCHEMAS
    for name, added in ADDED_PROPERTIES.items():
        assert added <= set(schemas[name]["properties"]) and not added & set(
            before["components"]["schemas"][name]["properties"]
        )
    assert {k: declared(_without_added(k, schemas[k])) for k in before["components"]["schemas"]} == {
        k: declared(v) for k, v in before["components"]["schemas"].items()
    }
    assert contract_additions(before, paths, schemas) == []
    assert {k: v for k, v in web.items() if k not in ("paths", "components")} == {
        k: v for k, v in before.items() if k not in ("paths", "components")
    }
