"""Choosing the L1 origin of the next L2 block, and the deposits and L1-info that come with it.

Rules (the OP Stack's, simplified):
- the origin of a block is its parent's origin or the L1 block right after it, never a jump;
- the origin advances as soon as the next L1 block exists on L1 (`L1Source.head`, which
  already holds back `confirmations` blocks) and is not newer than the L2 block;
- the first L2 block of a new origin includes all of that L1 block's deposits, after the
  L1-info deposit; every later block of the same origin only the L1-info deposit;
- if the parent's origin is no longer canonical on L1 (an L1 reorg), the L2 blocks built on it
  are abandoned: building restarts from the last L2 block whose origin is still canonical.
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

    def attributes(self, timestamp: int) -> BlockAttributes:
        """The attributes of the planned block, stamped `timestamp` unless that is not after the
        parent or is before the origin (an L2 block is never older than its L1 origin)."""
        timestamp = max(timestamp, self.parent.timestamp + 1, self.origin.timestamp)
        return attributes_on(self.parent, timestamp, self.forced_transactions)


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


def plan_next_block(chain: Chain, head: BlockHeaderAPI, l2_timestamp: int, source: L1Source, *, l1_start_block: int = 0) -> EpochPlan:
    """`l1_start_block`: the first L2 block's origin (the block the L1 contracts were deployed
    in: no deposit can be older), from which the chain catches up one L1 block at a time."""
    parent, abandoned = last_block_on_canonical_l1(chain, head, source)
    parent_origin = read_l1_origin(chain.state_at(parent))
    if parent_origin is None:
        first = source.block_by_number(l1_start_block)
        assert first is not None
        return EpochPlan(parent, first, forced_transactions(first, 0, source.deposits(first)), abandoned)
    current = source.block_by_number(parent_origin.number)
    assert current is not None  # canonical, checked above
    candidate = source.block_by_number(parent_origin.number + 1)
    l1_tip = source.head()
    if candidate is not None and candidate.number <= l1_tip.number and candidate.timestamp <= l2_timestamp:
        return EpochPlan(parent, candidate, forced_transactions(candidate, 0, source.deposits(candidate)), abandoned)
    return EpochPlan(parent, current, forced_transactions(current, parent_origin.sequence_number + 1, ()), abandoned)
