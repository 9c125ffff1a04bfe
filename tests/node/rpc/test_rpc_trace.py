"""debug_trace* on the in-process node: shapes, strict options, limits and the deadline.
(The agreement with an independent node is tests/e2e/test_debug_trace.py, against anvil.)"""

from __future__ import annotations

from eth_abi import encode

from node.rpc import RpcLimits
from tests.node.rpc.rpc_harness import DEV, Node, selector, start_node, stop_node


def set_call(value: int, note: str) -> bytes:
    return selector("set(uint256,bytes32)") + encode(["uint256", "bytes32"], [value, note.encode().ljust(32, b"\0")])


async def test_struct_logger_and_call_tracer_shapes(node: Node) -> None:
    probe = await node.deploy_probe()
    tx_hash = await node.send(DEV[0], to=probe, gas=200_000, data=set_call(5, "x"))
    await node.mine()
    receipt = await node.call("eth_getTransactionReceipt", tx_hash)

    logs = await node.call("debug_traceTransaction", tx_hash)
    assert logs["gas"] == int(receipt["gasUsed"], 16) and logs["failed"] is False and logs["returnValue"] == ""
    first, last = logs["structLogs"][0], logs["structLogs"][-1]
    assert first == {"pc": 0, "op": "PUSH1", "gas": first["gas"], "gasCost": 3, "depth": 1, "stack": []}
    assert last["op"] == "STOP"
    sstores = [step for step in logs["structLogs"] if step["op"] == "SSTORE"]
    assert sstores and all("storage" in step for step in sstores)
    no_stack = await node.call("debug_traceTransaction", tx_hash, {"disableStack": True, "disableStorage": True})
    assert all("stack" not in step and "storage" not in step for step in no_stack["structLogs"])
    with_memory = await node.call("debug_traceTransaction", tx_hash, {"enableMemory": True})
    assert any(len(step["memory"]) >= 3 for step in with_memory["structLogs"])

    calls = await node.call("debug_traceTransaction", tx_hash, {"tracer": "callTracer"})
    assert calls["type"] == "CALL" and calls["to"] == probe and calls["from"] == DEV[0].address.lower()
    assert calls["gas"] == hex(200_000) and calls["gasUsed"] == receipt["gasUsed"]
    assert calls["input"] == "0x" + set_call(5, "x").hex() and "calls" not in calls and "error" not in calls

    block = await node.call("debug_traceBlockByNumber", receipt["blockNumber"], {"tracer": "callTracer"})
    assert [entry["txHash"] for entry in block] == [tx_hash] and block[0]["result"] == calls
    by_hash = await node.call("debug_traceBlockByHash", receipt["blockHash"], {"tracer": "callTracer"})
    assert by_hash == block

    reverted = await node.call("debug_traceCall", {"from": DEV[0].address, "to": probe, "data": "0x" + (selector("fail(string)") + encode(["string"], ["unlucky number"])).hex()},
                               "latest", {"tracer": "callTracer"})
    assert reverted["error"] == "execution reverted" and reverted["revertReason"] == "unlucky number"


async def test_trace_options_are_strict(node: Node) -> None:
    probe = await node.deploy_probe()
    tx_hash = await node.send(DEV[0], to=probe, gas=200_000, data=set_call(5, "x"))
    await node.mine()
    for options, words in (
        ({"tracer": "prestateTracer"}, "invalid argument 1: tracer: 'prestateTracer'"),
        ({"enableMemroy": True}, "invalid argument 1: unknown trace option 'enableMemroy'"),
        ({"disableStack": "yes"}, "invalid argument 1: disableStack"),
        ({"tracer": "callTracer", "tracerConfig": {"onlyTop": True}}, "invalid argument 1: tracerConfig"),
        ([], "invalid argument 1: cannot unmarshal"),
    ):
        error = await node.error("debug_traceTransaction", tx_hash, options)
        assert error.code == -32602 and error.message.startswith(words), (options, error.message)
    error = await node.error("debug_traceTransaction", "0x1234")
    assert error.code == -32602 and error.message.startswith("invalid argument 0")
    error = await node.error("debug_traceCall", {"to": probe}, "latest", {"stateOverrides": {"0x12": {}}})
    assert error.code == -32602 and "stateOverrides" in error.message


async def test_struct_logs_stop_at_the_response_limit_and_traces_at_the_deadline() -> None:
    node = await start_node(RpcLimits(max_response_bytes=200_000, evm_timeout_s=0.5))
    try:
        probe = await node.deploy_probe()
        burn = {"to": probe, "data": "0x" + (selector("fill(uint256)") + encode(["uint256"], [200])).hex()}
        error = await node.error("debug_traceCall", burn, "latest")
        assert error.code == -32005 and "trace too large" in error.message
        endless = {"to": probe, "gas": "0x2faf080", "data": "0x" + selector("spin()").hex()}
        error = await node.error("debug_traceCall", endless, "latest", {"tracer": "callTracer"})
        assert "timeout" in error.message
    finally:
        await stop_node(node)


async def test_create_access_list(node: Node) -> None:
    """The probe's set() writes `value` (slot 0) and `credits[sender]`: the list names both
    slots of the probe (the recipient is listed for its slots, as geth does), its gasUsed is
    what a transaction carrying it is charged, and it is stable (a second run agrees)."""
    probe = await node.deploy_probe()
    call = {"from": DEV[0].address, "to": probe, "data": "0x" + set_call(5, "x").hex()}
    created = await node.call("eth_createAccessList", call, "latest")
    assert set(created) == {"accessList", "gasUsed"}
    (entry,) = created["accessList"]
    assert entry["address"] == probe and "0x" + "00" * 32 in entry["storageKeys"] and len(entry["storageKeys"]) == 2
    # The gas it reports is what the transaction with that list is charged when mined.
    access_list = [(entry["address"], entry["storageKeys"])]
    tx_hash = await node.send(DEV[0], to=probe, gas=200_000, data=set_call(5, "x"),
                              accessList=[{"address": a, "storageKeys": k} for a, k in access_list])
    await node.mine()
    assert (await node.call("eth_getTransactionReceipt", tx_hash))["gasUsed"] == created["gasUsed"]
    call = {**call, "data": "0x" + set_call(6, "x").hex()}
    created = await node.call("eth_createAccessList", call, "latest")
    again = await node.call("eth_createAccessList", {**call, "accessList": created["accessList"]}, "latest")
    assert again == created
    failing = await node.call("eth_createAccessList", {"from": DEV[0].address, "to": probe, "data": "0x" + (
        selector("fail(string)") + encode(["string"], ["no"])).hex()}, "latest")
    assert failing["error"] == "execution reverted"
    error = await node.error("eth_createAccessList", {"to": "0x12"}, "latest")
    assert error.code == -32602 and error.message.startswith("invalid argument 0")
