"""Fuzz the admin routes from their own document (/admin/v1/openapi.json) on the real devnet portal,
with the all-scopes token and with a `read`-only key: never a 5xx, every answer (403 included)
matching the document."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from reserves.admin.service import AdminKeyService
from reserves.settings.model import AdminSettings
from tests.portal.conftest import snapshot
from tests.world import world

TOKEN = "z" * 24 + "0123456789abcdef"


def assert_error_shape(response) -> None:
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["detail"], str), body


MAX_EXAMPLES = 150


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with world(tmp_path_factory.mktemp("adminfuzz"), admin=AdminSettings(token=TOKEN)) as w:
        snapshot(w.client)
        w.client.app.state.admin_keyring.cache_seconds = 0  # the key below counts at once
        yield w.client


@pytest.fixture(scope="module")
def keys(client) -> dict[str, str]:
    made = client.world.call(AdminKeyService(client.world.db).create, "fuzz-reader", ["read"])
    return {"token": TOKEN, "read": made["key"]}


@pytest.mark.parametrize("who", ["token", "read"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_admin_api_answers_every_input_as_documented(client, keys, who, mode):
    auth = {"Authorization": f"Bearer {keys[who]}"}
    document = client.get("/admin/v1/openapi.json", headers=auth)
    assert document.status_code == 200, document.text
    # /admin/v1/health takes no input and answers 503 by design once the fixture's newest attestation
    # has aged (a slow run): tests/observe covers it.
    schema = schemathesis.openapi.from_dict(document.json()).exclude(path="/admin/v1/health")

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=schema.as_strategy(mode))
    def one_request(case):
        request = case.as_transport_kwargs(base_url=str(client.base_url))
        request.pop("cookies", None)
        request["headers"] = {**(request.get("headers") or {}), **auth}
        response = client.request(**request)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
        if not response.is_success:
            assert_error_shape(response)
        if who == "read" and case.method.upper() != "GET":
            # A read key never acts: refused with 403, or before the guard when the request itself is
            # malformed (the body and parameter checks run first: 400, 413, 415) or names no route (404).
            assert response.status_code in (400, 403, 404, 413, 414, 415), (case.method, case.path, response.text)
            if response.status_code != 403:
                assert response.json()["error"]["code"] in (
                    "invalid_input",
                    "not_found",
                    "too_large",
                    "uri_too_long",
                    "unsupported_media_type",
                ), response.text

    one_request()
