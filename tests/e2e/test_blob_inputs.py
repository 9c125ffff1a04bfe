"""Blob-carried batches decided on L1 (docs/fault-proofs.md, "Deciding a block's inputs on L1",
blob items): a real sequencer whose batcher posts its batches as EIP-4844 blob transactions
(`--batcher-blobs`) to the devnet's `BatchInbox` on a real anvil, which records each as a kind-1
item (keccak of its versioned hashes).

- `InputOracle`: every L2 block is decided with the batch derivation took for it, taken by its hash
  (`found`): the prover reads the frames from their blobs (anvil's beacon API) and shows the channel's
  bytes whole, no blob (the oracle reads none); a transaction no batch carried is refuted; in a game,
  the proposer's `stepInput` with the challenger's evidence (`InputEvidenceSource.parts`) counters a
  block claim naming it, and the true inputs' step is refused (`InputsMatch`).
- `DerivationStep`: for every L1 block with blob items in a blob-batched L2 block's range S .. E
  (the batch derivation takes, and a full blob of 65,020 bytes of batcher data: one frame closing a
  channel of one undecodable batch, dropped), and the L1 block after each, the leaf's post state on the node's pre state
  (`lantau_derivationState`), with the arguments the challenger builds
  (`prover.derivation_player.DerivationStepSource`), is the node's own commitment
  (`lantau_derivationTrace`): the blobs run through frames, channel bank and batch queue on L1
  as node/derive runs them, within EIP-7825's 16,777,216 gas per transaction.
- Bad blob evidence at the leaf (a wrong byte of the half, a wrong proof, a wrong quotient
  commitment, swapped proofs, versioned hashes not the inbox's item, a blob left out) is refused by name, and the same call with L1's data gives the same answer
  afterwards (the leaf is a view: no state to lose).
- A channel of near-incompressible transactions past one blob goes out in calldata, and the step
  over its L1 block is node's commitment and under geth's 128 KiB.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError

from bridge.deposit_client import deposit_hkd, wait_for_l2_receipt
from bridge.devnet import L1Devnet, devnet_rollup_config
from bridge.l1_client import L1Client
from genesis.artifacts import load_artifact
from genesis.config import DEVNET_GENESIS_PATH
from node.batch_inbox import BLOBS_KIND, CALLDATA_KIND
from bridge.tx_manager import TxCandidate, TxManager
from node.blobs import HALF_SIZE, MAX_BLOB_DATA_SIZE, encode_blob, open_half, versioned_hash
from node.channels import Frame, channel_id, encode_batcher_tx_data, encode_channel
from prover.blob_evidence import SHOWN_BLOB_ABI
from prover.derivation_evidence import step_config
from prover.derivation_player import DerivationStepSource
from prover.dispute_block import DerivationEnd
from prover.input_evidence import Evidence, encode_evidence, l1_block_slots
from prover.input_step import InputEvidenceSource, InputRollup
from prover.rollup_client import RollupClient
from sequencer.batcher import inbox_call_gas
from tests.e2e.test_input_oracle import (
    ACCOUNTS, BATCHER, L2_CHAIN_ID, LIAR, ORACLE_DEPLOYER, PROPOSER, Setup, _refusal, deploy_oracle,
    game_at_block_one_of_four, transact,
)
from tests.e2e.test_verifier import wait_until, write_rollup
from tests.harness.evm import decode_custom_error

@pytest.fixture
def l1_block_time_s() -> None:
    """The `l1` devnet on automine: L1 moves when a transaction lands (the batcher's, the test's) or
    the test mines, so a blob batcher slowed by a loaded machine (KZG cell proofs) still lands
    within the sequencing window, and the test mines to a range's end at once."""
    return None


#: EIP-7825's cap on one transaction's gas: a leaf must fit it.
EIP_7825_TX_GAS_CAP = 16_777_216


