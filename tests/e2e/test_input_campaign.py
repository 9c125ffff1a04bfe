"""The input-oracle differential campaign (docs/fault-proofs.md, "Differential campaigns"): every
block of a random sequencer chain decided on L1 as node derived it, through L1 reorgs and the
batcher's invalid batches.

A real sequencer (`lantau node` with its batcher) on a real anvil (1 s blocks; sequencing window
20, channel timeout 4: a block's derivation range S .. E is 25 L1 blocks) runs a random
workload: idle stretches, bursts of transfers, HKD deposits, the sequencer stopped long enough for
derivation to force deposit-only blocks, L1 reorgs (`anvil_reorg`: the batcher's transactions in
the reorged blocks are sent again by the batcher, the deposits and approvals re-posted by the
workload) and invalid batcher data sent from the batcher's address (garbage, a channel never
closed, so timed out, a batch that does not decode, a batch on a wrong parent, a batch included
after its origin's sequencing window, a duplicate of an earlier batcher transaction, a channel id
used again across a trace's start S (issue 15's hole 1: frame 0, then frame 1 two L1 blocks later,
then frames 0 and 2 again past the id's block + channel timeout), a frame whose channel id names an
L1 block out of range). Then, for
every L2 block n:

- node's `lantau_derivationEnd(n)` is the last commitment of its `lantau_derivationTrace(n)`, and
  `InputOracle.checkInputs` accepts node's block (its transactions and timestamp) with the batch
  that end state's `found` names (none for `found` = 0: the forced block), evidence gathered by
  the challenger's own source (`prover.input_step.InputEvidenceSource`); a made-up L1-info deposit
  is refuted (`NotTheL1InfoDeposit`); for a block whose batch the batcher's data carries twice (a
  duplicate), that second batch is refused `NotTheFoundBatch`;
- for EVERY L1 block b of n's range S .. E, `DerivationStep.step` on the pre-state node serves
  (`lantau_derivationState`, arguments from the challenger's `DerivationStepSource`) returns
  node's commitment after b.

No invalid batch is ever `found`. The tally gives the largest calldata (the L1 transaction's input)
of a `DerivationStep.step` and of a `checkInputs`, apart for L1 blocks with the campaign's invalid
data and for those with only the honest batcher's (against geth's 128 KiB pool limit). CI runs a short chain with each kind of event at least once; the
long run (`campaign`) is `python scripts/input_oracle_differential.py --blocks 300 --seed 7`.
"""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import dataclasses
import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak
from web3 import Web3
from web3.exceptions import Web3RPCError

from bridge.deposit_client import deposit_hkd
from bridge.devnet import L1Devnet, devnet_rollup_config
from bridge.l1_client import L1Client
from genesis.config import DEVNET_GENESIS_PATH
from genesis.dev_accounts import dev_accounts
from node.batch_inbox import BLOBS_KIND
from node.batches import SingularBatch, encode_batch
from node.channels import Frame, channel_id, encode_batcher_tx_data, encode_channel
from prover.derivation_evidence import inbox_data_abi
from prover.derivation_player import DerivationStepSource
from prover.input_evidence import InboxBlock, find_batch
from prover.input_step import InputEvidenceSource, InputRollup
from prover.errors import RollupRpcError
from prover.rollup_client import RollupClient
from tests.e2e.test_derivation_step import deploy_step
from tests.e2e.test_input_oracle import deploy_oracle, oracle_call as call, raw_deposit
from tests.e2e.test_verifier import wait_until, write_rollup

ACCOUNTS = dev_accounts()
BATCHER = ACCOUNTS[1]
SENDERS, RECEIVER = (ACCOUNTS[4], ACCOUNTS[3], ACCOUNTS[7], ACCOUNTS[8]), ACCOUNTS[5]
DEPOSITORS = (ACCOUNTS[0], ACCOUNTS[2])
L2_CHAIN_ID = 4852
WINDOW, TIMEOUT = 20, 4  # the batcher closes a channel within 10 s (10 L1 blocks): a window of 20 leaves it room
INVALID_KINDS = ("garbage", "timed-out channel", "undecodable", "wrong parent", "out of window", "duplicate",
                 "channel id used again across S", "channel id naming an L1 block out of range")
