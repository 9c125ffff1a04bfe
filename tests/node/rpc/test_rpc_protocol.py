"""JSON-RPC 2.0 over HTTP and WebSocket: framing, batches, limits and error codes.

Every malformed request gets the error geth would give, and the server answers the next
request normally.
"""

from __future__ import annotations

import json

import aiohttp
import pytest
from eth_utils import keccak

from genesis.config import GenesisConfig
from node.errors import ConfigError
from node.rpc import RpcContext, RpcLimits, RpcMethod, create_rpc_app
from node.rpc.params import Param, parse_uint64
from node.rpc.server import json_nesting_exceeds
from node.service import L2Node
from tests.node.rpc.rpc_harness import DEV, Node

CHAIN_ID_HEX = "0x12f4"  # 4852, the devnet's chain id


async def assert_still_serving(node: Node) -> None:
    assert await node.call("eth_chainId") == CHAIN_ID_HEX


async def test_malformed_json_is_a_parse_error(node: Node) -> None:
    status, answer = await node.post(b'{"jsonrpc": "2.0", "id": 1, "method": ')
    assert status == 200
    assert answer["id"] is None
    assert answer["error"]["code"] == -32700
    assert answer["error"]["message"].startswith("parse error")
    await assert_still_serving(node)


async def test_absurdly_nested_json_is_a_parse_error(node: Node) -> None:
    """py-evm raises Python's recursion limit; without a depth check this body would crash
    the process in the C JSON decoder."""
    status, answer = await node.post(b"[" * 100_000 + b"]" * 100_000)
    assert (status, answer["error"]) == (200, {"code": -32700, "message": "parse error: JSON nested deeper than 64 levels"})
    await assert_still_serving(node)


def test_nesting_check_ignores_strings() -> None:
    assert not json_nesting_exceeds(json.dumps({"a": "[" * 500 + '\\"{'}), 64)
    assert not json_nesting_exceeds(json.dumps([[1]] * 1000), 3)
    assert json_nesting_exceeds("[" * 5 + "]" * 5, 4)
    # A string holding one escaped backslash ends at its second quote.
    assert not json_nesting_exceeds('["\\\\", [[]]]', 3)
    assert json_nesting_exceeds('["\\\\", [[[]]]]', 3)
    assert not json_nesting_exceeds('["\\"[[[[", [[]]]', 3)


async def test_not_utf8_is_a_parse_error(node: Node) -> None:
    status, answer = await node.post(b"\xff\xfe{}")
    assert (status, answer["error"]["code"]) == (200, -32700)


async def test_batch_with_broken_entries_answers_each(node: Node) -> None:
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_getBalance", "params": ["f39fd6e51aad88f6f4ce6ab8827279cfffb92266"]},
        {"jsonrpc": "2.0", "id": 3, "method": "foo_bar"},
        42,
        {"jsonrpc": "2.0", "id": "five", "method": "eth_getBalance", "params": [DEV[0].address, "latest"]},
        {"jsonrpc": "2.0", "method": "eth_chainId"},  # a notification: no answer
    ]
    status, answers = await node.post(batch)
    assert status == 200
    assert len(answers) == 5
    by_id = {answer["id"]: answer for answer in answers}
    assert by_id[1]["result"] == CHAIN_ID_HEX
    assert by_id[2]["error"] == {"code": -32602, "message": "invalid argument 0: hex string without 0x prefix"}
    assert by_id[3]["error"] == {"code": -32601, "message": "the method foo_bar does not exist/is not available"}
    assert by_id[None]["error"]["code"] == -32600
    # Genesis allocates 1,000,000 HKD (0xd3c21bcecceda1000000 wei) to each dev account.
    assert by_id["five"]["result"] == "0xd3c21bcecceda1000000"


async def test_batch_limit(make_node) -> None:
    node = await make_node(RpcLimits(max_batch_items=1_000))
    call = {"jsonrpc": "2.0", "method": "eth_blockNumber"}
    status, answers = await node.post([dict(call, id=i) for i in range(1_000)])
    assert status == 200 and len(answers) == 1_000 and all(a["result"] == "0x0" for a in answers)

    status, answers = await node.post([dict(call, id=i + 7) for i in range(1_001)])
    assert status == 200
    assert answers == [{"jsonrpc": "2.0", "id": 7,
                        "error": {"code": -32600, "message": "batch too large: 1001 requests, limit 1000"}}]
    await assert_still_serving(node)


async def test_empty_batch_is_invalid(node: Node) -> None:
    status, answer = await node.post([])
    assert answer["error"] == {"code": -32600, "message": "empty batch"}


async def test_oversize_body_is_413_with_a_jsonrpc_error(node: Node) -> None:
    ten_mb = 10 * 1024 * 1024
    head, tail = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["', b'"]}'
    body = head + b"a" * (ten_mb - len(head) - len(tail)) + tail
    assert len(body) == ten_mb
    async with node.session.post(node.url, data=body, headers={"Content-Type": "application/json"}) as response:
        assert response.status == 413
        answer = await response.json()
    assert answer["error"] == {
        "code": -32600,
        "message": f"request body too large: {ten_mb} bytes, limit 5242880",
    }
    await assert_still_serving(node)


