"""Fuzz the JSON API from its own OpenAPI (schemathesis) on the real devnet: never a 5xx, one error shape."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from portal.api.stream import STREAM_PATH
from tests.portal.conftest import snapshot

# Requests per generation mode, spread over every operation: enough to reach each parameter's
# edges, few enough that the file runs in seconds on 2 cores.
MAX_EXAMPLES = 300


@pytest.fixture(scope="module")
def api_schema(client):
    # A few attestations first, so that ids, cursors and history buckets lead somewhere.
    for _ in range(3):
        snapshot(client)
    # The event stream never ends, so no request to it could be read whole: tests/stream covers it.
    # /readyz takes no input and answers 503 by design once the fixture's newest attestation has aged
    # (a slow run): tests/observe covers it.
    schema = schemathesis.openapi.from_dict(client.get("/schema/openapi.json").json())
    return schema.exclude(path=STREAM_PATH).exclude(path="/readyz")


def assert_error_shape(response) -> None:
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["detail"], str), body


# Plain @given over schemathesis strategies rather than its pytest plugin: the plugin's lazy
# `from_fixture` loader writes Function._nodeid, which pytest 9.2 no longer has.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_answers_every_input_without_a_server_error(api_schema, client, mode):
    # derandomize seeds from this function's code: the same code sends the same requests.
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=api_schema.as_strategy(mode))
    def one_request(case):
        request = case.as_transport_kwargs(base_url=str(client.base_url))
        request.pop("cookies", None)  # the API reads no cookies, and httpx deprecates per-request ones
        # Through the module's own TestClient: the app whose lifespan runs the devnet, no network.
        response = client.request(**request)
        # Error answers are documented too (portal/api/attestations.py declares ErrorBody), so every answer,
        # 2xx or 4xx, must match the served schema.
        checks = [not_a_server_error, response_schema_conformance]
        case.validate_response(response, checks=checks)
        if not response.is_success:
            assert_error_shape(response)

    one_request()


def test_history_near_the_ends_of_time_is_a_400(client):
    # Found by the fuzzer: the default `from` (to minus one day) before year 1 was a 500.
    for params in (
        {"to": "0001-01-01T00:01:00Z"},
        {"from": "0001-01-01T00:00:00+01:00"},
        {"to": "9999-12-31T23:59:59-01:00"},
    ):
        r = client.get("/api/v1/history", params=params)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input", (params, r.text)
