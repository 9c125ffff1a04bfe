"""Deciding an L2 block's inputs on L1 (docs/fault-proofs.md, "Deciding a block's inputs on L1").

A real sequencer (`lantau node` with its batcher) on a real anvil runs transfers, HKD deposits and
idle stretches (blocks with no user transaction); a verifier alone on a second devnet, with the
sequencer gone, force-includes a deposit when the sequencing window ends. For every block, the
forced transactions node's rule gives (`prover.input_evidence.expected_forced_transactions`, i.e.
`node.derive.attributes.forced_transactions`) are the block's first transactions, and
`InputOracle` on the same anvil accepts the real block's transaction list and timestamp on its
real parent (proven from the parent's output root, header and L1Block storage). Each lie is
refuted by name (`InputsBreakRule(lie, index)`), and evidence that does not match L1's
commitments is refused by name, the oracle's state untouched (it has none: all calls are views).
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any, Callable

import rlp
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError

from bridge.deposit_client import deposit_hkd, wait_for_l2_receipt
from bridge.devnet import L1Devnet, devnet_rollup_config
from genesis.artifacts import load_artifact
from genesis.config import DEVNET_GENESIS_PATH
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import L1_BLOCK, L1_INFO_DEPOSITOR, L2_TO_L1_MESSAGE_PASSER, SEQUENCER_FEE_VAULT
from node.batches import SingularBatch, decode_batch, encode_batch
from node.channels import (
    MAX_FRAME_DATA,
    MAX_RLP_BYTES_PER_CHANNEL,
    Compression,
    Frame,
    channel_id,
    compress,
    decode_channel,
    encode_batcher_tx_data,
    encode_channel,
    read_channel,
    split_channel,
)
from node.deposit_event import TRANSACTION_DEPOSITED_TOPIC, deposit_transaction
from node.l1_block_ref import L1BlockRef
from node.l1_header import encode_l1_header
from node.l1_info import l1_info_deposit
from node.output_root import output_root
from node.vm import LantauTransactionBuilder
from bridge.l1_client import L1Client
from bridge.l1_source import RpcL1Source
from prover.derivation_evidence import step_config
from prover.dispute_block import DerivationEnd
from prover.input_step import InputEvidenceSource, InputRollup, read_inbox_blocks
from prover.rollup_client import RollupClient
from prover.input_evidence import (
    PARENT_PROOF_ABI, BatchEvidence, Evidence, InboxBlock, block_evidence, deposit_events, encode_evidence, expected_forced_transactions, find_batch,
    l1_block_slots,
    oracle_config, origin_chain_numbers, parent_origin_number, parent_proof,
)
from tests.harness.evm import decode_custom_error
from tests.contracts.test_dispute_game import blueprint_init
from tests.e2e.test_verifier import wait_until, write_rollup

ACCOUNTS = dev_accounts()
BATCHER = ACCOUNTS[1]
ORACLE_DEPLOYER = ACCOUNTS[6]
LIES = [
    "None", "NoL1InfoDeposit", "NotTheL1InfoDeposit", "TimestampNotAfterParent", "TimestampBeforeL1Origin", "BeyondSequencerDrift",
    "MissingDeposit", "WrongDeposit", "ForgedDeposit", "NotTheBatchOrigin", "NotTheBatchTimestamp", "NotTheBatchedTransactions",
    "NotTheForcedOrigin", "NotDepositOnly", "NotTheForcedTimestamp",
]
L2_CHAIN_ID = 4852
L1_BLOCK_ABI = list(load_artifact("L1Block").abi)


@dataclasses.dataclass
class Setup:
    l1: L1Devnet
    l1_w3: Web3
    l2: Web3
    oracle: Contract
    abi: list[dict[str, Any]]
    rollup: Any  # the rollup config the node runs (`genesis.rollup_config.RollupConfig`)
    _found: dict[int, bytes] = dataclasses.field(default_factory=dict)

    # --- what the chains say -------------------------------------------------------------------

    def origin_of(self, number: int) -> tuple[int, int]:
        """(L1 origin number, sequence number) that L2 block `number` recorded."""
        l1_block = self.l2.eth.contract(address=to_checksum_address(L1_BLOCK), abi=L1_BLOCK_ABI)
        return (l1_block.functions.number().call(block_identifier=number),
                l1_block.functions.sequenceNumber().call(block_identifier=number))

    def deposit_logs(self, l1_number: int) -> list[Any]:
        block_hash = self.l1_w3.eth.get_block(l1_number)["hash"]
        logs = self.l1_w3.eth.get_logs({"blockHash": block_hash, "address": self.l1.deployment.lantau_portal})
        return [entry for entry in logs if bytes(entry["topics"][0]) == TRANSACTION_DEPOSITED_TOPIC]

    def parent_output(self, number: int) -> tuple[bytes, Any]:
        block = self.l2.eth.get_block(number - 1)
        slots = [hex(s) for s in l1_block_slots()]
        l1_block_proof = self.l2.provider.make_request("eth_getProof", [to_checksum_address(L1_BLOCK), slots, hex(number - 1)])["result"]
        passer_proof = self.l2.provider.make_request("eth_getProof", [to_checksum_address(L2_TO_L1_MESSAGE_PASSER), [], hex(number - 1)])["result"]
        proof = parent_proof(block, l1_block_proof, passer_proof)
        root = output_root(proof.state_root, proof.message_passer_storage_root, proof.block_hash)
        return root, proof

    def found_of(self, number: int) -> bytes:
        """Derivation's `found` for L2 block `number`: the leaf of the first batch the inbox carries
        for it in a channel node's bank reads from its L1 origin on (`BatchEvidence.found`; the
        sequencer's batcher posts each block once), the inbox read from `channel_timeout` blocks
        before the origin as the prover's `InputEvidenceSource.with_batch` reads it, or zero when
        none does (a deposit-only block)."""
        if number not in self._found:
            origin_number, _ = self.origin_of(number)
            timestamp = int(self.l2.eth.get_block(number)["timestamp"])
            first = max(self.rollup.l1_start_block, origin_number - self.rollup.channel_timeout)
            carried = find_batch(self.inbox_blocks(first, self.l1_w3.eth.block_number), timestamp, chain_id=L2_CHAIN_ID,
                                 channel_timeout=self.rollup.channel_timeout, included_from=origin_number)
            self._found[number] = carried.found() if carried is not None else bytes(32)
        return self._found[number]

    def post_to_inbox(self, data: bytes) -> int:
        """`data` sent by the batcher to the inbox; the L1 block it landed in."""
        sent = self.l1_w3.eth.send_transaction({"from": BATCHER.address, "to": self.l1.deployment.batch_inbox, "data": data, "gas": 200_000})
        receipt = self.l1_w3.eth.wait_for_transaction_receipt(sent)
        assert receipt["status"] == 1
        return int(receipt["blockNumber"])


    def inbox_blocks(self, first: int, last: int) -> list[InboxBlock]:
        """What the inbox recorded from L1 blocks first..last: the batcher's successful transactions
        to it, in block order, a blob transaction's blobs from anvil's beacon API."""
        source = RpcL1Source(self.l1_w3, self.l1.deployment.lantau_portal)
        return read_inbox_blocks(source, self.l1.deployment.batch_inbox, BATCHER.address, first, last)

    def with_batch(self, number: int, evidence: Evidence, inbox: list[InboxBlock], found: bytes | None = None) -> Evidence | None:
        """`evidence` with the batch that carries block `number` (with `found`: the one derivation
        takes; None if none does)."""
        block = self.l2.eth.get_block(number)
        batch = find_batch(inbox, int(block["timestamp"]), chain_id=L2_CHAIN_ID, channel_timeout=self.rollup.channel_timeout, found=found)
        return None if batch is None else dataclasses.replace(evidence, batch=batch)

    def honest(self, number: int) -> tuple[list[bytes], int, Evidence, int]:
        """The block's tx hashes and timestamp, its evidence, and how many transactions node's
        rule forces at its start (checked against the block itself)."""
        block = self.l2.eth.get_block(number)
        origin_number, sequence = self.origin_of(number)
        origin = self.l1_w3.eth.get_block(origin_number)
        logs = self.deposit_logs(origin_number)
        forced = expected_forced_transactions(origin, sequence, logs)
        hashes = [bytes(h) for h in block["transactions"]]
        assert hashes[: len(forced)] == [tx.hash for tx in forced], f"block {number}: node's forced transactions differ"
        chain = origin_chain_numbers(parent_origin_number(number, origin_number, sequence), self.l1_w3.eth.block_number)
        evidence = block_evidence([self.l1_w3.eth.get_block(n) for n in chain], origin, sequence, logs)
        return hashes, int(block["timestamp"]), evidence, len(forced)

    def l1_info_tx(self, number: int) -> bytes:
        """Block `number`'s L1-info deposit (raw), as node's rule builds it from its L1 origin."""
        origin_number, sequence = self.origin_of(number)
        return bytes(expected_forced_transactions(self.l1_w3.eth.get_block(origin_number), sequence, [])[0].encode())

    # --- the oracle ----------------------------------------------------------------------------

    def check(self, number: int, hashes: list[bytes], timestamp: int, evidence: Evidence, *, parent: Any = None,
              parent_root: bytes | None = None, found: bytes | None = None) -> Any:
        """`checkInputs` on the claim (its transactions' hashes and timestamp), when derivation
        takes the batch `found` for the block (by default derivation's own, `found_of`)."""
        root, proof = (parent_root, parent) if parent is not None and parent_root is not None else self.parent_output(number)
        found = self.found_of(number) if found is None else found
        call = self.oracle.functions.checkInputs(
            number, parent_root or root, (parent or proof).as_abi(), (hashes, timestamp, found), evidence.as_abi()
        )
        try:
            return ("ok", call.call())
        except (ContractCustomError, ContractLogicError) as exc:
            data = exc.data if isinstance(exc.data, str) else None
            assert data, f"reverted without data: {exc!r}"
            name, args = decode_custom_error(self.abi, bytes.fromhex(data.removeprefix("0x")))
            if name == "InputsBreakRule":
                return (LIES[args[0]], args[1])
            return (name, args)

    def refutes(self, number: int, hashes: list[bytes], timestamp: int, evidence: Evidence) -> bool:
        root, proof = self.parent_output(number)
        return self.oracle.functions.refutes(number, root, hashes, timestamp, self.found_of(number), encode_evidence(proof, evidence)).call()

    def gas(self, number: int, hashes: list[bytes], timestamp: int, evidence: Evidence) -> int:
        root, proof = self.parent_output(number)
        claim = (hashes, timestamp, self.found_of(number))
        return self.oracle.functions.checkInputs(number, root, proof.as_abi(), claim, evidence.as_abi()).estimate_gas()


def oracle_call(contract_call: Any, abi: list[dict[str, Any]]) -> tuple[str, Any]:
    """An L1 view call: ("ok", its result) or its custom error by name (the oracle's lie by its name)."""
    try:
        return ("ok", contract_call.call())
    except (ContractCustomError, ContractLogicError) as exc:
        data = exc.data if isinstance(exc.data, str) else None
        assert data, f"reverted without data: {exc!r}"
        name, args = decode_custom_error(abi, bytes.fromhex(data.removeprefix("0x")))
        return (LIES[args[0]], args[1]) if name == "InputsBreakRule" else (name, args)


def raw_deposit(l2: Web3, number: int, tx_hash: bytes) -> bytes:
    """Block `number`'s first transaction (its L1-info deposit) as raw bytes, rebuilt from the node's
    JSON (op-geth's deposit fields) and checked against the block's own hash of it."""
    tx = l2.provider.make_request("eth_getTransactionByBlockNumberAndIndex", [hex(number), "0x0"])["result"]
    deposit = LantauTransactionBuilder.new_deposit_transaction(
        source_hash=bytes.fromhex(tx["sourceHash"][2:]), from_=bytes.fromhex(tx["from"][2:]), to=bytes.fromhex(tx["to"][2:]),
        mint=int(tx["mint"], 16), value=int(tx["value"], 16), gas=int(tx["gas"], 16), data=bytes.fromhex(tx["input"][2:]),
        is_system_tx=bool(tx.get("isSystemTx")))
    assert deposit.hash == tx_hash, f"block {number}: transaction 0 rebuilt to another hash"
    return bytes(deposit.encode())


def with_other_origin(span: Any, index: int) -> Any:
    """`span` with block `index` given another L1 origin the span format can still carry (each
    origin the one before or the next), or None if there is none."""
    origins = [e.l1_origin_number for e in span.elements]
    low = origins[index - 1] if index > 0 else origins[index + 1] - 1
    high = origins[index + 1]
    choices = [o for o in (low, low + 1) if o in (high - 1, high) and o != origins[index]]
    if not choices:
        return None
    elements = list(span.elements)
    elements[index] = dataclasses.replace(elements[index], l1_origin_number=choices[0])
    return dataclasses.replace(span, elements=tuple(elements))


def deploy_oracle(l1: L1Devnet, rollup: Any) -> tuple[Web3, Contract, list[dict[str, Any]]]:
    """L1BlockAnchors and InputOracle, deployed beside the devnet's contracts (not in its
    deploy order: docs/fault-proofs.md says how the devnet wires them)."""
    w3 = Web3(Web3.HTTPProvider(l1.anvil.rpc_url))

    def deploy(name: str, *args: Any) -> Contract:
        artifact = load_artifact(name)
        factory = w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
        receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"from": ORACLE_DEPLOYER.address}))
        assert receipt["status"] == 1
        return w3.eth.contract(address=receipt["contractAddress"], abi=list(artifact.abi))

    anchors = deploy("L1BlockAnchors")
    reader = deploy("BatchReader")
    config = oracle_config(anchors=anchors.address, portal=l1.deployment.lantau_portal, reader=reader.address, rollup=rollup,
                           l2_chain_id=L2_CHAIN_ID)
    oracle = deploy("InputOracle", config)
    abi = [*oracle.abi, *[e for e in anchors.abi if e["type"] == "error"], *[e for e in reader.abi if e["type"] == "error"],
           *[e for e in load_artifact("OutputDisputeGame").abi if e["type"] == "error" and e["name"] == "NotAHeader"]]
    return w3, oracle, abi