DEPOSIT_TX_TYPE = 0x7E


@dataclasses.dataclass
class Injected:
    """Batcher data the workload sent that derivation must drop (the batch's bytes if it carries one)."""

    kind: str
    tx_hash: bytes
    batch: bytes | None


@dataclasses.dataclass
class Campaign:
    l1: L1Devnet
    l1_w3: Web3
    l2: Web3
    rollup: Any
    rng: random.Random
    injected: list[Injected] = dataclasses.field(default_factory=list)
    reorged: list[range] = dataclasses.field(default_factory=list)  # the L1 blocks each reorg replaced
    events: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    sender: int = 0  # which of SENDERS sends the transfers
    sequencer: Any = None  # the `lantau node` process (restarted once with `--batcher-blobs`)
    blobs_from: int | None = None  # the chain height at which the batcher turns to blobs
    _inbox: dict[int, tuple] = dataclasses.field(default_factory=dict)
    log_lines: list[str] = dataclasses.field(default_factory=list)  # the sequencer's log before a restart
    _progress_at: float = 0.0

    # --- the workload ------------------------------------------------------------------------------

    def transfers(self, count: int) -> None:
        # From the head's nonce up: while the sequencer rebuilds after an L1 reorg the pool holds
        # transactions of abandoned blocks, some past a gap (one that did not go back in): each held
        # nonce is stepped over, each gap filled, so no transaction waits behind a gap for ever.
        sender = SENDERS[self.sender]
        nonce = self.l2.eth.get_transaction_count(sender.address, "latest")
        sent = 0
        while sent < count:
            tx = {"to": RECEIVER.address, "value": 10**15 + sent, "gas": 21_000, "maxFeePerGas": 10**11,
                  "maxPriorityFeePerGas": 10**9, "nonce": nonce, "chainId": L2_CHAIN_ID}
            nonce += 1
            try:
                self.l2.eth.send_raw_transaction(Account.sign_transaction(tx, sender.private_key).raw_transaction)
            except Web3RPCError as exc:
                if "nonce too low" in str(exc):  # the head moved on meanwhile
                    nonce = max(nonce, self.l2.eth.get_transaction_count(sender.address, "latest"))
                    continue
                if "account limit exceeded" in str(exc):
                    # the pool keeps this sender's transactions behind a gap it does not let fill
                    # (after a reorg's rebuild): the next sender sends the rest
                    self.sender = (self.sender + 1) % len(SENDERS)
                    self.events["transfer senders switched (pool queue full after a reorg)"] += 1
                    self.transfers(count - sent)
                    return
                assert "already known" in str(exc) or "underpriced" in str(exc), exc
                continue  # held in the pool
            sent += 1
        self.events["transfers"] += count

    def deposit(self) -> None:
        depositor = self.rng.choice(DEPOSITORS)
        deposit_hkd(self.l1_w3, self.l1.deployment, depositor.private_key, to=ACCOUNTS[self.rng.randrange(5, 10)].address,
                    amount_units=self.rng.randrange(1, 10**7))
        self.events["deposits"] += 1

    def stop_sequencer(self) -> None:
        """No blocks (so no batches) until derivation forces deposit-only blocks past the window."""
        self.l2.provider.make_request("admin_stopSequencer", [])
        if self.rng.random() < 0.5:
            self.deposit()
        stopped_at = self.l2.eth.block_number
        wait_until(lambda: self.safe_head() > stopped_at + 1, 120, "forced deposit-only blocks")
        reply = self.l2.provider.make_request("admin_startSequencer", [])
        assert "error" not in reply, reply
        self.events["sequencer stops"] += 1

    def batcher_to_blobs(self) -> None:
        """The sequencer restarted (SIGTERM, the same data directory) with `--batcher-blobs`: its
        batcher re-sends the channels in flight as they were, and posts every later one in blobs."""
        self.sequencer.stop()
        self.log_lines.extend(self.sequencer.lines)  # the first process's log, kept for the run's log file
        self.sequencer.extra_args = (*self.sequencer.extra_args, "--batcher-blobs")
        self.sequencer.start()
        self.l2 = Web3(Web3.HTTPProvider(self.sequencer.rpc_url))
        self.events["batcher turned to blobs at block"] = self.l2.eth.block_number

    def progress(self) -> None:
        """Every 20 s: the chain's head and safe head and L1's head (a batcher or safe head falling
        behind shows here, not only in the end's wait)."""
        if time.monotonic() - self._progress_at < 20:
            return
        self._progress_at = time.monotonic()
        print(f"workload: head {self.l2.eth.block_number}, safe {self.safe_head()}, L1 {self.l1_w3.eth.block_number}, "
              f"{dict(self.events)}", flush=True)

    def safe_head(self) -> int:
        return int(self.l2.provider.make_request("lantau_syncStatus", [])["result"]["safe_l2"]["number"])

    def reorg(self, depth: int) -> None:
        """L1's last `depth` blocks replaced (`anvil_reorg`); the transactions in them that are not
        the batcher's (deposits, approvals) posted again, in order. The batcher sends its own again."""
        head = self.l1_w3.eth.block_number
        replayed = []
        for number in range(head - depth + 1, head + 1):
            for tx in self.l1_w3.eth.get_block(number, full_transactions=True)["transactions"]:
                if tx["from"].lower() != BATCHER.address.lower():
                    replayed.append(self.l1.anvil.rpc("eth_getRawTransactionByHash", ["0x" + bytes(tx["hash"]).hex()]))
        self.l1.anvil.rpc("anvil_reorg", [depth, []])
        self.reorged.append(range(head - depth + 1, head + 1))
        for raw in replayed:
            self.l1.anvil.rpc("eth_sendRawTransaction", [raw])  # anvil_reorg drops them: none is pooled
        self.events["reorgs"] += 1
        self.events["L1 transactions re-posted after a reorg"] += len(replayed)

    def invalid(self, kind: str) -> None:
        """Batcher data derivation drops, of `kind`, sent from the batcher's address (anvil's pool
        picks the nonce; the batcher's own transactions step over it, batcher.py's rule)."""
        head = self.l2.eth.get_block("latest")
        l1_head = self.l1_w3.eth.get_block("latest")
        named = channel_id(int(l1_head["number"]), self.rng.randbytes(8))  # names the L1 head: in range where it lands
        batch: bytes | None = None
        # a batch for the block after the L2 head, where one of the kinds below carries one
        next_batch = encode_batch(SingularBatch(bytes(head["hash"]), int(l1_head["number"]) - 1,
                                                bytes(self.l1_w3.eth.get_block(int(l1_head["number"]) - 1)["hash"]),
                                                int(head["timestamp"]) + 1, ()))
        if kind == "channel id used again across S":
            # frame 0 of x, frame 1 two L1 blocks later (a trace starting between them holds x from
            # frame 1 on, node's pipeline from frame 0), then frames 0 and 2 again once x's id is
            # past the channel timeout: both drop those (and x timed out), so the channel is never read
            self._send_invalid(kind, encode_batcher_tx_data([Frame(named, 0, b"x before S", False)]), None)
            self._wait_l1(int(l1_head["number"]) + 2)
            self._send_invalid(kind, encode_batcher_tx_data([Frame(named, 1, b"", False)]), None)
            self._wait_l1(int(l1_head["number"]) + TIMEOUT)
            channel = encode_channel([next_batch])
            self._send_invalid(kind, encode_batcher_tx_data([Frame(named, 0, channel[:10], False), Frame(named, 2, channel[10:], True)]),
                               next_batch)
            return
        if kind == "channel id naming an L1 block out of range":
            # a block after the one it lands in (far enough for a slow landing), or more than the
            # channel timeout before it
            opened = self.rng.choice([int(l1_head["number"]) + 100, max(0, int(l1_head["number"]) - TIMEOUT - 2)])
            data = encode_batcher_tx_data([Frame(channel_id(opened, self.rng.randbytes(8)), 0, encode_channel([next_batch]), True)])
            self._send_invalid(kind, data, next_batch)
            return
        if kind == "garbage":
            data = self.rng.choice([b"\x01", b"\x00"]) + self.rng.randbytes(self.rng.randrange(1, 200))
        elif kind == "timed-out channel":
            data = encode_batcher_tx_data([Frame(named, 0, self.rng.randbytes(40), False)])
        elif kind == "undecodable":
            batch = b"\x00\xc1\x80"  # a singular batch that is not an RLP list of five
            data = encode_batcher_tx_data([Frame(named, 0, encode_channel([batch]), True)])
        else:
            if kind == "duplicate":
                data = self.last_batcher_data()
                for _ in range(30):  # the batcher's first transaction may not be on L1 yet
                    if data is not None:
                        break
                    time.sleep(1)
                    data = self.last_batcher_data()
                if data is None:
                    return
            else:
                origin = l1_head if kind == "wrong parent" else self.l1_w3.eth.get_block(max(self.rollup.l1_start_block,
                                                                                             l1_head["number"] - WINDOW - 2))
                parent = keccak(self.rng.randbytes(8)) if kind == "wrong parent" else bytes(head["hash"])
                batch = encode_batch(SingularBatch(parent, int(origin["number"]), bytes(origin["hash"]), int(head["timestamp"]) + 1, ()))
                data = encode_batcher_tx_data([Frame(named, 0, encode_channel([batch]), True)])
        self._send_invalid(kind, data, batch)

    def _wait_l1(self, number: int) -> None:
        """Until L1's head is at `number` or past it (1 s blocks)."""
        wait_until(lambda: self.l1_w3.eth.block_number >= number, 60, f"L1 block {number}")

    def _send_invalid(self, kind: str, data: bytes, batch: bytes | None) -> None:
        """`data` sent to the inbox from the batcher's address, noted as injected (`batch`: the batch it carries)."""
        for _ in range(3):
            try:
                sent = self.l1_w3.eth.send_transaction({"from": BATCHER.address, "to": self.l1.deployment.batch_inbox, "data": data,
                                                        "gas": 2_000_000})
            except Web3RPCError as exc:  # the batcher's transaction took anvil's nonce meanwhile: again
                assert "nonce too low" in str(exc), exc
                self.events["invalid batcher data sent again"] += 1
                continue
            try:
                self.l1_w3.eth.wait_for_transaction_receipt(sent, timeout=15)
            except Exception:  # the batcher's own transaction took the nonce (it replaces a pooled one): again
                self.events["invalid batcher data sent again"] += 1
                continue
            self.injected.append(Injected(kind, bytes(sent), batch))
            self.events[f"invalid: {kind}"] += 1
            return

    def last_batcher_data(self) -> bytes | None:
        """The calldata of the batcher's newest successful inbox transaction (a duplicate posts it again)."""
        for number in range(self.l1_w3.eth.block_number, max(self.rollup.l1_start_block, self.l1_w3.eth.block_number - 20), -1):
            blocks = self.inbox_blocks(number, number)
            if blocks:
                return blocks[0].shown[-1]
        return None

    def inbox_blocks(self, first: int, last: int) -> list[InboxBlock]:
        return self.source().inbox_blocks(first, last)

    def inbox_data(self, number: int) -> tuple:
        """`IDerivationStep.InboxData` of L1 block `number` (read once: L1 is settled when blocks are decided)."""
        if number not in self._inbox:
            blocks = self.inbox_blocks(number, number)
            self._inbox[number] = inbox_data_abi(blocks[0].items, blocks[0].shown) if blocks else ([], [])
        return self._inbox[number]

    def source(self) -> InputEvidenceSource:
        return InputEvidenceSource(L1Client(self.l1_w3), RollupClient(self.l2.provider.endpoint_uri), InputRollup.of(self.rollup))

    def run(self, target: int, *, every_event: bool) -> None:
        """The random workload until the chain has `target` blocks. `every_event`: a reorg and each
        kind of invalid batcher data at least once (CI's short chain), spread over the run; no stop of
        the sequencer there (its forced blocks, a window's worth, would outlast CI's share; the forced
        rule is CI's in test_input_oracle.py)."""
        plan = list(INVALID_KINDS) if every_event else []
        self.rng.shuffle(plan)
        # the deposit in the reorged blocks; the reorg first, so that it takes none of the invalid data away
        plan[0:0] = ["deposit", "reorg"] if every_event else []
        if every_event:
            self.transfers(5)
        # the planned events spread over the middle of the run (from 20 % of the target on); the run
        # goes on until each has happened
        due = [(round(target * (0.2 + 0.5 * k / max(1, len(plan)))), event) for k, event in enumerate(plan)]
        while self.l2.eth.block_number < target or due:
            self.progress()
            if self.blobs_from is not None and self.l2.eth.block_number >= self.blobs_from:
                self.blobs_from = None
                self.batcher_to_blobs()
            if due and due[0][0] <= self.l2.eth.block_number:
                event = due.pop(0)[1]
            else:
                event = self.rng.choices(["idle", "transfers", "deposit", "invalid", "reorg", "stop"], [30, 40, 6, 15, 6, 2])[0]
                if every_event and event in ("reorg", "stop", "invalid", "deposit"):
                    event = "idle"  # CI's share: its planned events only
            if event == "transfers":
                self.transfers(self.rng.choice([1, 5, self.rng.randrange(10, 41)]))
            elif event == "deposit":
                self.deposit()
            elif event == "reorg":
                self.reorg(3 if every_event else self.rng.randrange(1, 4))
            elif event == "stop":
                self.stop_sequencer()
            elif event == "invalid" or event in INVALID_KINDS:
                self.invalid(event if event in INVALID_KINDS else self.rng.choice(INVALID_KINDS))
            time.sleep(self.rng.choice([0.2, 0.5, 1.0]))


