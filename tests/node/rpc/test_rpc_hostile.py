"""Hostile input (issue 10): each finding's exact input, answered as the client's mistake.

Every case here failed before the fix: a wrong answer (a 19-byte address, the last
transaction for index "0x-1", block 16 for "0x1_0"), an internal error (-32603), an HTTP 500
with a traceback, or an answer that is not JSON.
"""

from __future__ import annotations

import gzip
import json
import logging
import math

import pytest

from node.rpc import RpcLimits
from node.rpc.admin import admin_methods
from node.rpc.params import MAX_FILTER_ADDRESSES, MAX_PROOF_STORAGE_KEYS
from node.rpc.rollup import rollup_methods
from tests.node.rpc.rpc_harness import DEV, Node

CHAIN_ID_HEX = "0x12f4"


async def assert_still_serving(node: Node) -> None:
    assert await node.call("eth_chainId") == CHAIN_ID_HEX


async def invalid_params(node: Node, method: str, *params: object) -> str:
    """The -32602 message `method(*params)` is answered with."""
    error = await node.error(method, *params)
    assert error.code == -32602, (method, error.code, error.message)
    return error.message


# --- finding 4: lenient hex parsing gave wrong answers --------------------------------------


async def test_address_of_38_digits_and_two_spaces_is_refused(node: Node) -> None:
    """Was: a proof for a 19-byte "address" (bytes.fromhex skips spaces)."""
    padded = DEV[0].address[:40] + "  "
    assert len(padded) == 42
    message = await invalid_params(node, "eth_getProof", padded, [], "latest")
    assert message == "invalid argument 0: invalid hex string"


async def test_negative_transaction_index_is_refused(node: Node) -> None:
    """Was: the block's last transaction, with "transactionIndex": "-0x1"."""
    await node.send(DEV[0], to=DEV[1].address, value=1)
    await node.mine()
    message = await invalid_params(node, "eth_getTransactionByBlockNumberAndIndex", "0x1", "0x-1")
    assert message == "invalid argument 1: invalid hex string"


async def test_underscore_in_a_quantity_is_refused(node: Node) -> None:
    """Was: "0x1_0" read as block 16 (int(x, 16) takes underscores)."""
    message = await invalid_params(node, "eth_getBlockByNumber", "0x1_0", False)
    assert message == "invalid argument 0: invalid hex string"


@pytest.mark.parametrize("text", ["0x-1", "0x+1", "0x 1", "0x1 ", "0x1_0", "0x١", "0x\uff11", "-0x1"])
async def test_quantities_take_hex_digits_only(node: Node, text: str) -> None:
    message = await invalid_params(node, "eth_getBlockByNumber", text, False)
    assert "argument 0" in message or "blockNumber" in message or "block" in message, message


# --- finding 5: bad parameters answered -32603 ----------------------------------------------


class _NoProducer:
    async def produce_block(self) -> None:
        raise AssertionError("bad params must be refused before the handler runs")


