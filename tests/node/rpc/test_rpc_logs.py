"""eth_getLogs, the polling filters, and eth_subscribe over WebSocket.

The chain: the Probe deployed in block 1, then `set` from two senders (block 2), a `ping`
(block 3), and empty blocks. Topic hashes are computed here from the event signatures.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak

from node.rpc import RpcLimits
from node.rpc.filters import KEPT_LOG_TEXTS, FilterManager, LogMatcher
from node.rpc.params import FilterCriteria
from node.rpc.server import RPC_SERVICE
from tests.node.rpc.rpc_harness import DEV, Node, selector

VALUE_SET = "0x" + keccak(text="ValueSet(address,uint256,bytes32)").hex()
PING = "0x" + keccak(text="Ping(uint256)").hex()


def topic_address(account: Any) -> str:
    return "0x" + "00" * 12 + account.address.lower()[2:]


def topic_int(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


async def populate(node: Node) -> str:
    probe = await node.deploy_probe()  # block 1
    for account, value in ((DEV[1], 11), (DEV[2], 22)):
        await node.send(account, to=probe, gas=200_000,
                        data=selector("set(uint256,bytes32)") + encode(["uint256", "bytes32"], [value, b"x" * 32]))
    await node.mine()  # block 2
    await node.send(DEV[3], to=probe, gas=100_000, data=selector("ping(uint256)") + encode(["uint256"], [33]))
    await node.mine()  # block 3
    await node.mine()  # block 4, empty
    return probe


async def test_get_logs_by_address_and_topics(node: Node) -> None:
    probe = await populate(node)
    everything = await node.call("eth_getLogs", {"fromBlock": "earliest", "toBlock": "latest"})
    assert [(log["blockNumber"], log["logIndex"], log["topics"][0]) for log in everything] == [
        ("0x2", "0x0", VALUE_SET), ("0x2", "0x1", VALUE_SET), ("0x3", "0x0", PING)]

    by_event = await node.call("eth_getLogs", {"fromBlock": "0x0", "address": probe, "topics": [VALUE_SET]})
    assert [log["topics"][2] for log in by_event] == [topic_int(11), topic_int(22)]
    # An OR-list in the first position, and a null wildcard before a constrained position.
    either = await node.call("eth_getLogs", {"fromBlock": "0x0", "topics": [[VALUE_SET, PING]]})
    assert len(either) == 3
    second_sender = await node.call("eth_getLogs", {"fromBlock": "0x0", "topics": [None, [topic_address(DEV[2]), topic_address(DEV[9])]]})
    assert [log["topics"][2] for log in second_sender] == [topic_int(22)]
    assert await node.call("eth_getLogs", {"fromBlock": "0x0", "topics": [[VALUE_SET, None]]}) == everything
    # A log with fewer topics than the positions given never matches (Ping has one topic).
    assert await node.call("eth_getLogs", {"fromBlock": "0x0", "topics": [PING, None]}) == []
    # Address lists; an address with no logs.
    assert len(await node.call("eth_getLogs", {"fromBlock": "0x0", "address": ["0x" + "11" * 20, probe]})) == 3
    assert await node.call("eth_getLogs", {"fromBlock": "0x0", "address": "0x" + "11" * 20}) == []
    # Ranges and the blockHash form.
    assert [log["blockNumber"] for log in await node.call("eth_getLogs", {"fromBlock": "0x3", "toBlock": "0x3"})] == ["0x3"]
    block2 = await node.call("eth_getBlockByNumber", "0x2", False)
    by_hash = await node.call("eth_getLogs", {"blockHash": block2["hash"]})
    assert by_hash == everything[:2] and by_hash[0]["blockHash"] == block2["hash"]
    assert by_hash[1]["transactionHash"] == block2["transactions"][1]
    assert await node.call("eth_getLogs", {"fromBlock": "0x3"}) == everything[2:]  # toBlock defaults to latest
    assert await node.call("eth_getLogs", {"fromBlock": "0x50", "toBlock": "0x60"}) == []  # beyond the head


async def test_get_logs_errors(node: Node) -> None:
    await populate(node)
    error = await node.error("eth_getLogs", {"fromBlock": "0x0", "toBlock": hex(10_000)})
    assert (error.code, error.message) == (-32005, "query exceeds max block range 10000")
    assert await node.call("eth_getLogs", {"fromBlock": "0x0", "toBlock": hex(9_999)})  # 10,000 blocks: allowed
    error = await node.error("eth_getLogs", {"fromBlock": "0x3", "toBlock": "0x2"})
    assert error.code == -32602 and error.message.startswith("invalid block range params")
    error = await node.error("eth_getLogs", {"fromBlock": "0x0", "blockHash": "0x" + "00" * 32})
    assert error.code == -32602 and "cannot specify both BlockHash and FromBlock/ToBlock" in error.message
    error = await node.error("eth_getLogs", {"blockHash": "0x" + "00" * 32})
    assert (error.code, error.message) == (-32000, "unknown block")
    assert await node.call("eth_blockNumber") == "0x4"


async def test_result_cap(make_node) -> None:
    node = await make_node(RpcLimits(max_logs_results=2))
    await populate(node)
    error = await node.error("eth_getLogs", {"fromBlock": "0x0"})
    assert (error.code, error.message) == (-32005, "query returned more than 2 results")


async def test_get_logs_skips_blocks_by_bloom(node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = await populate(node)
    read: list[bytes] = []
    original = node.chain.block_index  # where a block's logs are found (node.tx_index)

    def counting_block_index(header: Any) -> Any:
        read.append(header.hash)
        return original(header)

    monkeypatch.setattr(node.chain, "block_index", counting_block_index)
    KEPT_LOG_TEXTS.clear()  # an earlier query may have kept block 3's logs
    logs = await node.call("eth_getLogs", {"fromBlock": "0x0", "address": probe, "topics": [PING]})
    assert len(logs) == 1
    # Of blocks 0-4 only block 3's bloom holds Ping: no other block's receipts were read.
    assert read == [node.chain.header_by_number(3).hash]


async def test_log_filter_and_block_filter(node: Node) -> None:
    probe = await node.deploy_probe()
    log_filter = await node.call("eth_newFilter", {"fromBlock": "0x0", "address": probe, "topics": [PING]})
    block_filter = await node.call("eth_newBlockFilter")
    assert await node.call("eth_getFilterChanges", log_filter) == []

    hashes = []
    for n in (1, 2):
        await node.send(DEV[0], to=probe, gas=100_000, data=selector("ping(uint256)") + encode(["uint256"], [n]))
        hashes.append("0x" + (await node.mine()).header.hash.hex())
    changes = await node.call("eth_getFilterChanges", log_filter)
    assert [log["data"] for log in changes] == [topic_int(1), topic_int(2)]
    assert await node.call("eth_getFilterChanges", log_filter) == []  # each change is delivered once
    assert await node.call("eth_getFilterChanges", block_filter) == hashes
    # eth_getFilterLogs runs the whole query again.
    assert await node.call("eth_getFilterLogs", log_filter) == changes

    assert await node.call("eth_uninstallFilter", log_filter) is True
    assert await node.call("eth_uninstallFilter", log_filter) is False
    error = await node.error("eth_getFilterChanges", log_filter)
    assert (error.code, error.message) == (-32000, "filter not found")
    error = await node.error("eth_getFilterLogs", block_filter)
    assert (error.code, error.message) == (-32000, "filter not found")


async def test_filters_see_blocks_the_head_queue_skipped(node: Node) -> None:
    """The backend may announce only the newest head; the skipped blocks still reach filters."""
    block_filter = await node.call("eth_newBlockFilter")
    built = [await node.mine(notify=False) for _ in range(3)]
    node.backend.notify_new_head(built[-1].header)
    await node.settle()
    assert await node.call("eth_getFilterChanges", block_filter) == ["0x" + b.header.hash.hex() for b in built]


async def test_pending_transaction_filter(node: Node) -> None:
    pending_filter = await node.call("eth_newPendingTransactionFilter")
    tx_hash = await node.send(DEV[0], to=DEV[1].address, value=1, gas=21_000)
    assert await node.call("eth_getFilterChanges", pending_filter) == [tx_hash]
    assert await node.call("eth_getFilterChanges", pending_filter) == []


def test_filters_expire_after_idle_timeout() -> None:
    now = [1000.0]
    manager = FilterManager(RpcLimits(filter_timeout_s=300), clock=lambda: now[0])
    kept, dropped = manager.new_block_filter(), manager.new_block_filter()
    now[0] += 200
    manager.take_changes(kept)  # polling keeps a filter alive
    now[0] += 150
    assert manager.expire() == 1 and len(manager) == 1
    assert manager.take_changes(kept) == []
    with pytest.raises(Exception, match="filter not found"):
        manager.take_changes(dropped)


def test_matcher_semantics() -> None:
    a, b = b"\x0a" * 20, b"\x0b" * 20
    t1, t2 = b"\x01" * 32, b"\x02" * 32
    matcher = LogMatcher.from_criteria(FilterCriteria(addresses=(a, b), topics=(None, (t1, t2))))

    class Log:
        def __init__(self, address: bytes, topics: list[bytes]) -> None:
            self.address, self.topics = address, tuple(int.from_bytes(t, "big") for t in topics)

    assert matcher.matches(Log(a, [t2, t1]))
    assert matcher.matches(Log(b, [t1, t2, t1]))
    assert not matcher.matches(Log(b"\x0c" * 20, [t1, t1]))
    assert not matcher.matches(Log(a, [t1]))  # too few topics
    assert not matcher.matches(Log(a, [t1, b"\x03" * 32]))


# --- WebSocket subscriptions -----------------------------------------------------------------


async def ws_call(ws: Any, request_id: int, method: str, *params: Any) -> Any:
    await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}))
    while True:
        message = await ws.receive_json(timeout=5)
        if message.get("id") == request_id:
            return message


async def test_websocket_new_heads_and_logs(node: Node) -> None:
    probe = await node.deploy_probe()
    async with node.session.ws_connect(node.ws_url) as ws:
        heads = (await ws_call(ws, 1, "eth_subscribe", "newHeads"))["result"]
        logs = (await ws_call(ws, 2, "eth_subscribe", "logs", {"address": probe, "topics": [PING]}))["result"]
        assert heads != logs and heads.startswith("0x")

        await node.send(DEV[0], to=probe, gas=100_000, data=selector("ping(uint256)") + encode(["uint256"], [7]))
        first = await node.mine()
        second = await node.mine()
        notifications = [await ws.receive_json(timeout=5) for _ in range(3)]
        assert all(n["method"] == "eth_subscription" and n["jsonrpc"] == "2.0" for n in notifications)
        head_results = [n["params"]["result"] for n in notifications if n["params"]["subscription"] == heads]
        log_results = [n["params"]["result"] for n in notifications if n["params"]["subscription"] == logs]
        assert [h["number"] for h in head_results] == ["0x2", "0x3"]
        assert [h["hash"] for h in head_results] == ["0x" + first.header.hash.hex(), "0x" + second.header.hash.hex()]
        assert head_results[0]["baseFeePerGas"] == hex(first.header.base_fee_per_gas)
        assert "transactions" not in head_results[0]
        assert [log["data"] for log in log_results] == [topic_int(7)]
        assert log_results[0]["blockHash"] == "0x" + first.header.hash.hex()

        assert (await ws_call(ws, 3, "eth_unsubscribe", heads))["result"] is True
        error = (await ws_call(ws, 4, "eth_unsubscribe", heads))["error"]
        assert (error["code"], error["message"]) == (-32000, "subscription not found")
        error = (await ws_call(ws, 5, "eth_subscribe", "syncing"))["error"]
        assert error["code"] == -32602
        await node.mine()
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive_json(timeout=0.3)  # unsubscribed: nothing more
    # The closed session stops listening for heads.
    service = node.server.app[RPC_SERVICE]
    for _ in range(100):
        if not service.sessions:
            break
        await asyncio.sleep(0.01)
    assert not service.sessions


async def test_websocket_pending_transactions(node: Node) -> None:
    async with node.session.ws_connect(node.ws_url) as ws:
        hashes_only = (await ws_call(ws, 1, "eth_subscribe", "newPendingTransactions"))["result"]
        full = (await ws_call(ws, 2, "eth_subscribe", "newPendingTransactions", True))["result"]
        tx_hash = await node.send(DEV[0], to=DEV[1].address, value=3, gas=21_000)
        notifications = {}
        for _ in range(2):
            message = await ws.receive_json(timeout=5)
            notifications[message["params"]["subscription"]] = message["params"]["result"]
        assert notifications[hashes_only] == tx_hash
        assert notifications[full]["hash"] == tx_hash and notifications[full]["value"] == "0x3"