async def test_oversize_chunked_body_is_413(node: Node) -> None:
    async def chunks():
        for _ in range(6):
            yield b" " * (1024 * 1024)

    async with node.session.post(node.url, data=chunks(), headers={"Content-Type": "application/json"}) as response:
        assert response.status == 413
        answer = await response.json()
    assert answer["error"]["code"] == -32600
    assert answer["error"]["message"] == "request body too large: more than 5242880 bytes, limit 5242880"
    await assert_still_serving(node)


async def test_body_at_the_limit_is_accepted(make_node) -> None:
    node = await make_node(RpcLimits(max_body_bytes=4096))
    request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}).encode()
    status, answer = await node.post(request + b" " * (4096 - len(request)))
    assert (status, answer["result"]) == (200, CHAIN_ID_HEX)
    status, answer = await node.post(request + b" " * (4097 - len(request)))
    assert status == 413 and answer["error"]["message"] == "request body too large: 4097 bytes, limit 4096"


async def test_unknown_method(node: Node) -> None:
    error = await node.error("foo_bar")
    assert (error.code, error.message) == (-32601, "the method foo_bar does not exist/is not available")
    await assert_still_serving(node)


async def test_bad_params_name_the_argument(node: Node) -> None:
    address = DEV[0].address
    cases = [
        (("eth_getBalance", address[2:], "latest"), "invalid argument 0: hex string without 0x prefix"),
        (("eth_getBalance", address[:-2], "latest"), "invalid argument 0: hex string has length 38, want 40 for address"),
        (("eth_getBalance", address, "0x01"), "invalid argument 1: hex number with leading zero digits"),
        (("eth_getBalance", address, "newest"), "invalid argument 1: invalid block tag 'newest': want one of earliest, finalized, latest, pending, safe or a 0x-hex number"),
        (("eth_getBalance",), "missing value for required argument 0"),
        (("eth_getBalance", address, "latest", True), "too many arguments, want at most 2"),
        (("eth_getCode", "0xzz" + address[4:]), "invalid argument 0: invalid hex string"),
        (("eth_call", {"to": address, "input": "0x1"}), "invalid argument 0: input: hex string of odd length"),
        (("eth_call", {"to": address, "gasPrice": "0x1", "maxFeePerGas": "0x1"}),
         "invalid argument 0: both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified"),
        (("eth_getBlockByNumber", "latest", "yes"), "invalid argument 1: cannot unmarshal str into bool"),
        (("eth_getLogs", {"topics": [None] * 5}), "invalid argument 0: topics: exceed max topics: 5 given, at most 4"),
        (("eth_feeHistory", "0x2", "latest", [50, 10]), "invalid argument 2: invalid reward percentile: #0:50.0 > #1:10"),
    ]
    for call, message in cases:
        error = await node.error(*call)
        assert (error.code, error.message) == (-32602, message), call
    await assert_still_serving(node)


async def test_params_must_be_an_array(node: Node) -> None:
    status, answer = await node.post({"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": {"address": DEV[0].address}})
    assert answer["error"] == {"code": -32602, "message": "non-array args"}


async def test_request_object_rules(node: Node) -> None:
    _, answer = await node.post({"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"})
    assert answer == {"jsonrpc": "2.0", "id": 1, "error": {"code": -32600, "message": 'invalid request: "jsonrpc" must be "2.0"'}}
    _, answer = await node.post({"jsonrpc": "2.0", "id": 1, "method": 7})
    assert answer["error"]["code"] == -32600
    _, answer = await node.post({"jsonrpc": "2.0", "id": {"a": 1}, "method": "eth_chainId"})
    assert answer["id"] is None and answer["error"]["code"] == -32600
    _, answer = await node.post({"jsonrpc": "2.0", "id": None, "method": "eth_chainId"})
    assert answer == {"jsonrpc": "2.0", "id": None, "result": CHAIN_ID_HEX}


async def test_a_notification_gets_no_answer(node: Node) -> None:
    status, answer = await node.post({"jsonrpc": "2.0", "method": "eth_chainId"})
    assert (status, answer) == (200, None)


async def test_healthz_reports_version_and_head(node: Node) -> None:
    async with node.session.get(node.url + "healthz") as response:
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ok" and body["head"] == 0 and body["version"]
    await node.mine()
    async with node.session.get(node.url + "healthz") as response:
        assert (await response.json())["head"] == 1


async def test_get_without_upgrade_is_refused(node: Node) -> None:
    async with node.session.get(node.url) as response:
        assert response.status == 405
        assert response.headers["Allow"] == "POST"