async def test_bad_parameters_are_invalid_params_naming_the_parameter(make_node) -> None:
    # The rollup and admin methods are bound as every other method: only their params are
    # exercised here, so their node, L1 and producer are never reached.
    rollup = rollup_methods(None, None, lambda: None)  # type: ignore[arg-type]
    node = await make_node(extra_methods={**rollup, **admin_methods(_NoProducer(), None)})  # type: ignore[arg-type]
    address, padded_address = DEV[0].address, DEV[0].address + " "
    block_hash = "0x" + "ab" * 32
    padded_hash = "0x " + "ab" * 31 + "a "
    cases = [
        (("eth_getBalance", padded_address, "latest"), "invalid argument 0: invalid hex string"),
        (("eth_getBalance", " " + address, "latest"), "invalid argument 0: hex string without 0x prefix"),
        (("eth_getBalance", address[:40] + "  ", "latest"), "invalid argument 0: invalid hex string"),
        (("eth_getBlockByHash", padded_hash, False), "invalid argument 0: invalid hex string"),
        (("eth_getTransactionByHash", padded_hash), "invalid argument 0: invalid hex string"),
        (("eth_getStorageAt", address, "0x-1", "latest"), "invalid argument 1: invalid hex string"),
        (("eth_getProof", address, ["0x-1"], "latest"), "invalid argument 1: storageKeys[0]: invalid hex string"),
        (("eth_call", {"to": address, "value": "0x-1"}, "latest"), "invalid argument 0: value: invalid hex string"),
        (("eth_call", {"to": address}, "latest", {address: {"stateDiff": {"0x-1": block_hash}}}),
         "invalid argument 2: stateDiff: slot '0x-1': invalid hex string"),
        (("eth_call", {"to": address}, "latest", {address: {"balance": "0x-1"}}),
         "invalid argument 2: balance: invalid hex string"),
        (("eth_call", {"to": address}, "latest", {padded_address: {"balance": "0x1"}}),
         f"invalid argument 2: account {padded_address!r}: invalid hex string"),
        (("eth_getLogs", {"address": [address, padded_address]}), "invalid argument 0: address[1]: invalid hex string"),
        (("eth_getLogs", {"topics": [block_hash, [block_hash, padded_hash]]}), "invalid argument 0: topics: [1][1]: invalid hex string"),
        (("eth_feeHistory", "²", "latest"), "invalid argument 0: invalid number '²'"),
        (("eth_feeHistory", "1" * 5_000, "latest"), "invalid argument 0: number of 5000 digits out of range"),
        (("eth_feeHistory", int("1" * 4_000), "latest"), "invalid argument 0: number out of range"),
        (("eth_getBlockByNumber", "0x" + "f" * 5_000, False), "invalid argument 0: hex number > 64 bits"),
        (("admin_produceBlock", "0x1"), "too many arguments, want at most 0"),
        (("lantau_syncStatus", "0x1"), "too many arguments, want at most 0"),
        (("lantau_outputAtBlock",), "missing value for required argument 0"),
        (("lantau_outputAtBlock", "12"), "invalid argument 0: hex string without 0x prefix"),
        (("lantau_outputAtBlock", 12), "invalid argument 0: cannot unmarshal non-string into quantity, want a 0x-prefixed hex string"),
        (("lantau_outputAtBlock", "0x" + "f" * 17), "invalid argument 0: hex number > 64 bits"),
        (("lantau_outputAtBlock", "0x1", "0x2"), "too many arguments, want at most 1"),
        (("lantau_derivationTrace",), "missing value for required argument 0"),
        (("lantau_derivationTrace", "0x1", "0x2"), "too many arguments, want at most 1"),
        (("lantau_derivationState", "0x1"), "missing value for required argument 1"),
        (("lantau_derivationState", "0x1", "12"), "invalid argument 1: hex string without 0x prefix"),
        (("lantau_derivationState", "0x" + "f" * 17, "0x1"), "invalid argument 0: hex number > 64 bits"),
        (("lantau_derivationEnd",), "missing value for required argument 0"),
        (("lantau_derivationEnd", "12"), "invalid argument 0: hex string without 0x prefix"),
        (("lantau_derivationEnd", "0x1", "0x2"), "too many arguments, want at most 1"),
    ]
    for call, message in cases:
        assert await invalid_params(node, *call) == message, call
    await assert_still_serving(node)


# --- finding 6: a body that does not decode as its Content-Encoding ------------------------