# --- deciding every block on L1 -----------------------------------------------------------------------


def retried(call: Any, *args: Any) -> Any:
    """`call(*args)`, again (up to 3 times) when the node's RPC timed out: deciding a long chain on
    a loaded box asks `eth_getProof` of many blocks at once, and its 5 s EVM timeout may cut one."""
    for attempt in range(3):
        try:
            return call(*args)
        except RollupRpcError as exc:
            if "timed out" not in str(exc) or attempt == 2:
                raise
            time.sleep(2)


def leaf(batch: bytes, inclusion: int) -> bytes:
    """`QueuedBatch.leaf`: what `found` names when derivation takes `batch` included in `inclusion`."""
    return keccak(abi_encode(["bytes32", "uint256"], [keccak(batch), inclusion]))


def decide_every_block(campaign: Campaign, oracle: Any, oracle_abi: list, step: Any, step_abi: list, head: int, *,
                       every_l1_block: bool) -> collections.Counter:
    """Each block 1..head decided on L1 as node derived it (the module's docstring); the tally by kind."""
    l2, l1_w3 = campaign.l2, campaign.l1_w3
    node = RollupClient(l2.provider.endpoint_uri)
    inputs = campaign.source()
    steps = DerivationStepSource(inputs)
    landed: dict[int, list[Injected]] = {}
    for injected in campaign.injected:
        try:
            receipt = l1_w3.eth.get_transaction_receipt(injected.tx_hash)
        except Exception:  # reorged out, or replaced by the batcher's own transaction on that nonce
            continue
        if receipt["status"] == 1:
            landed[int(receipt["blockNumber"])] = landed.get(int(receipt["blockNumber"]), []) + [injected]
    invalid_leaves = {leaf(i.batch, b) for b, injected in landed.items() for i in injected if i.batch is not None}
    stepped_blocks: set[int] = set()
    duplicated = {b for b, injected in landed.items() for i in injected if i.kind == "duplicate"}
    only = None if every_l1_block else {*landed, *(b for r in campaign.reorged for b in r)}
    largest = collections.Counter({f"largest {what} B, {blocks}": 0 for what in ("DerivationStep.step", "checkInputs")
                                   for blocks in ("honest", "with invalid data")})  # 0: no such call
    largest_lock = threading.Lock()

    def note(what: str, l1_blocks: set[int], data: str) -> None:
        """`data` (a call's hex input) against the largest of `what` so far, apart for L1 blocks with
        the campaign's invalid data and for those with only the honest batcher's."""
        key = f"largest {what} B, {'with invalid data' if l1_blocks & set(landed) else 'honest'}"
        with largest_lock:
            largest[key] = max(largest[key], len(data.removeprefix("0x")) // 2)

    def decide(number: int) -> collections.Counter:
        """Block `number` decided on L1 (its oracle checks and every L1 block of its range); its tally."""
        tally: collections.Counter = collections.Counter()
        block = l2.eth.get_block(number)
        hashes = [bytes(h) for h in block["transactions"]]
        txs = l2.eth.get_block(number, full_transactions=True)["transactions"]
        forced = next((i for i, tx in enumerate(txs) if int(tx["type"]) != DEPOSIT_TX_TYPE), len(txs))
        trace = node.derivation_trace(number)
        end = node.derivation_end(number)
        commitments = [bytes.fromhex(c[2:]) for c in trace["commitments"]]
        assert keccak(b"".join(bytes.fromhex(end[k][2:]) for k in ("bankHash", "queueHash", "found"))) == commitments[-1], number
        found = bytes.fromhex(end["found"][2:])
        assert found not in invalid_leaves, f"block {number}: derivation took an invalid batch"
        # the block's inputs, with the batch node's end state names
        l1_info_tx = raw_deposit(l2, number, hashes[0])
        parent, evidence = retried(inputs.parts, number, l1_info_tx, int(block["timestamp"]), found)
        root = node.output_at(number - 1)
        claim = (hashes, int(block["timestamp"]), found)
        assert call(oracle.functions.checkInputs(number, root, parent.as_abi(), claim, evidence.as_abi()), oracle_abi) == ("ok", forced), (
            f"block {number}")
        note("checkInputs", {frame.l1_block for frame in evidence.batch.posted},
             oracle.encode_abi("checkInputs", args=(number, root, parent.as_abi(), claim, evidence.as_abi())))
        if found != bytes(32):
            assert evidence.batch.channel and evidence.batch.found() == found, (
                f"block {number}: the challenger's source did not find the batch derivation took: {trace['found']}, "
                f"origin {inputs_origin(l1_info_tx, number)}, L1 head {l1_w3.eth.block_number}")
        made_up = ([keccak(b"made-up L1 info"), *hashes[1:]], int(block["timestamp"]), found)
        assert call(oracle.functions.checkInputs(number, root, parent.as_abi(), made_up, evidence.as_abi()), oracle_abi) == (
            "NotTheL1InfoDeposit", 0), f"block {number}"
        kind = "forced" if found == bytes(32) else ("deposits" if evidence.deposits else ("empty" if len(hashes) == forced else "user txs"))
        tally[kind] += 1
        tally["batch in blobs"] += any(frame.kind == BLOBS_KIND for frame in evidence.batch.posted)
        tally["with deposits"] += bool(evidence.deposits)
        # a second batch for the block (the batcher's data posted again): never the one L1 decides with
        posted = evidence.batch.posted[0].l1_block if evidence.batch.posted else 0  # no batch shown for a forced block
        if posted and any(posted <= b <= posted + WINDOW for b in duplicated):
            for other in other_batches(inputs, posted, int(block["timestamp"]), found):
                shown = dataclasses.replace(evidence, batch=other)
                assert call(oracle.functions.checkInputs(number, root, parent.as_abi(), claim, shown.as_abi()), oracle_abi) == (
                    "NotTheFoundBatch", (found, other.found())), f"block {number}"
                tally["second batch refuted NotTheFoundBatch"] += 1
        # the L1 blocks of its range through the leaf
        first, last = int(trace["first"]), int(trace["last"])
        for b in step_range(campaign, steps, step, step_abi, number, root, trace, commitments, only=only, note=note):
            tally["L1 blocks stepped"] += 1
            stepped_blocks.add(b)
        if any(set(range(first, last + 1)) & set(r) for r in campaign.reorged):
            tally["after a reorg"] += 1
        return tally

    tally: collections.Counter = collections.Counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:  # RPC-bound: blocks decided side by side
        for number, decided in enumerate(pool.map(decide, range(1, head + 1)), start=1):
            tally.update(decided)
            if number % 25 == 0:
                print(f"decided {number} of {head}: {dict(tally)}", flush=True)
    for b, injected in landed.items():
        for i in injected:
            tally[f"dropped by both: {i.kind}"] += b in stepped_blocks
    # the batcher's blob transactions on L1, each an inbox item of kind 1 the leaves read (every L1
    # block of the long run is stepped: "L1 blocks stepped")
    tally["blob items on L1"] = sum(kind == BLOBS_KIND for block in campaign.inbox_blocks(campaign.rollup.l1_start_block, l1_w3.eth.block_number)
                                    for kind, _ in block.items)
    print(f"largest calldata of an L1 transaction (geth's pool takes up to 131,072 B): {dict(largest)}", flush=True)
    tally.update(largest)
    return tally


def step_range(campaign: Campaign, steps: DerivationStepSource, step: Any, step_abi: list, number: int, root: bytes,
               trace: dict[str, Any], commitments: list[bytes], *, only: set[int] | None,
               note: Callable[[str, set[int], str], None]) -> list[int]:
    """`DerivationStep.step` over the L1 blocks of block `number`'s range, each equal to node's
    commitment after it; the blocks stepped. All of S .. E, or (CI's share) those in `only` (the
    blocks the workload's events touched), the range's first and the one derivation found the batch in.
    Past that one the state no longer changes: the pre-state of every later step is the state after
    it, served once (`lantau_derivationState` re-runs the trace from S for each block it is asked)."""
    first, last = int(trace["first"]), int(trace["last"])
    found_in = None if trace["found"] is None else int(trace["found"]["inclusion"])
    chosen = [b for b in range(first, last + 1) if only is None or b in only or b in (first, found_in)]

    def served(b: int) -> tuple[Any, Any, bytes]:
        if found_in is not None and b > found_in + 1:
            pre, _, evidence = served(found_in + 1)
            return pre, campaign.inbox_data(b), evidence
        return retried(steps.step_args, number, b, last)

    def check(b: int) -> None:
        pre_commitment = commitments[b - first - 1] if b > first else keccak(bytes(96))
        pre, inbox, evidence = served(b)
        result = call(step.functions.step(number, root, pre_commitment, b, pre, inbox, evidence), step_abi)
        assert result == ("ok", commitments[b - first]), f"block {number}, L1 block {b}: {result}"
        note("DerivationStep.step", {b}, step.encode_abi("step", args=(number, root, pre_commitment, b, pre, inbox, evidence)))

    if found_in is not None and found_in + 1 <= last:
        served = functools.lru_cache(maxsize=None)(served)  # type: ignore[assignment]
        served(found_in + 1)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(check, chosen))
    return chosen


