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


def test_time_travel_a_bond_to_maturity(node_factory) -> None:
    process = node_factory(block_time_s=0, extra_args=("--dev-rpc",))
    maturity = time_travel_bond_to_maturity(process)
    assert int(result(process.rpc_url, "eth_getBlockByNumber", "latest", False)["timestamp"], 16) >= maturity


def time_travel_bond_to_maturity(process: Any) -> int:
    """A one-year bond cannot be redeemed today; after evm_increaseTime(1 year) and evm_mine on the
    L2 it can, and the investor receives the face value. Returns the maturity time."""
    from web3 import Web3

    from tests.rwa.rwa_chain import GREEN_BOND, HKD, L2Chain, genesis_rwa_system

    chain = L2Chain(Web3(Web3.HTTPProvider(process.rpc_url, request_kwargs={"timeout": 60})), node=process)
    rwa = genesis_rwa_system(chain)
    issuer, agent, investor = chain.dev(3), chain.dev(4), chain.dev(5)
    rwa.register([investor])
    maturity = chain.now() + 365 * DAY
    token = rwa.create_asset(issuer=issuer, agents=[agent], name="Time Travel Green Bond", symbol="TTGB",
                             asset_class=GREEN_BOND, bond=(HKD, 40_500, 1, maturity, [maturity]))
    chain.send(token.functions.mint(investor, 100 * HKD), agent)
    actions = rwa.actions.functions
    assert chain.expect_revert(actions.redeem(token.address), investor).name == "NotMatured"

    # A minute more than the tenor: blocks built back to back put the chain a few seconds ahead
    # of the wall clock, which the offset is added to.
    result(process.rpc_url, "evm_increaseTime", 365 * DAY + 60)
    result(process.rpc_url, "evm_mine")
    assert chain.now() >= maturity

    due = actions.redemptionDue(token.address).call()
    assert due == 100 * HKD
    chain.send(actions.fundRedemption(token.address), issuer, value=due)
    before = chain.balance(investor)
    receipt = chain.send(actions.redeem(token.address), investor)
    assert chain.balance(investor) - before + receipt["gasUsed"] * receipt["effectiveGasPrice"] == 100 * HKD
    assert token.functions.balanceOf(investor).call() == 0
    return maturity