async def test_undecodable_content_encoding_is_400_and_one_log_line(node: Node, caplog: pytest.LogCaptureFixture) -> None:
    """Was: HTTP 500 and a full traceback at ERROR."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}).encode()
    caplog.set_level(logging.DEBUG)
    for encoding in ("gzip", "deflate", "br"):
        async with node.session.post(node.url, data=body, headers={"Content-Type": "application/json", "Content-Encoding": encoding}) as response:
            assert response.status == 400, encoding
            answer = json.loads(await response.text())
        assert answer["id"] is None and answer["error"]["code"] == -32700, answer
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]
    # A body that does decode is served as usual.
    async with node.session.post(node.url, data=gzip.compress(body), headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}) as response:
        assert json.loads(await response.text())["result"] == CHAIN_ID_HEX
    await assert_still_serving(node)


async def test_malformed_http_logs_one_line(node: Node, caplog: pytest.LogCaptureFixture) -> None:
    """A request aiohttp cannot parse (here a chunked body with a bad chunk size) logged a
    traceback at ERROR: anyone could flood the log."""
    import asyncio

    caplog.set_level(logging.DEBUG)
    port = node.server.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    assert status_line.split()[1] == b"400", status_line
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]
    assert [record for record in caplog.records if record.name == "aiohttp.server"]
    await assert_still_serving(node)


# --- finding 7: NaN and Infinity ids --------------------------------------------------------


@pytest.mark.parametrize("request_id", ["NaN", "Infinity", "-Infinity", "1e400"])
async def test_non_finite_ids_are_refused(node: Node, request_id: str) -> None:
    """Was: the id echoed back as NaN, which is not JSON."""
    body = '{"jsonrpc":"2.0","id":%s,"method":"eth_chainId"}' % request_id
    async with node.session.post(node.url, data=body, headers={"Content-Type": "application/json"}) as response:
        text = await response.text()
    answer = json.loads(text, parse_constant=lambda name: pytest.fail(f"answer holds {name}: {text}"))
    assert answer["id"] is None and answer["error"]["code"] == -32700, answer
    await assert_still_serving(node)


def test_answers_never_hold_non_finite_numbers() -> None:
    from node.rpc.server import _serialize

    text = _serialize({"jsonrpc": "2.0", "id": 1, "result": math.nan})
    assert json.loads(text, parse_constant=lambda name: pytest.fail(name))["error"]["code"] == -32603


# --- finding 8: eth_getProof keys and answer size -----------------------------------------


async def test_proof_storage_keys_are_capped(node: Node) -> None:
    """Was: 300,000 keys took 15.5 s and made a 67 MB answer."""
    keys = ["0x0"] * 300_000
    message = await invalid_params(node, "eth_getProof", DEV[0].address, keys, "latest")
    assert message == f"invalid argument 1: too many storage keys: 300000 given, at most {MAX_PROOF_STORAGE_KEYS}"
    proof = await node.call("eth_getProof", DEV[0].address, ["0x0"] * MAX_PROOF_STORAGE_KEYS, "latest")
    assert len(proof["storageProof"]) == MAX_PROOF_STORAGE_KEYS


async def test_answers_over_the_response_cap_become_errors(make_node) -> None:
    """As geth's batch response cap: entries past the cap are answered with an error."""
    node = await make_node(RpcLimits(max_response_bytes=4_000))
    one = {"jsonrpc": "2.0", "method": "eth_getProof", "params": [DEV[0].address, ["0x0"], "latest"]}
    status, single = await node.post({**one, "id": 1})
    assert status == 200 and "result" in single
    size = len(json.dumps(single, separators=(",", ":")))
    assert size < 4_000
    batch = [{**one, "id": n} for n in range(10)]
    status, answers = await node.post(batch)
    fit = 4_000 // size
    assert [("result" in a) for a in answers] == [n < fit for n in range(10)]
    assert {(a["id"], a["error"]["code"]) for a in answers[fit:]} == {(n, -32005) for n in range(fit, 10)}
    many = await node.error("eth_getProof", DEV[0].address, ["0x" + f"{n:x}" for n in range(200)], "latest")
    assert (many.code, many.message) == (-32005, "response too large: more than 4000 bytes")


# --- finding 2: filter lists are capped -----------------------------------------------------