async def test_a_browser_get_gets_the_explorer_page_and_its_files(node: Node) -> None:
    async with node.session.get(node.url, headers={"Accept": "text/html,application/xhtml+xml"}) as response:
        assert response.status == 200 and response.content_type == "text/html"
        page = await response.text()
    assert '<script type="module" src="/explorer/app.js">' in page
    async with node.session.get(node.url + "explorer/app.js") as response:
        assert response.status == 200 and response.content_type in ("application/javascript", "text/javascript")
        assert "eth_subscribe" in await response.text()
    async with node.session.get(node.url + "explorer/style.css") as response:
        assert response.status == 200 and response.content_type == "text/css"


async def test_explorer_contracts_json_names_predeploys_and_decodes_by_selector_and_topic(node: Node) -> None:
    async with node.session.get(node.url + "explorer/contracts.json") as response:
        assert response.status == 200
        index = await response.json()
    assert index["contracts"]["0x4200000000000000000000000000000000000800"] == "IdentityRegistry"
    topic = "0x" + keccak(text="L1BlockValuesSet(uint64,bytes32,uint64)").hex()
    assert index["events"][topic]["inputs"][0] == {"name": "number", "type": "uint64", "indexed": True}
    assert index["functions"]["0x09bd5a60"]["signature"] == "hash()"
    assert index["errors"]["0x" + keccak(text="InsufficientBalance(uint256,uint256)")[:4].hex()]["name"] == "InsufficientBalance"
    # enums by member names, in the order of contracts/src/L2/rwa/RWACommon.sol (rwa.types mirrors it)
    assert index["enums"]["AssetClass"] == ["GreenBond", "Agricultural", "LogisticsWarehouseReceipt", "AIComputeRevenue",
                                            "PreciousMetal", "HongKongStock"]
    (outputs,) = index["functions"]["0x" + keccak(text="bondTerms()")[:4].hex()]["outputs"]
    assert [c["name"] for c in outputs["components"]] == ["faceValuePerTokenWei", "couponRatePpm", "couponsPerYear", "maturity", "couponDates"]


async def test_explorer_files_do_not_reach_outside_their_folder(node: Node) -> None:
    for path in ("explorer/../__init__.py", "explorer/%2e%2e/__init__.py", "explorer/", "explorer/missing.js"):
        async with node.session.get(node.url + path) as response:
            assert response.status in (403, 404, 405), path  # 405: the client made it /__init__.py
            assert "from __future__" not in await response.text()
    assert (await node.call("eth_blockNumber")) == "0x0"  # the RPC answers as before


async def test_subscribe_over_http_is_unsupported(node: Node) -> None:
    error = await node.error("eth_subscribe", "newHeads")
    assert (error.code, error.message) == (-32601, "notifications not supported")


async def test_websocket_answers_text_and_binary_frames(node: Node) -> None:
    async with node.session.ws_connect(node.ws_url) as ws:
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}))
        assert (await ws.receive_json(timeout=5))["result"] == CHAIN_ID_HEX
        await ws.send_bytes(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "net_version"}).encode())
        assert (await ws.receive_json(timeout=5)) == {"jsonrpc": "2.0", "id": 2, "result": "4852"}
        await ws.send_str("{oops")
        answer = await ws.receive_json(timeout=5)
        assert answer["error"]["code"] == -32700
        await ws.send_str(json.dumps([{"jsonrpc": "2.0", "id": 3, "method": "eth_blockNumber"},
                                      {"jsonrpc": "2.0", "id": 4, "method": "nope_nope"}]))
        answers = await ws.receive_json(timeout=5)
        assert answers[0]["result"] == "0x0" and answers[1]["error"]["code"] == -32601
        assert not ws.closed


async def test_websocket_message_over_the_body_limit_closes_that_connection(make_node) -> None:
    node = await make_node(RpcLimits(max_body_bytes=1024))
    async with node.session.ws_connect(node.ws_url) as ws:
        await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": ["x" * 2000]}))
        message = await ws.receive(timeout=5)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    await assert_still_serving(node)


async def test_extra_methods_from_the_backend(make_node) -> None:
    async def head_number(ctx: RpcContext, offset: int) -> str:
        return hex(ctx.backend.chain.head.block_number + offset)

    node = await make_node(extra_methods={
        "lantau_headPlus": RpcMethod("lantau_headPlus", head_number, (Param("offset", parse_uint64),)),
    })
    assert await node.call("lantau_headPlus", "0x2") == "0x2"
    error = await node.error("lantau_headPlus", "2")
    assert (error.code, error.message) == (-32602, "invalid argument 0: hex string without 0x prefix")


def test_extra_methods_are_typed() -> None:
    """A plain function would take its params unparsed, past the -32602 checks: refused at start."""
    backend = L2Node.open(None, GenesisConfig.load())
    backend.extra_methods = {"lantau_echo": lambda *params: list(params)}  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="lantau_echo is not an RpcMethod"):
        create_rpc_app(backend)


def test_extra_methods_cannot_replace_standard_ones() -> None:
    backend = L2Node.open(None, GenesisConfig.load())
    backend.extra_methods = {"eth_chainId": lambda: "0x1"}
    with pytest.raises(ConfigError, match="eth_chainId"):
        create_rpc_app(backend)
