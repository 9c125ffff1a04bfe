"""A block too large for one `moveToBlock`: its transaction hashes published in chunks
(`DisputeGameFactory.publishInputs`, `OutputDisputeGame.moveToBlockPublished`; docs/fault-proofs.md, "Inputs as a
Merkle root") on a game with tx depth 16 (a block's trace of 65,536: `SystemConfig`'s 200M L2 gas
limit holds 9,476 transfers). The game keeps the hashes as a Merkle frontier and names the same
`inputsHash` the whole list gives (`prover.dispute_block.inputs_hash`); the shipped client
(`DisputeGameClient.move_to_block`) publishes a list longer than `INPUTS_IN_CALL` in chunks, each
an L1 transaction far under geth's 128 KiB, and reads it back from the chunks' events; a leaf past
transaction 4,095 is stepped on with its branch of 13 hashes."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from web3.contract import Contract

from bridge.l1_client import L1CallReverted, L1Client
from bridge.l1_contract_clients import INPUTS_IN_CALL, DisputeGameClient, InputsPublicationMismatch, inputs_publication_id
from bridge.tx_manager import TxManager, TxManagerConfig
from prover.dispute_block import input_leaf, inputs_hash
from tests.contracts.test_dispute_game import CHALLENGER, DEFENDER, SPLIT_DEPTH, bond, deploy_system, game_at, propose
from tests.harness.evm import Contracts

DEEP_TX_DEPTH = 16
TIMESTAMP = 1_700_000_321
END = bytes.fromhex("ee" * 32)  # the block claim's derivationEnd (no input leaf here)


@pytest.fixture(scope="module")
def deep_system(contracts: Contracts) -> dict[str, Contract]:
    return deploy_system(contracts, DEEP_TX_DEPTH)


@pytest.fixture(scope="module")
def shallow_system(contracts: Contracts) -> dict[str, Contract]:
    return deploy_system(contracts, 2)  # at most 3 transactions a block


def game_at_the_split(contracts: Contracts, system: dict[str, Contract]) -> Contract:
    """A game whose next move (by the challenger, attacking claim 2) opens a block subgame."""
    index = propose(contracts, system["oracle"], b"\x21" * 32)
    factory = system["factory"]
    receipt = contracts.ok(CHALLENGER, factory.functions.create(index, b"\x22" * 32), value=factory.functions.createBond().call())
    (event,) = factory.events.GameCreated().process_receipt(receipt)
    game = game_at(contracts, event["args"]["game"])
    contracts.ok(DEFENDER, game.functions.attack(b"\x22" * 32, 1, b"\x23" * 32), value=bond(game, 2))
    return game


def hashes(count: int) -> list[bytes]:
    return [keccak(b"transaction %d" % k) for k in range(count)]


def test_published_chunks_name_the_same_inputs_hash_as_the_whole_list(contracts: Contracts, deep_system, isolated) -> None:
    """Counts around every power-of-two edge the frontier has (1, 2, 3, 4, 5, 7, 8, 9), published
    in uneven chunks on the factory, give the hash of the whole list."""
    game, factory = game_at_the_split(contracts, deep_system), deep_system["factory"]
    assert game.functions.MAX_DEPTH().call() == SPLIT_DEPTH + 1 + DEEP_TX_DEPTH
    assert game.functions.TRACE_LENGTH().call() == 1 << DEEP_TX_DEPTH
    for count in (1, 2, 3, 4, 5, 7, 8, 9):
        txs, publication = hashes(count), keccak(b"count %d" % count)
        for first in range(0, count, 3):  # chunks of 3 (the last shorter)
            receipt = contracts.ok(CHALLENGER, factory.functions.publishInputs(publication, txs[first:first + 3]))
            (chunk,) = factory.events.BlockInputsChunk().process_receipt(receipt)
            assert (chunk["args"]["first"], [bytes(h) for h in chunk["args"]["txHashes"]]) == (first, txs[first:first + 3])
        assert factory.functions.publishedInputsHash(contracts.address(CHALLENGER), publication, TIMESTAMP).call() == [
            count, inputs_hash(txs, TIMESTAMP)]
        claims = game.functions.claimDataLen().call()
        snapshot = contracts.anvil.rpc("evm_snapshot")
        contracts.ok(CHALLENGER, game.functions.moveToBlockPublished(b"\x23" * 32, 2, b"\x24" * 32, publication, TIMESTAMP, END, True),
                     value=bond(game, 3))
        assert bytes(game.functions.blockInputs(claims).call()) == inputs_hash(txs, TIMESTAMP), count
        assert bytes(game.functions.blockInputs(claims).call()) == bytes(game.functions.inputsHash((txs, TIMESTAMP)).call())
        contracts.anvil.rpc("evm_revert", [snapshot])
    # another publisher's chunks under the same id are its own
    assert factory.functions.publishedInputsHash(contracts.address(DEFENDER), keccak(b"count 9"), 0).call()[0] == 0


def test_a_chunk_past_the_trace_is_refused_by_name_and_nothing_is_published(contracts: Contracts, shallow_system,
                                                                             isolated) -> None:
    """Tx depth 2: at most 3 transactions a block. Two, then two more: `TooManyTransactions(4, 3)`,
    the publication still holds the first two and names their hash."""
    game, factory = game_at_the_split(contracts, shallow_system), shallow_system["factory"]
    publication = keccak(b"shallow")
    contracts.ok(CHALLENGER, factory.functions.publishInputs(publication, hashes(2)))
    assert contracts.revert_of(CHALLENGER, factory.functions.publishInputs(publication, hashes(4)[2:])) == ("TooManyTransactions", (4, 3))
    assert factory.functions.publishedInputsHash(contracts.address(CHALLENGER), publication, TIMESTAMP).call() == [
        2, inputs_hash(hashes(2), TIMESTAMP)]
    claims = game.functions.claimDataLen().call()
    contracts.ok(CHALLENGER, game.functions.moveToBlockPublished(b"\x23" * 32, 2, b"\x24" * 32, publication, TIMESTAMP, END, True),
                 value=bond(game, 3))
    assert bytes(game.functions.blockInputs(claims).call()) == inputs_hash(hashes(2), TIMESTAMP)


def test_the_client_publishes_a_block_of_5000_transactions_in_chunks_and_reads_it_back(contracts: Contracts, deep_system,
                                                                                      isolated) -> None:
    """5,000 hashes (160 kB as one list, above geth's 128 KiB) go in 3 chunks of at most 2,048
    (64 KiB of hashes each) and the move; the game's `blockInputs` is Python's `inputs_hash`; the
    client reads the 5,000 back from the chunk events; a step's leaf 4,999 (past 4,095: tx depth 16)
    matches with its 13-hash branch. The same move again (a restarted player) sends no chunk twice
    and is refused by name; a publication L1 holds that the player's chunks cannot continue is
    refused by name with nothing sent."""
    game_contract = game_at_the_split(contracts, deep_system)
    l1 = L1Client(contracts.w3)
    txmgr = TxManager(l1, contracts.keys[CHALLENGER], TxManagerConfig(poll_interval_s=0.05))
    game = DisputeGameClient(l1, game_contract.address)
    txs = hashes(5_000)
    parent = game.claim(2)
    start = contracts.w3.eth.block_number
    receipt = game.move_to_block(txmgr, parent, b"\x24" * 32, (txs, TIMESTAMP), END, True)
    assert receipt["status"] == 1
    sent = [contracts.w3.eth.get_transaction(tx) for n in range(start + 1, contracts.w3.eth.block_number + 1)
            for tx in contracts.w3.eth.get_block(n)["transactions"]]
    assert len(sent) == 4  # 2,048 + 2,048 + 904 hashes, then the move
    assert max(len(bytes(tx["input"])) for tx in sent) < 128 * 1024
    chunk_gas = [int(contracts.w3.eth.get_transaction_receipt(tx["hash"])["gasUsed"]) for tx in sent[:3]]
    print(f"\npublishInputs chunks of {INPUTS_IN_CALL}: L1 gas {chunk_gas}, calldata {[len(bytes(t['input'])) for t in sent[:3]]} B; "
          f"moveToBlockPublished {int(receipt['gasUsed']):,}")
    claim_index = game.claim_count() - 1
    assert bytes(game_contract.functions.blockInputs(claim_index).call()) == inputs_hash(txs, TIMESTAMP)
    assert game.block_inputs(claim_index) == (tuple(txs), TIMESTAMP)
    leaf = input_leaf(txs, TIMESTAMP, 4_999)
    assert len(leaf[3]) == 13
    assert bytes(game_contract.functions.inputsHashOfLeaf(4_999, leaf).call()) == inputs_hash(txs, TIMESTAMP)
    # the same move again: every chunk is on L1 (none sent), the move itself is refused by name
    nonce = txmgr.pending_nonce()
    with pytest.raises(L1CallReverted) as again:
        game.move_to_block(txmgr, parent, b"\x24" * 32, (txs, TIMESTAMP), END, True)
    assert again.value.revert is not None and again.value.revert.name == "ClaimAlreadyExists"
    assert txmgr.pending_nonce() == nonce
    # a publication L1 holds that these chunks cannot continue is refused by name, nothing sent
    other = hashes(5_001)
    publication = inputs_publication_id(2, b"\x25" * 32, True, other, TIMESTAMP)
    contracts.ok(CHALLENGER, deep_system["factory"].functions.publishInputs(publication, other[:5]))
    with pytest.raises(InputsPublicationMismatch):
        game.move_to_block(txmgr, parent, b"\x25" * 32, (other, TIMESTAMP), END, True)
    assert txmgr.pending_nonce() == nonce + 1
