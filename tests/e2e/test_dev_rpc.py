"""anvil's developer controls on a real `lantau node --dev-rpc` over HTTP (node.rpc.dev), and
their refusals: without the flag the methods do not exist; bad parameters are -32602; with an
L1 the state-changing ones are refused. Every refusal leaves the head and the state as they were."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

ADDRESS = "0x00000000000000000000000000000000000c0ffe"
DAY = 86_400


def rpc(url: str, method: str, *params: Any) -> dict[str, Any]:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    with urllib.request.urlopen(urllib.request.Request(url, body, {"Content-Type": "application/json"}), timeout=30) as reply:
        return json.loads(reply.read())


def result(url: str, method: str, *params: Any) -> Any:
    answer = rpc(url, method, *params)
    assert "error" not in answer, (method, answer)
    return answer["result"]


def head(url: str) -> dict[str, Any]:
    return result(url, "eth_getBlockByNumber", "latest", False)


def test_without_the_flag_the_dev_methods_do_not_exist(node_factory) -> None:
    url = node_factory(block_time_s=0).rpc_url
    before = head(url)
    for method, params in [("evm_mine", []), ("evm_increaseTime", [60]), ("anvil_setBalance", [ADDRESS, "0x1"]),
                           ("evm_snapshot", []), ("hardhat_setBalance", [ADDRESS, "0x1"])]:
        assert rpc(url, method, *params)["error"]["code"] == -32601, method
    assert head(url)["hash"] == before["hash"]
    assert result(url, "eth_getBalance", ADDRESS, "latest") == "0x0"


def test_state_edits_time_travel_and_snapshots(node_factory) -> None:
    url = node_factory(block_time_s=0, extra_args=("--dev-rpc",)).rpc_url
    snapshot = result(url, "evm_snapshot")
    start = head(url)

    assert result(url, "anvil_setBalance", ADDRESS, hex(12_345)) is None
    assert result(url, "eth_getBalance", ADDRESS, "latest") == hex(12_345)
    assert result(url, "hardhat_setBalance", ADDRESS, hex(10**18)) is None
    assert result(url, "eth_getBalance", ADDRESS, "latest") == hex(10**18)
    assert result(url, "anvil_setCode", ADDRESS, "0x6001600055") is None
    assert result(url, "eth_getCode", ADDRESS, "latest") == "0x6001600055"
    assert result(url, "anvil_setStorageAt", ADDRESS, "0x5", "0x" + "00" * 31 + "2a") is True
    assert int(result(url, "eth_getStorageAt", ADDRESS, "0x5", "latest"), 16) == 42

    before = head(url)
    assert int(result(url, "evm_increaseTime", DAY), 16) >= DAY
    assert result(url, "evm_mine") == "0x0"
    after = head(url)
    assert int(after["number"], 16) == int(before["number"], 16) + 1
    assert int(after["timestamp"], 16) >= int(time.time()) + DAY - 1  # the clock moved, not just the head

    target = int(after["timestamp"], 16) + 30 * DAY
    assert result(url, "evm_setNextBlockTimestamp", target) is None
    result(url, "evm_mine")
    assert int(head(url)["timestamp"], 16) == target
    result(url, "evm_mine", {"timestamp": target + 7})
    assert int(head(url)["timestamp"], 16) == target + 7

    # Refusals: the client's mistakes, nothing moves.
    moved = head(url)
    for method, params, words in [
        ("anvil_setBalance", ["0x1234", "0x1"], "address"),
        ("anvil_setBalance", [ADDRESS], "missing value"),
        ("evm_increaseTime", [-5], "out of range"),
        ("evm_setNextBlockTimestamp", [target], "not after"),
        ("anvil_setStorageAt", [ADDRESS, "0x5", "0x" + "11" * 33], "storage key"),
        ("evm_revert", ["zz"], "hex"),
    ]:
        error = rpc(url, method, *params)["error"]
        assert error["code"] == -32602 and words in error["message"], (method, error)
    assert head(url)["hash"] == moved["hash"]
    assert result(url, "eth_getBalance", ADDRESS, "latest") == hex(10**18)

    # Back to the snapshot: head, state and clock as they were; the id is used up.
    assert result(url, "evm_revert", snapshot) is True
    assert head(url)["hash"] == start["hash"]
    assert result(url, "eth_getBalance", ADDRESS, "latest") == "0x0"
    assert result(url, "eth_getCode", ADDRESS, "latest") == "0x"
    assert result(url, "evm_revert", snapshot) is False
    result(url, "evm_mine")
    rebuilt = head(url)
    assert int(rebuilt["number"], 16) == int(start["number"], 16) + 1
    assert int(rebuilt["timestamp"], 16) < time.time() + 60  # the clock went back too
    assert result(url, "eth_getBlockByNumber", hex(int(start["number"], 16) + 2), False) is None
