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

from bridge.devnet import DEVNET_DISPUTES, L1Devnet
from bridge.l1_contracts import decode_revert
from tests.bridge.l1_harness import L1
from tests.harness.devnet import running_l1_devnet
from tests.harness.evm import dev_keys

PROPOSER = 2
BOND = 10**16
INTERVAL = DEVNET_DISPUTES.output_interval  # 8: 2^split_depth of the devnet's dispute game
FUTURE = 22 * INTERVAL  # 176, the block proposed too early (the was 180 with a head at 173)


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
    assert oracle.submissionInterval().call() == INTERVAL == 8
    assert oracle.computeL2Timestamp(FUTURE).call() == start + FUTURE

    def propose_at(l2_block: int, l1_time: int) -> dict[str, object]:
        l1.anvil.rpc("evm_setNextBlockTimestamp", [l1_time])
        return l1.send(PROPOSER, oracle.proposeL2Output(keccak(b"output %d" % l2_block), l2_block, bytes(32), 0),
                       value=BOND, gas=500_000)

    for l2_block in range(INTERVAL, FUTURE, INTERVAL):  # 8 .. 168, each once L1 is past it
        latest = int(w3.eth.get_block("latest")["timestamp"])
        assert propose_at(l2_block, max(start + l2_block + 1, latest + 1))["status"] == 1

    # Block 176 at L1 time start + 176: it cannot exist yet.
    l1.anvil.rpc("evm_mine", [start + FUTURE])
    try:
        oracle.proposeL2Output(keccak(b"output %d" % FUTURE), FUTURE, bytes(32), 0).call({"from": l1.address(PROPOSER), "value": BOND})
        raise AssertionError("the proposal for block 176 did not revert")
    except ContractCustomError as exc:
        error = decode_revert(bytes.fromhex(str(exc.data).removeprefix("0x")))
    assert error is not None
    assert (error.name, error.args) == ("L2BlockInFuture", (start + FUTURE, start + FUTURE))
    outputs_before = oracle.nextOutputIndex().call()
    refused = propose_at(FUTURE, start + FUTURE)  # same second as its parent: anvil allows it
    assert refused["status"] == 0 and refused["logs"] == []
    assert oracle.nextOutputIndex().call() == outputs_before == 21

    # One second later it may exist, and is accepted.
    assert propose_at(FUTURE, start + FUTURE + 1)["status"] == 1
    assert oracle.latestBlockNumber().call() == FUTURE


def test_the_dispute_game_factory_is_the_only_challenger(devnet: L1Devnet) -> None:
    """No key holds the challenger role: the devnet's oracle names the `DisputeGameFactory` (at the
    address `DEVNET_L1_DEPLOY_ORDER` predicts), whose rules are `DEVNET_DISPUTES`, whose games ask
    the devnet's `InputOracle` at the input leaf and whose agreed start is the L2 genesis' output
    root; the deployer and the old challenger key are refused."""
    from bridge.devnet import devnet_dispute_setup
    from genesis.config import GenesisConfig
    from genesis.dev_accounts import dev_accounts
    from genesis.l1_addresses import devnet_l1_addresses

    w3 = Web3(Web3.HTTPProvider(devnet.anvil.rpc_url))
    deployment = devnet.deployment
    predicted = {name: Web3.to_checksum_address(address) for name, address in devnet_l1_addresses().items()}
    assert deployment.dispute_game_factory == predicted["DisputeGameFactory"]
    assert deployment.l1_block_anchors == predicted["L1BlockAnchors"]
    oracle = deployment.contract(w3, "OutputOracle")
    factory = deployment.contract(w3, "DisputeGameFactory")
    assert oracle.functions.challenger().call() == deployment.dispute_game_factory
    assert factory.functions.oracle().call() == deployment.output_oracle
    assert factory.functions.anchorOutputRoot().call() == devnet_dispute_setup(GenesisConfig.load()).anchor_output_root
    config = factory.functions.config().call()
    rules = DEVNET_DISPUTES
    assert tuple(config[:7]) == (rules.split_depth, rules.tx_depth, rules.max_clock_duration_s, rules.clock_extension_s,
                                 rules.bond_delay_s, rules.min_bond_wei, rules.max_bond_wei)
    assert config[7] == predicted["OneStepProof"] and config[10] == predicted["BlockFinishLeaf"]
    assert config[12] == predicted["OutputDisputeGameLeaves"]  # the games' leaf steps
    # the input leaf: InputOracle, deployed after the factory at the address it was given, decides
    # with the rollup's parameters; its start block is the set-up's last, the rollup's l1_start_block
    assert config[8] == predicted["InputOracle"] == deployment.input_oracle
    inputs = deployment.contract(w3, "InputOracle").functions
    assert inputs.l1StartBlock().call() == deployment.deploy_block  # start_l1_devnet checks it is the last set-up block
    # (no inbox, blob reader or channel timeout: it takes the found batch by its hash, the channel shown whole)
    assert (inputs.anchors().call(), inputs.portal().call(), inputs.reader().call()) == (
        deployment.l1_block_anchors, deployment.lantau_portal, predicted["BatchReader"])
    from genesis.rollup_config import CHANNEL_TIMEOUT, MAX_SEQUENCER_DRIFT, SEQUENCING_WINDOW
    assert (inputs.maxSequencerDrift().call(), inputs.sequencingWindow().call(), inputs.l2ChainId().call()) == (
        MAX_SEQUENCER_DRIFT, SEQUENCING_WINDOW, GenesisConfig.load().chain_id)
    # a disputed derivationEnd: DerivationBisection (deployed last, at the address the factory was
    # given) over 2^6 >= 20 + 40 + 1 L1 blocks, its leaf DerivationStep with the same parameters
    assert config[11] == predicted["DerivationBisection"] == deployment.derivation_bisection
    bisection = deployment.contract(w3, "DerivationBisection").functions
    assert (bisection.DEPTH().call(), bisection.leaf().call()) == (6, predicted["DerivationStep"]) == (6, deployment.derivation_step)
    leaf = deployment.contract(w3, "DerivationStep").functions
    assert (leaf.anchors().call(), leaf.inbox().call(), leaf.reader().call(), leaf.l1StartBlock().call()) == (
        deployment.l1_block_anchors, deployment.batch_inbox, predicted["BatchReader"], deployment.deploy_block)
    assert leaf.blobReader().call() == predicted["BlobReader"]  # kind-1 (blob) inbox items read on L1
    assert (leaf.maxSequencerDrift().call(), leaf.sequencingWindow().call(), leaf.channelTimeout().call(),
            leaf.l2ChainId().call()) == (MAX_SEQUENCER_DRIFT, SEQUENCING_WINDOW, CHANNEL_TIMEOUT, GenesisConfig.load().chain_id)
    for account in dev_accounts()[:4]:  # the deployer and the former challenger key among them
        for call in (oracle.functions.deleteL2Outputs(0), oracle.functions.setChallenger(account.address)):
            try:
                call.call({"from": account.address})
                raise AssertionError("an EOA used the challenger role")
            except ContractCustomError as exc:
                error = decode_revert(bytes.fromhex(str(exc.data).removeprefix("0x")))
            assert error is not None and (error.name, error.args) == ("NotChallenger", (account.address,))
