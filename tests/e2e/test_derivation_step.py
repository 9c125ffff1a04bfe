"""The derivation leaf on L1 (`DerivationStep`) against node's own stages (docs/fault-proofs.md,
"Which batch, and the absence of one").

A verifier alone (`lantau node --role verifier`) derives from a real anvil (automine: L1 moves only
when the test sends or mines) where the test is the batcher, posting to the real `BatchInbox`:
garbage, a channel that never closes (it holds the bank's head until it times out), a channel
with an invalid batch (wrong L1 origin hash) and one that does not decode, a valid singular batch
for block 1, the same batch again in another channel and a second valid batch for block 1, a span
batch for blocks 1-3 (overlapping the agreed chain for blocks 2 and 3), and at the end a channel
left unclosed. For L2 blocks 1-4 (block 4 the forced deposit-only block), for EVERY L1 block of
each one's range S .. E, `DerivationStep.step` on the pre-state the node serves
(`lantau_derivationState`) returns exactly the node's commitment (`lantau_derivationTrace`), and
the batch found is the first valid one. Each refusal of the leaf is named, and the same call
with the right data still gives the node's commitment afterwards (the leaf has no state to lose).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import eth_abi
import pytest
import rlp
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError

from bridge.devnet import L1Devnet, devnet_rollup_config
from genesis.artifacts import load_artifact
from genesis.config import DEVNET_GENESIS_PATH
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import L1_BLOCK, L2_TO_L1_MESSAGE_PASSER
from node.batches import SingularBatch, SpanBatch, encode_batch
from node.channels import Compression, Frame, channel_id, compress, encode_batcher_tx_data, encode_channel
from node.l1_header import encode_l1_header
from node.output_root import output_root
from prover.derivation_evidence import (
    STATE_ABI,
    USER_TRANSACTIONS_ABI, inbox_data_abi, judges_batches, l1_header_numbers, overlap_needed, state_abi, step_config,
    step_evidence, user_transactions_evidence,
)
from prover.input_evidence import encode_evidence, l1_block_slots, parent_proof
from bridge.l1_client import L1Client
from prover.input_step import InputEvidenceSource, InputRollup
from prover.staged_step import EIP_7825_TX_GAS_CAP
from prover.rollup_client import RollupClient
from tests.e2e.test_input_oracle import deploy_oracle, oracle_call, raw_deposit
from tests.e2e.test_verifier import wait_until, write_rollup
from tests.harness.evm import decode_custom_error

ACCOUNTS = dev_accounts()
BATCHER = ACCOUNTS[1]
DEPLOYER = ACCOUNTS[6]
L2_CHAIN_ID = 4852
WINDOW, TIMEOUT = 20, 4  # the window holds the 8 channels read one an L1 block behind the unclosed one


@pytest.fixture
def l1_block_time_s() -> None:
    """The `l1` devnet on automine: a block per L1 transaction, and `evm_mine`."""
    return None


@dataclasses.dataclass
class Run:
    l1: L1Devnet
    l1_w3: Web3
    l2: Web3
    step: Contract
    abi: list[dict[str, Any]]

    def rpc(self, method: str, *params: Any) -> Any:
        reply = self.l2.provider.make_request(method, list(params))
        assert "error" not in reply, reply
        return reply["result"]

    def channel_id(self, tag: int) -> bytes:
        """A valid channel id (node/channels.py `channel_id`): it names the L1 head, as the honest
        batcher's do (the next `post` lands after it)."""
        return channel_id(self.l1_w3.eth.block_number, tag.to_bytes(8, "big"))

    def post(self, *calldata: bytes) -> int:
        """Each `calldata` sent by the batcher to the inbox, all in one L1 block; that block."""
        self.l1_w3.provider.make_request("evm_setAutomine", [False])
        sent = [self.l1_w3.eth.send_transaction({"from": BATCHER.address, "to": self.l1.deployment.batch_inbox, "data": d, "gas": 2_000_000})
                for d in calldata]
        self.l1_w3.provider.make_request("evm_mine", [])
        self.l1_w3.provider.make_request("evm_setAutomine", [True])
        receipts = [self.l1_w3.eth.wait_for_transaction_receipt(h) for h in sent]
        assert all(r["status"] == 1 for r in receipts) and len({r["blockNumber"] for r in receipts}) == 1
        return int(receipts[0]["blockNumber"])

    def inbox_data(self, number: int) -> tuple:
        """L1 block `number`'s batcher transactions to the inbox, as it recorded them."""
        inbox = self.l1.deployment.batch_inbox.lower()
        block = self.l1_w3.eth.get_block(number, full_transactions=True)
        txs = [tx for tx in block["transactions"] if (tx.get("to") or "").lower() == inbox and tx["from"].lower() == BATCHER.address.lower()
               and self.l1_w3.eth.get_transaction_receipt(tx["hash"])["status"] == 1]
        return inbox_data_abi([(0, keccak(bytes(tx["input"]))) for tx in txs], [bytes(tx["input"]) for tx in txs])

    def parent(self, number: int) -> tuple[bytes, Any]:
        slots = [hex(s) for s in l1_block_slots()]
        block = self.l2.eth.get_block(number - 1)
        l1_block_proof = self.rpc("eth_getProof", to_checksum_address(L1_BLOCK), slots, hex(number - 1))
        passer = self.rpc("eth_getProof", to_checksum_address(L2_TO_L1_MESSAGE_PASSER), [], hex(number - 1))
        proof = parent_proof(block, l1_block_proof, passer)
        return output_root(proof.state_root, proof.message_passer_storage_root, proof.block_hash), proof

    def parent_origin(self, number: int) -> int | None:
        if number == 1:
            return None
        l1_block = self.l2.eth.contract(address=to_checksum_address(L1_BLOCK), abi=list(load_artifact("L1Block").abi))
        return int(l1_block.functions.number().call(block_identifier=number - 1))

    def step_args(self, number: int, l1_block: int, start: int) -> tuple:
        """(l2BlockNumber, parentOutputRoot, preCommitment, l1Block, pre, inbox, evidence) from the node and L1."""
        state = self.rpc("lantau_derivationState", hex(number), hex(l1_block))
        root, proof = self.parent(number)
        origin = self.parent_origin(number)
        origin = start if origin is None else origin
        headers = []
        if judges_batches(state) and l1_block >= origin:
            headers = [encode_l1_header(self.l1_w3.eth.get_block(n)) for n in l1_header_numbers(l1_block, origin)]
        parent_block = self.l2.eth.get_block(number - 1)
        overlap = overlap_needed(state, number - 1, int(parent_block["timestamp"]), L2_CHAIN_ID)
        below = [number - 2 - k for k in range(max(overlap - 1, 0))]
        ancestors = [encode_l1_header(self.l2.eth.get_block(n)) for n in below]
        origins = []
        for n in below:
            p = self.rpc("eth_getProof", to_checksum_address(L1_BLOCK), [hex(l1_block_slots()[0])], hex(n))
            origins.append(([bytes.fromhex(x[2:]) for x in p["accountProof"]], [bytes.fromhex(x[2:]) for x in p["storageProof"][0]["proof"]]))
        user_txs = [self.user_transactions(n) for n in range(number - 1, number - 1 - overlap, -1)]
        evidence = step_evidence(proof, headers, ancestors, origins, user_txs)
        return (number, root, bytes.fromhex(state["commitment"][2:]), l1_block, state_abi(state), self.inbox_data(l1_block), evidence)

    def user_transactions(self, number: int) -> bytes:
        """`user_transactions_evidence` of L2 block `number` (its raw transactions as the node serves them)."""
        raws = [bytes.fromhex(raw[2:]) for raw in self.rpc("lantau_disputeBlock", hex(number))["rawTransactions"]]
        return user_transactions_evidence(raws, bytes(self.l2.eth.get_block(number)["transactionsRoot"]))

    def call(self, args: tuple, block: int | str = "latest") -> tuple[str, Any]:
        """The step as an L1 call at `block` (an older block: as if L1 were there)."""
        try:
            return ("ok", bytes(self.step.functions.step(*args).call(block_identifier=block)))
        except (ContractCustomError, ContractLogicError) as exc:
            data = exc.data if isinstance(exc.data, str) else None
            assert data, f"reverted without data: {exc!r}"
            return decode_custom_error(self.abi, bytes.fromhex(data.removeprefix("0x")))


