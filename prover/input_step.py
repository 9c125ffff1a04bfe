"""The challenger's input leaf (docs/fault-proofs.md, "The challenger"): evidence that a block's
inputs, as the other side of a game named them (`BlockInputsNamed`), break a rule `InputOracle`
decides, gathered from the player's own L2 node and from L1.

The player decides from its own derivation: its node's block (the transactions it derived, in
order) against the named ones. When they differ, `stepInput` shows the oracle what L1 committed
to for that block: the parent's proofs against the agreed output root, the headers of the parent's
L1 origin and of the L1 block after it (the oracle rebuilds from them the L1-info deposits the block
may start with: any other transaction 0 is a lie), the block's own L1 origin's deposits (first block
of an origin), and the batch derivation took for the block (`found`): its channel's bytes, whole,
read from the inbox's calldata or blobs (the blobs from the L1 node's beacon API) by node's own
decoders, which batch of it, the L1 block the channel was read in, which block of the batch; the
oracle takes it by its hash, no frame or blob shown. The oracle then names the rule the other side
broke (a forged or dropped deposit, a transaction no batch carried, ...); the player never judges it
itself: L1 decides, and a step L1 finds no lie in (`InputsMatch`) is never sent.

`input_evidence` gathers the oracle's structures from answers; this module asks the two chains.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from eth_typing import Address
from eth_utils import to_canonical_address, to_checksum_address

from bridge.l1_client import L1Client
from bridge.l1_source import RpcL1Source
from genesis.predeploys import L1_BLOCK, L2_TO_L1_MESSAGE_PASSER
from node.deposit_event import TRANSACTION_DEPOSITED_TOPIC
from node.l1_info import L1Origin, l1_origin_of_transactions
from node.vm import LantauTransactionBuilder
from prover.input_evidence import (
    Evidence, InboxBlock, ParentProof, block_evidence, encode_evidence, find_batch, inbox_block, l1_block_slots,
    origin_chain_numbers, parent_origin_number, parent_proof,
)
from prover.rollup_client import RollupClient


@dataclass(frozen=True, slots=True)
class InputRollup:
    """What the input leaf needs of the rollup config (`genesis.rollup_config.RollupConfig`)."""

    l2_chain_id: int
    portal: str
    batch_inbox: str
    batcher: str
    sequencing_window: int  # L1 blocks after a block's origin in which its batch must land
    l1_start_block: int = 0  # the rollup's first L1 block (L2 genesis' origin for the derivation leaf)
    channel_timeout: int = 0  # L1 blocks a channel lives from the block its id names: its frames may precede the origin

    @classmethod
    def of(cls, rollup: Any) -> "InputRollup":
        return cls(rollup.l2_chain_id, rollup.contracts["LantauPortal"], rollup.batch_inbox, rollup.batcher_address,
                   rollup.sequencing_window, rollup.l1_start_block, rollup.channel_timeout)


def l1_origin_of(l1_info_tx: bytes, number: int) -> L1Origin:
    """The L1 origin and sequence number block `number`'s L1-info deposit (raw) sets."""
    return l1_origin_of_transactions([LantauTransactionBuilder.decode(l1_info_tx)], number)


def read_inbox_blocks(source: RpcL1Source, inbox: str, batcher: str, first: int, last: int) -> list[InboxBlock]:
    """What the inbox recorded in L1 blocks first..last (up to L1's head): the batcher's successful
    transactions to it, in block order (`BatchInbox.isBlockData`), with the blobs of its blob
    transactions (from the L1 node's beacon API, as derivation reads them: `L1Source.blobs`)."""
    inbox_address, batcher_address = Address(to_canonical_address(inbox)), Address(to_canonical_address(batcher))
    found = []
    for number in range(first, last + 1):
        block = source.block_by_number(number)
        if block is None:
            break
        txs = [tx for tx in source.inbox_transactions(block, inbox_address) if tx.sender == batcher_address and tx.succeeded]
        if txs:
            found.append(inbox_block(number, txs, [source.blobs(block, tx.blob_versioned_hashes) for tx in txs]))
    return found


