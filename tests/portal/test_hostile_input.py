"""The body and query checks of portal.bodies and portal.limits, and OPTIONS' Allow (portal.allow), in the
app; tests/e2e/test_server_limits.py sends the same over real sockets to `reserves run`."""

from __future__ import annotations

import pytest

from portal.bodies import MAX_DEPTH, BodyRefused, check_json_body, is_json_media_type, nesting_exceeds
from portal.limits import repeated_parameter

JSON = b"application/json"


@pytest.mark.parametrize(
    ("body", "deep"),
    [
        (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, False),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), True),
        (b'{"a": "' + b"[" * 1000 + b'"}', False),  # brackets in a string are text
        (b'{"a": "\\"' + b"[" * 1000 + b'"}', False),  # an escaped quote does not end the string
        (b'{"a": "\\\\"' + b", " + b"[" * 100 + b"]" * 100 + b"}", True),  # an escaped backslash does
        (b'"unterminated [[[[' + b"[" * 1000, False),
        (b"[" * 60_000, True),
        (b"{}" * 30_000, False),
    ],
)
def test_nesting_is_counted_outside_strings(body, deep):
    assert nesting_exceeds(body) is deep


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (b"application/json", True),
        (b"Application/JSON; charset=UTF-8", True),
        (b'application/json;charset="utf-8"', True),
        (b"application/json; charset=latin-1", False),
        (b"application/json; boundary=x", False),
        (b"text/plain", False),
        (b"application/x-www-form-urlencoded", False),
        (b"application/json-patch+json", False),
        (None, False),
    ],
)
def test_only_json_is_a_body(value, ok):
    assert is_json_media_type(value) is ok


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b'{"nonce": "a"}', None, None),
        (b'{"a": 1, "b": {"c": -0, "d": 123456789012345678901234567890}}', None, None),
        (b'{"a": 1, "a": 2}', 400, "duplicate key"),
        (b'{"x": [{"a": 1}, {"a": 1, "a": 1}]}', 400, "duplicate key"),
        (b'{"a": 2.0}', 400, "integers"),
        (b'{"a": 1e2}', 400, "integers"),
        (b'{"a": [NaN]}', 400, "integers"),
        (b'{"a": Infinity}', 400, "integers"),
        (b'{"a": "\xff"}', 400, "UTF-8"),
        (b'{"a": ', 400, "not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, 400, "nested deeper"),
    ],
)
def test_a_body_is_checked_before_it_is_decoded(body, status, says):
    if status is None:
        check_json_body(JSON, body)
        return
    with pytest.raises(BodyRefused) as refused:
        check_json_body(JSON, body)
    assert refused.value.status == status and refused.value.code == "invalid_input"
    assert says in refused.value.detail


def test_a_body_of_another_media_type_is_a_415_before_anything_else():
    with pytest.raises(BodyRefused) as refused:
        check_json_body(b"text/plain", b"[" * 5000)
    assert (refused.value.status, refused.value.code) == (415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("query", "repeated"),
    [
        (b"", None),
        (b"limit=1", None),
        (b"limit=1&cursor=x", None),
        (b"limit=1&limit=2", "limit"),
        (b"limit=1&lim%69t=2", "limit"),
        (b"a+b=1&a%20b=2", "a b"),
        (b"limit=1;limit=2", "limit"),
        (b"flag&flag", "flag"),
        (b"a=1&&b=2", None),
    ],
)
def test_repeated_query_parameters_are_found(query, repeated):
    assert repeated_parameter(query) == repeated


def test_the_app_refuses_hostile_requests_with_its_error_shape(client):
    r = client.get("/api/v1/attestations", params=[("limit", "1"), ("limit", "2")])
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input", r.text
    r = client.post("/api/v1/challenges", content=b'{"nonce": "abc"}', headers={"content-type": "text/plain"})
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type", r.text
    r = client.post(
        "/api/v1/challenges", content=b'{"nonce": "a", "nonce": "b"}', headers={"content-type": JSON.decode()}
    )
    assert r.status_code == 400 and "duplicate key" in r.json()["error"]["detail"], r.text
    r = client.post("/api/v1/challenges", content=b"x" * 70_000, headers={"content-type": JSON.decode()})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large", r.text
    r = client.get("/api/v1/attestations", params={"cursor": "c" * 5000})
    assert r.status_code == 400 and "query string" in r.json()["error"]["detail"], r.text