def deploy_step(l1: L1Devnet, rollup: Any) -> tuple[Web3, Contract, list[dict[str, Any]]]:
    w3 = Web3(Web3.HTTPProvider(l1.anvil.rpc_url))

    def deploy(name: str, *args: Any) -> Contract:
        artifact = load_artifact(name)
        factory = w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
        receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"from": DEPLOYER.address}))
        assert receipt["status"] == 1
        return w3.eth.contract(address=receipt["contractAddress"], abi=list(artifact.abi))

    anchors = deploy("L1BlockAnchors")
    reader, blob_reader = deploy("BatchReader"), deploy("BlobReader")
    step = deploy("DerivationStep", step_config(anchors=anchors.address, inbox=l1.deployment.batch_inbox, reader=reader.address,
                                                blob_reader=blob_reader.address, rollup=rollup, l2_chain_id=L2_CHAIN_ID,
                                                l1_block_slots=l1_block_slots()))
    errors = [e for name in ("L1BlockAnchors", "BatchReader", "BlobReader", "L2ParentLib", "BatchRules", "L1HeaderLib")
              for e in load_artifact(name).abi if e["type"] == "error"]
    return w3, step, [*step.abi, *errors]


def channel_tx(channel_id: bytes, *batches: bytes) -> bytes:
    return encode_batcher_tx_data([Frame(channel_id, 0, encode_channel(list(batches)), True)])


@dataclasses.dataclass(frozen=True)
class LeafRun:
    """What both runs start from (`start_run`)."""

    run: Run
    rollup: Any
    verifier: Any  # the verifier node's process (its output read for derivation's drop reasons)
    start_block: Any  # L1 block l1_start_block
    t1: int  # L2 block 1's time
    one: SingularBatch  # an empty singular batch for block 1 on its first origin


