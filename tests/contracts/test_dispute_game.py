"""The dispute game (contracts/src/L1/dispute/, docs/fault-proofs.md "The game") on a real anvil:
`DisputeGameFactory` as the `OutputOracle`'s challenger, `OutputDisputeGame` played by Python
players. Outputs every 4 L2 blocks (split depth 2), a block's trace of 4 (tx depth 2), clocks of
100 s, bonds from 0.001 to 0.1 ETH, payout 50 s after resolution. Each refusal is checked by its
named error with the game's state unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import keccak
from web3.contract import Contract

from bridge.l1_contracts import blueprint_init  # noqa: F401  (the deployment's; test_dispute_played imports it here)
from prover.dispute_block import input_leaf, inputs_hash
from tests.harness.evm import Contracts

PROPOSER, OLD_CHALLENGER, CHALLENGER, DEFENDER = 2, 3, 4, 5
INTERVAL, SPLIT_DEPTH, TX_DEPTH = 4, 2, 2
MAX_CLOCK_S, EXTENSION_S, BOND_DELAY_S = 100, 10, 50
MIN_BOND, MAX_BOND, ORACLE_BOND = 10**15, 10**17, 10**16
FINALIZATION_S = 30
ANCHOR = b"\xaa" * 32
MESSAGE_PASSER = "0x4200000000000000000000000000000000000016"


def deploy_system(contracts: Contracts, tx_depth: int = TX_DEPTH, leaves: str | None = None) -> dict[str, Contract]:
    """An `OutputOracle` whose challenger is a `DisputeGameFactory` of this module's rules with
    `tx_depth`, its games' leaf steps in `leaves` (None: an `OutputDisputeGameLeaves` deployed here)."""
    from genesis.artifacts import load_artifact

    now = contracts.latest_timestamp()
    oracle = contracts.deploy("OutputOracle", INTERVAL, 1, 0, now - 10_000, contracts.address(PROPOSER),
                              contracts.address(OLD_CHALLENGER), FINALIZATION_S, ORACLE_BOND, "0x" + "00" * 20)
    game_code = bytes(load_artifact("OutputDisputeGame").bytecode)
    receipt = contracts.ok(0, _raw_create(contracts, blueprint_init(game_code)))
    finish = contracts.deploy("BlockFinishLeaf", "0x" + "42" * 20, 901)
    config = (SPLIT_DEPTH, tx_depth, MAX_CLOCK_S, EXTENSION_S, BOND_DELAY_S, MIN_BOND, MAX_BOND,
              "0x" + "00" * 20, "0x" + "00" * 20, MESSAGE_PASSER, finish.address, "0x" + "00" * 20,
              leaves or contracts.deploy("OutputDisputeGameLeaves").address)
    factory = contracts.deploy("DisputeGameFactory", oracle.address, receipt["contractAddress"], ANCHOR, config)
    contracts.ok(OLD_CHALLENGER, oracle.functions.setChallenger(factory.address))
    return {"oracle": oracle, "factory": factory}


@pytest.fixture(scope="module")
def system(contracts: Contracts) -> dict[str, Contract]:
    return deploy_system(contracts)