async def test_filter_with_100k_addresses_is_refused(node: Node) -> None:
    """Was: 7.8 s in an execution slot for eth_getLogs, and ~200 ms of event-loop work per
    block for each such installed filter."""
    addresses = ["0x" + f"{n:040x}" for n in range(100_000)]
    want = f"invalid argument 0: too many addresses: 100000 given, at most {MAX_FILTER_ADDRESSES}"
    assert await invalid_params(node, "eth_getLogs", {"fromBlock": "0x0", "address": addresses}) == want
    assert await invalid_params(node, "eth_newFilter", {"address": addresses}) == want
    topics = [None, ["0x" + f"{n:064x}" for n in range(1_001)]]
    message = await invalid_params(node, "eth_getLogs", {"topics": topics})
    assert message == "invalid argument 0: topics: too many alternatives in topic position 1: 1001 given, at most 1000"
    async with node.session.ws_connect(node.ws_url) as ws:
        await ws.send_json({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["logs", {"address": addresses}]})
        answer = await ws.receive_json(timeout=30)
    assert answer["error"] == {"code": -32602, "message": f"invalid argument 1: too many addresses: 100000 given, at most {MAX_FILTER_ADDRESSES}"}


# --- finding 2: every execution-slot job has a deadline ------------------------------------


async def test_reads_in_execution_slots_stop_at_their_deadline(make_node) -> None:
    """Was: eth_getLogs and eth_getProof had no deadline (7.8 s and 15.5 s in a slot, four
    of them starving every other request). A deadline already past when the job starts makes
    each answer with the deadline error, whatever the machine's speed."""
    node = await make_node(RpcLimits(read_timeout_s=1e-9))
    for _ in range(3):
        await node.mine()
    calls = [
        ("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest"}),
        ("eth_getProof", DEV[0].address, ["0x0", "0x1"], "latest"),
        ("eth_feeHistory", "0x3", "latest", [50]),
        ("eth_gasPrice",),
    ]
    for call in calls:
        error = await node.error(*call)
        assert (error.code, error.message) == (-32000, "request timed out (timeout = 0ms)"), call
    await assert_still_serving(node)


# --- finding 3: filters are matched off the event loop, with precomputed bloom bits ----------


async def test_filter_at_the_address_cap_matches_its_last_address(node: Node) -> None:
    from eth_abi import encode

    from tests.node.rpc.rpc_harness import selector

    probe = await node.deploy_probe()
    others = ["0x" + f"{n:040x}" for n in range(1, MAX_FILTER_ADDRESSES)]
    criteria = {"address": [*others, probe]}
    filter_id = await node.call("eth_newFilter", criteria)
    async with node.session.ws_connect(node.ws_url) as ws:
        await ws.send_json({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["logs", criteria]})
        subscription = (await ws.receive_json(timeout=10))["result"]
        await node.send(DEV[0], to=probe, gas=100_000, data=selector("ping(uint256)") + encode(["uint256"], [5]))
        built = await node.mine()
        notification = await ws.receive_json(timeout=10)
    assert notification["params"]["subscription"] == subscription
    assert notification["params"]["result"]["address"] == probe
    changes = await node.call("eth_getFilterChanges", filter_id)
    assert [(log["address"], log["blockHash"]) for log in changes] == [(probe, "0x" + built.header.hash.hex())]
    # An address the block's bloom rules out is not matched.
    assert await node.call("eth_getLogs", {"fromBlock": "0x0", "address": others}) == []


def test_bloom_bits_agree_with_the_bloom_filter() -> None:
    from eth_bloom import BloomFilter

    from node.rpc.filters import bloom_bits

    bloom = BloomFilter()
    values = [bytes([n]) * 20 for n in range(50)]
    for value in values[:25]:
        bloom.add(value)
    for value in values:
        assert (int(bloom) & bloom_bits(value) == bloom_bits(value)) == (value in bloom)