def test_blob_carried_batches_decided_on_l1(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    sequencer, rollup, setup = blob_sequencer(node_factory, l1, tmp_path)
    l2, l1_w3, oracle, abi = setup.l2, setup.l1_w3, setup.oracle, setup.abi

    sent = [transfer(l2, nonce) for nonce in range(3)]
    deposit = deposit_hkd(l1_w3, l1.deployment, ACCOUNTS[0].private_key, to=ACCOUNTS[9].address, amount_units=1_230_000)
    sent += [transfer(l2, nonce) for nonce in range(3, 7)]
    for tx_hash in (*sent, deposit.l2_tx_hash):
        wait_for_l2_receipt(l2, tx_hash, timeout_s=120)
    time.sleep(1)  # a few blocks with no user transaction
    # --- a full blob: one frame closing a FastLZ channel of ~63 KB (incompressible) holding one batch
    # of an unknown version: derivation drops the batch, the step below likewise ---
    rpc(l2, "admin_stopSequencer")  # its batcher has nothing left to post: the batcher key is the test's
    head = l2.eth.block_number
    wait_until(lambda: rpc(l2, "lantau_syncStatus")["safe_l2"]["number"] >= head, 120, "everything posted")
    full = full_blob_data(63_400, open_block=l1_w3.eth.block_number)
    assert MAX_BLOB_DATA_SIZE - 500 < len(full) <= MAX_BLOB_DATA_SIZE
    receipt = TxManager(L1Client(l1_w3), BATCHER.private_key).send(
        TxCandidate(to=l1.deployment.batch_inbox, blobs=(encode_blob(full),), gas_limit=inbox_call_gas(b"")))
    assert receipt["status"] == 1
    full_block = int(receipt["blockNumber"])
    # derivation's answer for a block is final once L1 is past its range's end E (origin + window)
    range_end = setup.origin_of(head)[0] + rollup.sequencing_window
    l1_w3.provider.make_request("anvil_mine", [hex(max(0, range_end + 2 - l1_w3.eth.block_number))])
    inbox = setup.inbox_blocks(rollup.l1_start_block, l1_w3.eth.block_number)
    kinds = [kind for block in inbox for kind, _ in block.items]
    assert kinds and set(kinds) == {BLOBS_KIND}, kinds  # every batch in a blob

    # --- InputOracle: blocks decided with the blob-carried batch derivation takes ---------------------
    # (node's `found`, `lantau_derivationEnd`: on a loaded machine a batch may land late and the
    # block be forced instead, which the oracle then decides with found = 0); every block with
    # transactions or deposits, and the first empty ones
    batched: dict[int, Evidence] = {}
    decided = {"blob batch": 0, "forced": 0}
    empty_left = 3
    for number in range(1, head + 1):
        hashes, timestamp, evidence, forced = setup.honest(number)
        if len(hashes) == 1 and not evidence.deposits:
            if empty_left == 0:
                continue
            empty_left -= 1
        found = setup._found[number] = bytes.fromhex(rpc(l2, "lantau_derivationEnd", hex(number))["found"][2:])
        if found == bytes(32):
            assert setup.check(number, hashes, timestamp, evidence, found=found) == ("ok", forced), f"block {number}, forced"
            decided["forced"] += 1
            continue
        shown = setup.with_batch(number, evidence, inbox, found=found)
        assert shown is not None, f"block {number}: derivation's batch not in the inbox"
        assert shown.batch.posted and all(frame.kind == BLOBS_KIND for frame in shown.batch.posted)
        assert setup.check(number, hashes, timestamp, shown, found=found) == ("ok", forced), f"block {number} with its blob batch"
        batched[number] = shown
        decided["blob batch"] += 1
    assert any(len(l2.eth.get_block(n)["transactions"]) > 1 for n in batched), decided
    number = max(batched, key=lambda n: len(l2.eth.get_block(n)["transactions"]))
    hashes, timestamp, _, forced = setup.honest(number)
    shown = batched[number]
    assert len(hashes) > forced
    gas = setup.gas(number, hashes, timestamp, shown)
    never_sent = Account.sign_transaction({"to": ACCOUNTS[5].address, "value": 1, "gas": 21_000, "maxFeePerGas": 10**11,
                                           "maxPriorityFeePerGas": 1, "nonce": 999, "chainId": L2_CHAIN_ID}, ACCOUNTS[4].private_key)
    assert setup.check(number, [*hashes, bytes(never_sent.hash)], timestamp, shown) == ("NotTheBatchedTransactions", len(hashes))
    assert setup.refutes(number, [*hashes, bytes(never_sent.hash)], timestamp, shown) is True
    assert setup.check(number, [*hashes[:forced], *hashes[forced + 1:]], timestamp, shown) == ("NotTheBatchedTransactions", forced)

    # decided without any blob shown: the evidence is the channel's bytes (no blob, commitment or
    # proof; before, a whole 131,072-byte blob per frame read by `BlobReader`)
    root, parent = setup.parent_output(number)
    shown_bytes = len(encode_evidence(parent, shown))
    assert shown_bytes < MAX_BLOB_DATA_SIZE // 4 and len(shown.batch.channel) < shown_bytes, (shown_bytes, len(shown.batch.channel))

    # --- a game played to the input leaf on the blob batch: the liar's block claim names a transaction
    # no batch carried; the proposer's stepInput, with the evidence the challenger builds (its batch's
    # frames read from their blobs), counters it on L1 ------------------------------------------------
    assert number + 3 <= head
    start = number - 1
    outputs = {n: setup.parent_output(n + 1)[0] for n in range(start, start + 5)}
    game, bond = game_at_block_one_of_four(setup, start, outputs, b"a lie about a blob-batched block")
    end = DerivationEnd(keccak(b"bank"), keccak(b"queue"), setup._found[number])  # undisputed: no bisection here
    lie_inputs = ([*hashes, bytes(never_sent.hash)], timestamp)
    transact(l1_w3, LIAR, game.functions.moveToBlock(outputs[start + 1], 2, keccak(b"another output"), lie_inputs, end.commitment(), True),
             value=bond(3))
    inputs_source = InputEvidenceSource(L1Client(l1_w3), RollupClient(sequencer.rpc_url), InputRollup.of(rollup))
    parent, evidence = inputs_source.parts(number, setup.l1_info_tx(number), timestamp, end.found)
    assert evidence.batch.posted and all(frame.kind == BLOBS_KIND for frame in evidence.batch.posted)
    assert evidence.batch == shown.batch  # the same channel, batch, inclusion and block as derivation's
    step_input = game.functions.stepInput(3, lie_inputs, end.abi_tuple(), encode_evidence(parent, evidence))
    step_input_gas = int(transact(l1_w3, PROPOSER, step_input)["gasUsed"])
    assert game.functions.inputCounteredBy(3).call() == PROPOSER.address
    # the true inputs with the same evidence: refused by name, nothing recorded
    transact(l1_w3, LIAR, game.functions.moveToBlock(outputs[start + 1], 2, keccak(b"a third output"), (hashes, timestamp),
                                                     end.commitment(), True), value=bond(3))
    true_index = game.functions.claimDataLen().call() - 1
    assert _refusal(game, game.functions.stepInput(true_index, (hashes, timestamp), end.abi_tuple(),
                                                   encode_evidence(parent, evidence))) == "InputsMatch"
    assert game.functions.inputCounteredBy(true_index).call() == "0x" + "00" * 20

    # --- DerivationStep: every L1 block of the last batched block's range (the full blob's L1 block
    # among them), as the challenger shows it ----------------------------------------------------------
    leaf, leaf_abi = deploy_leaf(l1_w3, oracle, l1.deployment.batch_inbox, rollup, abi)
    stepped = max(batched)
    first, last = leaf.functions.derivationRange(stepped == 1, setup.origin_of(stepped - 1)[0]).call()
    assert first <= full_block <= last < l1_w3.eth.block_number - 1
    source = DerivationStepSource(InputEvidenceSource(L1Client(l1_w3), RollupClient(sequencer.rpc_url), InputRollup.of(rollup)))
    trace = rpc(l2, "lantau_derivationTrace", hex(stepped))
    assert (trace["first"], trace["last"]) == (first, last) and trace["found"] is not None
    commitments = [bytes.fromhex(c[2:]) for c in trace["commitments"]]
    root = setup.parent_output(stepped)[0]
    # the L1 blocks with blob items, and the one after each (calldata-only L1 blocks are
    # tests/e2e/test_derivation_step.py's): the leaf's post is node's commitment at each
    with_blobs_at = {block.number for block in setup.inbox_blocks(first, last)}
    blob_blocks: dict[int, tuple[Any, ...]] = {}
    for b in sorted({n + k for n in with_blobs_at for k in (0, 1) if n + k <= last}):
        pre, inbox_data, evidence = source.step_args(stepped, b, last)
        pre_commitment = bytes.fromhex(rpc(l2, "lantau_derivationState", hex(stepped), hex(b))["commitment"][2:])
        args = (stepped, root, pre_commitment, b, pre, inbox_data, evidence)
        assert call(leaf, leaf_abi, args) == ("ok", commitments[b - first]), f"L1 block {b}"
        if b in with_blobs_at:
            assert {kind for kind, _ in inbox_data[0]} == {BLOBS_KIND}
            blob_blocks[b] = args
    assert full_block in blob_blocks and len(blob_blocks) >= 2, blob_blocks.keys()
    found_at = trace["found"]["inclusion"]
    assert found_at in blob_blocks  # the batch derivation takes came whole in a blob, read by the leaf
    step_gas = leaf.functions.step(*blob_blocks[found_at]).estimate_gas()
    full_gas = leaf.functions.step(*blob_blocks[full_block]).estimate_gas()
    assert full_gas < EIP_7825_TX_GAS_CAP
    assert "unknown batch version 0x07" in sequencer.output  # node dropped the full blob's batch too (the commitments agree)
    step_bytes = {b: len(bytes.fromhex(leaf.functions.step(*blob_blocks[b])._encode_transaction_data()[2:])) for b in (found_at, full_block)}
    assert all(len(d) <= HALF_SIZE + 1_000 for d in blob_blocks[full_block][5][1])  # a blob is shown by its half
    assert max(step_bytes.values()) < 120_000  # under geth's 128 KiB pool limit with a transaction's envelope

    # bad blob evidence at the leaf: refused by name, the step with L1's blobs unchanged afterwards
    args = blob_blocks[found_at]
    items, data = args[5]
    at = next(i for i, (kind, _) in enumerate(items) if kind == BLOBS_KIND)
    (blobs_shown,) = abi_decode([f"{SHOWN_BLOB_ABI}[]"], data[at])
    first_blob = blobs_shown[0]
    blob_hash = bytes(first_blob[0][0])

    def with_blobs(*blobs: Any) -> tuple[Any, ...]:
        replaced = list(data)
        replaced[at] = abi_encode([f"{SHOWN_BLOB_ABI}[]"], [list(blobs)])
        return (*args[:5], (items, replaced), args[6])

    other = open_half(encode_blob(b"\x00another blob"))
    other_hash = versioned_hash(other.commitment)
    # ShownBlob: (versioned hashes, index, half, C, C_q, y, y_q, proof, quotient proof)
    b0 = bytes(first_blob[2])
    assert call(leaf, leaf_abi, with_blobs((first_blob[0], 0, b0[:40] + bytes([b0[40] ^ 1]) + b0[41:], *first_blob[3:]), *blobs_shown[1:])) == (
        "BlobNotProven", (blob_hash,))
    assert call(leaf, leaf_abi, with_blobs((*first_blob[:7], other.proof, first_blob[8]), *blobs_shown[1:])) == ("BlobNotProven", (blob_hash,))
    assert call(leaf, leaf_abi, with_blobs((*first_blob[:4], other.quotient_commitment, *first_blob[5:]), *blobs_shown[1:])) == (
        "BlobNotProven", (blob_hash,))
    assert call(leaf, leaf_abi, with_blobs((*first_blob[:7], first_blob[8], first_blob[7]), *blobs_shown[1:])) == ("BlobNotProven", (blob_hash,))
    assert call(leaf, leaf_abi, with_blobs((*first_blob[:8], other.quotient_proof), *blobs_shown[1:])) == (
        "QuotientNotProven", (bytes(versioned_hash(first_blob[4])),))
    assert call(leaf, leaf_abi, with_blobs(([other_hash] * len(blobs_shown), 0, *first_blob[2:]), *blobs_shown[1:])) == ("BlobsNotInItem", (items[at][1],))
    assert call(leaf, leaf_abi, with_blobs()) == ("BlobsNotShown", (items[at][1], 0))
    assert call(leaf, leaf_abi, args) == ("ok", commitments[found_at - first])
    print(f"\nblob-carried batches: L2 blocks decided by InputOracle {decided} (checkInputs of block {number}, "
          f"{len(hashes) - forced} user txs, its batch in a blob, the channel shown ({len(shown.batch.channel):,} B, evidence "
          f"{shown_bytes:,} B): {gas:,} L1 gas); DerivationStep for block {stepped} over L1 blocks "
          f"{first}..{last}, {len(blob_blocks)} with blob items; the step reading the found batch's blob: {step_gas:,} L1 gas, "
          f"{step_bytes[found_at]:,} B of calldata; a full blob ({len(full):,} bytes, one frame, its batch dropped): "
          f"{full_gas:,} L1 gas, {step_bytes[full_block]:,} B of calldata; "
          f"the game's stepInput countering a transaction no blob batch carried: {step_input_gas:,} L1 gas")


def blob_sequencer(node_factory: Any, l1: L1Devnet, tmp_path: Path) -> tuple[Any, Any, Setup]:
    """A `lantau node` sequencer whose batcher posts in blobs (`--batcher-blobs`) on the `l1` devnet,
    its rollup config, and an `InputOracle` deployed beside it (`Setup`)."""
    rollup_path = write_rollup(l1, tmp_path)
    rollup = devnet_rollup_config(l1.deployment, DEVNET_GENESIS_PATH)
    sequencer = node_factory(data_dir=tmp_path / "sequencer", block_time_s=0.5, extra_args=(
        "--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup_path), "--batcher-key", BATCHER.private_key, "--batcher-blobs", "--admin"))
    l2 = Web3(Web3.HTTPProvider(sequencer.rpc_url, request_kwargs={"timeout": 120}))
    l1_w3, oracle, abi = deploy_oracle(l1, rollup)
    return sequencer, rollup, Setup(l1, l1_w3, l2, oracle, abi, rollup)


def transfer(l2: Web3, nonce: int) -> bytes:
    """A transfer from dev account 4 with that nonce (counted here: the pool's pending count may lag)."""
    tx = {"to": ACCOUNTS[5].address, "value": 10**15 + nonce, "gas": 21_000, "maxFeePerGas": 10**11,
          "maxPriorityFeePerGas": 10**9, "nonce": nonce, "chainId": L2_CHAIN_ID}
    return bytes(l2.eth.send_raw_transaction(Account.sign_transaction(tx, ACCOUNTS[4].private_key).raw_transaction))


def full_blob_data(batch_bytes: int, open_block: int) -> bytes:
    """Batcher data that (nearly) fills a blob: one frame closing a FastLZ channel of one
    `batch_bytes`-byte batch of unknown type (random, so FastLZ cannot shrink it), shortened until
    it fits; its channel id names L1 block `open_block`."""
    while True:
        channel = encode_channel([b"\x07" + os.urandom(batch_bytes - 1)])
        data = encode_batcher_tx_data([Frame(channel_id(open_block, os.urandom(8)), 0, channel, True)])
        if len(data) <= MAX_BLOB_DATA_SIZE:
            return data
        batch_bytes -= 100


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    reply = w3.provider.make_request(method, list(params))
    assert "error" not in reply, reply
    return reply["result"]


def deploy_leaf(w3: Web3, oracle: Contract, inbox: str, rollup: Any, oracle_abi: list[dict[str, Any]]) -> tuple[Contract, list[dict[str, Any]]]:
    """`DerivationStep` beside the oracle, reading the inbox `inbox`, the oracle's BatchReader and a
    BlobReader of its own."""

    def deploy(name: str, *args: Any) -> Contract:
        artifact = load_artifact(name)
        receipt = w3.eth.wait_for_transaction_receipt(w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode).constructor(
            *args).transact({"from": ORACLE_DEPLOYER.address}))
        assert receipt["status"] == 1
        return w3.eth.contract(address=receipt["contractAddress"], abi=list(artifact.abi))

    leaf = deploy("DerivationStep", step_config(anchors=oracle.functions.anchors().call(), inbox=inbox,
                                                reader=oracle.functions.reader().call(), blob_reader=deploy("BlobReader").address,
                                                rollup=rollup, l2_chain_id=L2_CHAIN_ID, l1_block_slots=l1_block_slots()))
    errors = [e for name in ("L2ParentLib", "BatchRules", "L1HeaderLib", "BlobReader") for e in load_artifact(name).abi if e["type"] == "error"]
    return leaf, [*leaf.abi, *oracle_abi, *errors]


def call(leaf: Contract, abi: list[dict[str, Any]], args: tuple[Any, ...]) -> tuple[str, Any]:
    """`DerivationStep.step` as an L1 call: ("ok", post) or the named refusal."""
    try:
        return ("ok", bytes(leaf.functions.step(*args).call()))
    except (ContractCustomError, ContractLogicError) as exc:
        data = exc.data if isinstance(exc.data, str) else None
        assert data, f"reverted without data: {exc!r}"
        return decode_custom_error(abi, bytes.fromhex(data.removeprefix("0x")))


def test_a_channel_past_one_blob_steps_under_128_kib(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """A blob batcher's channel of near-incompressible transactions past one blob's 65,020 bytes of
    data goes out in calldata (sequencer/channel_manager.py); the `DerivationStep` over the L1 block
    it lands in, with the arguments the challenger builds, gives node's commitment, and its calldata
    is under geth's 128 KiB (two blobs of one transaction were 132,800 B of `ShownBlob[]` alone)."""
    sequencer, rollup, setup = blob_sequencer(node_factory, l1, tmp_path)
    l2, l1_w3, oracle, abi = setup.l2, setup.l1_w3, setup.oracle, setup.abi
    rpc(l2, "admin_stopSequencer")  # the pool fills while no block is built: the next blocks take it in order
    wait_until(lambda: rpc(l2, "lantau_syncStatus")["safe_l2"]["number"] >= l2.eth.block_number, 120, "everything posted")
    # ~58.8 KB then ~4.3 KB of random calldata: a block at the pool's 59,744 B, then the rest; one channel
    # (under 64,000 decompressed bytes) whose FastLZ stream (+1 byte in 32 on random data) passes one blob
    sent = [random_data_tx(l2, nonce, size) for nonce, size in enumerate((14_700, 14_700, 14_700, 14_700, 4_300))]
    rpc(l2, "admin_startSequencer")
    receipts = [wait_for_l2_receipt(l2, tx_hash, timeout_s=120) for tx_hash in sent]
    assert all(r["status"] == 1 for r in receipts)
    batched = sorted({int(r["blockNumber"]) for r in receipts})
    head = l2.eth.block_number
    wait_until(lambda: rpc(l2, "lantau_syncStatus")["safe_l2"]["number"] >= head, 120, "the blocks posted")
    range_end = setup.origin_of(head)[0] + rollup.sequencing_window
    l1_w3.provider.make_request("anvil_mine", [hex(max(0, range_end + 2 - l1_w3.eth.block_number))])

    number = batched[0]
    trace = rpc(l2, "lantau_derivationTrace", hex(number))
    assert trace["found"] is not None
    found_at, first, last = int(trace["found"]["inclusion"]), int(trace["first"]), int(trace["last"])
    [block] = setup.inbox_blocks(found_at, found_at)
    kinds = [kind for kind, _ in block.items]
    assert kinds == [CALLDATA_KIND] and MAX_BLOB_DATA_SIZE < len(block.shown[0]), (kinds, [len(d) for d in block.shown])
    leaf, leaf_abi = deploy_leaf(l1_w3, oracle, l1.deployment.batch_inbox, rollup, abi)
    source = DerivationStepSource(InputEvidenceSource(L1Client(l1_w3), RollupClient(sequencer.rpc_url), InputRollup.of(rollup)))
    pre, inbox_data, evidence = source.step_args(number, found_at, last)
    pre_commitment = bytes.fromhex(rpc(l2, "lantau_derivationState", hex(number), hex(found_at))["commitment"][2:])
    args = (number, setup.parent_output(number)[0], pre_commitment, found_at, pre, inbox_data, evidence)
    commitments = [bytes.fromhex(c[2:]) for c in trace["commitments"]]
    assert call(leaf, leaf_abi, args) == ("ok", commitments[found_at - first])
    step_bytes = len(bytes.fromhex(leaf.functions.step(*args)._encode_transaction_data()[2:]))
    step_gas = leaf.functions.step(*args).estimate_gas()
    assert step_bytes < 120_000 and step_gas < EIP_7825_TX_GAS_CAP  # under geth's 128 KiB with a transaction's envelope
    print(f"\na channel past one blob (L2 blocks {batched}): one calldata transaction of {len(block.shown[0]):,} B; the step over "
          f"its L1 block {step_bytes:,} B of calldata, {step_gas:,} L1 gas")


def random_data_tx(l2: Web3, nonce: int, size: int) -> bytes:
    """A transaction from dev account 4 carrying `size` random (incompressible) calldata bytes."""
    tx = {"to": ACCOUNTS[5].address, "value": 1, "data": os.urandom(size), "gas": 21_000 + 40 * size, "maxFeePerGas": 10**11,
          "maxPriorityFeePerGas": 10**9, "nonce": nonce, "chainId": L2_CHAIN_ID}
    return bytes(l2.eth.send_raw_transaction(Account.sign_transaction(tx, ACCOUNTS[4].private_key).raw_transaction))