class InputEvidenceSource:
    """Evidence for `OutputDisputeGame.stepInput` about L2 block n, from the L2 node `l2` (the
    player's own, a verifier) and L1."""

    def __init__(self, l1: L1Client, l2: RollupClient, rollup: InputRollup) -> None:
        self.l1, self.l2, self.rollup = l1, l2, rollup

    def evidence(self, number: int, l1_info_tx: bytes, timestamp: int, found: bytes | None = None) -> bytes:
        """`abi.encode(ParentProof, Evidence)` for block `number`, whose L1-info deposit (the
        node's) is `l1_info_tx` and whose timestamp is `timestamp`, with its batch if L1 has it
        (with `found`, derivation's answer for the block: that batch, none for 0)."""
        return encode_evidence(*self.parts(number, l1_info_tx, timestamp, found))

    def parts(self, number: int, l1_info_tx: bytes, timestamp: int, found: bytes | None = None) -> tuple[ParentProof, Evidence]:
        """The parent's proof and the evidence `evidence` encodes (`InputOracle.lieOf` reads them)."""
        origin = l1_origin_of(l1_info_tx, number)
        origin_block = self.l1.w3.eth.get_block(origin.number)
        logs = self.deposit_logs(origin_block) if origin.sequence_number == 0 else []
        # the parent's origin and the next L1 block: the oracle rebuilds the L1-info deposit from them
        chain = origin_chain_numbers(parent_origin_number(number, origin.number, origin.sequence_number), self.l1.head().number)
        origin_chain = [self.l1.w3.eth.get_block(n) for n in chain]
        evidence = block_evidence(origin_chain, origin_block, origin.sequence_number, logs)
        return self.parent_proof(number), self.with_batch(number, timestamp, origin, evidence, found)

    def parent_proof(self, number: int) -> ParentProof:
        """Block `number - 1` proven against its output root: header, L1Block storage, passer root."""
        parent = number - 1
        slots = [hex(s) for s in l1_block_slots()]
        return parent_proof(self.l2.block(parent), self.l2.proof(to_checksum_address(L1_BLOCK), slots, parent),
                            self.l2.proof(to_checksum_address(L2_TO_L1_MESSAGE_PASSER), [], parent))

    def deposit_logs(self, block: Any) -> list[Any]:
        """The portal's `TransactionDeposited` logs in L1 block `block`."""
        return list(self.l1.w3.eth.get_logs({"blockHash": block["hash"], "address": to_checksum_address(self.rollup.portal),
                                             "topics": ["0x" + TRANSACTION_DEPOSITED_TOPIC.hex()]}))

    def inbox_blocks(self, first: int, last: int) -> list[InboxBlock]:
        """What the inbox recorded in L1 blocks first..last (`read_inbox_blocks`)."""
        return read_inbox_blocks(RpcL1Source(self.l1.w3, self.rollup.portal), self.rollup.batch_inbox, self.rollup.batcher, first, last)

    def with_batch(self, number: int, timestamp: int, origin: L1Origin, evidence: Evidence, found: bytes | None = None) -> Evidence:
        """`evidence` with the batch that carries block `number`: with `found`, the one derivation
        takes (`BatchEvidence.found`); none if L1 has none (a deposit-only block: `found` = 0 decides
        it, no batch is shown). The inbox is read from `channel_timeout` L1 blocks before the block's
        origin (a channel's frames may land from the block its id names, o >= its completion -
        `channel_timeout`, so before the origin: docs/batches.md "Frame") to the end of its
        sequencing window (or L1's head); only channels completed at or after the origin count."""
        if found == bytes(32):
            return evidence
        first = max(self.rollup.l1_start_block, origin.number - self.rollup.channel_timeout)
        last = min(self.l1.head().number, origin.number + self.rollup.sequencing_window)
        batch = find_batch(self.inbox_blocks(first, last), timestamp, chain_id=self.rollup.l2_chain_id,
                           channel_timeout=self.rollup.channel_timeout, found=found,
                           included_from=origin.number)
        return evidence if batch is None else dataclasses.replace(evidence, batch=batch)