def start_run(node_factory: Any, l1: L1Devnet, tmp_path: Path) -> LeafRun:
    """A verifier alone on `l1` with the test's windows, the leaf deployed beside it."""
    rollup_path = write_rollup(l1, tmp_path, sequencing_window=WINDOW, channel_timeout=TIMEOUT)
    rollup = dataclasses.replace(devnet_rollup_config(l1.deployment, DEVNET_GENESIS_PATH), sequencing_window=WINDOW, channel_timeout=TIMEOUT)
    verifier = node_factory(data_dir=tmp_path / "verifier", block_time_s=1,
                            extra_args=("--role", "verifier", "--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup_path)))
    l2 = Web3(Web3.HTTPProvider(verifier.rpc_url))
    l1_w3, step, abi = deploy_step(l1, rollup)
    start = rollup.l1_start_block
    start_block = l1_w3.eth.get_block(start)
    genesis = l2.eth.get_block(0)
    t1 = max(int(genesis["timestamp"]) + 1, int(start_block["timestamp"]))
    one = SingularBatch(bytes(genesis["hash"]), start, bytes(start_block["hash"]), t1, ())
    return LeafRun(Run(l1, l1_w3, l2, step, abi), rollup, verifier, start_block, t1, one)


def built_chain(leaf: LeafRun, m: int) -> tuple[Any, list[SingularBatch]]:
    """L2 blocks 1 .. m as node builds them from empty singular batches, block i on L1 origin
    l1_start_block + i - 1 (a scratch chain): block m's header and the m batches."""
    from bridge.l1_source import RpcL1Source
    from genesis.config import GenesisConfig
    from node.chain import Chain
    from node.derive.attributes import inputs_from_batch
    from node.l1_info import L1Origin

    source = RpcL1Source.connect(leaf.run.l1.anvil.rpc_url, leaf.rollup.contracts["LantauPortal"])
    scratch = Chain.open(None, GenesisConfig.load(DEVNET_GENESIS_PATH))
    parent, parent_origin, timestamp, batches = scratch.header_by_number(0), None, leaf.t1 - 1, []
    for i in range(1, m + 1):
        origin = source.block_by_number(leaf.rollup.l1_start_block + i - 1)
        assert origin is not None
        timestamp = max(timestamp + 1, origin.timestamp)
        batch = SingularBatch(bytes(parent.hash), origin.number, bytes(origin.hash), timestamp, ())
        inputs = inputs_from_batch(parent, parent_origin, batch, origin, tuple(source.deposits(origin)))
        parent = scratch.build_block(inputs.parent, inputs.attributes, inputs.transactions).header
        parent_origin, batches = L1Origin(origin.number, origin.hash, inputs.sequence_number), [*batches, batch]
    return parent, batches


def test_the_leaf_steps_every_l1_block_as_node_derives_it(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    leaf = start_run(node_factory, l1, tmp_path)
    run, rollup, verifier, t1, one = leaf.run, leaf.rollup, leaf.verifier, leaf.t1, leaf.one
    l1_w3, l2, step, start = run.l1_w3, run.l2, run.step, rollup.l1_start_block
    wrong_origin = dataclasses.replace(one, l1_origin_hash=keccak(b"not L1's"))
    another_one = dataclasses.replace(one, timestamp=t1 + 1)
    transfer = Account.sign_transaction({"to": ACCOUNTS[5].address, "value": 10**15, "gas": 21_000, "maxFeePerGas": 10**11,
                                         "maxPriorityFeePerGas": 10**9, "nonce": 0, "chainId": L2_CHAIN_ID}, ACCOUNTS[4].private_key)
    span = SpanBatch.from_singular_batches(
        [one, dataclasses.replace(one, timestamp=t1 + 1), dataclasses.replace(one, timestamp=t1 + 2, transactions=(bytes(transfer.raw_transaction),))],
        chain_id=L2_CHAIN_ID,
    )
    # spans the batcher posts after the honest one, each for blocks 1-4 and off the agreed chain in
    # the transactions of a block it overlaps when judged for block 4: node drops them ("span batch
    # disagrees with safe block k"), and L1 must too (it compares those blocks' user transactions,
    # proven in their transactions roots), else the first of them would be block 4's batch
    def signed(value: int, key: Any = ACCOUNTS[4].private_key) -> bytes:
        return bytes(Account.sign_transaction({"to": ACCOUNTS[5].address, "value": value, "gas": 21_000, "maxFeePerGas": 10**11,
                                               "maxPriorityFeePerGas": 10**9, "nonce": 0, "chainId": L2_CHAIN_ID}, key).raw_transaction)

    def off_chain_span(first: tuple[bytes, ...], third: tuple[bytes, ...]) -> SpanBatch:
        blocks = [dataclasses.replace(one, transactions=first), dataclasses.replace(one, timestamp=t1 + 1),
                  dataclasses.replace(one, timestamp=t1 + 2, transactions=third), dataclasses.replace(one, timestamp=t1 + 3)]
        return SpanBatch.from_singular_batches(blocks, chain_id=L2_CHAIN_ID)

    transferred = (bytes(transfer.raw_transaction),)
    off_chain = {
        "an extra transaction in block 1": off_chain_span((signed(1, ACCOUNTS[3].private_key),), transferred),
        "block 3's transaction missing": off_chain_span((), ()),
        "another transaction in block 3": off_chain_span((), (signed(2 * 10**15),)),
    }
    undecodable = b"\x00" + b"\xc1\x80"  # a singular batch that is not an RLP list of five
    unclosed = encode_batcher_tx_data([Frame(run.channel_id(0x0f), 0, b"never closed", False)])

    garbage_block = run.post(b"\x01not a frame", unclosed)  # the unclosed channel first in the bank, never read
    run.post(channel_tx(run.channel_id(0xa0), encode_batch(wrong_origin), undecodable))
    first_valid_block = run.post(channel_tx(run.channel_id(0xa1), encode_batch(one)))
    # two channels completed in one L1 block: the second (a3) dropped, a2 read
    two_block = run.post(channel_tx(run.channel_id(0xa2), encode_batch(one)), channel_tx(run.channel_id(0xa3), encode_batch(another_one)))
    span_block = run.post(channel_tx(run.channel_id(0xa4), encode_batch(span)))
    off_chain_blocks = [run.post(channel_tx(run.channel_id(0xb0 + i), encode_batch(s))) for i, s in enumerate(off_chain.values())]
    while l1_w3.eth.block_number < start + WINDOW - 1:
        l1_w3.provider.make_request("evm_mine", [])
    left_open = run.post(encode_batcher_tx_data([Frame(run.channel_id(0x0e), 0, b"left open", False)]))
    while l1_w3.eth.block_number < start + WINDOW + 3:
        l1_w3.provider.make_request("evm_mine", [])
    wait_until(lambda: run.rpc("lantau_syncStatus")["safe_l2"]["number"] >= 4, 120, "the verifier's safe head at block 4")
    assert "dropping channel: timed out" in verifier.output and "dropping batch" in verifier.output
    assert verifier.output.count("dropping channel: second channel completed in one L1 block") == 1
    for k in (1, 3):  # the extra and the other transaction (block 1), the missing and the other one (block 3)
        assert f"span batch disagrees with safe block {k}" in verifier.output

    found: dict[int, Any] = {}
    run_commitments: dict[int, list[bytes]] = {}
    steps = 0
    for number in (1, 2, 3, 4):
        trace = run.rpc("lantau_derivationTrace", hex(number))
        found[number] = trace["found"]
        commitments = run_commitments[number] = [bytes.fromhex(c[2:]) for c in trace["commitments"]]
        end = run.rpc("lantau_derivationEnd", hex(number))  # what a block claim names: the state after E
        end_found = bytes(32) if trace["found"] is None else bytes.fromhex(trace["found"]["leaf"][2:])
        assert keccak(b"".join(bytes.fromhex(end[k][2:]) for k in ("bankHash", "queueHash", "found"))) == commitments[-1]
        assert bytes.fromhex(end["found"][2:]) == end_found
        assert (trace["first"], trace["last"]) == (start, start + WINDOW - (1 if number == 1 else 0))
        for b in range(trace["first"], trace["last"] + 1):
            args = run.step_args(number, b, start)
            assert run.call(args) == ("ok", commitments[b - trace["first"]]), f"block {number}, L1 block {b}"
            steps += 1
    # the first valid batch in arrival order: each channel read in the L1 block that completed it,
    # past the unclosed one (channel_bank.py; it times out at garbage_block + TIMEOUT + 1): the
    # first valid batch's where it was posted, the span where it was posted
    found_block = first_valid_block
    arrived = run.rpc("lantau_derivationState", hex(2), hex(two_block))["arrivals"]
    assert [bytes.fromhex(q["batch"][2:]) for q in arrived] == [encode_batch(one)], "a2's batch alone: a3 dropped"
    assert found[1] is not None and bytes.fromhex(found[1]["batch"][2:]) == encode_batch(one) and found[1]["inclusion"] == found_block
    assert found[2]["inclusion"] == span_block
    assert bytes.fromhex(found[2]["batch"][2:]) == encode_batch(span) and found[3]["batch"] == found[2]["batch"]
    assert found[4] is None  # the forced deposit-only block
    assert l2.eth.get_block(1)["timestamp"] == t1 and len(l2.eth.get_block(3)["transactions"]) == 2  # L1 info + the transfer
    assert steps >= 50 and left_open == start + WINDOW  # in block 4's range, still open at its end

    # --- InputOracle takes the batch `found` names: found's inclusion is the block its channel was
    # read in, the block its last frame landed in (no channel waits: channel_bank.py), which the
    # evidence names (`BatchEvidence.inclusion`, found by the prover from `found`)
    _, oracle, oracle_abi = deploy_oracle(l1, rollup)
    source = InputEvidenceSource(L1Client(l1_w3), RollupClient(verifier.rpc_url), InputRollup.of(rollup))
    block_one = l2.eth.get_block(1)
    hashes = [bytes(h) for h in block_one["transactions"]]
    found_one = bytes.fromhex(found[1]["leaf"][2:])
    parent_one, evidence_one = source.parts(1, raw_deposit(l2, 1, hashes[0]), t1, found_one)
    assert evidence_one.batch.inclusion == found[1]["inclusion"] == evidence_one.batch.last_frame_block() == first_valid_block
    root_one = run.parent(1)[0]

    def check_one(tx_hashes: list[bytes]) -> tuple[str, Any]:
        return oracle_call(oracle.functions.checkInputs(1, root_one, parent_one.as_abi(), (tx_hashes, t1, found_one),
                                                          evidence_one.as_abi()), oracle_abi)

    assert check_one(hashes) == ("ok", 1)
    assert check_one([*hashes, keccak(b"never batched")]) == ("NotTheBatchedTransactions", 1)
    # the same batch named read a block after its last frame's: not derivation's `found` (refused by
    # name), though the oracle would take it had derivation read it then
    at_last_frame = dataclasses.replace(evidence_one, batch=dataclasses.replace(
        evidence_one.batch, inclusion=evidence_one.batch.last_frame_block() + 1))
    read_at_last_frame = at_last_frame.batch.found()
    assert oracle_call(oracle.functions.checkInputs(1, root_one, parent_one.as_abi(), (hashes, t1, found_one),
                                                      at_last_frame.as_abi()), oracle_abi) == ("NotTheFoundBatch", (found_one, read_at_last_frame))
    assert oracle_call(oracle.functions.checkInputs(1, root_one, parent_one.as_abi(), (hashes, t1, read_at_last_frame),
                                                      at_last_frame.as_abi()), oracle_abi)[0] == "ok"  # had it been read then
    assert oracle_call(oracle.functions.checkInputs(1, root_one, parent_one.as_abi(), (hashes, t1, keccak(b"another")),
                                                      evidence_one.as_abi()), oracle_abi) == (
        "NotTheFoundBatch", (keccak(b"another"), found_one))

    # --- the node's refusals of bad parameters: named, and it still serves ------------------------
    for params, message in ((["0x0"], "invalid argument 0: block 0 has no parent"),):
        reply = l2.provider.make_request("lantau_derivationTrace", params)
        assert reply["error"]["code"] == -32602 and reply["error"]["message"] == message
    reply = l2.provider.make_request("lantau_derivationState", ["0x1", hex(start + WINDOW)])
    assert reply["error"]["code"] == -32602 and "outside the range" in reply["error"]["message"]
    reply = l2.provider.make_request("lantau_derivationEnd", ["0x0"])
    assert reply["error"] == {"code": -32602, "message": "invalid argument 0: block 0 has no parent"}
    reply = l2.provider.make_request("lantau_derivationTrace", ["0x" + "ff" * 4])
    assert reply["error"]["code"] != -32603, reply  # a block the node does not have: named, not internal
    assert run.rpc("lantau_derivationTrace", "0x1")["found"] == found[1]

    # --- refusals: each named; the same step with L1's data still gives node's commitment --------
    args = run.step_args(1, found_block, start)
    expected = run.call(args)
    assert expected[0] == "ok"
    number, root, pre_commitment, b, pre, inbox, evidence = args
    tampered_pre = (pre[0], [*pre[1], (encode_batch(another_one), b - 1)], pre[2])
    assert run.call((number, root, pre_commitment, b, tampered_pre, inbox, evidence))[0] == "PreStateMismatch"
    at_garbage = run.step_args(1, garbage_block, start)
    items, calldata = at_garbage[5]
    assert len(calldata) == 2, "the garbage block has the batcher's two transactions"
    other = (items, [calldata[0][:-1] + bytes([calldata[0][-1] ^ 1]), *calldata[1:]])
    assert run.call((*at_garbage[:5], other, at_garbage[6])) == ("InboxDataNotL1s", (garbage_block, 0))
    assert run.call((*at_garbage[:5], (items[1:], calldata[1:]), at_garbage[6]))[0] == "InboxDataNotL1s"  # one left out
    assert run.call((*at_garbage[:5], ([], []), at_garbage[6]))[0] == "InboxDataNotL1s"  # shown as empty
    assert run.call(at_garbage)[0] == "ok"
    assert run.call((number, root, pre_commitment, start - 1, pre, inbox, evidence)) == (
        "L1BlockOutOfRange", (start - 1, start, start + WINDOW - 1))
    # past the range (the bisection's padding) the state does not change
    assert run.call((number, root, pre_commitment, start + WINDOW, pre, inbox, evidence)) == ("ok", pre_commitment)
    # an L1 block not on L1 yet: BatchInbox's record of it reads as zero (or partial) there, so a step
    # over it would take "no batcher data" for final, a premature "no batch"; refused, and past the
    # range (the padding) too while E is not on L1. Calls at older L1 blocks stand for "L1 was there".
    early = run.step_args(1, first_valid_block, start)
    assert run.call(early) == ("ok", run_commitments[1][first_valid_block - start])
    not_yet = ("EvidenceNeeded", ("the L1 block on L1 (not yet)",))
    assert run.call((*early[:5], ([], []), early[6]), block=first_valid_block - 1) == not_yet
    assert run.call(early, block=first_valid_block - 1) == not_yet
    assert run.call((number, root, pre_commitment, start + WINDOW, pre, inbox, evidence), block=start + WINDOW - 2) == not_yet
    assert run.call((number, root, pre_commitment, start + WINDOW, pre, inbox, evidence), block=start + WINDOW) == ("ok", pre_commitment)
    assert run.call(early) == ("ok", run_commitments[1][first_valid_block - start])  # a view: nothing changed
    assert run.call((number, keccak(b"another root"), pre_commitment, b, pre, inbox, evidence))[0] == "ParentOutputMismatch"
    _, proof = run.parent(1)
    assert run.call((number, root, pre_commitment, b, pre, inbox, step_evidence(proof)))[0] == "EvidenceNeeded"
    three = run.step_args(3, span_block, start)
    assert run.rpc("lantau_derivationState", hex(3), hex(span_block))["arrivals"], "the span is judged"
    _, proof3 = run.parent(3)
    wrong_ancestor = step_evidence(proof3, [encode_l1_header(l1_w3.eth.get_block(n)) for n in l1_header_numbers(span_block, start)],
                                   [encode_l1_header(l2.eth.get_block(0))], [([], [])])
    assert run.call((*three[:6], wrong_ancestor)) == ("L2AncestorMismatch", (0,))
    assert run.call(args) == expected and run.call(three)[0] == "ok"
    # block 4 judges the off-chain spans (overlapping blocks 1-3), one an L1 block as posted: the
    # second ("block 3's transaction missing") compares blocks 1 to 3, each block's user
    # transactions shown by proofs in its transactions root; evidence that does not show them is
    # refused by name
    off_chain_read = off_chain_blocks[1]
    four = run.step_args(4, off_chain_read, start)
    assert run.call(four) == ("ok", run_commitments[4][off_chain_read - start])
    number4, root4, pre4, b4, state4, inbox4, _ = four
    _, proof4 = run.parent(4)
    headers4 = [encode_l1_header(l1_w3.eth.get_block(n)) for n in l1_header_numbers(off_chain_read, start)]
    ancestors4 = [encode_l1_header(l2.eth.get_block(n)) for n in (2, 1)]
    origins4 = []
    for n in (2, 1):
        p = run.rpc("eth_getProof", to_checksum_address(L1_BLOCK), [hex(l1_block_slots()[0])], hex(n))
        origins4.append(([bytes.fromhex(x[2:]) for x in p["accountProof"]], [bytes.fromhex(x[2:]) for x in p["storageProof"][0]["proof"]]))
    user_txs4 = [run.user_transactions(n) for n in (3, 2, 1)]

    def step4(user_txs: list[bytes]) -> tuple[str, Any]:
        return run.call((number4, root4, pre4, b4, state4, inbox4, step_evidence(proof4, headers4, ancestors4, origins4, user_txs)))

    assert step4(user_txs4) == run.call(four)
    assert step4(user_txs4[:2]) == ("UserTransactionsNeeded", (2, 3))  # block 1's not shown
    first3, proofs3 = eth_abi.decode([USER_TRANSACTIONS_ABI], user_txs4[0])[0]
    assert first3 == 1 and len(proofs3) == 3  # block 3: the L1-info deposit, the transfer, then absent
    shifted = eth_abi.encode([USER_TRANSACTIONS_ABI], [(2, list(proofs3[1:]))])  # the transfer taken for a deposit
    assert step4([shifted, *user_txs4[1:]]) == ("NotWhereDepositsEnd", (2,))
    cut = eth_abi.encode([USER_TRANSACTIONS_ABI], [(1, list(proofs3[:2]))])  # no proof of the end
    assert step4([cut, *user_txs4[1:]]) == ("UserTransactionsNotShown", (2,))
    assert step4([user_txs4[2], *user_txs4[1:]])[0] == "InvalidNodeHash"  # block 1's proofs for block 3
    assert run.call(four) == ("ok", run_commitments[4][off_chain_read - start])  # nothing changed

    # --- L1 gas per leaf ---------------------------------------------------------------------------
    gas = {
        "empty L1 block": step.functions.step(*run.step_args(1, start + 1, start)).estimate_gas(),
        "garbage + an unclosed channel's frame": step.functions.step(*run.step_args(1, garbage_block, start)).estimate_gas(),
        "a channel read (past the unclosed one), block 1's batch found": step.functions.step(*args).estimate_gas(),
        "the span found for block 3 (1 L2 ancestor)": step.functions.step(*three).estimate_gas(),
        "block 4: 3 off-chain spans dropped (3 blocks' user transactions proven)": step.functions.step(*four).estimate_gas(),
        "found already (state unchanged)": step.functions.step(*run.step_args(1, start + WINDOW - 1, start)).estimate_gas(),
        "BatchReader.userTransactions of block 3 (L1-info deposit, 1 transfer: 3 proofs), as a transaction":
            run.l1_w3.eth.contract(address=step.functions.reader().call(), abi=list(load_artifact("BatchReader").abi)).functions
            .userTransactions(bytes(l2.eth.get_block(3)["transactionsRoot"]), user_txs4[0]).estimate_gas(),
    }
    print(f"\nDerivationStep: {steps} steps equal node's commitments; L1 gas per leaf: {gas}")


def test_the_banks_frame_rules_on_l1_as_in_node(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """The channel bank's rules, each met on L1 as node meets it: frames out of order and spread
    over L1 blocks and transactions (two frames in one), a duplicate frame, a second last frame, a
    frame after the last, a late last frame dropping the frames after it; each channel read in the L1 block that
    completes it (no channel waits), the first valid batch found
    and the other (built on genesis) dropped by block 2's trace (never the batch of the block on
    the agreed parent, block 1); a batch included after its window and one
    naming an L1 origin after its inclusion, dropped on arrival. Every L1 block of blocks 1 and 2
    (2 the forced block) steps to node's commitment."""
    leaf = start_run(node_factory, l1, tmp_path)
    run, rollup, verifier, start_block, t1, one = leaf.run, leaf.rollup, leaf.verifier, leaf.start_block, leaf.t1, leaf.one
    l1_w3, l2, start = run.l1_w3, run.l2, rollup.l1_start_block
    other = dataclasses.replace(one, timestamp=t1 + 1)
    d = encode_channel([encode_batch(one)])
    d0, d1, d2 = d[:5], d[5:9], d[9:]
    e = encode_channel([encode_batch(other)])
    e0, e1 = e[:6], e[6:]
    dd = run.channel_id(0xd0)  # names the L1 head: D's frames land in the 4 blocks after it (TIMEOUT)

    def frames(*parts: Frame) -> bytes:
        return encode_batcher_tx_data(list(parts))

    run.post(frames(Frame(dd, 2, d2, True), Frame(dd, 0, d0, False)), b"\x00" + b"\x07" * 20)  # out of order, 2 in a tx; garbage
    run.post(frames(Frame(dd, 0, b"replayed", False)), frames(Frame(dd, 3, b"after the last", False)),
             frames(Frame(dd, 1, b"second last", True)))  # duplicate, after the last, a second last: each dropped
    ee = run.channel_id(0xe0)
    run.post(frames(Frame(ee, 0, e0, False), Frame(ee, 2, b"trimmed", False), Frame(ee, 3, b"trimmed", False)))
    completed = run.post(frames(Frame(dd, 1, d1, False)))  # D whole: read, D's batch found
    e_block = run.post(frames(Frame(ee, 1, e1, True)))  # E's late last frame drops its frames 2 and 3: E whole, read
    wait_until(lambda: run.rpc("lantau_syncStatus")["safe_l2"]["number"] >= 1, 120, "the verifier's safe head at block 1")
    block_one = l2.eth.get_block(1)
    while l1_w3.eth.block_number < start + WINDOW - 1:
        l1_w3.provider.make_request("evm_mine", [])
    # in the last L1 block of block 2's range: a batch for it included after its origin's window, and
    # one naming an L1 origin after its inclusion block: both dropped on arrival
    late = SingularBatch(bytes(block_one["hash"]), start, bytes(start_block["hash"]), t1 + 1, ())
    ahead = dataclasses.replace(late, l1_origin_number=start + WINDOW + 1)
    arrivals_block = run.post(channel_tx(run.channel_id(0xf0), encode_batch(late), encode_batch(ahead)))
    assert arrivals_block == start + WINDOW
    # A channel whose stream breaks after two batches (an RLP list follows them), in the last L1
    # block of block 3's range only: node keeps the two batches before the break (each on a parent
    # that is not block 3's: they arrive, then are dropped on the agreed parent) and drops the rest;
    # the leaf reads it so.
    waiting = [SingularBatch(b"\x99" * 32, start + 2, bytes(32), t1 + 100 + k, ()) for k in range(2)]
    broken = compress(b"".join(rlp.encode(encode_batch(w)) for w in waiting) + b"\xc0" + rlp.encode(encode_batch(other)),
                      Compression.FASTLZ)
    broken_block = run.post(encode_batcher_tx_data([Frame(run.channel_id(0xb0), 0, broken, True)]))
    while l1_w3.eth.block_number < start + WINDOW + 3:
        l1_w3.provider.make_request("evm_mine", [])
    wait_until(lambda: run.rpc("lantau_syncStatus")["safe_l2"]["number"] >= 3, 120, "the verifier's safe head at block 3")
    for reason in ("channel ends early", "duplicate frame", "second last frame for a closed channel", "frame after the channel's last frame",
                   "after the sequencing window of origin", "is after its inclusion block"):
        assert reason in verifier.output, reason

    found = {}
    steps = 0
    for number in (1, 2):
        trace = run.rpc("lantau_derivationTrace", hex(number))
        found[number] = trace["found"]
        commitments = [bytes.fromhex(c[2:]) for c in trace["commitments"]]
        for b in range(trace["first"], trace["last"] + 1):
            assert run.call(run.step_args(number, b, start)) == ("ok", commitments[b - trace["first"]]), f"block {number}, L1 block {b}"
            steps += 1
    assert bytes.fromhex(found[1]["batch"][2:]) == encode_batch(one) and found[1]["inclusion"] == completed
    assert found[2] is None and l2.eth.get_block(1)["timestamp"] == t1
    held = run.rpc("lantau_derivationState", hex(1), hex(completed))
    assert [c["id"] for c in held["channels"]] == ["0x" + dd.hex(), "0x" + ee.hex()] and held["channels"][0]["read"]
    assert [f["number"] for f in held["channels"][1]["frames"]] == [0, 2, 3] and held["channels"][1]["closing"] == 0  # before b
    # for block 2 (on block 1), `one` is old and `other` (built on genesis) is never its batch: both
    # dropped, nothing kept (the pipeline keeps `other`, waiting for a parent never derived); D read
    # in the L1 block completing it, E in the next, completing E
    assert [bytes.fromhex(q["batch"][2:]) for q in run.rpc("lantau_derivationState", hex(2), hex(completed))["arrivals"]] == [
        encode_batch(one)]
    after = run.rpc("lantau_derivationState", hex(2), hex(e_block))
    assert [c["id"] for c in after["channels"]] == ["0x" + ee.hex()] and after["channels"][0]["read"] and after["queue"] == []
    assert [bytes.fromhex(q["batch"][2:]) for q in after["arrivals"]] == [encode_batch(other)]
    after = run.rpc("lantau_derivationState", hex(2), hex(e_block + 1))
    assert after["channels"] == [] and after["queue"] == []
    last = run.rpc("lantau_derivationState", hex(2), hex(arrivals_block))
    assert last["arrivals"] == [] and last["queue"] == []
    print(f"\nbank rules: {steps} steps equal node's commitments")

    trace = run.rpc("lantau_derivationTrace", "0x3")
    assert trace["last"] == broken_block and trace["found"] is None
    arrived = run.rpc("lantau_derivationState", hex(3), hex(broken_block))["arrivals"]
    assert [bytes.fromhex(q["batch"][2:]) for q in arrived] == [encode_batch(w) for w in waiting]
    for b in (broken_block - 1, broken_block):
        assert run.call(run.step_args(3, b, start)) == ("ok", bytes.fromhex(trace["commitments"][b - trace["first"]][2:])), b
    broken_gas = run.step.functions.step(*run.step_args(3, broken_block, start)).estimate_gas()
    print(f"broken channel: L1 block {broken_block} steps to node's commitment, its 2 batches before the break arriving (then dropped: not on block 3's parent); L1 gas {broken_gas:,}")


OTHERS = 100  # batches on other parents in one channel: each costs the step reading it ~90k gas (decoded twice)


def test_a_hostile_batchers_pending_data_steps_in_one_transaction(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """What a batcher may leave pending, met on L1 as node meets it, each step of block 1's range
    one L1 transaction: 100 one-byte frames each opening a channel never closed (the bank keeps the
    newest 64 frames: `MAX_CHANNEL_BANK_FRAMES`), an open 40 KB frame, a channel of 100 batches on
    other parents (dropped on the agreed parent), and block 1's batch in a channel whose first frame
    waits in the bank behind the open channels (the other parents' channel read in its block past
    them, ours in the block its last frame lands: each channel read in the L1 block completing it). Every pre-state carries its
    frames by hash (no frame's bytes but those of the channels its step reads) and no queue; every
    step equals node's commitment; the step whose pre-state is largest and the one that reads the
    channels are printed (calldata, gas); the read channel's frame data left out is
    `FrameDataNotShown`."""
    leaf = start_run(node_factory, l1, tmp_path)
    run, start, one = leaf.run, leaf.rollup.l1_start_block, leaf.one
    l1_w3 = run.l1_w3
    tiny = encode_batcher_tx_data([Frame(run.channel_id(0x100 + k), 0, b"\x01", False) for k in range(100)])
    big = encode_batcher_tx_data([Frame(run.channel_id(0xb1), 0, os.urandom(40_000), False)])  # run.post gives 2M gas: 40 a byte
    others = channel_tx(run.channel_id(0xc1), *(encode_batch(dataclasses.replace(one, parent_hash=os.urandom(32))) for _ in range(OTHERS)))
    ours = encode_channel([encode_batch(one)])
    first = run.post(tiny, big)
    d1 = run.channel_id(0xd1)
    run.post(others, encode_batcher_tx_data([Frame(d1, 0, ours[:10], False)]))  # behind the open ones
    run.post(encode_batcher_tx_data([Frame(d1, 1, ours[10:], True)]))
    read_at = first + 1  # the other parents' channel, read past the open ones
    ours_at = read_at + 1  # ours, read when its last frame lands
    assert ours_at <= start + WINDOW - 1, (first, start)  # within block 1's range
    while l1_w3.eth.block_number < start + WINDOW + 1:
        l1_w3.provider.make_request("evm_mine", [])
    wait_until(lambda: run.rpc("lantau_syncStatus")["safe_l2"]["number"] >= 1, 120, "the verifier's safe head at block 1")
    trace = run.rpc("lantau_derivationTrace", "0x1")
    assert bytes.fromhex(trace["found"]["batch"][2:]) == encode_batch(one) and trace["found"]["inclusion"] == ours_at

    costs: dict[int, tuple[int, int, int]] = {}  # L1 block -> (pre-state bytes, calldata bytes, gas)
    for b in range(trace["first"], trace["last"] + 1):
        args = run.step_args(1, b, start)
        state = run.rpc("lantau_derivationState", "0x1", hex(b))
        assert state["queue"] == [] and sum(len(c["frames"]) for c in state["channels"]) <= 64, b
        assert run.call(args) == ("ok", bytes.fromhex(trace["commitments"][b - trace["first"]][2:])), f"L1 block {b}"
        pre = len(eth_abi.encode([STATE_ABI], [args[4]]))
        call = run.step.functions.step(*args)
        costs[b] = (pre, len(call._encode_transaction_data()) // 2 - 1, call.estimate_gas())
    held = run.rpc("lantau_derivationState", "0x1", hex(read_at))
    assert not any(c["read"] for c in held["channels"])  # the other parents' channel, whole in block read_at, not held before it
    held = run.rpc("lantau_derivationState", "0x1", hex(ours_at))
    assert bytes.fromhex(held["channels"][-1]["id"][2:]) == d1 and held["channels"][-1]["read"]
    worst = max(costs, key=lambda b: costs[b][0])
    for b in (worst, read_at, ours_at):
        assert costs[b][1] < 128 * 1024 and costs[b][2] < EIP_7825_TX_GAS_CAP, (b, costs[b])
    # our channel's first frame, in the pre-state, shown without its data: the step cannot read it
    args = run.step_args(1, ours_at, start)
    channels = [list(c) for c in args[4][0]]
    channels[-1][3] = [(number, length, data_hash, b"") for number, length, data_hash, _ in channels[-1][3]]
    stripped = (*args[:4], ([tuple(c) for c in channels], *args[4][1:]), *args[5:])
    assert run.call(stripped) == ("FrameDataNotShown", (d1, 0))
    assert run.call(args) == ("ok", bytes.fromhex(trace["commitments"][ours_at - trace["first"]][2:]))
    print(f"\nhostile pending data: {len(costs)} steps equal node's commitments; largest pre-state at L1 block {worst}: "
          f"{costs[worst][0]:,} B (64 frames by hash), the step {costs[worst][1]:,} B of calldata, {costs[worst][2]:,} gas; "
          f"the step reading the other parents' channel ({OTHERS} batches, the first 64 read and dropped) at {read_at}: pre-state "
          f"{costs[read_at][0]:,} B, {costs[read_at][1]:,} B of calldata, {costs[read_at][2]:,} gas; the one reading ours (block 1's "
          f"batch found) at {ours_at}: {costs[ours_at][1]:,} B of calldata, {costs[ours_at][2]:,} gas; "
          f"(before: every frame's bytes in the state, 100 MB of frames allowed, 10,000 batches); every step "
          f"(L1 block: pre-state B, calldata B, gas): {costs}")


def test_a_batch_posted_before_its_parents_is_the_one_node_and_the_leaf_take(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """Block 2's batch posted (with batches on other parents) an L1 block before block 1's: the
    verifier keeps it (batch_queue.py: future, uncapped) and derives block 2 from it, the batch
    block 2's trace finds re-reading from S (docs/batches.md "One rule for a batch on another
    parent"); every step of both blocks' ranges on L1 equals node's commitment."""
    from bridge.l1_source import RpcL1Source
    from genesis.config import GenesisConfig
    from node.chain import Chain
    from node.derive.attributes import inputs_from_batch

    leaf = start_run(node_factory, l1, tmp_path)
    run, rollup, start, one, t1 = leaf.run, leaf.rollup, leaf.rollup.l1_start_block, leaf.one, leaf.t1
    l1_w3 = run.l1_w3
    # block 1 as node will build it from `one` (its hash is block 2's parent hash)
    source = RpcL1Source.connect(l1.anvil.rpc_url, rollup.contracts["LantauPortal"])
    origin = source.block_by_number(start)
    assert origin is not None
    scratch = Chain.open(None, GenesisConfig.load(DEVNET_GENESIS_PATH))
    inputs = inputs_from_batch(scratch.header_by_number(0), None, one, origin, tuple(source.deposits(origin)))
    block_one = scratch.build_block(inputs.parent, inputs.attributes, inputs.transactions).header
    two = SingularBatch(bytes(block_one.hash), start, bytes(leaf.start_block["hash"]), t1 + 1, ())
    junk = [encode_batch(dataclasses.replace(two, parent_hash=os.urandom(32))) for _ in range(8)]  # on other parents
    two_at = run.post(channel_tx(run.channel_id(0xe2), *junk[:4], encode_batch(two), *junk[4:]))
    one_at = run.post(channel_tx(run.channel_id(0xe1), *junk, encode_batch(one)))
    assert start <= two_at < one_at <= start + WINDOW - 1
    while l1_w3.eth.block_number < start + WINDOW + 2:
        l1_w3.provider.make_request("evm_mine", [])
    wait_until(lambda: run.rpc("lantau_syncStatus")["safe_l2"]["number"] >= 2, 120, "the verifier's safe head at block 2")
    assert bytes(run.l2.eth.get_block(1)["hash"]) == block_one.hash
    node_two = run.l2.eth.get_block(2)
    assert int(node_two["timestamp"]) == t1 + 1 and len(node_two["transactions"]) == 1  # two's block, not a forced one
    steps = 0
    for number, batch, inclusion in ((1, one, one_at), (2, two, two_at)):
        trace = run.rpc("lantau_derivationTrace", hex(number))
        assert bytes.fromhex(trace["found"]["batch"][2:]) == encode_batch(batch) and trace["found"]["inclusion"] == inclusion
        for b in range(trace["first"], trace["last"] + 1):
            if b <= inclusion:  # before found: nothing kept (after it, the rest of its channel, unjudged)
                assert run.rpc("lantau_derivationState", hex(number), hex(b))["queue"] == [], (number, b)
            assert run.call(run.step_args(number, b, start)) == ("ok", bytes.fromhex(trace["commitments"][b - trace["first"]][2:])), (number, b)
            steps += 1
    print(f"\nblock 2's batch before block 1's: node's block 2 from it (inclusion {two_at}, block 1's {one_at}); "
          f"{steps} steps on L1 equal node's commitments")


def test_a_channel_id_used_again_across_the_start_is_one_channel_on_l1_as_in_node(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """Issue 15's open hole 1, posted by the batcher key (docs/batches.md "No backlog of channels"):
    for block n on a parent of L1 origin O, its trace starting from an empty bank at S = O - TIMEOUT,
    frame 0 of channel x in L1 block S - 1, frame 1 (empty) in S + 1, and in O + 1 frame 0 again and
    the last frame 2, the three making a channel of n's valid batch. Before the channel id rule the
    trace opened x at S + 1, completed it in O + 1 and found n's batch there, while node's pipeline
    (x opened at S - 1, timed out at O - 1, a new x in O + 1 missing frame 1) never read it: node's
    block n was the forced one, L1's decision the batch. x's id names the block before S - 1 (the L1
    head when it was made), so node and L1 hold it alike as one channel opened there, and both drop
    the frames of O + 1 ("channel id names L1 block ... outside ..."): block n is the forced block
    in node's chain and in the trace (nothing found), and every step of n's range on
    `DerivationStep` equals node's commitment."""
    leaf = start_run(node_factory, l1, tmp_path)
    run, start = leaf.run, leaf.rollup.l1_start_block
    l1_w3 = run.l1_w3
    x = run.channel_id(0x5A)
    named = l1_w3.eth.block_number  # the block x's id names
    first_s = named + 2  # S: x's frame 0 lands in S - 1
    origin_o = first_s + TIMEOUT  # O: n's parent's L1 origin
    m = origin_o - start + 1  # blocks 1 .. m, block i of L1 origin start + i - 1: block m's is O
    n = m + 1
    assert run.post(encode_batcher_tx_data([Frame(x, 0, b"frame 0, before S", False)])) == first_s - 1
    l1_w3.provider.make_request("evm_mine", [])
    assert run.post(encode_batcher_tx_data([Frame(x, 1, b"", False)])) == first_s + 1
    while l1_w3.eth.block_number < origin_o:
        l1_w3.provider.make_request("evm_mine", [])
    # blocks 1 .. m as node will build them from their batches (block m's hash is n's parent hash)
    parent, batches = built_chain(leaf, m)
    timestamp = batches[-1].timestamp
    block_o = l1_w3.eth.get_block(origin_o)
    n_batch = SingularBatch(bytes(parent.hash), origin_o, bytes(block_o["hash"]), timestamp + 1, ())
    x_channel = encode_channel([encode_batch(n_batch)])  # frame 1 (empty) between x_channel[:10] and the rest
    again = run.post(encode_batcher_tx_data([Frame(x, 0, x_channel[:10], False), Frame(x, 2, x_channel[10:], True)]))
    assert again == origin_o + 1
    chain_at = run.post(channel_tx(run.channel_id(0x5B), *(encode_batch(b) for b in batches)))  # blocks 1 .. m
    assert chain_at < start + WINDOW  # block 1's batch within its window
    while l1_w3.eth.block_number < origin_o + WINDOW + 2:
        l1_w3.provider.make_request("evm_mine", [])
    wait_until(lambda: run.rpc("lantau_syncStatus")["safe_l2"]["number"] >= n, 180, f"the verifier's safe head at block {n}")
    assert bytes(run.l2.eth.get_block(m)["hash"]) == parent.hash
    dropped = f"channel id names L1 block {named} outside [{again - TIMEOUT}, {again}]"
    assert leaf.verifier.output.count(dropped) == 2  # frames 0 and 2 of O + 1
    assert run.parent_origin(n) == origin_o
    node_n = run.l2.eth.get_block(n)
    assert run.parent_origin(n + 1) == origin_o + 1 and len(node_n["transactions"]) == 1  # forced: L1 info alone

    trace = run.rpc("lantau_derivationTrace", hex(n))
    assert (trace["first"], trace["last"]) == (first_s, origin_o + WINDOW) and trace["found"] is None
    held = run.rpc("lantau_derivationState", hex(n), hex(first_s + 2))["channels"]  # the pre-state of S + 2
    assert [(c["id"], c["openBlock"], [f["number"] for f in c["frames"]]) for c in held] == [("0x" + x.hex(), named, [1])]
    assert run.rpc("lantau_derivationState", hex(n), hex(again + 1))["channels"] == []  # x timed out, O + 1's frames dropped
    steps = 0
    for b in range(trace["first"], trace["last"] + 1):
        assert run.call(run.step_args(n, b, start)) == ("ok", bytes.fromhex(trace["commitments"][b - trace["first"]][2:])), b
        steps += 1
    print(f"\nchannel id used again across S = {first_s} (block {n}, O = {origin_o}): node's block {n} the forced one, "
          f"the trace finds nothing; {steps} steps on L1 equal node's commitments")


def safe_block(run: Run, n: int, origin: int, parent: Any) -> Any:
    """Node's block n, of L1 origin `origin`, once L1 is past its window and the verifier's safe head
    reached it, on block n - 1 as built (`parent`)."""
    while run.l1_w3.eth.block_number < origin + WINDOW + 2:
        run.l1_w3.provider.make_request("evm_mine", [])
    wait_until(lambda: run.rpc("lantau_syncStatus")["safe_l2"]["number"] >= n, 180, f"the verifier's safe head at block {n}")
    assert bytes(run.l2.eth.get_block(n - 1)["hash"]) == parent.hash
    return run.l2.eth.get_block(n)


def test_a_channel_begun_before_the_blocks_origin_is_its_evidence_on_l1(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """Issue 15: block n's batch (a transfer in it) in channel x whose id names L1 block o, frame 0
    posted by the batcher key in o + 1, before n's L1 origin O = o + 3, and the last frame in O + 1
    (within o + `channel_timeout`, so node's bank reads x there). Node derives n from that batch; the
    challenger's evidence source (`InputEvidenceSource.with_batch`) reads the inbox from O -
    `channel_timeout` on and shows x whole (before: from O on, x never assembled, no evidence for a
    block node derived), and `InputOracle` accepts node's block with it and refutes a transaction
    the batch does not carry (what `stepInput` asks)."""
    from bridge.l1_source import RpcL1Source
    from node.derive.derivation_commitment import QueuedBatch

    leaf = start_run(node_factory, l1, tmp_path)
    run, rollup, start = leaf.run, leaf.rollup, leaf.rollup.l1_start_block
    l1_w3 = run.l1_w3
    _, oracle, oracle_abi = deploy_oracle(l1, rollup)
    x = run.channel_id(0x15)
    named = l1_w3.eth.block_number  # o, the block x's id names
    assert run.post(encode_batcher_tx_data([Frame(x, 0, b"\x02", False)])) == named + 1  # FastLZ's version byte
    l1_w3.provider.make_request("evm_mine", [])
    # blocks 1 .. m as node will build them from their batches, block m's origin O - 1 = o + 2
    m = named + 2 - start + 1
    parent, batches = built_chain(leaf, m)
    timestamp = batches[-1].timestamp
    source = RpcL1Source.connect(l1.anvil.rpc_url, rollup.contracts["LantauPortal"])
    origin_o = run.post(channel_tx(run.channel_id(0x16), *(encode_batch(b) for b in batches)))  # blocks 1 .. m, in O
    assert origin_o == named + 3 and origin_o < start + WINDOW
    n = m + 1
    o_ref = source.block_by_number(origin_o)
    assert o_ref is not None and o_ref.timestamp <= timestamp + 1
    transfer = Account.sign_transaction({"to": ACCOUNTS[5].address, "value": 1, "gas": 21_000, "maxFeePerGas": 10**11,
                                         "maxPriorityFeePerGas": 1, "nonce": 0, "chainId": L2_CHAIN_ID}, ACCOUNTS[4].private_key)
    n_batch = SingularBatch(bytes(parent.hash), origin_o, bytes(o_ref.hash), timestamp + 1, (bytes(transfer.raw_transaction),))
    x_channel = encode_channel([encode_batch(n_batch)])
    assert x_channel[:1] == b"\x02"
    completed = run.post(encode_batcher_tx_data([Frame(x, 1, x_channel[1:], True)]))
    assert completed == origin_o + 1 <= named + TIMEOUT
    node_n = safe_block(run, n, origin_o, parent)
    assert [bytes(h) for h in node_n["transactions"]][1:] == [bytes(transfer.hash)] and run.parent_origin(n + 1) == origin_o
    found = bytes(QueuedBatch(encode_batch(n_batch), completed).leaf())
    trace = run.rpc("lantau_derivationTrace", hex(n))
    assert bytes.fromhex(trace["found"]["batch"][2:]) == encode_batch(n_batch) and trace["found"]["inclusion"] == completed

    inputs = InputEvidenceSource(L1Client(l1_w3), RollupClient(leaf.verifier.rpc_url), InputRollup.of(rollup))
    l1_info_tx = bytes.fromhex(run.rpc("lantau_disputeBlock", hex(n))["rawTransactions"][0][2:])
    parent_shown, evidence = inputs.parts(n, l1_info_tx, int(node_n["timestamp"]), found)
    assert evidence.batch.channel == x_channel and evidence.batch.inclusion == completed
    assert [frame.l1_block for frame in evidence.batch.posted] == [named + 1, completed]
    root, _ = run.parent(n)
    hashes = [bytes(h) for h in node_n["transactions"]]
    claim = (hashes, int(node_n["timestamp"]), found)
    assert oracle_call(oracle.functions.checkInputs(n, root, parent_shown.as_abi(), claim, evidence.as_abi()), oracle_abi) == ("ok", 1)
    shown = encode_evidence(parent_shown, evidence)
    assert oracle.functions.refutes(n, root, hashes, int(node_n["timestamp"]), found, shown).call() is False
    never_batched = Account.sign_transaction({"to": ACCOUNTS[5].address, "value": 2, "gas": 21_000, "maxFeePerGas": 10**11,
                                              "maxPriorityFeePerGas": 1, "nonce": 1, "chainId": L2_CHAIN_ID}, ACCOUNTS[4].private_key)
    lie = [*hashes, bytes(never_batched.hash)]
    assert oracle.functions.refutes(n, root, lie, int(node_n["timestamp"]), found, shown).call() is True
    print(f"\nblock {n}'s channel begun in L1 block {named + 1}, before its origin {origin_o}, completed in {completed}: "
          f"node derives {n} from it, the evidence shows it whole, InputOracle accepts node's block and refutes an added tx")


def test_frames_the_bank_refuses_hide_no_evidence_on_l1(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """Issue 15: block n's batch (a transfer in it) in channel x, one frame, whose id names L1 block
    o; a hostile frame 0 of x posted in o - 1 (node's bank drops it: before the block x's id names),
    channel y (ahead of x in the bank: its id names o - 1) opened in o and completed in the same L1
    block as x, right after it, carrying another batch for n (the bank drops y: a second completion
    in one block). Node derives n from x's batch; the challenger's evidence (`InputEvidenceSource`,
    node's own `ChannelBank` replayed over the inbox) is the batch node's trace found, with and
    without `found`, and `InputOracle` accepts node's block with it. Before (the prover's own channel
    assembly), the hostile frame hid x: no batch with x's `found`, y's batch without."""
    from bridge.l1_source import RpcL1Source

    leaf = start_run(node_factory, l1, tmp_path)
    run, rollup, start = leaf.run, leaf.rollup, leaf.rollup.l1_start_block
    l1_w3 = run.l1_w3
    _, oracle, oracle_abi = deploy_oracle(l1, rollup)
    named = l1_w3.eth.block_number + 2  # o: the block x's id names, after the hostile frame's
    x = channel_id(named, (0x17).to_bytes(8, "big"))
    assert run.post(encode_batcher_tx_data([Frame(x, 0, b"\x02hostile", False)])) == named - 1
    y = run.channel_id(0x18)  # names o - 1
    l1_w3.provider.make_request("evm_mine", [])  # o
    m = named - start + 1  # blocks 1 .. m as node will build them, block m's origin o
    parent, batches = built_chain(leaf, m)
    timestamp = batches[-1].timestamp
    source = RpcL1Source.connect(l1.anvil.rpc_url, rollup.contracts["LantauPortal"])
    origin_o = run.post(channel_tx(run.channel_id(0x19), *(encode_batch(b) for b in batches)))  # blocks 1 .. m, in o + 1
    assert origin_o == named + 1 and origin_o < start + WINDOW
    o_ref = source.block_by_number(origin_o)
    assert o_ref is not None and o_ref.timestamp <= timestamp + 1
    n = m + 1
    transfer = Account.sign_transaction({"to": ACCOUNTS[5].address, "value": 1, "gas": 21_000, "maxFeePerGas": 10**11,
                                         "maxPriorityFeePerGas": 1, "nonce": 0, "chainId": L2_CHAIN_ID}, ACCOUNTS[4].private_key)
    n_batch = SingularBatch(bytes(parent.hash), origin_o, bytes(o_ref.hash), timestamp + 1, (bytes(transfer.raw_transaction),))
    y_batch = dataclasses.replace(n_batch, transactions=())
    x_channel, y_channel = encode_channel([encode_batch(n_batch)]), encode_channel([encode_batch(y_batch)])
    assert run.post(encode_batcher_tx_data([Frame(y, 0, y_channel[:1], False)])) == origin_o + 1
    completed = run.post(encode_batcher_tx_data([Frame(x, 0, x_channel, True)]), encode_batcher_tx_data([Frame(y, 1, y_channel[1:], True)]))
    assert completed == origin_o + 2 <= named + TIMEOUT
    node_n = safe_block(run, n, origin_o, parent)
    assert [bytes(h) for h in node_n["transactions"]][1:] == [bytes(transfer.hash)]
    trace = run.rpc("lantau_derivationTrace", hex(n))  # node's own trace: what derivation found for n
    found_batch, inclusion = bytes.fromhex(trace["found"]["batch"][2:]), trace["found"]["inclusion"]
    assert (found_batch, inclusion) == (encode_batch(n_batch), completed)

    inputs = InputEvidenceSource(L1Client(l1_w3), RollupClient(leaf.verifier.rpc_url), InputRollup.of(rollup))
    l1_info_tx = bytes.fromhex(run.rpc("lantau_disputeBlock", hex(n))["rawTransactions"][0][2:])
    parent_shown, evidence = inputs.parts(n, l1_info_tx, int(node_n["timestamp"]))
    found = evidence.batch.found()
    assert (evidence.batch.batch(), evidence.batch.inclusion) == (found_batch, inclusion)
    assert [(frame.l1_block, frame.item_index) for frame in evidence.batch.posted] == [(completed, 0)]
    assert inputs.parts(n, l1_info_tx, int(node_n["timestamp"]), found)[1] == evidence
    root, _ = run.parent(n)
    claim = ([bytes(h) for h in node_n["transactions"]], int(node_n["timestamp"]), found)
    assert oracle_call(oracle.functions.checkInputs(n, root, parent_shown.as_abi(), claim, evidence.as_abi()), oracle_abi) == ("ok", 1)
    print(f"\nblock {n}: x's hostile frame 0 in {named - 1} (x names {named}), y completed after x in {completed}: "
          f"the evidence is the batch node's trace found, InputOracle accepts node's block with it")