class _RawCreate:
    def __init__(self, data: bytes, chain_id: int) -> None:
        self.data, self.chain_id = data, chain_id

    def build_transaction(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "data": self.data, "gas": 8_000_000, "chainId": self.chain_id,
                "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1}


def _raw_create(contracts: Contracts, data: bytes) -> _RawCreate:
    return _RawCreate(data, contracts.w3.eth.chain_id)


def game_at(contracts: Contracts, address: str) -> Contract:
    from genesis.artifacts import load_artifact
    return contracts.w3.eth.contract(address=address, abi=list(load_artifact("OutputDisputeGame").abi))


def propose(contracts: Contracts, oracle: Contract, root: bytes) -> int:
    block = oracle.functions.nextBlockNumber().call()
    contracts.ok(PROPOSER, oracle.functions.proposeL2Output(root, block, b"\x00" * 32, 0), value=ORACLE_BOND)
    return oracle.functions.latestOutputIndex().call()


def bond(game: Contract, depth: int) -> int:
    return game.functions.getRequiredBond((1 << depth)).call()


def open_game(contracts: Contracts, system: dict[str, Contract], root: bytes, claim: bytes) -> tuple[int, Contract]:
    oracle, factory = system["oracle"], system["factory"]
    index = propose(contracts, oracle, root)
    value = factory.functions.createBond().call()
    receipt = contracts.ok(CHALLENGER, factory.functions.create(index, claim), value=value)
    (event,) = factory.events.GameCreated().process_receipt(receipt)
    return index, game_at(contracts, event["args"]["game"])


def test_the_factory_client_reads_the_created_game_without_a_warning(contracts: Contracts, system, isolated) -> None:
    """`DisputeGameFactoryClient.created_game` (the challenger's, after its `create`) reads
    `GameCreated` from a receipt that also holds the oracle's and the game's logs. web3 warned
    `MismatchedABI` for each of those, a multi-line Python warning in the daemon's JSON log per game
    created; they are not the factory's event and are skipped silently."""
    import warnings

    from bridge.l1_client import L1Client
    from bridge.l1_contract_clients import DisputeGameFactoryClient

    oracle, factory = system["oracle"], system["factory"]
    index = propose(contracts, oracle, b"\x01" * 32)
    receipt = contracts.ok(CHALLENGER, factory.functions.create(index, b"\x02" * 32), value=factory.functions.createBond().call())
    assert {log["address"] for log in receipt["logs"]} - {factory.address}  # logs of other contracts in it
    client = DisputeGameFactoryClient(L1Client(contracts.w3), factory.address)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        game = client.created_game(receipt)
    assert game == client.game_at(client.game_count() - 1) == client.game_of(index, b"\x01" * 32)


def warp(contracts: Contracts, seconds: int) -> None:
    contracts.anvil.rpc("evm_increaseTime", [seconds])
    contracts.mine()


def test_a_challenger_the_proposer_does_not_answer_wins_and_the_output_goes(contracts: Contracts, system, isolated) -> None:
    oracle, factory = system["oracle"], system["factory"]
    index, game = open_game(contracts, system, b"\x01" * 32, b"\x02" * 32)
    first_bond = factory.functions.createBond().call()
    assert first_bond == bond(game, 1) and bond(game, 1) < bond(game, 2) < bond(game, 4)
    # While the game runs the output is not final, even after the finalization period.
    warp(contracts, FINALIZATION_S + 5)
    assert not oracle.functions.isOutputFinalized(index).call()
    assert contracts.revert_of(CHALLENGER, game.functions.resolveClaim(1)) == ("ClockNotExpired", ())
    assert contracts.revert_of(CHALLENGER, game.functions.resolve()) == ("OutOfOrderResolution", ())
    warp(contracts, MAX_CLOCK_S)
    assert contracts.revert_of(DEFENDER, game.functions.attack(b"\x02" * 32, 1, b"\x03" * 32),
                               value=bond(game, 2)) == ("ClockTimeExceeded", ())
    contracts.ok(CHALLENGER, game.functions.resolveClaim(1))
    assert contracts.revert_of(CHALLENGER, game.functions.resolveClaim(1)) == ("ClaimAlreadyResolved", ())
    contracts.ok(CHALLENGER, game.functions.resolveClaim(0))
    contracts.ok(CHALLENGER, game.functions.resolve())
    assert game.functions.status().call() == 1  # CHALLENGER_WINS
    assert contracts.revert_of(CHALLENGER, game.functions.resolve()) == ("GameNotInProgress", ())
    assert oracle.functions.nextOutputIndex().call() == index  # deleted
    challenger = contracts.address(CHALLENGER)
    assert game.functions.credit(challenger).call() == first_bond + ORACLE_BOND
    unlock = game.functions.resolvedAt().call() + BOND_DELAY_S
    assert contracts.revert_of(CHALLENGER, game.functions.claimCredit(challenger)) == ("CreditLocked", (unlock,))
    warp(contracts, BOND_DELAY_S)
    before = contracts.w3.eth.get_balance(challenger)
    receipt = contracts.ok(DEFENDER, game.functions.claimCredit(challenger))
    assert contracts.w3.eth.get_balance(challenger) == before + first_bond + ORACLE_BOND
    assert receipt["status"] == 1
    assert contracts.revert_of(CHALLENGER, game.functions.claimCredit(challenger)) == ("NoCreditToClaim", ())
    assert factory.functions.openGameCount().call() == 0


def test_a_dishonest_challenger_answered_by_the_proposer_loses_its_bond(contracts: Contracts, system, isolated) -> None:
    oracle, factory = system["oracle"], system["factory"]
    index, game = open_game(contracts, system, b"\x11" * 32, b"\x12" * 32)
    contracts.ok(DEFENDER, game.functions.attack(b"\x12" * 32, 1, b"\x13" * 32), value=bond(game, 2))
    warp(contracts, MAX_CLOCK_S + 1)
    for claim in (2, 1, 0):
        contracts.ok(PROPOSER, game.functions.resolveClaim(claim))
    contracts.ok(PROPOSER, game.functions.resolve())
    assert game.functions.status().call() == 2  # DEFENDER_WINS
    assert oracle.functions.nextOutputIndex().call() == index + 1  # the output stays
    assert game.functions.credit(contracts.address(DEFENDER)).call() == bond(game, 1) + bond(game, 2)
    assert game.functions.credit(contracts.address(CHALLENGER)).call() == 0
    warp(contracts, FINALIZATION_S)
    assert oracle.functions.isOutputFinalized(index).call()


def test_refusals_by_name_leave_the_game_as_it_was(contracts: Contracts, system, isolated) -> None:
    oracle, factory = system["oracle"], system["factory"]
    index, game = open_game(contracts, system, b"\x21" * 32, b"\x22" * 32)
    claims = game.functions.claimDataLen().call()
    assert contracts.revert_of(CHALLENGER, factory.functions.create(index, b"\x09" * 32),
                               value=factory.functions.createBond().call()) == ("GameAlreadyExists", (game.address,))
    assert contracts.revert_of(DEFENDER, game.functions.attack(b"\x22" * 32, 1, b"\x23" * 32),
                               value=bond(game, 2) - 1) == ("IncorrectBondAmount", (bond(game, 2) - 1, bond(game, 2)))
    assert contracts.revert_of(DEFENDER, game.functions.attack(b"\x99" * 32, 1, b"\x23" * 32),
                               value=bond(game, 2)) == ("InvalidDisputedClaimIndex", ())
    assert contracts.revert_of(DEFENDER, game.functions.defend(b"\x21" * 32, 0, b"\x23" * 32),
                               value=bond(game, 1)) == ("CannotDefendRootClaim", ())
    assert contracts.revert_of(DEFENDER, game.functions.attack(b"\x22" * 32, 7, b"\x23" * 32),
                               value=bond(game, 2)) == ("ClaimNotFound", (7,))
    assert contracts.revert_of(CHALLENGER, game.functions.attack(b"\x21" * 32, 0, b"\x22" * 32),
                               value=bond(game, 1)) == ("ClaimAlreadyExists", ())
    contracts.ok(DEFENDER, game.functions.attack(b"\x22" * 32, 1, b"\x23" * 32), value=bond(game, 2))
    # depth 3 opens a block subgame: it must name the block's inputs.
    assert contracts.revert_of(CHALLENGER, game.functions.attack(b"\x23" * 32, 2, b"\x24" * 32),
                               value=bond(game, 3)) == ("BlockClaimNeedsInputs", ())
    named = ([b"\x55" * 32], 1_700_000_000)  # one transaction's hash and the block's timestamp
    end = keccak(b"derivation's state after the block's L1 range")  # the block claim's derivationEnd
    assert contracts.revert_of(CHALLENGER, game.functions.moveToBlock(b"\x23" * 32, 2, b"\x23" * 32, named, end, True),
                               value=bond(game, 3)) == ("UnexpectedBlockClaim", (b"\x23" * 32, b"\x23" * 32))
    receipt = contracts.ok(CHALLENGER, game.functions.moveToBlock(b"\x23" * 32, 2, b"\x24" * 32, named, end, True), value=bond(game, 3))
    # the inputs and the derivation end are published whole, and kept (the inputs as their hash)
    (event,) = game.events.BlockInputsNamed().process_receipt(receipt)
    assert (event["args"]["claimIndex"], event["args"]["txHashes"], event["args"]["timestamp"]) == (3, *named)
    named_hash = game.functions.inputsHash(named).call()
    assert game.functions.blockInputs(3).call() == named_hash
    assert game.functions.blockDerivation(3).call() == end
    # what the derivation bisection reads of it: the agreed output before its block (the game's
    # starting output: the subgame attacks the left-most output) and the block, the first after it
    assert game.functions.blockOf(3).call() == [game.functions.startingOutputRoot().call(), game.functions.startingBlockNumber().call() + 1]
    assert contracts.revert_of(DEFENDER, game.functions.blockOf(2)) == ("NotABlockClaim", ())
    assert contracts.revert_of(DEFENDER, game.functions.defend(b"\x24" * 32, 3, b"\x25" * 32),
                               value=bond(game, 4)) == ("CannotDefendRootClaim", ())
    # the input leaf needs an IInputOracle (this game has none)
    no_end = (bytes(32), bytes(32), bytes(32))
    assert contracts.revert_of(DEFENDER, game.functions.stepInput(3, ([], 0), no_end, b"")) == ("LeafNotAvailable", ())
    assert contracts.revert_of(DEFENDER, game.functions.stepInput(2, ([], 0), no_end, b"")) == ("NotABlockClaim", ())
    contracts.ok(DEFENDER, game.functions.attack(b"\x24" * 32, 3, b"\x25" * 32), value=bond(game, 4))
    # the leaves are TX_DEPTH levels below the block subgame's root: depth 5 here
    assert game.functions.MAX_DEPTH().call() == SPLIT_DEPTH + 1 + TX_DEPTH
    no_finish = ([], b"", b"")
    no_leaf = (0, b"\x00" * 32, 0, [])
    no_acc = (b"\x00" * 32, 0, b"\x00" * 32, b"\x00" * 32, [b"\x00" * 32] * 8)  # BlockAccumulator.Acc
    no_tries = ([], [], b"", ([], False, 0, b"\x00" * 32))
    assert contracts.revert_of(CHALLENGER, game.functions.stepFinish(4, True, (b"\x00" * 32,) * 4, no_leaf, no_acc, no_finish)) == ("InvalidParent", ())
    contracts.ok(CHALLENGER, game.functions.attack(b"\x25" * 32, 4, b"\x26" * 32), value=bond(game, 5))
    assert contracts.revert_of(DEFENDER, game.functions.attack(b"\x26" * 32, 5, b"\x27" * 32),
                               value=bond(game, 5)) == ("GameDepthExceeded", ())
    # steps: only on a leaf, and with the leaf's own kind (index 0 of the block's trace is a transaction)
    starting = (b"\x00" * 32,) * 4
    no_inputs = (0, b"\x00" * 32, 0, [b"\x00" * 32])  # InputLeaf: past the end of an empty block
    no_tx, no_ancestry = ([], [], b""), (b"", [], 0)
    assert contracts.revert_of(CHALLENGER, game.functions.stepTransaction(3, True, starting, no_inputs, no_tx, no_ancestry, no_acc, no_tries)) == ("InvalidParent", ())
    assert contracts.revert_of(DEFENDER, game.functions.stepFinish(5, True, starting, no_inputs, no_acc, no_finish)) == ("WrongLeafKind", (0,))
    assert contracts.revert_of(DEFENDER, game.functions.stepTransaction(5, True, starting, no_inputs, no_tx, no_ancestry, no_acc, no_tries)) == (
        "InputsMismatch", (named_hash, game.functions.inputsHash(([], 0)).call()))
    assert contracts.revert_of(DEFENDER, game.functions.stepTransaction(5, True, starting, no_leaf, no_tx, no_ancestry, no_acc, no_tries)) == ("BadInputBranch", (0, 1))
    assert game.functions.claimDataLen().call() == claims + 4
    assert [game.functions.claimData(i).call()[1] for i in range(6)] == ["0x" + "00" * 20] * 6
    # the clock of the side that moved last runs for the other side
    warp(contracts, MAX_CLOCK_S + 1)
    assert contracts.revert_of(CHALLENGER, game.functions.claimCredit(contracts.address(CHALLENGER))) == ("GameNotResolved", ())
    assert contracts.revert_of(CHALLENGER, game.functions.resolveClaim(3)) == ("OutOfOrderResolution", ())
    del oracle


def test_the_leaf_steps_run_in_the_leaves_contract_on_the_game_s_storage(contracts: Contracts, system, isolated) -> None:
    """`stepTransaction`, `stepFinish`, `stepInput` and `inputsHashOfLeaf` are `OutputDisputeGameLeaves`'
    code, reached through the game's `fallback` (the refusals above come from there, with the
    game's claims). Called directly, the leaves contract reads its own storage, which holds no
    claim; a call data the game does not know reverts and leaves the game as it was."""
    from genesis.artifacts import load_artifact

    factory = system["factory"]
    _, game = open_game(contracts, system, b"\x31" * 32, b"\x32" * 32)
    leaves = contracts.w3.eth.contract(address=factory.functions.config().call()[12],
                                       abi=list(load_artifact("OutputDisputeGameLeaves").abi))
    no_end = (bytes(32), bytes(32), bytes(32))
    assert contracts.revert_of(DEFENDER, game.functions.stepInput(1, ([], 0), no_end, b"")) == ("NotABlockClaim", ())
    assert contracts.revert_of(DEFENDER, leaves.functions.stepInput(1, ([], 0), no_end, b"")) == ("ClaimNotFound", (1,))
    leaf = (3, b"\x44" * 32, 7, [b"\x45" * 32, b"\x46" * 32])
    assert game.functions.inputsHashOfLeaf(2, leaf).call() == leaves.functions.inputsHashOfLeaf(2, leaf).call()
    from web3.exceptions import ContractLogicError

    with pytest.raises(ContractLogicError):  # no such function, in the game or its leaves
        contracts.w3.eth.call({"from": contracts.address(DEFENDER), "to": game.address, "data": "0x12345678"})
    assert game.functions.claimDataLen().call() == 2 and game.functions.status().call() == 0


def test_a_game_without_leaves_code_is_never_created(contracts: Contracts, isolated) -> None:
    """A factory whose `Config.leaves` holds no code would open games no step could decide: the
    game's constructor refuses (`NoLeavesCode`), `create` reverts with it, no game exists and the
    output stays as proposed."""
    from genesis.artifacts import load_artifact

    no_code = contracts.address(DEFENDER)  # an account without code
    system = deploy_system(contracts, leaves=no_code)
    oracle, factory = system["oracle"], system["factory"]
    index = propose(contracts, oracle, b"\x41" * 32)
    create = factory.functions.create(index, b"\x42" * 32)
    tx = {"to": factory.address, "data": create._encode_transaction_data(), "value": factory.functions.createBond().call()}
    game_abi = list(load_artifact("OutputDisputeGame").abi)
    assert contracts.revert_of_raw(CHALLENGER, tx, game_abi) == ("NoLeavesCode", (no_code,))
    assert factory.functions.gameCount().call() == 0
    assert oracle.functions.getL2Output(index).call()[0] == b"\x41" * 32


def test_the_inputs_hash_is_a_merkle_root_and_a_step_reads_one_leaf_of_it(contracts: Contracts, system, isolated) -> None:
    """`inputsHash` of a block's inputs is keccak(count, Merkle root, timestamp), computed alike by the game and
    by the challenger (`prover.dispute_block.inputs_hash`); a step shows one transaction's leaf and
    its branch of ceil(log2 count) hashes (`inputsHashOfLeaf`, what `stepTransaction` and
    `stepFinish` check), so its calldata does not grow with the block: leaf 4,999 of 5,000 is 13
    hashes where the list is 160 kB. Past the last transaction (padding) the branch is [root]. The
    timestamp is part of the hash: a leaf shown with another timestamp gives another hash."""
    _, game = open_game(contracts, system, b"\x31" * 32, b"\x32" * 32)
    timestamp = 1_700_000_123
    for count in (0, 1, 2, 3, 5, 8, 4096, 5000):
        txs = [keccak(b"tx %d" % k) for k in range(count)]
        expected = inputs_hash(txs, timestamp)
        assert bytes(game.functions.inputsHash((txs, timestamp)).call()) == expected, count
        for k in sorted({0, 1, count // 2, max(count - 1, 0), count, count + 3}):
            leaf = input_leaf(txs, timestamp, k)
            assert len(leaf[3]) == (1 if k >= count else (count - 1).bit_length())
            assert bytes(game.functions.inputsHashOfLeaf(k, leaf).call()) == expected, (count, k)
            assert bytes(game.functions.inputsHashOfLeaf(k, (*leaf[:2], timestamp + 1, leaf[3])).call()) != expected
        if count > 1:  # another sibling, or the leaf shown at another index: another hash
            n, tx, at, branch = input_leaf(txs, timestamp, count - 1)
            assert bytes(game.functions.inputsHashOfLeaf(count - 1, (n, tx, at, [b"\x01" * 32, *branch[1:]])).call()) != expected
            assert bytes(game.functions.inputsHashOfLeaf(count - 2, (n, tx, at, branch)).call()) != expected
    assert contracts.revert_of(CHALLENGER, game.functions.inputsHashOfLeaf(0, (3, b"\x01" * 32, 0, [b"\x03" * 32]))) == (
        "BadInputBranch", (1, 2))
