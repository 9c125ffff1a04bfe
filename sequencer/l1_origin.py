"""Choosing the L1 origin of the next L2 block, and the deposits and L1-info that come with it.

Rules (the OP Stack's, simplified):
- the origin of a block is its parent's origin or the L1 block right after it, never a jump;
- the origin advances as soon as the next L1 block exists on L1 (`L1Source.head`, which
  already holds back `confirmations` blocks) and is not newer than the L2 block;
- the first L2 block of a new origin includes all of that L1 block's deposits, after the
  L1-info deposit; every later block of the same origin only the L1-info deposit;
- if the parent's origin is no longer canonical on L1 (an L1 reorg), the L2 blocks built on it
  are abandoned: building restarts from the last L2 block whose origin is still canonical.

Catching up (after the sequencer was stopped, or its chain was forced over, for longer than a
sequencing window). Derivation forces the deposit-only block of origin O + 1 on a safe head of
origin O once L1 block O + 1 + sequencing_window is read, so a stop longer than the window leaves
a chain whose origin runs a whole window behind L1. Restarted, the sequencer must bring its origin
back near L1's head: with an origin that stays a window behind, every batch lands after its
window and every block is forced over (the 300-block campaign's 256 forced blocks). Origins move
one L1 block per L2 block, so the sequencer must build faster than L1 moves, and L2 timestamps are
whole seconds, never ahead of the clock: a block stamped by the wall clock cannot move faster than
L1 blocks of a second. So, as op-node's sequencer builds its late blocks back to back at
`parent.time + block_time`:
- while two L1 blocks after the next origin are on L1 (the chain is 3 or more L1 blocks behind),
  the next block takes the next origin and is stamped by it, not by the clock:
  max(parent.timestamp + 1, origin.timestamp), and the producer builds it without waiting for
  its slot (`EpochPlan.catching_up`);
- while the next origin's window ends within `CATCH_UP_LANDING_L1_BLOCKS` (at most half a window)
  of L1's head (`catch_up_lag`), a batch
  for the block may land after the window (the batcher closes such a channel at once, yet a
  transaction needs L1 blocks to land): the block is exactly the one derivation forces there
  (`node.derive.attributes.deposit_only_inputs`: that origin's L1-info and deposits, no pool
  transactions, stamped max(parent.timestamp + 1, origin.timestamp)), so whether its batch lands
  in time or not, derivation derives this very block, adopts it, and keeps the blocks after it
  (`EpochPlan.deposit_only`). op-node leaves this to an operator (`--sequencer.recover`: empty
  blocks until the origin is current); here it is the rule whenever the window is that close.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth.abc import BlockHeaderAPI, SignedTransactionAPI

from node.chain import BlockAttributes, Chain
from node.derive.attributes import attributes_on, forced_transactions
from node.derive.l1_source import L1Source
from node.l1_block_ref import L1BlockRef
from node.l1_info import L1Origin, read_l1_origin


@dataclass(frozen=True, slots=True)
class EpochPlan:
    parent: BlockHeaderAPI  # may be older than the head after an L1 reorg
    origin: L1BlockRef
    forced_transactions: tuple[SignedTransactionAPI, ...]
    abandoned: tuple[BlockHeaderAPI, ...] = ()  # L2 blocks dropped because their origin was reorged out
    catching_up: bool = False  # behind L1: stamped by its origin, built without waiting for a slot
    deposit_only: bool = False  # the block derivation forces there: no pool transactions

    def attributes(self, timestamp: int) -> BlockAttributes:
        """The attributes of the planned block, stamped `timestamp` unless that is not after the
        parent or is before the origin (an L2 block is never older than its L1 origin); a block
        that catches up is stamped by its origin, whatever `timestamp`."""
        if self.catching_up:
            timestamp = self.origin.timestamp
        timestamp = max(timestamp, self.parent.timestamp + 1, self.origin.timestamp)
        return attributes_on(self.parent, timestamp, self.forced_transactions)


#: L1 blocks a batch is given to land before its window ends (as the batcher's `sub_safety_margin`).
CATCH_UP_LANDING_L1_BLOCKS = 10


def catch_up_lag(sequencing_window: int) -> int:
    """How many L1 blocks past the next origin L1's head may be before the next block must be
    the one derivation forces (the module's docstring, "Catching up"): `CATCH_UP_LANDING_L1_BLOCKS`
    (at most half a window) before the window ends, as the batcher closes a channel its
    `sub_safety_margin` blocks before then."""
    return sequencing_window - min(sequencing_window // 2, CATCH_UP_LANDING_L1_BLOCKS)


def _behind(origin: L1BlockRef, l1_tip: L1BlockRef, l2_timestamp: int, source: L1Source) -> bool:
    """The chain is behind L1 at `origin`: two L1 blocks after it exist, and the first of them is
    not newer than the L2 block. (Two, not one: a chain that keeps one L1 block behind is on time,
    and a dev clock travelled ahead of L1 (`evm_increaseTime`) is not taken for a chain behind.)"""
    if l1_tip.number < origin.number + 2:
        return False
    after = source.block_by_number(origin.number + 1)
    return after is not None and after.timestamp <= l2_timestamp


def origin_is_canonical(origin: L1Origin, source: L1Source) -> bool:
    block = source.block_by_number(origin.number)
    return block is not None and block.hash == origin.hash


def last_block_on_canonical_l1(chain: Chain, head: BlockHeaderAPI, source: L1Source) -> tuple[BlockHeaderAPI, tuple[BlockHeaderAPI, ...]]:
    """Walk back from `head` to the newest L2 block whose L1 origin is canonical."""
    abandoned: list[BlockHeaderAPI] = []
    header = head
    while header.block_number > 0:
        origin = read_l1_origin(chain.state_at(header))
        if origin is None or origin_is_canonical(origin, source):
            break
        abandoned.append(header)
        header = chain.header_by_hash(header.parent_hash)
    return header, tuple(abandoned)


def plan_next_block(chain: Chain, head: BlockHeaderAPI, l2_timestamp: int, source: L1Source, *, l1_start_block: int = 0,
                    sequencing_window: int | None = None) -> EpochPlan:
    """`l1_start_block`: the first L2 block's origin (the block the L1 contracts were deployed
    in: no deposit can be older), from which the chain catches up one L1 block at a time.
    `sequencing_window`: the rollup's; with it, a chain whose next origin's window ends soon
    gets the block derivation forces (the module's docstring, "Catching up")."""
    parent, abandoned = last_block_on_canonical_l1(chain, head, source)
    parent_origin = read_l1_origin(chain.state_at(parent))
    l1_tip = source.head()
    if parent_origin is None:
        first = source.block_by_number(l1_start_block)
        assert first is not None
        # stamped by its origin too when L1 has moved on: a chain that starts a few L1 blocks
        # behind would otherwise keep that lag for good (a block moves its origin one L1 block on
        # and its timestamp at least a second on, as L1 blocks of a second do)
        behind = _behind(first, l1_tip, l2_timestamp, source)
        return EpochPlan(parent, first, forced_transactions(first, 0, source.deposits(first)), abandoned, catching_up=behind)
    current = source.block_by_number(parent_origin.number)
    assert current is not None  # canonical, checked above
    candidate = source.block_by_number(parent_origin.number + 1)
    if candidate is not None and candidate.number <= l1_tip.number and candidate.timestamp <= l2_timestamp:
        forced = forced_transactions(candidate, 0, source.deposits(candidate))
        if sequencing_window is not None and l1_tip.number - candidate.number >= catch_up_lag(sequencing_window):
            return EpochPlan(parent, candidate, forced, abandoned, catching_up=True, deposit_only=True)
        return EpochPlan(parent, candidate, forced, abandoned, catching_up=_behind(candidate, l1_tip, l2_timestamp, source))
    return EpochPlan(parent, current, forced_transactions(current, parent_origin.sequence_number + 1, ()), abandoned)