def inputs_origin(l1_info_tx: bytes, number: int) -> Any:
    from prover.input_step import l1_origin_of
    return l1_origin_of(l1_info_tx, number)


def other_batches(inputs: InputEvidenceSource, posted: int, timestamp: int, found: bytes) -> list[Any]:
    """Every batch of the inbox carrying the block of `timestamp` in one L1 block from `posted` (where
    the found one was posted) to a window later, other than `found`."""
    blocks = inputs.inbox_blocks(posted, min(inputs.l1.head().number, posted + WINDOW))
    others = []
    for k in range(len(blocks)):
        carried = find_batch(blocks[k:k + 1], timestamp, chain_id=L2_CHAIN_ID, channel_timeout=inputs.rollup.channel_timeout)
        taken = find_batch(blocks[k:k + 1], timestamp, chain_id=L2_CHAIN_ID, channel_timeout=inputs.rollup.channel_timeout, found=found)
        if carried is not None and taken is None:
            others.append(carried)
    return others


def run_campaign(node_factory: Any, l1: L1Devnet, tmp_path: Path, *, blocks: int, seed: int, every_event: bool,
                 every_l1_block: bool, blob_share_percent: int = 0) -> collections.Counter:
    """`blob_share_percent`: the last that share of the chain's blocks batched in blobs (the
    sequencer restarted with `--batcher-blobs` there; 100: from the start)."""
    rollup_path = write_rollup(l1, tmp_path, sequencing_window=WINDOW, channel_timeout=TIMEOUT)
    rollup = dataclasses.replace(devnet_rollup_config(l1.deployment, DEVNET_GENESIS_PATH), sequencing_window=WINDOW, channel_timeout=TIMEOUT)
    blobs_now = ("--batcher-blobs",) if blob_share_percent >= 100 else ()
    sequencer = node_factory(data_dir=tmp_path / "sequencer", block_time_s=0.5, extra_args=(
        "--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup_path), "--batcher-key", BATCHER.private_key, "--admin", *blobs_now))
    l2 = Web3(Web3.HTTPProvider(sequencer.rpc_url))
    l1_w3, oracle, oracle_abi = deploy_oracle(l1, rollup)
    _, step, step_abi = deploy_step(l1, rollup)
    campaign = Campaign(l1, l1_w3, l2, rollup, random.Random(seed), sequencer=sequencer)
    if 0 < blob_share_percent < 100:
        campaign.blobs_from = blocks * (100 - blob_share_percent) // 100
    started = time.monotonic()
    try:
        campaign.run(blocks, every_event=every_event)
        l2 = campaign.l2  # the restarted sequencer's
        head = l2.eth.block_number
        wait_until(lambda: campaign.safe_head() >= head, 180, "the sequencer's safe head")
        # every block's range on L1 (E, the window's end after its parent's origin, below L1's head)
        wait_until(lambda: _range_on_l1(sequencer, head, l1_w3), 120, "the last block's range on L1")
    finally:  # the sequencer's log for the run's reader (tmp_path is kept by pytest)
        (tmp_path / "sequencer.log").write_text("".join(campaign.log_lines + sequencer.lines))
    ran = time.monotonic() - started
    print(f"\nworkload done in {ran:.0f} s: {head} blocks, {dict(campaign.events)}", flush=True)
    tally = decide_every_block(campaign, oracle, oracle_abi, step, step_abi, head, every_l1_block=every_l1_block)
    print(f"\ninput-oracle campaign (seed {seed}): {head} blocks, workload {dict(campaign.events)}; "
          f"decided on L1 as node derived them: {dict(tally)}; workload {ran:.0f} s, deciding {time.monotonic() - started - ran:.0f} s")
    assert sum(tally[k] for k in ("forced", "deposits", "empty", "user txs")) == head
    return tally


def _range_on_l1(sequencer: Any, number: int, l1_w3: Web3) -> bool:
    try:
        last = int(RollupClient(sequencer.rpc_url).derivation_trace(number)["last"])
    except Exception:  # the range's end is not on L1 yet: the trace cannot run
        return False
    return l1_w3.eth.block_number > last


def test_every_block_decided_on_l1_through_reorgs_and_invalid_batches(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    tally = run_campaign(node_factory, l1, tmp_path, blocks=16, seed=15, every_event=True, every_l1_block=False)
    assert tally["user txs"] >= 1 and tally["after a reorg"] >= 1, tally
    assert all(tally[f"dropped by both: {kind}"] >= 1 for kind in INVALID_KINDS), tally
    # every honest L1 transaction of the dispute under geth's 128 KiB pool limit (measured, seed 15, three
    # runs: the largest step 28,932-34,948 B, checkInputs 5,700-5,860 B; over a block with invalid data 36-38 KB)
    assert 0 < tally["largest DerivationStep.step B, honest"] < 131_072 and 0 < tally["largest checkInputs B, honest"] < 131_072, tally


@pytest.mark.campaign
@pytest.mark.timeout(0)  # 300 blocks: a workload of ~5 min alone, past pyproject's 300 s for one test
def test_input_oracle_campaign(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """`scripts/input_oracle_differential.py --blocks N --seed S`: the long random chain."""
    blocks, seed = int(os.environ.get("INPUT_ORACLE_BLOCKS", "300")), int(os.environ.get("INPUT_ORACLE_SEED", "7"))
    blob_share = int(os.environ.get("INPUT_ORACLE_BLOBS", "0"))
    tally = run_campaign(node_factory, l1, tmp_path, blocks=blocks, seed=seed, every_event=False, every_l1_block=True,
                         blob_share_percent=blob_share)
    assert tally["user txs"] >= 1 and tally["deposits"] >= 1, tally
    # the sequencer keeps batching: most blocks come from its batches, not forced over
    assert tally["forced"] * 2 <= blocks, tally
    if blob_share:
        assert tally["batch in blobs"] >= 1 and tally["blob items on L1"] >= 1, tally
