"""OutputOracle on anvil: proposals strictly in order and only by the proposer, bonds, the L1
block-hash anchor, lookups, finalization timing, and the challenger's deletion hook."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_hash.auto import keccak
from web3.contract import Contract
from web3.logs import DISCARD

from genesis.artifacts import load_artifact
from tests.harness.evm import Contracts

PROPOSER, CHALLENGER, STRANGER = 1, 2, 3
SUBMISSION_INTERVAL = 10
L2_BLOCK_TIME = 2
STARTING_BLOCK = 100
FINALIZATION_PERIOD_S = 3_600
BOND = 10**17
GAS = 500_000
NO_ANCHORS = "0x" + "00" * 20  # an oracle that anchors no L1 block (the ones here, but the last test's)


def root(n: int) -> bytes:
    return keccak(b"output %d" % n)


@dataclass
class Oracle:
    contract: Contract
    chain: Contracts
    starting_timestamp: int

    @property
    def f(self) -> Any:
        return self.contract.functions

    def propose(self, l2_block: int, *, output: bytes | None = None, bond: int = BOND,
                l1_hash: bytes = bytes(32), l1_number: int = 0) -> dict[str, Any]:
        return self.chain.ok(PROPOSER, self.f.proposeL2Output(output or root(l2_block), l2_block, l1_hash, l1_number), value=bond)

    def revert_of_propose(self, l2_block: int, *, sender: int = PROPOSER, output: bytes | None = None,
                          bond: int = BOND, l1_hash: bytes = bytes(32), l1_number: int = 0) -> tuple[str, tuple[Any, ...]]:
        call = self.f.proposeL2Output(root(l2_block) if output is None else output, l2_block, l1_hash, l1_number)
        return self.chain.revert_of(sender, call, value=bond)

    def balance(self, index: int) -> int:
        return int(self.chain.w3.eth.get_balance(self.chain.address(index)))


@pytest.fixture(scope="module")
def deployed_oracle(contracts: Contracts) -> Oracle:
    starting_timestamp = contracts.latest_timestamp() - 10_000  # L2 blocks up to ~5,000 are in the past
    oracle = contracts.deploy(
        "OutputOracle",
        SUBMISSION_INTERVAL,
        L2_BLOCK_TIME,
        STARTING_BLOCK,
        starting_timestamp,
        contracts.address(PROPOSER),
        contracts.address(CHALLENGER),
        FINALIZATION_PERIOD_S,
        BOND,
        NO_ANCHORS,
    )
    return Oracle(oracle, contracts, starting_timestamp)


@pytest.fixture
def oracle(deployed_oracle: Oracle, isolated: None) -> Iterator[Oracle]:
    yield deployed_oracle


def test_configuration_is_readable(oracle: Oracle) -> None:
    f, chain = oracle.f, oracle.chain
    assert f.proposer().call() == chain.address(PROPOSER)
    assert f.challenger().call() == chain.address(CHALLENGER)
    assert f.submissionInterval().call() == SUBMISSION_INTERVAL
    assert f.finalizationPeriodSeconds().call() == FINALIZATION_PERIOD_S
    assert f.requiredBond().call() == BOND
    assert f.latestBlockNumber().call() == STARTING_BLOCK
    assert f.nextBlockNumber().call() == STARTING_BLOCK + SUBMISSION_INTERVAL
    assert f.nextOutputIndex().call() == 0
    assert f.computeL2Timestamp(STARTING_BLOCK + 7).call() == oracle.starting_timestamp + 14


def test_proposals_in_order(oracle: Oracle) -> None:
    f, chain = oracle.f, oracle.chain
    first = STARTING_BLOCK + SUBMISSION_INTERVAL
    receipt = oracle.propose(first)
    (event,) = oracle.contract.events.OutputProposed().process_receipt(receipt)
    block = chain.w3.eth.get_block(receipt["blockNumber"])
    assert dict(event["args"]) == {
        "outputRoot": root(first), "l2OutputIndex": 0, "l2BlockNumber": first, "l1Timestamp": block["timestamp"],
    }
    assert f.getL2Output(0).call() == (root(first), block["timestamp"], first)
    oracle.propose(first + SUBMISSION_INTERVAL)
    assert f.latestOutputIndex().call() == 1
    assert f.nextOutputIndex().call() == 2
    assert f.latestBlockNumber().call() == first + SUBMISSION_INTERVAL
    assert f.nextBlockNumber().call() == first + 2 * SUBMISSION_INTERVAL
    # The bonds stay locked in the oracle.
    assert chain.w3.eth.get_balance(oracle.contract.address) == 2 * BOND
    assert f.bondOf(1).call() == BOND


def test_wrong_block_numbers_are_refused(oracle: Oracle) -> None:
    first = STARTING_BLOCK + SUBMISSION_INTERVAL
    assert oracle.revert_of_propose(first + 1) == ("WrongL2BlockNumber", (first, first + 1))
    assert oracle.revert_of_propose(STARTING_BLOCK) == ("WrongL2BlockNumber", (first, STARTING_BLOCK))
    oracle.propose(first)
    assert oracle.revert_of_propose(first) == ("WrongL2BlockNumber", (first + SUBMISSION_INTERVAL, first))
    assert oracle.revert_of_propose(first + 2 * SUBMISSION_INTERVAL) == (
        "WrongL2BlockNumber", (first + SUBMISSION_INTERVAL, first + 2 * SUBMISSION_INTERVAL)
    )


def test_only_the_proposer_proposes(oracle: Oracle) -> None:
    first = STARTING_BLOCK + SUBMISSION_INTERVAL
    for sender in (STRANGER, CHALLENGER):
        assert oracle.revert_of_propose(first, sender=sender) == ("NotProposer", (oracle.chain.address(sender),))


def test_bond_below_the_required_one_is_refused(oracle: Oracle) -> None:
    first = STARTING_BLOCK + SUBMISSION_INTERVAL
    assert oracle.revert_of_propose(first, bond=BOND - 1) == ("BondTooLow", (BOND - 1, BOND))
    assert oracle.revert_of_propose(first, bond=0) == ("BondTooLow", (0, BOND))
    oracle.propose(first, bond=BOND + 5)  # more is fine, and all of it is locked
    assert oracle.f.bondOf(0).call() == BOND + 5


def test_empty_root_and_future_blocks_are_refused(oracle: Oracle) -> None:
    first = STARTING_BLOCK + SUBMISSION_INTERVAL
    assert oracle.revert_of_propose(first, output=bytes(32)) == ("EmptyOutputRoot", ())

    # An L2 block whose time has not come yet on L1 cannot have an output: an oracle whose L2
    # starts 1,000 s from now has no past blocks at all.
    now = oracle.chain.latest_timestamp()
    late = oracle.chain.deploy(
        "OutputOracle", SUBMISSION_INTERVAL, L2_BLOCK_TIME, 0, now + 1_000, oracle.chain.address(PROPOSER),
        oracle.chain.address(CHALLENGER), FINALIZATION_PERIOD_S, 0, NO_ANCHORS,
    )
    name, args = oracle.chain.revert_of(PROPOSER, late.functions.proposeL2Output(root(1), SUBMISSION_INTERVAL, bytes(32), 0))
    assert name == "L2BlockInFuture" and args[0] == now + 1_000 + SUBMISSION_INTERVAL * L2_BLOCK_TIME
    assert late.functions.nextOutputIndex().call() == 0


def test_l1_block_hash_anchor(oracle: Oracle) -> None:
    chain = oracle.chain
    first = STARTING_BLOCK + SUBMISSION_INTERVAL
    chain.mine(3)
    # The parent of the latest block: anvil runs eth_call in the latest block's own context,
    # where blockhash() of that block itself is 0, as in any block.
    anchor = chain.w3.eth.get_block(chain.w3.eth.block_number - 1)
    number, good = anchor["number"], bytes(anchor["hash"])
    wrong = keccak(good)
    assert oracle.revert_of_propose(first, l1_hash=wrong, l1_number=number) == ("L1BlockHashMismatch", (number, good, wrong))
    oracle.propose(first, l1_hash=good, l1_number=number)

    # More than 256 blocks back, blockhash() is 0: a non-zero anchor cannot be checked, so it is refused.
    chain.mine(300)
    second = first + SUBMISSION_INTERVAL
    assert oracle.revert_of_propose(second, l1_hash=good, l1_number=number) == ("L1BlockHashMismatch", (number, bytes(32), good))
    # A future block has no hash yet either.
    future = chain.w3.eth.block_number + 5
    assert oracle.revert_of_propose(second, l1_hash=good, l1_number=future) == ("L1BlockHashMismatch", (future, bytes(32), good))
    oracle.propose(second)  # a zero anchor skips the check


def test_output_index_after_a_block(oracle: Oracle) -> None:
    """The binary search: the first output at or after each L2 block."""
    f = oracle.f
    assert oracle.chain.revert_of(0, f.getL2OutputIndexAfter(0)) == ("NoOutputAfter", (0,))
    blocks = [STARTING_BLOCK + SUBMISSION_INTERVAL * (i + 1) for i in range(7)]  # 110, 120, ... 170
    for number in blocks:
        oracle.propose(number)
    for query in range(0, blocks[-1] + 1):
        expected = next(i for i, number in enumerate(blocks) if number >= query)
        assert f.getL2OutputIndexAfter(query).call() == expected, query
    assert f.getL2OutputAfter(blocks[3] - 1).call() == (root(blocks[3]), f.getL2Output(3).call()[1], blocks[3])
    assert oracle.chain.revert_of(0, f.getL2OutputIndexAfter(blocks[-1] + 1)) == ("NoOutputAfter", (blocks[-1] + 1,))
    assert oracle.chain.revert_of(0, f.getL2Output(7)) == ("OutputNotFound", (7,))


def test_finalization_timing_and_bond_reclaim(oracle: Oracle) -> None:
    chain, f = oracle.chain, oracle.f
    first = STARTING_BLOCK + SUBMISSION_INTERVAL
    receipt = oracle.propose(first)
    posted = int(chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    assert f.isOutputFinalized(0).call() is False
    assert chain.revert_of(STRANGER, f.reclaimBond(0)) == ("OutputNotFinalized", (0,))
    assert chain.revert_of(0, f.isOutputFinalized(1)) == ("OutputNotFound", (1,))

    chain.anvil.rpc("evm_increaseTime", [FINALIZATION_PERIOD_S // 2])
    chain.anvil.rpc("evm_mine")
    assert f.isOutputFinalized(0).call() is False

    # Exactly at posted + period it is not final yet; one second later it is.
    chain.anvil.rpc("evm_setNextBlockTimestamp", [posted + FINALIZATION_PERIOD_S])
    chain.anvil.rpc("evm_mine")
    assert chain.latest_timestamp() == posted + FINALIZATION_PERIOD_S
    assert f.isOutputFinalized(0).call() is False
    chain.anvil.rpc("evm_increaseTime", [1])
    chain.anvil.rpc("evm_mine")
    assert f.isOutputFinalized(0).call() is True

    # Anyone may return a final output's bond, to the proposer, once.
    before = oracle.balance(PROPOSER)
    receipt = chain.ok(STRANGER, f.reclaimBond(0))
    (event,) = oracle.contract.events.BondReclaimed().process_receipt(receipt)
    assert dict(event["args"]) == {"l2OutputIndex": 0, "proposer": chain.address(PROPOSER), "amount": BOND}
    assert oracle.balance(PROPOSER) == before + BOND
    assert f.bondOf(0).call() == 0
    assert chain.revert_of(STRANGER, f.reclaimBond(0)) == ("BondAlreadyReclaimed", (0,))


def test_challenger_deletes_outputs_and_takes_their_bonds(oracle: Oracle) -> None:
    chain, f = oracle.chain, oracle.f
    blocks = [STARTING_BLOCK + SUBMISSION_INTERVAL * (i + 1) for i in range(3)]
    for number in blocks:
        oracle.propose(number)
    for sender in (PROPOSER, STRANGER):
        assert chain.revert_of(sender, f.invalidateOutput(1)) == ("NotChallenger", (chain.address(sender),))
        assert chain.revert_of(sender, f.deleteL2Outputs(1)) == ("NotChallenger", (chain.address(sender),))
    assert chain.revert_of(CHALLENGER, f.invalidateOutput(3)) == ("OutputNotFound", (3,))

    proposer_before, challenger_before = oracle.balance(PROPOSER), oracle.balance(CHALLENGER)
    receipt = chain.ok(CHALLENGER, f.invalidateOutput(1))
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    (deleted,) = oracle.contract.events.OutputsDeleted().process_receipt(receipt, errors=DISCARD)
    assert dict(deleted["args"]) == {"prevNextOutputIndex": 3, "newNextOutputIndex": 1}
    (forfeited,) = oracle.contract.events.BondsForfeited().process_receipt(receipt, errors=DISCARD)
    assert dict(forfeited["args"]) == {"challenger": chain.address(CHALLENGER), "amount": 2 * BOND}
    assert oracle.balance(CHALLENGER) == challenger_before + 2 * BOND - fee
    assert oracle.balance(PROPOSER) == proposer_before  # refunds nothing to the proposer
    assert chain.w3.eth.get_balance(oracle.contract.address) == BOND

    assert f.nextOutputIndex().call() == 1
    assert f.latestBlockNumber().call() == blocks[0]
    assert chain.revert_of(0, f.getL2Output(1)) == ("OutputNotFound", (1,))
    # The proposer goes on from the last surviving output, with a corrected root.
    oracle.propose(blocks[1], output=keccak(b"corrected"))
    assert f.getL2Output(1).call()[0] == keccak(b"corrected")

    # OP's name for the same hook.
    chain.ok(CHALLENGER, f.deleteL2Outputs(1))
    assert f.nextOutputIndex().call() == 1


def test_final_outputs_cannot_be_deleted(oracle: Oracle) -> None:
    chain, f = oracle.chain, oracle.f
    oracle.propose(STARTING_BLOCK + SUBMISSION_INTERVAL)
    chain.anvil.rpc("evm_increaseTime", [FINALIZATION_PERIOD_S + 1])
    chain.anvil.rpc("evm_mine")
    oracle.propose(STARTING_BLOCK + 2 * SUBMISSION_INTERVAL)
    assert chain.revert_of(CHALLENGER, f.invalidateOutput(0)) == ("OutputAlreadyFinalized", (0,))
    chain.ok(CHALLENGER, f.invalidateOutput(1))  # the younger one still can be
    assert f.nextOutputIndex().call() == 1


def test_challenger_hands_its_role_on(oracle: Oracle) -> None:
    chain, f = oracle.chain, oracle.f
    assert chain.revert_of(STRANGER, f.setChallenger(chain.address(STRANGER))) == ("NotChallenger", (chain.address(STRANGER),))
    assert chain.revert_of(CHALLENGER, f.setChallenger("0x" + "00" * 20)) == ("ZeroAddress", ())
    receipt = chain.ok(CHALLENGER, f.setChallenger(chain.address(STRANGER)))
    (event,) = oracle.contract.events.ChallengerChanged().process_receipt(receipt)
    assert dict(event["args"]) == {"previous": chain.address(CHALLENGER), "next": chain.address(STRANGER)}
    oracle.propose(STARTING_BLOCK + SUBMISSION_INTERVAL)
    assert chain.revert_of(CHALLENGER, f.invalidateOutput(0)) == ("NotChallenger", (chain.address(CHALLENGER),))
    chain.ok(STRANGER, f.invalidateOutput(0))


def test_constructor_refuses_nonsense(contracts: Contracts, isolated: None) -> None:
    artifact = load_artifact("OutputOracle")
    factory = contracts.w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
    good = [SUBMISSION_INTERVAL, L2_BLOCK_TIME, 0, 0, contracts.address(PROPOSER), contracts.address(CHALLENGER), 1, 0, NO_ANCHORS]
    zero_address = "0x" + "00" * 20
    for position, bad, error in (
        (0, 0, "ZeroSubmissionInterval"), (1, 0, "ZeroL2BlockTime"), (4, zero_address, "ZeroAddress"), (5, zero_address, "ZeroAddress"),
    ):
        args = list(good)
        args[position] = bad
        data = factory.constructor(*args).data_in_transaction
        assert contracts.revert_of_raw(0, {"data": data}, artifact.abi) == (error, ())


def test_a_proposal_anchors_the_previous_l1_block(contracts: Contracts, isolated: None) -> None:
    """With an `L1BlockAnchors`, each proposal records the hash of the L1 block before its own
    (`anchorPrevious`), so every L1 origin of the proposed blocks stays checkable on L1."""
    anchors = contracts.deploy("L1BlockAnchors")
    oracle = contracts.deploy("OutputOracle", SUBMISSION_INTERVAL, L2_BLOCK_TIME, STARTING_BLOCK,
                              contracts.latest_timestamp() - 10_000, contracts.address(PROPOSER),
                              contracts.address(CHALLENGER), FINALIZATION_PERIOD_S, BOND, anchors.address)
    assert oracle.functions.anchors().call() == anchors.address
    block = STARTING_BLOCK + SUBMISSION_INTERVAL
    receipt = contracts.ok(PROPOSER, oracle.functions.proposeL2Output(root(block), block, bytes(32), 0), value=BOND)
    previous = receipt["blockNumber"] - 1
    assert anchors.functions.anchored(previous).call() == bytes(contracts.w3.eth.get_block(previous)["hash"])
    (event,) = anchors.events.L1BlockAnchored().process_receipt(receipt)
    assert event["args"]["l1BlockNumber"] == previous
