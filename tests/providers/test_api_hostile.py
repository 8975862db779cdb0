"""GET /api/v1/providers and the /providers page under malformed, oversized and hostile requests: always
a 4xx with a machine-readable code (or the page, which takes no parameter), never a 500, and nothing a
hostile node said is rendered as markup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reserves.attestation.collateral import STATES
from tests.doubles.adapters import BackendDown
from tests.portal.rig_portal import RigPortal, rig_portal
from tests.providers.readers import provider

CODES = {"invalid_state", "invalid_input", "uri_too_long", "method_not_allowed", "not_found"}
# A node's error message reaches a leg's detail (chains.evm.rpc quotes it): markup must stay text.
HOSTILE_DETAIL = '<script>alert("lp")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def lp(tmp_path_factory) -> Iterator[RigPortal]:
    """Two providers decided: lp-ok (healthy) and lp-down (unknown: its collateral read failed)."""
    with rig_portal(tmp_path_factory.mktemp("lp-hostile")) as p:
        down = provider("lp-down", 10**18, 10**18, 18)
        down.collateral.adapter.error = BackendDown(HOSTILE_DETAIL)
        p.rig.sources.providers = [provider("lp-ok", 10**18, 2 * 10**18, 18), down]
        p.snapshot()
        yield p


def refused(p: RigPortal, url: str, status: int = 400) -> str:
    r = p.client.get(url)
    assert r.status_code == status, (url[:80], r.status_code, r.text[:200])
    assert r.headers["content-type"].startswith("application/json")
    code = r.json()["error"]["code"]
    assert code in CODES and r.json()["error"]["detail"], r.text
    return code


HOSTILE_STATES = [
    "",
    "solvent",
    "HEALTHY",
    " healthy",
    "healthy%0a",
    "healthy%00",
    "%ff",
    "%",
    "%E2%80%AEhealthy",  # right-to-left override
    "%27%20OR%201%3D1%20--",
    "%3Cscript%3E",
    "healthy%2Cwarning",
]


@pytest.mark.parametrize("value", HOSTILE_STATES)
def test_a_bad_state_is_invalid_state(lp, value):
    assert refused(lp, f"/api/v1/providers?state={value}") == "invalid_state"


@pytest.mark.parametrize(
    "query,status,code,page_too",
    [
        ("state=" + "x" * 17, 400, "invalid_state", False),  # over the declared maxLength; the page has no state
        ("state=healthy&state=warning", 400, "invalid_input", True),
        ("state=healthy;state=warning", 400, "invalid_input", True),
        ("state=" + "x" * 5000, 400, "invalid_input", True),
        ("&".join(f"a{i}=1" for i in range(600)), 414, "uri_too_long", True),
    ],
)
def test_repeated_and_oversized_parameters_are_refused(lp, query, status, code, page_too):
    assert refused(lp, f"/api/v1/providers?{query}", status) == code
    assert "wanted" not in lp.client.get(f"/api/v1/providers?{query}").text  # errors name `state`, not the handler's
    if page_too:  # the page passes the same gates as the API
        assert refused(lp, f"/providers?{query}", status) == code
    else:
        assert lp.client.get(f"/providers?{query}").status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_only_reads_are_allowed(lp, method):
    r = lp.client.request(method, "/api/v1/providers", content=b"{}", headers={"content-type": "application/json"})
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_each_state_filters_and_the_counts_stay_whole(lp):
    every = lp.client.get("/api/v1/providers").json()
    assert [(e["name"], e["state"]) for e in every["providers"]] == [("lp-down", "unknown"), ("lp-ok", "healthy")]
    for state in STATES:
        r = lp.client.get(f"/api/v1/providers?state={state}")
        assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=5"
        body = r.json()
        assert [e["state"] for e in body["providers"]] == [state] * every["counts"][state]
        assert body["counts"] == every["counts"] == {"liquidatable": 0, "warning": 0, "healthy": 1, "unknown": 1}


def test_a_hostile_node_message_stays_text(lp):
    down = lp.client.get("/api/v1/providers?state=unknown").json()["providers"][0]
    assert down["collateral"]["error"] == {"code": "chain_unavailable", "detail": HOSTILE_DETAIL}
    assert down["ratio_bp"] is None and down["reasons"] == ["collateral not read (chain_unavailable)"]
    for query in ("", "?state=%3Cscript%3Ealert(2)%3C/script%3E", "?x=%22%3E%3Cimg%20src=x%3E"):
        page = lp.client.get(f"/providers{query}")
        assert page.status_code == 200 and 'scope="row">lp-down' in page.text
        assert "<script>alert" not in page.text and "<img src=x" not in page.text and "alert(2)" not in page.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_any_state_is_a_200_or_invalid_state_never_a_500(lp, value):
    r = lp.client.get("/api/v1/providers", params={"state": value})
    if value in STATES:
        assert r.status_code == 200
    else:
        assert r.status_code == 400 and r.json()["error"]["code"] in ("invalid_state", "invalid_input"), r.text
