"""Core JSON-RPC client: auth (never echoed), retries only on transport faults, and hostile answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chains.bitcoin.core.rpc import (
    CoreRpcClient,
    CoreRpcError,
    CoreRpcUnavailable,
    _scan_result,
    _unwrap,
    split_credentials,
)
from chains.devnet.bitcoin import RegtestChain
from chains.errors import ChainConfigError, ChainDataError, ChainError, ChainUnavailable
from chains.retry import Retryable
from tests.doubles.bitcoin_core import serve_core_rpc

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "core_rpc_docs.json").read_text())
SECRET = "hunter2-very-secret"


def mock_rpc(reply: Callable[[dict, int], Any]) -> Callable:
    """A MOCK JSON-RPC peer (no real node misbehaves on demand): `reply(request, n)` gives
    (status, body bytes) or a coroutine of it; `n` counts requests from 1."""
    count = {"n": 0}

    async def app(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        count["n"] += 1
        answer = reply(json.loads(body), count["n"])
        if asyncio.iscoroutine(answer):
            answer = await answer
        status, payload = answer
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
        )
        await send({"type": "http.response.body", "body": payload})

    app.count = count  # type: ignore[attr-defined]  # the test server's request counter
    return app


def ok(result: Any) -> Callable[[dict, int], tuple[int, bytes]]:
    return lambda req, n: (200, json.dumps({"result": result, "error": None, "id": req["id"]}).encode())


def client(url: str, **kw: Any) -> CoreRpcClient:
    kw.setdefault("backoff_seconds", 0.0)
    return CoreRpcClient(url.replace("http://", f"http://rpcuser:{SECRET}@"), **kw)


def no_secret(exc: BaseException) -> None:
    text = f"{exc} {getattr(exc, 'detail', '')} {exc!r}"
    assert SECRET not in text and "rpcuser" not in text


# --- URLs and credentials -------------------------------------------------------------------------


def test_credentials_are_split_off_the_url() -> None:
    base, auth = split_credentials(f"http://us%40er:{SECRET}@127.0.0.1:8332/wallet/x")
    assert base == "http://127.0.0.1:8332/wallet/x" and auth == ("us@er", SECRET)
    assert split_credentials("https://node.example")[1] is None
    for bad in ("ftp://h", "http://", "node:8332", "javascript:alert(1)"):
        with pytest.raises(ChainConfigError):
            split_credentials(bad)


async def test_unreachable_node_is_unavailable_without_credentials_in_the_error() -> None:
    rpc = client("http://127.0.0.1:9", retries=1, timeout=2)
    with pytest.raises(ChainUnavailable) as caught:
        await rpc.best_block_hash()
    no_secret(caught.value)
    assert "after 2 attempts" in caught.value.detail
    await rpc.aclose()


async def test_wrong_password_is_refused_and_never_echoed() -> None:
    chain = RegtestChain()
    url, stop, _ = serve_core_rpc(chain, ("rpcuser", "right"))
    try:
        rpc = client(url)
        with pytest.raises(ChainUnavailable, match="HTTP 401") as caught:
            await rpc.best_block_hash()
        no_secret(caught.value)
        await rpc.aclose()
        anonymous = CoreRpcClient(url)
        with pytest.raises(ChainUnavailable, match="401"):
            await anonymous.best_block_hash()
        await anonymous.aclose()
    finally:
        stop()


async def test_cookie_file_is_read_again_after_a_node_restart(tmp_path: Path) -> None:
    chain = RegtestChain()
    url, stop, double = serve_core_rpc(chain, ("__cookie__", "aaaa"))
    cookie = tmp_path / ".cookie"
    cookie.write_text("__cookie__:aaaa")
    try:
        rpc = CoreRpcClient(url, cookie_path=str(cookie), backoff_seconds=0.0)
        assert await rpc.block_hash_at(0) == chain.tip_hash
        double.auth = ("__cookie__", "bbbb")  # the node restarted: new cookie
        cookie.write_text("__cookie__:bbbb\n")
        assert await rpc.block_hash_at(0) == chain.tip_hash
        cookie.write_text("no colon here")
        with pytest.raises(ChainUnavailable, match="cookie"):
            await rpc.best_block_hash()
        cookie.unlink()
        with pytest.raises(ChainUnavailable, match="cookie"):
            await rpc.best_block_hash()
        await rpc.aclose()
    finally:
        stop()


# --- retries -----------------------------------------------------------------------------------


async def test_5xx_without_an_rpc_error_is_retried(serve) -> None:
    app = mock_rpc(lambda req, n: (503, b"busy") if n < 3 else ok("ab" * 32)(req, n))
    rpc = client(serve(app), retries=3)
    assert await rpc.best_block_hash() == "ab" * 32
    assert app.count["n"] == 3
    await rpc.aclose()


async def test_rpc_errors_are_answers_and_never_retried(serve) -> None:
    def reply(req: dict, n: int) -> tuple[int, bytes]:
        return 500, json.dumps(
            {"result": None, "error": {"code": -8, "message": "Block height out of range"}, "id": req["id"]}
        ).encode()

    app = mock_rpc(reply)
    rpc = client(serve(app), retries=5)
    with pytest.raises(CoreRpcError) as caught:
        await rpc.block_hash_at(10**6)
    assert caught.value.rpc_code == -8 and isinstance(caught.value, ChainDataError)
    assert app.count["n"] == 1
    await rpc.aclose()


@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [
        (-28, "Loading block index...", CoreRpcUnavailable),
        (-32601, "Method not found", CoreRpcUnavailable),
        (-8, 'Scan already in progress, use action "abort" or "status"', CoreRpcUnavailable),
        (-5, "Block not found", CoreRpcError),
        (-1, "x" * 5000 + "\x1b[31m", CoreRpcError),
    ],
)
async def test_rpc_error_codes_map_to_our_errors(serve, code: int, message: str, kind: type) -> None:
    def reply(req: dict, n: int) -> tuple[int, bytes]:
        return 500, json.dumps({"result": None, "error": {"code": code, "message": message}, "id": req["id"]}).encode()

    rpc = client(serve(mock_rpc(reply)))
    with pytest.raises(kind) as caught:
        await rpc.best_block_hash()
    assert caught.value.rpc_code == code
    assert len(caught.value.detail) < 400 and "\x1b" not in caught.value.detail
    await rpc.aclose()


async def test_a_slow_node_times_out_and_a_timed_out_scan_is_aborted(serve) -> None:
    seen: list[str] = []

    async def reply(req: dict, n: int) -> tuple[int, bytes]:
        seen.append(req["params"][0] if req["method"] == "scantxoutset" else req["method"])
        if req["params"][:1] == ["start"] or req["method"] == "getbestblockhash":
            await asyncio.sleep(2)
        return ok(True)(req, n)

    rpc = client(serve(mock_rpc(reply)), timeout=0.2, retries=1)
    with pytest.raises(ChainUnavailable, match="timed out .after 2 attempts"):
        await rpc.best_block_hash()
    with pytest.raises(ChainUnavailable, match="timed out .after 1 attempts"):
        await rpc.scan(["addr(x)"], timeout=0.2)
    assert seen[-2:] == ["start", "abort"]  # one scan attempt, then freed
    await rpc.aclose()


# --- hostile answers ---------------------------------------------------------------------------

GARBAGE = [
    (200, b"<html>not json</html>"),
    (200, b"[" * 100_000),
    (200, b'{"result": NaN, "error": null, "id": 1}'),
    (200, b'{"result": "x"}'),
    (200, b"[1, 2]"),
    (200, json.dumps({"result": "ab" * 32, "error": None, "id": 999}).encode()),  # another request's answer
    (200, json.dumps({"result": "AB" * 32, "error": None, "id": 1}).encode()),
    (200, json.dumps({"result": None, "error": {"code": True, "message": 1}, "id": 1}).encode()),
    (404, json.dumps({"result": "ab" * 32, "error": None, "id": 1}).encode()),
    (200, b"\xff\xfe\x00garbage"),
]


@pytest.mark.parametrize(("status", "body"), GARBAGE)
async def test_garbage_is_a_data_error(serve, status: int, body: bytes) -> None:
    rpc = client(serve(mock_rpc(lambda req, n: (status, body))))
    with pytest.raises(ChainDataError):
        await rpc.best_block_hash()
    await rpc.aclose()


async def test_an_oversized_answer_is_cut_off(serve) -> None:
    huge = json.dumps({"result": "a" * 3_000_000, "error": None, "id": 1}).encode()
    rpc = client(serve(mock_rpc(lambda req, n: (200, huge))), max_body_bytes=1_000_000)
    with pytest.raises(ChainDataError, match="larger than"):
        await rpc.best_block_hash()
    await rpc.aclose()


def _scan(**changes: Any) -> dict[str, Any]:
    unspent = {
        k: (Decimal(str(v)) if isinstance(v, float) else v)
        for k, v in FIXTURE["synthetic_unspent_in_documented_shape"].items()
    }
    result = {
        "success": True,
        "txouts": 5,
        "height": 840011,
        "bestblock": "00" * 32,
        "unspents": [unspent],
        "total_amount": unspent["amount"],
    }
    for key, value in changes.items():
        if key.startswith("u_"):
            unspent[key[2:]] = value
        else:
            result[key] = value
    return result


def test_a_scan_in_the_documented_shape_parses_to_sats() -> None:
    scan = _scan_result(_scan())
    (unspent,) = scan.unspents
    assert unspent.value_sat == 123_456 and unspent.vout == 1 and unspent.height == 840000
    assert unspent.block_hash == FIXTURE["synthetic_unspent_in_documented_shape"]["blockhash"]


@pytest.mark.parametrize(
    "changes",
    [
        {"success": False},
        {"u_amount": Decimal("0.000000001"), "total_amount": Decimal("0.000000001")},
        {"u_amount": Decimal("21000000.00000001"), "total_amount": Decimal("21000000.00000001")},
        {"u_amount": Decimal("-1"), "total_amount": Decimal("-1")},
        {"total_amount": Decimal("1")},
        {"u_height": True},
        {"u_vout": 2**32},
        {"u_coinbase": "false"},
        {"u_txid": "zz" * 32},
        {"u_scriptPubKey": "0g"},
        {"u_blockhash": "00"},
        {"u_confirmations": -1},
        {"unspents": {}},
        {"bestblock": None},
        {"u_amount": 1e-3},
    ],
)
def test_scan_answers_are_validated_field_by_field(changes: dict[str, Any]) -> None:
    with pytest.raises(ChainDataError):
        _scan_result(_scan(**changes))


@pytest.mark.parametrize(
    "amount", ["1e999999999", "1E+999999", "1e-999999999", "0.0000000100000000000000000000000000001"]
)
def test_amounts_beyond_decimal_range_or_precision_are_data_errors(amount: str) -> None:
    # JSON numbers a hostile node can send: Decimal overflow (not an InvalidOperation), underflow to
    # 0 and rounding past 28 digits must all be refused, never a crash or a silently rounded value.
    value = json.loads(amount, parse_float=Decimal)
    with pytest.raises(ChainDataError):
        _scan_result(_scan(u_amount=value, total_amount=value))


def test_the_same_outpoint_twice_is_refused() -> None:
    data = _scan()
    data["unspents"] = data["unspents"] * 2
    data["total_amount"] = data["unspents"][0]["amount"] * 2
    with pytest.raises(ChainDataError, match="twice"):
        _scan_result(data)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.decimals(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=30,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_any_scan_answer_parses_or_is_a_data_error(value: Any) -> None:
    try:
        _scan_result(value)
    except ChainDataError:
        pass


@settings(max_examples=300)
@given(st.integers(100, 599), st.binary(max_size=300) | JSON.map(lambda v: json.dumps(v, default=str).encode()))
def test_any_http_answer_is_a_result_or_one_of_our_errors(status: int, body: bytes) -> None:
    try:
        _unwrap("m", status, body, 1)
    except (ChainError, Retryable):
        pass
