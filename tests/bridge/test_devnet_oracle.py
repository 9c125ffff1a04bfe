"""The devnet's `OutputOracle` refuses outputs of L2 blocks that cannot exist yet (issue 9,
finding 6). It was timed from the devnet genesis' timestamp, 0, so `L2BlockInFuture` never fired
and the proposer key could post block 180 while the head was 173.

L2 block `n` of a devnet is stamped at least `start + n` (`bridge.devnet.l2_start_timestamp`), so
an output of block `n` is refused while L1 time is `start + n` or less, and accepted after.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_hash.auto import keccak
from web3 import Web3
from web3.exceptions import ContractCustomError

from bridge.devnet import L1Devnet
from bridge.l1_contracts import decode_revert
from tests.bridge.l1_harness import L1
from tests.harness.devnet import running_l1_devnet
from tests.harness.evm import dev_keys

PROPOSER = 2
BOND = 10**16
INTERVAL = 10


@pytest.fixture(scope="module")
def devnet() -> Iterator[L1Devnet]:
    with running_l1_devnet(block_time_s=None) as devnet:  # automine
        yield devnet


def test_an_output_for_a_future_l2_block_is_refused(devnet: L1Devnet) -> None:
    w3 = Web3(Web3.HTTPProvider(devnet.anvil.rpc_url))
    deployment = devnet.deployment
    l1 = L1.on(w3, devnet.anvil, deployment, dev_keys())
    oracle = l1.oracle.functions

    # Anvil's genesis block is the L1 head the devnet deployed after.
    start = int(w3.eth.get_block(0)["timestamp"]) - 1
    assert (oracle.startingBlockNumber().call(), oracle.startingTimestamp().call()) == (0, start)
    assert oracle.computeL2Timestamp(180).call() == start + 180

    def propose_at(l2_block: int, l1_time: int) -> dict[str, object]:
        l1.anvil.rpc("evm_setNextBlockTimestamp", [l1_time])
        return l1.send(PROPOSER, oracle.proposeL2Output(keccak(b"output %d" % l2_block), l2_block, bytes(32), 0),
                       value=BOND, gas=500_000)

    for l2_block in range(INTERVAL, 180, INTERVAL):  # 10 .. 170, each once L1 is past it
        latest = int(w3.eth.get_block("latest")["timestamp"])
        assert propose_at(l2_block, max(start + l2_block + 1, latest + 1))["status"] == 1

    # Block 180 at L1 time start + 180 (the head was 173): it cannot exist yet.
    l1.anvil.rpc("evm_mine", [start + 180])
    try:
        oracle.proposeL2Output(keccak(b"output 180"), 180, bytes(32), 0).call({"from": l1.address(PROPOSER), "value": BOND})
        raise AssertionError("the proposal for block 180 did not revert")
    except ContractCustomError as exc:
        error = decode_revert(bytes.fromhex(str(exc.data).removeprefix("0x")))
    assert error is not None
    assert (error.name, error.args) == ("L2BlockInFuture", (start + 180, start + 180))
    outputs_before = oracle.nextOutputIndex().call()
    refused = propose_at(180, start + 180)  # same second as its parent: anvil allows it
    assert refused["status"] == 0 and refused["logs"] == []
    assert oracle.nextOutputIndex().call() == outputs_before == 17

    # One second later it may exist, and is accepted.
    assert propose_at(180, start + 181)["status"] == 1
    assert oracle.latestBlockNumber().call() == 180
