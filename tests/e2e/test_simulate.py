"""eth_simulateV1 over HTTP on a real `lantau node` (node/rpc/simulate.py): blocks chained on one
state, state overrides, a reverting call's error, validation failures with the execution-apis
codes, bad params named; and the node's own chain untouched (so the module's tests share one
node, `shared_node`)."""

from __future__ import annotations

from genesis.dev_accounts import dev_accounts
from tests.e2e.test_dev_rpc import head, result, rpc

COUNTER = "0x000000000000000000000000000000000000c0de"
REVERTER = "0x000000000000000000000000000000000000dead"
# slot0 += 1; LOG0(slot0); return slot0
COUNTER_CODE = "0x60005460010180600055600052602060" "00a0" "60206000f3"
# revert(0xdeadbeef)
REVERTER_CODE = "0x63deadbeef6000526004601cfd"
SENDER = dev_accounts()[5].address
POOR = "0x00000000000000000000000000000000000f00d5"


def word(n: int) -> str:
    return "0x" + n.to_bytes(32, "big").hex()


def test_blocks_see_each_others_state_and_a_revert_is_reported(shared_node) -> None:
    url = shared_node.rpc_url
    base = head(url)
    blocks = result(url, "eth_simulateV1", {"blockStateCalls": [
        {"stateOverrides": {COUNTER: {"code": COUNTER_CODE}, REVERTER: {"code": REVERTER_CODE}},
         "calls": [{"from": SENDER, "to": COUNTER}, {"from": SENDER, "to": REVERTER}, {"from": SENDER, "to": COUNTER}]},
        {"blockOverrides": {"time": hex(int(base["timestamp"], 16) + 1000)},
         "calls": [{"from": SENDER, "to": COUNTER}]},
    ]}, "latest")
    assert len(blocks) == 2
    first, second = blocks
    assert int(first["number"], 16) == int(base["number"], 16) + 1
    assert int(second["number"], 16) == int(base["number"], 16) + 2
    assert second["parentHash"] == first["hash"] and first["parentHash"] == base["hash"]
    assert int(first["timestamp"], 16) == int(base["timestamp"], 16) + 12  # geth's default step
    assert int(second["timestamp"], 16) == int(base["timestamp"], 16) + 1000
    assert first["baseFeePerGas"] == "0x0"  # no validation: calls without a price run free

    one, reverted, two = first["calls"]
    assert (one["status"], one["returnData"]) == ("0x1", word(1))
    assert one["logs"][0]["data"] == word(1) and one["logs"][0]["blockHash"] == first["hash"]
    assert reverted["status"] == "0x0"
    assert reverted["error"] == {"code": 3, "message": "execution reverted", "data": "0xdeadbeef"}
    assert reverted["returnData"] == "0xdeadbeef" and reverted["logs"] == []
    assert two["returnData"] == word(2)  # the revert changed nothing, the first call did
    assert [log["logIndex"] for log in one["logs"] + two["logs"]] == ["0x0", "0x1"]
    assert int(first["gasUsed"], 16) == sum(int(c["gasUsed"], 16) for c in first["calls"])
    # Block 2 sees block 1's state (counter at 2), with no override of its own.
    assert second["calls"][0]["returnData"] == word(3)
    # Calls are transactions: the sender's nonce moves by one per call.
    nonce = int(result(url, "eth_getTransactionCount", SENDER, "latest"), 16)
    probe = result(url, "eth_simulateV1", {"validation": True, "blockStateCalls": [
        {"calls": [{"from": SENDER, "to": POOR, "nonce": hex(nonce), "maxFeePerGas": hex(10**11)},
                   {"from": SENDER, "to": POOR, "nonce": hex(nonce + 1), "maxFeePerGas": hex(10**11)}]},
    ]}, "latest")
    assert [c["status"] for c in probe[0]["calls"]] == ["0x1", "0x1"]
    assert int(probe[0]["baseFeePerGas"], 16) > 0  # validation: the EIP-1559 base fee

    # Nothing happened to the real chain.
    assert head(url)["hash"] == base["hash"]
    assert result(url, "eth_getCode", COUNTER, "latest") == "0x"
    assert int(result(url, "eth_getTransactionCount", SENDER, "latest"), 16) == nonce


def test_validation_failures_and_bad_params(shared_node) -> None:
    url = shared_node.rpc_url
    nonce = int(result(url, "eth_getTransactionCount", SENDER, "latest"), 16)
    fee = {"maxFeePerGas": hex(10**11)}

    def error(options: dict) -> dict:
        answer = rpc(url, "eth_simulateV1", options, "latest")
        assert "error" in answer, answer
        return answer["error"]

    def one_call(call: dict, **flags: object) -> dict:
        return {"blockStateCalls": [{"calls": [call]}], **flags}

    assert error(one_call({"from": SENDER, "to": POOR, "nonce": hex(nonce + 5), **fee}, validation=True))["code"] == -38011
    assert error({"validation": True, "blockStateCalls": [{
        "stateOverrides": {SENDER: {"nonce": "0x5"}}, "calls": [{"from": SENDER, "to": POOR, "nonce": "0x2", **fee}]}]})["code"] == -38010
    assert error(one_call({"from": SENDER, "to": POOR}, validation=True))["code"] == -38012  # no fee under a base fee
    # Funds are checked with or without validation.
    assert error(one_call({"from": POOR, "to": SENDER, "value": "0x1"}))["code"] == -38014
    assert error(one_call({"from": SENDER, "to": POOR, "gas": "0x100"}))["code"] == -38013
    # Blocks must move forward.
    latest = int(head(url)["number"], 16)
    assert error({"blockStateCalls": [{"blockOverrides": {"number": hex(latest)}}]})["code"] == -38020
    assert error({"blockStateCalls": [{}, {"blockOverrides": {"time": "0x1"}}]})["code"] == -38021
    assert error({"blockStateCalls": [{}] * 257})["code"] == -38026

    for options, named in [
        ({"blockStateCalls": [{"calls": [{"to": "0x1234"}]}]}, "blockStateCalls[0]: calls[0]: to"),
        ({"blockStateCalls": [{"calls": [], "extra": 1}]}, "blockStateCalls[0]: unknown field 'extra'"),
        ({"blockStateCalls": [{"blockOverrides": {"blobBaseFee": "0x1"}}]}, "blockStateCalls[0]: blockOverrides"),
        ({"blockStateCalls": [], "traceTransfers": True}, "traceTransfers"),
        ({"calls": []}, "blockStateCalls"),
        ({"blockStateCalls": [], "validation": "yes"}, "validation"),
    ]:
        refused = error(options)
        assert refused["code"] == -32602, (options, refused)
        assert named in refused["message"], (named, refused["message"])
    # A gap in numbers is filled with empty blocks, returned too.
    filled = result(url, "eth_simulateV1", {"blockStateCalls": [{"blockOverrides": {"number": hex(latest + 3)}}]}, "latest")
    assert [int(b["number"], 16) for b in filled] == [latest + 1, latest + 2, latest + 3]
    assert all(b["calls"] == [] and b["gasUsed"] == "0x0" for b in filled)
