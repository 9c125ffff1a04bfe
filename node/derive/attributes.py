"""Stage 6, attributes: a valid batch (or a forced epoch) -> the inputs of one L2 block.

The sequencer builds with these same functions (`forced_transactions` in
sequencer/l1_origin.py, `attributes_on` via its `EpochPlan`), so a verifier that builds with
these inputs reaches the sequencer's block hash:

- the first block of a new L1 origin carries the L1-info deposit with sequence number 0,
  then every deposit of that L1 block in log order; a later block of the same origin only the
  L1-info deposit, its sequence number one more than its parent's;
- prev_randao = keccak(parent.hash); fee_recipient = SEQUENCER_FEE_VAULT;
  gas_limit = parent.gas_limit; no extra data;
- the batch's transactions follow, decoded with the L2's transaction builder.

A forced (deposit-only) block, derived when the sequencing window of the next L1 origin ends
without a batch for it: that origin's L1-info and deposits, no user transactions, timestamp
max(parent.timestamp + 1, origin.timestamp). Deposits cannot be censored for longer than the
window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from eth.abc import BlockHeaderAPI, SignedTransactionAPI
from eth_typing import Hash32
from eth_utils import keccak

from genesis.predeploys import SEQUENCER_FEE_VAULT
from node.batches import SingularBatch
from node.chain import BlockAttributes
from node.derive.l1_source import L1BlockRef
from node.l1_info import L1Origin, l1_info_deposit
from node.vm import LantauVM


@dataclass(frozen=True, slots=True)
class BlockInputs:
    """Everything `Chain.build_block` needs for the next safe block."""

    parent: BlockHeaderAPI
    attributes: BlockAttributes
    transactions: tuple[SignedTransactionAPI, ...]
    l1_origin: L1BlockRef
    sequence_number: int


def sequence_number_after(parent_origin: L1Origin | None, origin: L1BlockRef) -> int:
    """0 for the first block of `origin`, else the parent's sequence number + 1."""
    if parent_origin is None or parent_origin.number != origin.number:
        return 0
    return parent_origin.sequence_number + 1


def block_attributes(
    parent: BlockHeaderAPI,
    origin: L1BlockRef,
    sequence_number: int,
    origin_deposits: Sequence[SignedTransactionAPI],
    timestamp: int,
) -> BlockAttributes:
    """The attributes of a block on `parent` with L1 origin `origin` (the one shared rule)."""
    return attributes_on(parent, timestamp, forced_transactions(origin, sequence_number, origin_deposits))


def forced_transactions(
    origin: L1BlockRef, sequence_number: int, origin_deposits: Sequence[SignedTransactionAPI],
) -> tuple[SignedTransactionAPI, ...]:
    """The transactions a block of `origin` starts with: the L1-info deposit, then, in the first
    block of the origin (sequence number 0) only, every deposit of that L1 block in log order.
    The sequencer plans its blocks with it too (`sequencer.l1_origin.plan_next_block`)."""
    return (l1_info_deposit(origin, sequence_number), *(origin_deposits if sequence_number == 0 else ()))


def attributes_on(parent: BlockHeaderAPI, timestamp: int, forced: Sequence[SignedTransactionAPI]) -> BlockAttributes:
    """The attributes every L2 block on `parent` has, given its timestamp and forced transactions:
    the one home of the fee recipient (the `SequencerFeeVault`; a sequencer paying anyone else
    would fork every verifier), prev_randao and gas limit. The sequencer builds with it too."""
    return BlockAttributes(
        timestamp=timestamp,
        fee_recipient=SEQUENCER_FEE_VAULT,
        prev_randao=Hash32(keccak(parent.hash)),
        gas_limit=parent.gas_limit,
        forced_transactions=tuple(forced),
    )


def inputs_from_batch(
    parent: BlockHeaderAPI,
    parent_origin: L1Origin | None,
    batch: SingularBatch,
    origin: L1BlockRef,
    origin_deposits: Sequence[SignedTransactionAPI],
    *,
    decode_transaction: Callable[[bytes], SignedTransactionAPI] | None = None,
) -> BlockInputs:
    """The block a valid batch describes (the batch queue checked it against `parent`).

    `decode_transaction` turns a raw transaction into py-evm's (default: `LantauVM`'s builder;
    the pipeline passes `ChannelsAhead.transaction`, which has most decoded on the second core)."""
    if batch.parent_hash != parent.hash or batch.l1_origin_number != origin.number or batch.l1_origin_hash != origin.hash:
        raise ValueError("batch does not build on this parent and origin")
    sequence_number = sequence_number_after(parent_origin, origin)
    decode = decode_transaction if decode_transaction is not None else LantauVM.get_transaction_builder().decode
    return BlockInputs(
        parent=parent,
        attributes=block_attributes(parent, origin, sequence_number, origin_deposits, batch.timestamp),
        transactions=tuple(decode(raw) for raw in batch.transactions),
        l1_origin=origin,
        sequence_number=sequence_number,
    )


def deposit_only_inputs(
    parent: BlockHeaderAPI,
    parent_origin: L1Origin | None,
    origin: L1BlockRef,
    origin_deposits: Sequence[SignedTransactionAPI],
) -> BlockInputs:
    """The forced block of `origin`: its L1 info and deposits, nothing from the sequencer."""
    sequence_number = sequence_number_after(parent_origin, origin)
    timestamp = max(parent.timestamp + 1, origin.timestamp)
    return BlockInputs(
        parent=parent,
        attributes=block_attributes(parent, origin, sequence_number, origin_deposits, timestamp),
        transactions=(),
        l1_origin=origin,
        sequence_number=sequence_number,
    )