@pytest.mark.parametrize(
    ("path", "query", "name"),
    [
        ("/api/v1/history", {"from": "<script>alert(1)</script>" + "x" * 1500}, "from"),
        ("/api/v1/history", {"to": "\u202eevil"}, "to"),
        ("/api/v1/attestations", {"limit": "9" * 1500}, "limit"),
    ],
)
def test_a_parameter_error_names_the_parameter_as_sent_and_echoes_no_query(client, path, query, name):
    r = client.get(path, params=query)
    error = r.json()["error"]
    assert r.status_code == 400 and error["code"] == "invalid_input", r.text
    assert error["fields"] and {f["key"] for f in error["fields"]} == {name}, error
    assert error["detail"] == f"invalid parameters for GET {path}"
    assert len(r.content) < 300 and "script" not in r.text and "\u202e" not in r.text


@pytest.mark.parametrize("tail", ["", "/signatures"])
def test_a_path_parameter_error_names_the_route_not_the_path_sent(client, tail):
    r = client.get("/api/v1/attestations/%E2%80%AE%3Cscript%3E%0Aforged" + tail)
    error = r.json()["error"]
    assert (
        r.status_code == 400
        and error["detail"] == f"invalid parameters for GET /api/v1/attestations/{{attestation_id}}{tail}"
    )
    assert [f["key"] for f in error["fields"]] == ["attestation_id"], error
    assert "script" not in r.text and "\u202e" not in r.text and "forged" not in r.text


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/v1/attestations/" + "0" * 64 + "/signatures", "GET, OPTIONS, POST"),
        ("/api/v1/attestations/latest", "GET, OPTIONS"),
    ],
)
def test_options_lists_every_method_of_the_path(client, path, methods):
    r = client.options(path)
    assert r.status_code == 204 and r.headers["allow"] == methods, (r.status_code, r.headers)


def test_options_of_an_admin_path_is_behind_the_guard(client):
    # No admin token or key in this portal: the admin API does not exist, OPTIONS included. With a
    # key, the admin document's whole Allow is checked by the fuzz run (tests/portal/test_fuzz_openapi.py).
    for path in ("/admin/v1/webhooks", "/admin/v1/webhooks/wh_0123456789abcdef"):
        assert client.options(path).status_code == 404


@pytest.mark.parametrize(
    "path", ["/api/v1//history", "/admin//v1/health", "/api/v1//events/stream", "/api/v1/attestations//pending"]
)
def test_an_empty_path_segment_is_refused_before_any_layer_reads_the_path(client, path):
    # Routing drops empty segments: the rate-limit classes, the caches and the stream's exclusion
    # would otherwise see another path than the handler that answers.
    r = client.get(path)
    assert r.status_code == 400 and "empty segment" in r.json()["error"]["detail"], r.text


def test_a_body_that_does_not_arrive_in_time_is_408(monkeypatch):
    import asyncio

    from portal import limits

    monkeypatch.setattr(limits, "BODY_SECONDS", 0.2)
    reached = []

    async def app(scope, receive, send):
        reached.append(scope)

    layer = limits.RequestLimits(app, max_query=4096, max_body=65536)
    sent = []

    async def trickle():
        await asyncio.sleep(3600)  # the client sends the headers, then nothing

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/challenges",
        "raw_path": b"/api/v1/challenges",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
    }
    asyncio.run(layer(scope, trickle, send))
    assert sent[0]["status"] == 408 and not reached


def test_a_missing_required_parameter_is_named_in_fields_without_the_url():
    """Litestar says a required parameter is missing in its detail only, followed by the whole URL."""
    from typing import Annotated

    from litestar import Litestar, get
    from litestar.params import PathParameter, QueryParameter
    from litestar.testing import TestClient

    from portal.errors import HANDLERS

    @get("/needs/{item:str}", sync_to_thread=False)
    def needs(item: Annotated[str, PathParameter()], wanted: Annotated[str, QueryParameter(name="what-for")]) -> str:
        return item + wanted

    with TestClient(Litestar([needs], exception_handlers=HANDLERS)) as client:
        r = client.get("/needs/%E2%80%AEx?other=%3Cscript%3E")
    error = r.json()["error"]
    assert r.status_code == 400 and error["detail"] == "invalid parameters for GET /needs/{item}", error
    assert error["fields"] == [{"key": "what-for", "message": "missing required query parameter"}]
    assert "script" not in r.text and "\u202e" not in r.text
