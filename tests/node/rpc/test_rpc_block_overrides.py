"""eth_call / eth_estimateGas block overrides (4th parameter, geth's BlockOverrides): the block
context a call runs in, read back through Multicall3's block getters (a genesis preinstall)."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from genesis.predeploys import MULTICALL3
from tests.node.rpc.rpc_harness import Node

MULTICALL3_HEX = "0x" + MULTICALL3.hex()


def getter(name: str) -> dict[str, str]:
    return {"to": MULTICALL3_HEX, "data": "0x" + keccak(text=f"{name}()")[:4].hex()}


async def test_call_runs_in_the_overridden_block_context(node: Node) -> None:
    await node.mine()
    head = node.chain.head
    timestamp = await node.call("eth_call", getter("getCurrentBlockTimestamp"), "latest")
    assert int(timestamp, 16) == head.timestamp
    overrides = {"time": hex(head.timestamp + 86_400), "gasLimit": hex(12_345_678), "feeRecipient": "0x" + "ab" * 20}
    assert int(await node.call("eth_call", getter("getCurrentBlockTimestamp"), "latest", {}, overrides), 16) == head.timestamp + 86_400
    assert int(await node.call("eth_call", getter("getCurrentBlockGasLimit"), "latest", {}, overrides), 16) == 12_345_678
    assert await node.call("eth_call", getter("getCurrentBlockCoinbase"), "latest", {}, overrides) == "0x" + "00" * 12 + "ab" * 20
    # Nothing persisted: the next plain call sees the block as it is.
    assert int(await node.call("eth_call", getter("getCurrentBlockTimestamp"), "latest"), 16) == head.timestamp
    assert int(await node.call("eth_estimateGas", getter("getCurrentBlockTimestamp"), "latest", {}, {"time": hex(head.timestamp + 5)}), 16) > 21_000


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"number": "0x10"}, "'number' is not supported"),
        ({"time": "12"}, "time"),
        ({"feeRecipient": "0x1234"}, "feeRecipient"),
        ("0x1", "block overrides"),
    ],
)
async def test_bad_block_overrides_are_the_clients_mistake(node: Node, overrides: object, message: str) -> None:
    for method in ("eth_call", "eth_estimateGas"):
        error = await node.error(method, getter("getCurrentBlockTimestamp"), "latest", {}, overrides)
        assert error.code == -32602 and message in error.message, error.message