def send_transfers(l2: Web3, count: int) -> None:
    sender = ACCOUNTS[4]
    nonce = l2.eth.get_transaction_count(sender.address, "pending")
    for i in range(count):
        tx = {"to": ACCOUNTS[5].address, "value": 10**15 + i, "gas": 21_000, "maxFeePerGas": 10**11,
              "maxPriorityFeePerGas": 10**9, "nonce": nonce + i, "chainId": l2.eth.chain_id}
        l2.eth.send_raw_transaction(Account.sign_transaction(tx, sender.private_key).raw_transaction)


def verifier_with_oracle(node_factory: Any, l1: L1Devnet, tmp_path: Path, *, sequencing_window: int,
                         channel_timeout: int) -> tuple[Any, Any, Setup]:
    """A verifier alone (the test posts as the batcher) on the devnet's rollup with this window and
    channel timeout, and an `InputOracle` beside it: (rollup config, verifier, setup)."""
    rollup_path = write_rollup(l1, tmp_path, sequencing_window=sequencing_window, channel_timeout=channel_timeout)
    rollup = dataclasses.replace(devnet_rollup_config(l1.deployment, DEVNET_GENESIS_PATH),
                                 sequencing_window=sequencing_window, channel_timeout=channel_timeout)
    verifier = node_factory(data_dir=tmp_path / "verifier", block_time_s=1,
                            extra_args=("--role", "verifier", "--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup_path)))
    l1_w3, oracle, abi = deploy_oracle(l1, rollup)
    return rollup, verifier, Setup(l1, l1_w3, Web3(Web3.HTTPProvider(verifier.rpc_url)), oracle, abi, rollup)


def test_inputs_of_a_sequencers_blocks_decided_on_l1(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    rollup_path = write_rollup(l1, tmp_path)
    rollup = devnet_rollup_config(l1.deployment, DEVNET_GENESIS_PATH)
    l1_args = ("--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup_path))
    sequencer = node_factory(data_dir=tmp_path / "sequencer", block_time_s=0.5, extra_args=(*l1_args, "--batcher-key", BATCHER.private_key))
    l2 = Web3(Web3.HTTPProvider(sequencer.rpc_url))
    l1_w3, oracle, abi = deploy_oracle(l1, rollup)
    setup = Setup(l1, l1_w3, l2, oracle, abi, rollup)

    send_transfers(l2, 3)
    first = deposit_hkd(l1_w3, l1.deployment, ACCOUNTS[0].private_key, to=ACCOUNTS[9].address, amount_units=1_230_000)
    second = deposit_hkd(l1_w3, l1.deployment, ACCOUNTS[2].private_key, to=ACCOUNTS[8].address, amount_units=4_560_000)
    send_transfers(l2, 2)
    deposit_blocks = {int(wait_for_l2_receipt(l2, d.l2_tx_hash, timeout_s=60)["blockNumber"]) for d in (first, second)}
    time.sleep(2)  # a few blocks with no user transaction
    head = l2.eth.block_number
    # the batcher posts them and the sequencer's own derivation confirms them
    wait_until(lambda: l2.provider.make_request("lantau_syncStatus", [])["result"]["safe_l2"]["number"] >= head, 120, "safe head")
    inbox = setup.inbox_blocks(rollup.l1_start_block, l1_w3.eth.block_number)

    decided = {"deposits": 0, "empty": 0, "with user txs": 0, "with their batch": 0}
    gas_by_kind: dict[str, int] = {}
    batched: dict[int, Evidence] = {}
    for number in range(1, head + 1):
        hashes, timestamp, evidence, forced = setup.honest(number)
        # node's prevRandao is the one the game derives (`l2PrevRandao`: keccak of the parent's hash),
        # so no claim names it and the oracle does not decide it
        assert bytes(l2.eth.get_block(number)["mixHash"]) == keccak(bytes(l2.eth.get_block(number - 1)["hash"]))
        assert setup.check(number, hashes, timestamp, evidence) == ("ok", forced), f"block {number}"
        assert setup.refutes(number, hashes, timestamp, evidence) is False
        # the oracle rebuilt node's L1-info deposit itself: any other hash at transaction 0 is a lie
        assert setup.check(number, [keccak(b"made-up L1 info"), *hashes[1:]], timestamp, evidence) == ("NotTheL1InfoDeposit", 0)
        kind = "deposits" if len(evidence.deposits) else ("empty" if len(hashes) == forced else "with user txs")
        decided[kind] += 1
        gas_by_kind.setdefault(kind, setup.gas(number, hashes, timestamp, evidence))
        shown = setup.with_batch(number, evidence, inbox)
        assert shown is not None, f"block {number}: no batch carries it"
        assert setup.check(number, hashes, timestamp, shown) == ("ok", forced), f"block {number} with its batch"
        decided["with their batch"] += 1
        decided["past a span's first block"] = decided.get("past a span's first block", 0) + (shown.batch.block_index > 1)
        batched[number] = shown
        if len(hashes) > forced:
            gas_by_kind.setdefault(f"{kind}, its batch shown", setup.gas(number, hashes, timestamp, shown))
    assert decided["deposits"] >= 1 and decided["empty"] >= 1 and decided["with user txs"] >= 1, decided
    assert decided["past a span's first block"] >= 1, decided  # L2 ancestors walked back to the span's parent
    print(f"\nblocks decided on L1: {decided}; L1 gas of checkInputs (one block): {gas_by_kind}")

    # --- lies about the batched transactions, and batches L1 never recorded ----------------------
    number = max(batched, key=lambda n: len(l2.eth.get_block(n)["transactions"]))
    hashes, timestamp, _, forced = setup.honest(number)
    shown = batched[number]
    assert len(hashes) > forced
    never_sent = Account.sign_transaction({"to": ACCOUNTS[5].address, "value": 1, "gas": 21_000, "maxFeePerGas": 10**11,
                                           "maxPriorityFeePerGas": 1, "nonce": 999, "chainId": L2_CHAIN_ID}, ACCOUNTS[4].private_key)
    assert setup.check(number, [*hashes, bytes(never_sent.hash)], timestamp, shown) == ("NotTheBatchedTransactions", len(hashes))
    assert setup.refutes(number, [*hashes, bytes(never_sent.hash)], timestamp, shown) is True  # what the game's stepInput asks
    assert setup.refutes(number, hashes, timestamp, shown) is False
    assert setup.check(number, [*hashes[:forced], *hashes[forced + 1:]], timestamp, shown) == ("NotTheBatchedTransactions", forced)
    assert setup.check(number, [*hashes[:forced], bytes(never_sent.hash), *hashes[forced + 1:]], timestamp, shown) == ("NotTheBatchedTransactions", forced)
    assert setup.check(number, hashes, timestamp + 1, shown) == ("NotTheBatchTimestamp", 0)
    # the batch is taken by the hash `found` binds, not through the inbox: evidence that does not
    # read to derivation's batch, read in derivation's L1 block, is refused by name (nothing decided)
    found, batch = setup.found_of(number), shown.batch
    assert found == batch.found()

    def with_batch(**changes: Any) -> Evidence:
        return dataclasses.replace(shown, batch=dataclasses.replace(batch, **changes))

    def leaf_of(channel: bytes, batch_index: int, inclusion: int) -> bytes:
        return dataclasses.replace(batch, channel=channel, batch_index=batch_index, inclusion=inclusion).found()

    other = next(e.batch for n, e in batched.items() if e.batch.channel != batch.channel)  # another channel of the batcher's
    assert setup.check(number, hashes, timestamp, with_batch(channel=other.channel, batch_index=other.batch_index)) == (
        "NotTheFoundBatch", (found, leaf_of(other.channel, other.batch_index, batch.inclusion)))
    batches = decode_channel(batch.channel)
    assert setup.check(number, hashes, timestamp, with_batch(batch_index=len(batches))) == ("NoBatchAt", (len(batches), len(batches)))
    assert setup.check(number, hashes, timestamp, with_batch(inclusion=batch.inclusion + 1)) == (
        "NotTheFoundBatch", (found, leaf_of(batch.channel, batch.batch_index, batch.inclusion + 1)))
    # bytes that read to another batch: the batch with one transaction left out, in a channel that
    # reads (the transactions of the claim's block among the batch's others)
    span = decode_batch(batches[batch.batch_index], chain_id=L2_CHAIN_ID)
    element = span.elements[batch.block_index]
    shorter = dataclasses.replace(span, elements=tuple(dataclasses.replace(e, transactions=e.transactions[:-1]) if e is element else e
                                                       for e in span.elements))
    changed = encode_channel([*batches[:batch.batch_index], encode_batch(shorter)])
    assert setup.check(number, hashes, timestamp, with_batch(channel=changed)) == (
        "NotTheFoundBatch", (found, leaf_of(changed, batch.batch_index, batch.inclusion)))
    # bytes that read to no batch (not a FastLZ channel: `readChannel` gives none, as node's `read_channel`)
    assert setup.check(number, hashes, timestamp, with_batch(channel=b"\x00" + batch.channel[1:])) == (
        "NoBatchAt", (batch.batch_index, 0))
    # any bytes that read to a batch with that hash are that batch: derivation's batch first in a
    # channel the batcher never posted (another batch after it) decides the block as the posted one does
    elsewhere = encode_channel([batches[batch.batch_index], encode_batch(shorter)])
    assert elsewhere != batch.channel
    assert setup.check(number, hashes, timestamp, with_batch(channel=elsewhere, batch_index=0)) == ("ok", forced)
    assert setup.check(number, [*hashes, bytes(never_sent.hash)], timestamp, with_batch(channel=elsewhere, batch_index=0)) == (
        "NotTheBatchedTransactions", len(hashes))
    # ... but not in a channel that decodes past MAX_RLP_BYTES_PER_CHANNEL (64,000 B; InputOracle read to
    # 10 MB before): node's read_channel gives it nothing, and so does the oracle, with the bound
    # DerivationStep judges channels by (BatchReader.sol's MAX_RLP_BYTES_PER_CHANNEL, one constant)
    too_large = encode_channel([batches[batch.batch_index], bytes(MAX_RLP_BYTES_PER_CHANNEL)])
    assert read_channel(too_large).batches == ()
    assert setup.check(number, hashes, timestamp, with_batch(channel=too_large, batch_index=0)) == ("NoBatchAt", (0, 0))
    assert setup.check(number, hashes, timestamp, shown) == ("ok", forced)  # the honest claim, decided again
    # more batch evidence refused by name: a block before the parent's, a raw transaction that is
    # not the claim's
    deep = next(n for n in sorted(batched) if batched[n].batch.block_index > 1)  # past its span's second block
    d_hashes, d_timestamp, _, _ = setup.honest(deep)
    d_shown, d_batch = batched[deep], batched[deep].batch
    # the batch `found` names is the one derivation takes for the block after the parent (the leaf
    # judged its rules); which of its blocks is this one the oracle pins: another block of the true
    # span shown against a true claim is refused, not a refutation
    j = d_batch.block_index
    for other in (j - 1, j + 1):
        assert setup.check(deep, d_hashes, d_timestamp, dataclasses.replace(d_shown, batch=dataclasses.replace(
            d_batch, block_index=other))) == ("NotTheBlockAfterTheParent", (other,))
    first_of_span = [n for n in batched if batched[n].batch.channel == d_batch.channel and batched[n].batch.block_index <= 1]
    print(f"\nL1 gas of checkInputs, block {deep} with its batch (block {j} of its span): "
          f"{setup.gas(deep, d_hashes, d_timestamp, d_shown):,}; blocks of its span at index 0 or 1: "
          f"{[(n, setup.gas(n, *setup.honest(n)[:2], batched[n])) for n in first_of_span]}")
    assert setup.check(number, hashes, timestamp, dataclasses.replace(shown, raw_txs={forced: b"\x02not it"})) == ("RawTxMismatch", (forced,))
    # the L1-info deposit: one with another gas limit, one with the next sequence number
    _, sequence = setup.origin_of(number)
    origin_block = l1_w3.eth.get_block(setup.origin_of(number)[0])
    ref = L1BlockRef(int(origin_block["number"]), bytes(origin_block["hash"]), bytes(origin_block["parentHash"]),
                     int(origin_block["timestamp"]), int(origin_block["baseFeePerGas"]))
    info = l1_info_deposit(ref, sequence)
    regassed = LantauTransactionBuilder.new_deposit_transaction(source_hash=info.source_hash, from_=L1_INFO_DEPOSITOR, to=L1_BLOCK, mint=0,
                                                               value=0, gas=999_999, data=info.data)
    assert setup.check(number, [regassed.hash, *hashes[1:]], timestamp, shown) == ("NotTheL1InfoDeposit", 0)
    skipped = l1_info_deposit(ref, sequence + 1)
    assert setup.check(number, [skipped.hash, *hashes[1:]], timestamp, shown) == ("NotTheL1InfoDeposit", 0)
    # the parent: a header that is not its output's
    root, proof = setup.parent_output(number)
    other_header = dataclasses.replace(proof, header=encode_l1_header(l2.eth.get_block(number - 2)))
    assert setup.check(number, hashes, timestamp, shown, parent=other_header) == ("ParentHeaderMismatch", ())
    # a block claimed on its parent's L1 origin (the sequencer moved on to the next): valid by the
    # L1-given rules alone, refuted by the batch (`NotTheBatchOrigin`); past the drift and empty,
    # the next L1 block decides (`EvidenceNeeded` without it)
    q = next(n for n in sorted(batched) if n > 2 and setup.origin_of(n)[0] == setup.origin_of(n - 1)[0] + 1)
    p_origin, p_sequence = setup.origin_of(q - 1)
    p_block = l1_w3.eth.get_block(p_origin)
    p_ref = L1BlockRef(p_origin, bytes(p_block["hash"]), bytes(p_block["parentHash"]), int(p_block["timestamp"]), int(p_block["baseFeePerGas"]))
    stay = l1_info_deposit(p_ref, p_sequence + 1)
    q_hashes, q_timestamp, q_evidence, _ = setup.honest(q)
    stayed = dataclasses.replace(q_evidence, deposits=[])
    assert setup.check(q, [stay.hash], q_timestamp, stayed) == ("ok", 1)
    assert setup.check(q, [stay.hash], q_timestamp, dataclasses.replace(stayed, batch=batched[q].batch)) == ("NotTheBatchOrigin", 0)
    late = int(p_block["timestamp"]) + rollup.max_sequencer_drift + 1
    assert setup.check(q, [stay.hash], late, stayed) == ("BeyondSequencerDrift", 0)  # the next L1 block was there
    # the origin headers must end at the parent's origin and show the L1 block after it (L1 has it)
    assert setup.check(q, [stay.hash], q_timestamp, dataclasses.replace(stayed, origin_headers=[encode_l1_header(p_block)])) == (
        "EvidenceNeeded", ("the header of the L1 block after the parent's origin",))
    assert setup.check(q, q_hashes, q_timestamp, dataclasses.replace(q_evidence, origin_headers=q_evidence.origin_headers[:1])) == (
        "OriginHeaderMismatch", (p_origin, p_origin + 1))

    # --- lies about the block with the most deposits: each refuted by name ---------------------
    number = max(deposit_blocks, key=lambda n: len(setup.honest(n)[2].deposits))
    hashes, timestamp, evidence, forced = setup.honest(number)
    origin_number, sequence = setup.origin_of(number)
    assert sequence == 0 and forced >= 2
    tail = hashes[forced:]
    # a dropped deposit
    assert setup.check(number, [hashes[0], *hashes[2:]], timestamp, evidence)[0] in ("MissingDeposit", "WrongDeposit")
    assert setup.check(number, hashes[:1], timestamp, evidence) == ("MissingDeposit", 1)
    # a forged deposit: a mint out of thin air among the batched transactions
    forged = LantauTransactionBuilder.new_deposit_transaction(
        source_hash=keccak(b"forged"), from_=bytes.fromhex(ACCOUNTS[7].address[2:]), to=bytes.fromhex(ACCOUNTS[7].address[2:]),
        mint=10**24, value=0, gas=21_000, data=b"",
    )
    lie = [*hashes[:forced], forged.hash, *tail]
    shown = dataclasses.replace(evidence, raw_txs={forced: forged.encode()})
    assert setup.check(number, lie, timestamp, shown) == ("ForgedDeposit", forced)
    assert setup.refutes(number, lie, timestamp, shown) is True
    # a deposit replaced by a forged one in the deposits' place
    assert setup.check(number, [hashes[0], forged.hash, *hashes[2:]], timestamp, evidence) == ("WrongDeposit", 1)
    # a deposit with another source hash: its position moved by one, or OP's hash by its log index;
    # the portal's chain fixes every position, so the claim is refuted (`WrongDeposit`), and
    # deposits shown in another order, or one left out, are not the portal's (`DepositsNotL1s`)
    first_event = deposit_events(setup.deposit_logs(origin_number))[0]
    moved = deposit_transaction(dataclasses.replace(first_event, position=first_event.position + 1))
    assert setup.check(number, [hashes[0], moved.hash, *hashes[2:]], timestamp, evidence) == ("WrongDeposit", 1)
    by_log_index = LantauTransactionBuilder.new_deposit_transaction(
        source_hash=keccak(bytes(32) + keccak(bytes(first_event.l1_block_hash) + first_event.log_index.to_bytes(32, "big"))),
        from_=first_event.from_address, to=first_event.to_address or b"", mint=first_event.mint, value=first_event.value,
        gas=first_event.gas_limit, data=first_event.data,
    )
    assert setup.check(number, [hashes[0], by_log_index.hash, *hashes[2:]], timestamp, evidence) == ("WrongDeposit", 1)
    assert setup.refutes(number, [hashes[0], moved.hash, *hashes[2:]], timestamp, evidence) is True
    portal_chain = l1.deployment.contract(l1_w3, "LantauPortal").functions.depositHashChain(origin_number).call()
    left_out = setup.check(number, hashes, timestamp, dataclasses.replace(evidence, deposits=evidence.deposits[1:]))
    assert left_out[0] == "DepositsNotL1s" and left_out[1][:2] == (origin_number, portal_chain), left_out
    if len(evidence.deposits) > 1:
        swapped = [evidence.deposits[1], evidence.deposits[0], *evidence.deposits[2:]]
        assert setup.check(number, hashes, timestamp, dataclasses.replace(evidence, deposits=swapped))[0] == "DepositsNotL1s"
    # a wrong L1 origin: the origin's number with another block's hash, and an origin too far ahead
    origin = l1_w3.eth.get_block(origin_number)
    other = l1_w3.eth.get_block(origin_number - 1)
    wrong = l1_info_deposit(L1BlockRef(origin_number, bytes(other["hash"]), bytes(origin["parentHash"]), int(origin["timestamp"]),
                                       int(origin["baseFeePerGas"])), 0)
    assert setup.check(number, [wrong.hash, *hashes[1:]], timestamp, evidence) == ("NotTheL1InfoDeposit", 0)
    wrong_fee = l1_info_deposit(L1BlockRef(origin_number, bytes(origin["hash"]), bytes(origin["parentHash"]), int(origin["timestamp"]),
                                           int(origin["baseFeePerGas"]) + 1), 0)
    assert setup.check(number, [wrong_fee.hash, *hashes[1:]], timestamp, evidence) == ("NotTheL1InfoDeposit", 0)
    ahead_block = l1_w3.eth.get_block(origin_number + 2)
    ahead = l1_info_deposit(L1BlockRef(origin_number + 2, bytes(ahead_block["hash"]), bytes(ahead_block["parentHash"]),
                                       int(ahead_block["timestamp"]), int(ahead_block["baseFeePerGas"])), 0)
    assert setup.check(number, [ahead.hash, *hashes[1:]], timestamp, evidence) == ("NotTheL1InfoDeposit", 0)
    # timestamps
    parent_timestamp = int(l2.eth.get_block(number - 1)["timestamp"])
    assert setup.check(number, hashes, parent_timestamp, evidence) == ("TimestampNotAfterParent", 0)
    if tail:
        assert setup.check(number, hashes, timestamp + 10_000, evidence) == ("BeyondSequencerDrift", forced)
    assert setup.check(number, [], timestamp, evidence) == ("NoL1InfoDeposit", 0)
    assert setup.check(number, hashes, timestamp, evidence) == ("ok", forced)

    # --- "no batch" (found = 0) where derivation found one: the oracle applies the forced block's
    # rules to what the game agreed; which batch derivation takes is DerivationBisection's to decide
    # the newest block's window is not over on L1 yet: nothing is decided (an origin below L1's
    # head: an eth_call cannot read the hash of the block it runs on)
    newest = next(n for n in range(l2.eth.block_number, 0, -1) if setup.origin_of(n)[0] < l1_w3.eth.block_number)
    n_hashes, n_timestamp, n_evidence, _ = setup.honest(newest)
    assert setup.check(newest, n_hashes, n_timestamp, n_evidence, found=bytes(32)) == (
        "EvidenceNeeded", ("the sequencing window's end on L1",))
    busiest = max(batched, key=lambda n: len(l2.eth.get_block(n)["transactions"]))
    b_hashes, b_timestamp, b_evidence, b_forced = setup.honest(busiest)
    b_root, b_parent = setup.parent_output(busiest)
    b_found = setup.found_of(busiest)

    # --- a conflicting span the batcher posts later: the agreed chain's timestamps, another L1 origin
    # for its first block. node drops it (`_overlap_mismatch`); L1 does not take it as giving the block
    # (a recent span, so that a copy posted now is still within its sequencing window)
    recent = l2.eth.block_number
    wait_until(lambda: l2.provider.make_request("lantau_syncStatus", [])["result"]["safe_l2"]["number"] >= recent, 120, "safe head")
    recent_inbox = setup.inbox_blocks(max(rollup.l1_start_block, l1_w3.eth.block_number - 30), l1_w3.eth.block_number)
    c, c_shown, span, conflicting = 0, None, None, None
    for candidate in range(recent, recent - 40, -1):
        found = setup.with_batch(candidate, setup.honest(candidate)[2], recent_inbox)
        if found is None or found.batch.block_index < 2:
            continue
        span = decode_batch(found.batch.batch(), chain_id=L2_CHAIN_ID)
        conflicting = with_other_origin(span, found.batch.block_index - 2)  # the block before the parent
        if conflicting is not None:
            c, c_shown = candidate, found
            break
    assert c_shown is not None and span is not None and conflicting is not None, "no recent span to copy"
    c_hashes, c_timestamp, _, c_forced = setup.honest(c)
    c_root, c_parent = setup.parent_output(c)
    c_found = setup.found_of(c)
    sequencer.stop()  # its batcher would race these transactions' nonces; L2 is not read below

    def post(batch: Any, block_index: int) -> BatchEvidence:
        """`batch` posted by the batcher in a channel of its own: the evidence of its block
        `block_index`, the channel read in the L1 block it landed in."""
        channel = encode_channel([encode_batch(batch)])
        data = encode_batcher_tx_data(split_channel(channel_id(l1_w3.eth.block_number, os.urandom(8)), channel, MAX_FRAME_DATA))
        receipt = l1_w3.eth.wait_for_transaction_receipt(l1_w3.eth.send_transaction(
            {"from": BATCHER.address, "to": l1.deployment.batch_inbox, "data": data, "gas": 2_000_000}))
        assert receipt["status"] == 1
        (recorded,) = setup.inbox_blocks(receipt["blockNumber"], receipt["blockNumber"])
        assert data in recorded.shown
        return BatchEvidence(channel, 0, recorded.number, block_index)

    def shown_with(batch: BatchEvidence) -> Evidence:
        return dataclasses.replace(c_shown, batch=batch)

    def check_as_found(shown: Evidence, hashes: list[bytes] = c_hashes, timestamp: int = c_timestamp) -> Any:
        """`check` as if derivation took the batch shown (its own leaf as `found`): the reader's rules."""
        return setup.check(c, hashes, timestamp, shown, parent=c_parent, parent_root=c_root, found=shown.batch.found())

    # node drops it; so does the leaf that decides `found` (`DerivationStep`, its span rules:
    # test_derivation_step.py); the oracle decides with derivation's batch only, so shown for block
    # c it is refused by name, and the true claim is refuted by nothing
    off_chain = shown_with(post(conflicting, c_shown.batch.block_index))
    assert setup.check(c, c_hashes, c_timestamp, off_chain, parent=c_parent, parent_root=c_root) == (
        "NotTheFoundBatch", (c_found, off_chain.batch.found()))
    # the same span with the true origins, posted the same way, is read alike
    again = shown_with(post(span, c_shown.batch.block_index))
    assert check_as_found(again) == ("ok", c_forced)
    # but it is a second batch for block c, after the one derivation took: shown against derivation's
    # `found`, it is refused by name (a batch the refuter chose is never the one L1 decides with)
    assert c_found == c_shown.batch.found() != again.batch.found()
    assert setup.check(c, c_hashes, c_timestamp, again, parent=c_parent, parent_root=c_root) == (
        "NotTheFoundBatch", (c_found, again.batch.found()))
    # the block as a singular batch (version 0, which derivation takes too): L1 reads it as node does;
    # one on another parent, or naming another L1 block's hash, is refused
    element = span.elements[c_shown.batch.block_index]
    origin_block = l1_w3.eth.get_block(element.l1_origin_number)
    singular = SingularBatch(c_parent.block_hash, element.l1_origin_number, bytes(origin_block["hash"]), element.timestamp,
                             element.transactions)

    def single(batch: SingularBatch) -> Evidence:
        return shown_with(post(batch, 0))

    as_singular = single(singular)
    assert check_as_found(as_singular) == ("ok", c_forced)
    gas_of = lambda shown: oracle.functions.checkInputs(  # noqa: E731
        c, c_root, c_parent.as_abi(), (c_hashes, c_timestamp, shown.batch.found()), shown.as_abi()).estimate_gas()
    print(f"\nL1 gas of checkInputs, block {c} ({len(c_hashes) - c_forced} user txs) with its batch: as a singular batch "
          f"{gas_of(as_singular):,}; as one block of its own span re-posted {gas_of(shown_with(post(span, c_shown.batch.block_index))):,}")
    assert check_as_found(single(singular), [*c_hashes, keccak(b"never batched")]) == ("NotTheBatchedTransactions", len(c_hashes))
    # one on another parent, or naming another L1 block's hash, derivation drops (the leaf's
    # `judgeSingular`): never `found`, so shown against derivation's it is refused by name
    for dropped in (dataclasses.replace(singular, parent_hash=keccak(b"another parent")),
                    dataclasses.replace(singular, l1_origin_hash=bytes(l1_w3.eth.get_block(element.l1_origin_number - 1)["hash"]))):
        shown_dropped = single(dropped)
        assert setup.check(c, c_hashes, c_timestamp, shown_dropped, parent=c_parent, parent_root=c_root) == (
            "NotTheFoundBatch", (c_found, shown_dropped.batch.found()))
    assert check_as_found(dataclasses.replace(as_singular, batch=dataclasses.replace(as_singular.batch, block_index=1))) == (
        "NotTheBlockAfterTheParent", (1,))
    # the gap the first-valid-batch choice closes: the batcher posts a second valid batch for block
    # c with other transactions (none of its user transactions, or one it never batched if it had
    # none); shown as the block's batch it would refute the TRUE claim (NotTheBatchedTransactions),
    # so a batcher colluding with a challenger could delete an honest output. The oracle takes the
    # batch derivation took (`found`): the second batch is refused by name, the true claim stands
    other_txs = () if len(c_hashes) > c_forced else (bytes(never_sent.raw_transaction),)
    emptied = single(dataclasses.replace(singular, transactions=other_txs))
    assert check_as_found(emptied) == ("NotTheBatchedTransactions", c_forced)
    assert setup.check(c, c_hashes, c_timestamp, emptied, parent=c_parent, parent_root=c_root) == (
        "NotTheFoundBatch", (c_found, emptied.batch.found()))
    assert oracle.functions.refutes(c, c_root, c_hashes, c_timestamp, c_found, encode_evidence(c_parent, c_shown)).call() is False

    # --- the busiest block's window, once over: "no batch" (found = 0) makes the forced block's rules
    # refute its true transactions, where derivation took a batch (DerivationBisection decides found)
    l1_w3.provider.make_request("anvil_mine", [hex(rollup.sequencing_window + 10)])
    assert b_found != bytes(32)
    refused = setup.check(busiest, b_hashes, b_timestamp, b_evidence, parent=b_parent, parent_root=b_root, found=bytes(32))
    assert refused in (("NotTheForcedOrigin", 0), ("NotDepositOnly", b_forced)), refused
    assert setup.check(busiest, b_hashes, b_timestamp, b_evidence, parent=b_parent, parent_root=b_root, found=b_found) == ("ok", b_forced)


def test_a_forced_deposit_only_block_decided_on_l1(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """No sequencer: the verifier derives deposit-only blocks when the sequencing window ends. With
    derivation's answer for each (`found` = 0: no batch, what the game agrees on L1 through
    `DerivationBisection`), the oracle accepts node's block (timestamp max(parent + 1, origin), the
    origin's deposits, nothing else) and refutes any other: user transactions where the sequencer
    posted nothing (which the L1-given rules alone allow), another timestamp, the parent's origin.
    Batcher data derivation drops changes nothing: garbage the frame stage drops whole, and a frame
    of a channel never closed (which the inbox alone could not tell from a batch)."""
    rollup, verifier, setup = verifier_with_oracle(node_factory, l1, tmp_path, sequencing_window=6, channel_timeout=4)
    l1_w3, l2, oracle = setup.l1_w3, setup.l2, setup.oracle
    info = deposit_hkd(l1_w3, l1.deployment, ACCOUNTS[0].private_key, to=ACCOUNTS[7].address, amount_units=4_200_000)
    # garbage from the batcher in the deposit's window (an unknown derivation version, a truncated frame)
    for data in (b"\x01not a frame", b"\x00" + b"\x07" * 20):
        setup.post_to_inbox(data)
    receipt = wait_for_l2_receipt(l2, info.l2_tx_hash, timeout_s=120)
    assert "deposit-only" in verifier.output and "dropping batcher transaction" in verifier.output
    forced_gas = 0
    for number in range(1, int(receipt["blockNumber"]) + 1):
        hashes, timestamp, evidence, forced = setup.honest(number)
        assert len(hashes) == forced
        assert setup.found_of(number) == bytes(32), f"block {number}: a batch carries it"
        assert setup.check(number, hashes, timestamp, evidence) == ("ok", forced), f"block {number}"
        forced_gas = setup.gas(number, hashes, timestamp, evidence)
    print(f"\nL1 gas of checkInputs on a forced block (found = 0): {forced_gas:,}")
    number = int(receipt["blockNumber"])
    hashes, timestamp, evidence, forced = setup.honest(number)
    assert setup.check(number, hashes[:1], timestamp, evidence) == ("MissingDeposit", 1)
    never_batched = Account.sign_transaction({"to": ACCOUNTS[5].address, "value": 1, "gas": 21_000, "maxFeePerGas": 10**11,
                                              "maxPriorityFeePerGas": 1, "nonce": 0, "chainId": L2_CHAIN_ID}, ACCOUNTS[4].private_key)
    user_tx_claim = [*hashes, bytes(never_batched.hash)]
    assert setup.check(number, user_tx_claim, timestamp, evidence) == ("NotDepositOnly", forced)
    assert setup.refutes(number, user_tx_claim, timestamp, evidence) is True
    assert setup.check(number, hashes, timestamp + 1, evidence) == ("NotTheForcedTimestamp", 0)
    p_origin, p_sequence = setup.origin_of(number - 1)
    p_block = l1_w3.eth.get_block(p_origin)
    stay = l1_info_deposit(L1BlockRef(p_origin, bytes(p_block["hash"]), bytes(p_block["parentHash"]), int(p_block["timestamp"]),
                                      int(p_block["baseFeePerGas"])), p_sequence + 1)
    stayed = dataclasses.replace(evidence, deposits=[])
    assert setup.check(number, [stay.hash], timestamp, stayed) == ("NotTheForcedOrigin", 0)
    # with a batch found (any non-zero `found`, none shown), the L1-given rules alone allow these
    assert setup.check(number, [stay.hash], timestamp, stayed, found=keccak(b"a batch")) == ("ok", 1)
    assert setup.check(number, user_tx_claim, timestamp, evidence, found=keccak(b"a batch")) == ("ok", forced)
    assert setup.check(number, hashes, timestamp, evidence) == ("ok", forced)  # the honest claim, unchanged
    # the challenger's evidence source (prover/input_step.py), told derivation found no batch
    source = InputEvidenceSource(L1Client(l1_w3), RollupClient(verifier.rpc_url), InputRollup.of(rollup))
    root, parent = setup.parent_output(number)
    shown = source.evidence(number, setup.l1_info_tx(number), timestamp, bytes(32))
    assert oracle.functions.refutes(number, root, user_tx_claim, timestamp, bytes(32), shown).call() is True
    assert oracle.functions.refutes(number, root, hashes, timestamp, bytes(32), shown).call() is False

    # a frame in the window of a channel never closed (derivation drops it later, in the channel
    # bank): with derivation's answer agreed, the next forced block is decided like the others
    frame_block = setup.post_to_inbox(encode_batcher_tx_data([Frame(channel_id(setup.l1_w3.eth.block_number, b"\x42" * 8), 0, b"never closed", False)]))
    wait_until(lambda: any(setup.origin_of(n)[0] == frame_block + 1 for n in range(l2.eth.block_number, 0, -1)), 120,
               "the forced block after the frame")
    later = next(n for n in range(l2.eth.block_number, 0, -1) if setup.origin_of(n)[0] == frame_block + 1 and setup.origin_of(n)[1] == 0)
    l_hashes, l_timestamp, l_evidence, l_forced = setup.honest(later)
    assert setup.found_of(later) == bytes(32)
    assert setup.check(later, l_hashes, l_timestamp, l_evidence) == ("ok", l_forced)
    assert setup.check(later, [*l_hashes, bytes(never_batched.hash)], l_timestamp, l_evidence) == ("NotDepositOnly", l_forced)


def test_a_block_from_a_broken_channel_decided_on_l1(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """A channel whose stream breaks after its first batch (an RLP list follows it): node derives
    block 1 from that batch (`read_channel` keeps the batches before a break), and the oracle,
    reading the channel with `BatchReader.readChannel`, decides it the same: node's block accepted
    with the batch derivation found, a transaction the batch does not carry refuted."""
    # a window wide enough that deploying the oracle (a block per transaction) leaves it open
    rollup, verifier, setup = verifier_with_oracle(node_factory, l1, tmp_path, sequencing_window=40, channel_timeout=4)
    l1_w3, l2 = setup.l1_w3, setup.l2
    start = rollup.l1_start_block
    start_block, genesis = l1_w3.eth.get_block(start), l2.eth.get_block(0)
    t1 = max(int(genesis["timestamp"]) + 1, int(start_block["timestamp"]))
    one = SingularBatch(bytes(genesis["hash"]), start, bytes(start_block["hash"]), t1, ())
    broken = compress(rlp.encode(encode_batch(one)) + b"\xc0" + rlp.encode(encode_batch(one)), Compression.FASTLZ)
    setup.post_to_inbox(encode_batcher_tx_data([Frame(channel_id(l1_w3.eth.block_number, b"\xb1" * 8), 0, broken, True)]))
    wait_until(lambda: l2.eth.block_number >= 1, 120, "block 1 derived")
    wait_until(lambda: "channel ends early" in verifier.output, 60, "the break logged")
    assert bytes(l2.eth.get_block(1)["parentHash"]) == bytes(genesis["hash"]) and int(l2.eth.get_block(1)["timestamp"]) == t1
    assert "deposit_only=True" not in verifier.output
    found = setup.found_of(1)
    assert found != bytes(32), "the batch before the break is derivation's"
    hashes, timestamp, evidence, forced = setup.honest(1)
    shown = setup.with_batch(1, evidence, setup.inbox_blocks(start, l1_w3.eth.block_number), found)
    assert shown is not None
    assert setup.check(1, hashes, timestamp, shown) == ("ok", forced)
    never_batched = Account.sign_transaction({"to": ACCOUNTS[5].address, "value": 1, "gas": 21_000, "maxFeePerGas": 10**11,
                                              "maxPriorityFeePerGas": 1, "nonce": 0, "chainId": L2_CHAIN_ID}, ACCOUNTS[4].private_key)
    assert setup.check(1, [*hashes, bytes(never_batched.hash)], timestamp, shown) == ("NotTheBatchedTransactions", forced)
    assert setup.check(1, hashes, timestamp + 1, shown) == ("NotTheBatchTimestamp", 0)


# --- the game's input leaf -------------------------------------------------------------------------

SPLIT_DEPTH, TX_DEPTH = 2, 3
MAX_CLOCK_S, EXTENSION_S, BOND_DELAY_S = 100, 10, 50
MIN_BOND, MAX_BOND, ORACLE_BOND = 10**15, 10**17, 10**16
PROPOSER, OLD_CHALLENGER, LIAR = ACCOUNTS[2], ACCOUNTS[3], ACCOUNTS[4]


def sequencer_with_oracle(node_factory: Any, l1: L1Devnet, tmp_path: Path) -> tuple[Any, Setup]:
    """A sequencer with its batcher on the devnet's rollup, and an `InputOracle` beside it."""
    rollup_path = write_rollup(l1, tmp_path)
    rollup = devnet_rollup_config(l1.deployment, DEVNET_GENESIS_PATH)
    sequencer = node_factory(data_dir=tmp_path / "sequencer", block_time_s=0.5,
                             extra_args=("--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup_path), "--batcher-key", BATCHER.private_key))
    l1_w3, oracle, abi = deploy_oracle(l1, rollup)
    return rollup, Setup(l1, l1_w3, Web3(Web3.HTTPProvider(sequencer.rpc_url)), oracle, abi, rollup)


def deploy_game_system(setup: Setup, starting_block: int, anchor: bytes, derivation: str = "0x" + "00" * 20) -> tuple[Contract, Contract]:
    """An OutputOracle (outputs every 4 blocks from `starting_block`) whose challenger is a
    DisputeGameFactory whose games ask `setup.oracle` at the input leaf."""
    w3 = setup.l1_w3

    def deploy(name: str, *args: Any) -> Contract:
        artifact = load_artifact(name)
        factory = w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
        receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"from": ORACLE_DEPLOYER.address}))
        assert receipt["status"] == 1
        return w3.eth.contract(address=receipt["contractAddress"], abi=list(artifact.abi))

    now = int(w3.eth.get_block("latest")["timestamp"])
    output_oracle = deploy("OutputOracle", 1 << SPLIT_DEPTH, 1, starting_block, now - 10_000, PROPOSER.address,
                           OLD_CHALLENGER.address, 30, ORACLE_BOND, "0x" + "00" * 20)
    blueprint = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
        {"from": ORACLE_DEPLOYER.address, "data": blueprint_init(bytes(load_artifact("OutputDisputeGame").bytecode)), "gas": 8_000_000}
    ))["contractAddress"]
    finish = deploy("BlockFinishLeaf", to_checksum_address(SEQUENCER_FEE_VAULT), setup.l2.eth.chain_id)
    config = (SPLIT_DEPTH, TX_DEPTH, MAX_CLOCK_S, EXTENSION_S, BOND_DELAY_S, MIN_BOND, MAX_BOND, "0x" + "00" * 20,
              setup.oracle.address, to_checksum_address(L2_TO_L1_MESSAGE_PASSER), finish.address, derivation,
              deploy("OutputDisputeGameLeaves").address)
    factory = deploy("DisputeGameFactory", output_oracle.address, blueprint, anchor, config)
    transact(w3, OLD_CHALLENGER, output_oracle.functions.setChallenger(factory.address))
    return output_oracle, factory


def game_at_block_one_of_four(setup: Setup, start: int, outputs: dict[int, bytes], why: bytes) -> tuple[Contract, Callable[[int], int]]:
    """A game system anchored at block `start`'s output, the output of `start` + 4 proposed, a game
    against it opened by the liar (`why` hashed as its root claim) and answered by the proposer with
    block `start` + 1's true output at depth 2: (the game, the bond of a move to a depth)."""
    output_oracle, factory = deploy_game_system(setup, start, outputs[start])
    l1_w3 = setup.l1_w3
    transact(l1_w3, PROPOSER, output_oracle.functions.proposeL2Output(outputs[start + 4], start + 4, b"\x00" * 32, 0), value=ORACLE_BOND)
    receipt = transact(l1_w3, LIAR, factory.functions.create(0, keccak(why)), value=factory.functions.createBond().call())
    (created,) = factory.events.GameCreated().process_receipt(receipt)
    game = l1_w3.eth.contract(address=created["args"]["game"], abi=list(load_artifact("OutputDisputeGame").abi))
    bond = lambda depth: int(game.functions.getRequiredBond(1 << depth).call())  # noqa: E731
    transact(l1_w3, PROPOSER, game.functions.attack(game.functions.claimData(1).call()[4], 1, outputs[start + 1]), value=bond(2))
    return game, bond


def transact(w3: Web3, sender: Any, call: Any, value: int = 0) -> Any:
    receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender.address, "value": value}))
    assert receipt["status"] == 1
    return receipt


def test_a_game_played_to_the_input_leaf(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """A dishonest challenger disputes a true output and, in the block subgame of the block that
    carries a deposit, names inputs with the deposit dropped; the proposer counters that root by
    `stepInput` with the oracle's evidence (the L1 origin's header, the portal's deposits, the agreed
    parent's proofs). The oracle says the same evidence does not refute the true inputs. More block
    claims there (a block claim names only its transactions and its timestamp: the game derives the
    rest of every context, prevRandao = keccak(parent hash) among it, and the oracle takes none):
    transaction 0 a made-up hash,
    and the true transactions at the parent's timestamp, each countered by `stepInput`; the true
    inputs' `stepInput` is refused by name (`InputsMatch`)."""
    rollup, setup = sequencer_with_oracle(node_factory, l1, tmp_path)
    l1_w3, l2, oracle, abi = setup.l1_w3, setup.l2, setup.oracle, setup.abi
    info = deposit_hkd(l1_w3, l1.deployment, ACCOUNTS[0].private_key, to=ACCOUNTS[9].address, amount_units=7_000_000)
    deposit_block = int(wait_for_l2_receipt(l2, info.l2_tx_hash, timeout_s=60)["blockNumber"])
    start = deposit_block - 1  # the span (start, start + 4] opens with the deposit's block
    wait_until(lambda: l2.eth.block_number >= start + 4, 30, "four more L2 blocks")
    # batched and derived back (derivation's `found` for each block is then on L1)
    wait_until(lambda: l2.provider.make_request("lantau_syncStatus", [])["result"]["safe_l2"]["number"] >= start + 4, 120, "safe head")
    outputs = {n: setup.parent_output(n + 1)[0] for n in range(start, start + 5)}

    # proposer: block start+1's true output (depth 2); liar: its block subgame with the deposit dropped
    game, bond = game_at_block_one_of_four(setup, start, outputs, b"a lie about block start+2")
    hashes, timestamp, evidence, forced = setup.honest(deposit_block)
    assert forced >= 2
    lie = [hashes[0], *hashes[2:]]
    root, parent = setup.parent_output(deposit_block)
    lie_inputs = (lie, timestamp)
    # every block claim names derivation's end state: here derivation's `found` for the block (its
    # batch), the bank and queue hashes as the claimant says (undisputed: no DerivationBisection)
    end = DerivationEnd(keccak(b"bank"), keccak(b"queue"), setup.found_of(deposit_block))
    transact(l1_w3, LIAR, game.functions.moveToBlock(outputs[start + 1], 2, keccak(b"another output"), lie_inputs, end.commitment(), True),
             value=bond(3))
    assert game.functions.blockDerivation(3).call() == end.commitment()
    assert root == outputs[start]
    # the end state shown must be the one the claim named
    other_end = (end.bank_hash, end.queue_hash, bytes(32))
    assert _refusal(game, game.functions.stepInput(3, lie_inputs, other_end, encode_evidence(parent, evidence))) == "DerivationMismatch"
    step = game.functions.stepInput(3, lie_inputs, end.abi_tuple(), encode_evidence(parent, evidence))
    gas = step.estimate_gas({"from": PROPOSER.address})
    transact(l1_w3, PROPOSER, step)
    assert game.functions.inputCounteredBy(3).call() == PROPOSER.address
    print(f"\nL1 gas of stepInput (block {deposit_block}, a dropped deposit refuted): {gas:,}")
    # refused by name: a second step, and the true inputs (they match L1)
    try:
        step.call({"from": PROPOSER.address})
        raise AssertionError("a second stepInput did not revert")
    except (ContractCustomError, ContractLogicError) as exc:
        assert decode_custom_error(game.abi, bytes.fromhex(str(exc.data).removeprefix("0x")))[0] == "DuplicateStep"
    assert oracle.functions.refutes(deposit_block, root, hashes, timestamp, end.found, encode_evidence(parent, evidence)).call() is False
    assert oracle.functions.refutes(deposit_block, root, lie, timestamp, end.found, encode_evidence(parent, evidence)).call() is True

    # more block claims of the liar, each countered by the input leaf with the same evidence:
    # transaction 0 a made-up hash (no bytes behind it: the oracle rebuilds the L1-info deposit
    # itself), and the true transactions at the parent's timestamp (TimestampNotAfterParent)
    made_up = [keccak(b"no L1-info deposit has this hash"), *hashes[1:]]
    parent_timestamp = int.from_bytes(rlp.decode(parent.header)[11], "big")
    assert parent_timestamp < timestamp
    lies = {"a made-up L1-info deposit hash": (made_up, timestamp), "the parent's timestamp": (hashes, parent_timestamp)}
    for k, (what, inputs) in enumerate(lies.items()):
        transact(l1_w3, LIAR, game.functions.moveToBlock(outputs[start + 1], 2, keccak(what.encode()), inputs, end.commitment(), True),
                 value=bond(3))
        index = 4 + k
        step = game.functions.stepInput(index, inputs, end.abi_tuple(), encode_evidence(parent, evidence))
        gas = step.estimate_gas({"from": PROPOSER.address})
        transact(l1_w3, PROPOSER, step)
        assert game.functions.inputCounteredBy(index).call() == PROPOSER.address, what
        print(f"L1 gas of stepInput (block {deposit_block}, {what} refuted): {gas:,}")
    # and the true inputs are refuted by nothing: that step is refused by name, nothing recorded
    transact(l1_w3, LIAR, game.functions.moveToBlock(outputs[start + 1], 2, keccak(b"a third output"), (hashes, timestamp),
                                                     end.commitment(), True), value=bond(3))
    true_index = game.functions.claimDataLen().call() - 1
    true_step = game.functions.stepInput(true_index, (hashes, timestamp), end.abi_tuple(), encode_evidence(parent, evidence))
    assert _refusal(game, true_step) == "InputsMatch"
    assert game.functions.inputCounteredBy(true_index).call() == "0x" + "00" * 20
    # the oracle proves the parent against the subgame's starting output itself: another parent's
    # proofs are refused by name
    _, other_parent = setup.parent_output(deposit_block - 1)
    other_step = game.functions.stepInput(true_index, (hashes, timestamp), end.abi_tuple(), encode_evidence(other_parent, evidence))
    assert _refusal(game, other_step, also=abi) == "ParentOutputMismatch"


def _refusal(game: Any, call: Any, also: list[Any] | None = None) -> str:
    """The name of the custom error `call` (from the proposer) reverts with (an error of the game,
    or of a contract it calls whose ABI is `also`)."""
    try:
        call.call({"from": PROPOSER.address})
    except (ContractCustomError, ContractLogicError) as exc:
        return decode_custom_error([*game.abi, *(also or [])], bytes.fromhex(str(exc.data).removeprefix("0x")))[0]
    raise AssertionError("the call did not revert")


def test_a_derivation_end_disputed_by_bisection(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """`DerivationBisection` on a real game: a dishonest challenger opens a block subgame naming the
    block's true inputs and a `derivationEnd` whose trace agrees with the proposer's over every L1
    block of the range S .. E and then changes in the padding past E (where nothing can change). The
    proposer opens the bisection (S and E from `DerivationStep.derivationRange` on the parent's proven
    L1 origin: node's `derivation_range`), both sides bisect by OP's rule, and the proposer's step at the first
    index they part, in the padding, counters the liar's leaf (post = pre, no leaf call); after the
    clocks the bisection's root (the block claim's `derivationEnd`) is countered, and the game's
    `resolveClaim` counts the block claim countered by the proposer. Every refusal on the way is
    named and leaves the bisection as it was. The trace's claims at real L1 blocks are stand-ins both
    sides agree on (a step at a real L1 block calls the leaf, `DerivationStep`, against node's own
    commitments: tests/e2e/test_derivation_step.py; none is played here)."""
    rollup, setup = sequencer_with_oracle(node_factory, l1, tmp_path)
    l1_w3, l2, oracle, abi = setup.l1_w3, setup.l2, setup.oracle, setup.abi
    depth = (rollup.channel_timeout + rollup.sequencing_window).bit_length()  # 2^depth > E - S

    def deploy(name: str, *args: Any) -> Contract:
        artifact = load_artifact(name)
        receipt = l1_w3.eth.wait_for_transaction_receipt(l1_w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode).constructor(
            *args).transact({"from": ORACLE_DEPLOYER.address}))
        assert receipt["status"] == 1
        return l1_w3.eth.contract(address=receipt["contractAddress"], abi=list(artifact.abi))

    leaf = deploy("DerivationStep", step_config(anchors=oracle.functions.anchors().call(), inbox=l1.deployment.batch_inbox,
                                                reader=oracle.functions.reader().call(), blob_reader=deploy("BlobReader").address,
                                                rollup=rollup, l2_chain_id=L2_CHAIN_ID,
                                                l1_block_slots=l1_block_slots()))
    bisection = deploy("DerivationBisection", depth, leaf.address)
    start = l2.eth.block_number + 1
    wait_until(lambda: l2.eth.block_number >= start + 4, 30, "four more L2 blocks")
    outputs = {n: setup.parent_output(n + 1)[0] for n in range(start, start + 5)}
    output_oracle, factory = deploy_game_system(setup, start, outputs[start], derivation=bisection.address)
    transact(l1_w3, PROPOSER, output_oracle.functions.proposeL2Output(outputs[start + 4], start + 4, b"\x00" * 32, 0), value=ORACLE_BOND)
    receipt = transact(l1_w3, LIAR, factory.functions.create(0, keccak(b"a lie about block start+2")), value=factory.functions.createBond().call())
    (created,) = factory.events.GameCreated().process_receipt(receipt)
    game = l1_w3.eth.contract(address=created["args"]["game"], abi=list(load_artifact("OutputDisputeGame").abi))
    bond = lambda depth_: game.functions.getRequiredBond(1 << depth_).call()  # noqa: E731
    transact(l1_w3, PROPOSER, game.functions.attack(game.functions.claimData(1).call()[4], 1, outputs[start + 1]), value=bond(2))
    block = start + 1
    hashes, timestamp = [bytes(h) for h in l2.eth.get_block(block)["transactions"]], int(l2.eth.get_block(block)["timestamp"])
    root, parent = setup.parent_output(block)
    parent_proof_bytes = abi_encode([PARENT_PROOF_ABI], [parent.as_abi()])
    origin = setup.origin_of(block - 1)[0]
    first, last = leaf.functions.derivationRange(False, origin).call()
    assert (first, last) == (max(rollup.l1_start_block, origin - rollup.channel_timeout), origin + rollup.sequencing_window)
    # the traces over 2^depth indices: the same at every real L1 block (S + i <= E), padding repeats
    # the last; the liar's changes at the first padding index
    leaves, real = 1 << depth, last - first + 1
    honest = [keccak(b"state after L1 block %d" % (first + min(i, real - 1))) for i in range(leaves)]
    liar = honest[:real] + [keccak(b"a change past E")] * (leaves - real)
    transact(l1_w3, LIAR, game.functions.moveToBlock(outputs[start + 1], 2, keccak(b"another output"), (hashes, timestamp), liar[-1], True),
             value=bond(3))
    block_claim = game.functions.claimDataLen().call() - 1
    bbond = lambda p: bisection.functions.getRequiredBond(game.address, p).call()  # noqa: E731
    bisection_id = bisection.functions.bisectionId(game.address, block_claim).call()
    mid = honest[leaves // 2 - 1]  # the opener's claim at depth 1 (position 2): trace index leaves/2 - 1

    def refusal(call: Any, value: int = 0, sender: Any = PROPOSER) -> tuple[str, tuple[Any, ...]]:
        try:
            call.call({"from": sender.address, "value": value})
        except (ContractCustomError, ContractLogicError) as exc:
            errors = [e for name in ("L2ParentLib",) for e in load_artifact(name).abi if e["type"] == "error"]
            return decode_custom_error([*bisection.abi, *game.abi, *abi, *errors], bytes.fromhex(str(exc.data).removeprefix("0x")))
        raise AssertionError("the call did not revert")

    # refused by name before it is open: not a block claim, a parent proof of another block, E not on L1, a wrong bond
    assert refusal(bisection.functions.open(game.address, 2, mid, parent_proof_bytes), bbond(2)) == ("NotABlockClaim", (2,))
    other_parent = abi_encode([PARENT_PROOF_ABI], [setup.parent_output(block - 1)[1].as_abi()])
    assert refusal(bisection.functions.open(game.address, block_claim, mid, other_parent), bbond(2))[0] == "ParentOutputMismatch"
    assert refusal(bisection.functions.claimData(bisection_id, 0)) == ("NotOpen", (bisection_id,))
    # E not on L1 yet: the derivationEnd is not decided by L1 (the inbox of blocks to come reads as
    # empty), so no bisection over it opens until L1 is past E
    assert last > l1_w3.eth.block_number + 1, "the range's end is still ahead of L1 here"
    assert refusal(bisection.functions.open(game.address, block_claim, mid, parent_proof_bytes), bbond(2))[0] == "RangeNotOnL1"
    assert refusal(bisection.functions.claimData(bisection_id, 0)) == ("NotOpen", (bisection_id,))
    wait_until(lambda: l1_w3.eth.block_number > last, 120, "L1 past the range's end E")
    assert refusal(bisection.functions.open(game.address, block_claim, mid, parent_proof_bytes), bbond(2) - 1) == (
        "IncorrectBondAmount", (bbond(2) - 1, bbond(2)))
    opened = transact(l1_w3, PROPOSER, bisection.functions.open(game.address, block_claim, mid, parent_proof_bytes), value=bbond(2))
    (event,) = bisection.events.Opened().process_receipt(opened)
    assert (event["args"]["first"], event["args"]["last"]) == (first, last)
    assert bisection.functions.claimData(bisection_id, 0).call()[4] == liar[-1]  # the root: the block claim's derivationEnd
    assert refusal(bisection.functions.open(game.address, block_claim, mid, parent_proof_bytes), bbond(2)) == ("AlreadyOpen", (bisection_id,))
    assert bisection.functions.bisection(bisection_id).call()[6] == 2  # the root and the opener's claim: nothing else landed
    # both sides play OP's rule on their own trace down to the leaves (answer a claim: attack it if
    # its value is not mine, else defend it), the opener's depth-1 claim first
    traces = {PROPOSER.address: honest, LIAR.address: liar}

    def value_at(trace: list[bytes], position: int) -> bytes:
        """A claim at `position` commits to the state after the right-most L1 block under it."""
        return trace[((position + 1) << (depth - (position.bit_length() - 1))) - 1 - leaves]

    path = [(0, 1, LIAR), (1, 2, PROPOSER)]  # (claim index, position, claimant) along the line of play
    move_gas: list[int] = []
    while path[-1][1].bit_length() - 1 < depth:
        index, position, claimant = path[-1]
        mover = LIAR if claimant is PROPOSER else PROPOSER
        claim = bisection.functions.claimData(bisection_id, index).call()[4]
        agree = value_at(traces[mover.address], position) == claim
        child = 2 * (position + 1) if agree else 2 * position
        value = value_at(traces[mover.address], child)
        if len(path) == 2:  # refused by name on the way: another disputed value, a wrong bond
            assert refusal(bisection.functions.move(bisection_id, keccak(b"not it"), index, value, not agree),
                           bbond(child), mover) == ("InvalidDisputedClaim", ())
            assert refusal(bisection.functions.move(bisection_id, claim, index, value, not agree), 1, mover) == (
                "IncorrectBondAmount", (1, bbond(child)))
        move_gas.append(int(transact(l1_w3, mover, bisection.functions.move(bisection_id, claim, index, value, not agree),
                                     value=bbond(child))["gasUsed"]))
        path.append((bisection.functions.bisection(bisection_id).call()[6] - 1, child, mover))
    assert refusal(bisection.functions.move(bisection_id, bisection.functions.claimData(bisection_id, path[-1][0]).call()[4], path[-1][0],
                                            keccak(b"deeper"), True)) == ("GameDepthExceeded", ())
    assert bisection.functions.bisection(bisection_id).call()[6] == len(path)  # the refused moves left nothing
    leaf_index, leaf_position, leaf_claimant = path[-1]
    stepper = LIAR if leaf_claimant is PROPOSER else PROPOSER
    trace_index = leaf_position - leaves
    agree = value_at(traces[stepper.address], leaf_position) == bisection.functions.claimData(bisection_id, leaf_index).call()[4]
    empty_state = (([], [], bytes(32)), ([], []))
    step = bisection.functions.step(bisection_id, leaf_index, not agree, *empty_state, b"")
    assert first + trace_index + (1 if agree else 0) == last + 1  # they part at the first index past E: the padding
    assert refusal(bisection.functions.step(bisection_id, path[-2][0], True, *empty_state, b"")) == ("InvalidParent", ())
    if stepper is PROPOSER:  # the liar's leaf: the proposer's step counters it
        gas = step.estimate_gas({"from": PROPOSER.address})
        transact(l1_w3, PROPOSER, step)
        assert bisection.functions.claimData(bisection_id, leaf_index).call()[1] == PROPOSER.address
        assert refusal(step) == ("DuplicateStep", ())
    else:  # the proposer's leaf: the liar's step is refused, the leaf stands
        assert refusal(step, sender=LIAR) == ("ValidStep", ())
        gas = 0
    print(f"\nDerivationBisection over L1 blocks {first}..{last} (depth {depth}): open {int(opened['gasUsed']):,} L1 gas, "
          f"{len(move_gas)} moves {min(move_gas):,}-{max(move_gas):,}, the step in the padding by the "
          f"{'proposer' if stepper is PROPOSER else 'liar (refused)'}: {gas:,}")

    # resolution: the bisection bottom-up after the clocks (the game's block claim waits for it),
    # then the game's block claim
    assert refusal(bisection.functions.resolveClaim(bisection_id, leaf_index))[0] == "ClockNotExpired"
    warp_l1(l1_w3, 2 * MAX_CLOCK_S)
    assert refusal(game.functions.resolveClaim(block_claim)) == ("OutOfOrderResolution", ())
    assert refusal(bisection.functions.resolveClaim(bisection_id, 0)) == ("OutOfOrderResolution", ())
    for index, _, _ in reversed(path):
        transact(l1_w3, LIAR, bisection.functions.resolveClaim(bisection_id, index))
    assert refusal(bisection.functions.resolveClaim(bisection_id, 0)) == ("ClaimAlreadyResolved", ())
    assert bisection.functions.rootCounteredBy(game.address, block_claim).call() == PROPOSER.address
    transact(l1_w3, LIAR, game.functions.resolveClaim(block_claim))
    assert game.functions.claimData(block_claim).call()[1] == PROPOSER.address  # countered: its derivationEnd lost
    assert refusal(bisection.functions.claimCredit(game.address, PROPOSER.address)) == ("GameNotResolved", ())
    assert bisection.functions.credit(game.address, PROPOSER.address).call() > 0 == bisection.functions.credit(game.address, LIAR.address).call()


def warp_l1(w3: Web3, seconds: int) -> None:
    """Anvil's clock `seconds` ahead, and a block mined at it."""
    w3.provider.make_request("evm_increaseTime", [seconds])
    w3.provider.make_request("evm_mine", [])
