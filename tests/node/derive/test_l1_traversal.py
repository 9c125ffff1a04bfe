"""Stage 1: L1 traversal walks block by block and turns an L1 reorg into a ResetError."""

from __future__ import annotations

import pytest

from node.derive.l1_traversal import L1Traversal
from node.errors import ResetError
from tests.harness.l1_history import L1History


def history(count: int) -> L1History:
    l1 = L1History()
    for i in range(count):
        l1.append(100 + 12 * i)
    return l1


def walk(traversal: L1Traversal) -> list[int]:
    seen = []
    while (block := traversal.next_block()) is not None:
        traversal.advance(block)
        seen.append(block.number)
    return seen


def test_walks_from_the_start_block_one_block_at_a_time() -> None:
    l1 = history(5)
    traversal = L1Traversal(l1, l1.blocks[2])
    assert walk(traversal) == [2, 3, 4]
    assert traversal.current == l1.blocks[4]
    l1.append(200)
    assert walk(traversal) == [5]


def test_next_block_only_looks() -> None:
    l1 = history(3)
    traversal = L1Traversal(l1, l1.blocks[0])
    assert traversal.next_block() == traversal.next_block() == l1.blocks[0]
    assert traversal.current is None
    with pytest.raises(ValueError, match="expects L1 block 0"):
        traversal.advance(l1.blocks[1])


def test_reorg_below_the_next_block_is_a_reset() -> None:
    l1 = history(4)
    traversal = L1Traversal(l1, l1.blocks[0])
    walk(traversal)
    l1.fork_at(2)
    l1.append(124, salt=b"fork")
    l1.append(136, salt=b"fork")
    l1.append(148, salt=b"fork")
    with pytest.raises(ResetError, match="L1 reorg: block 4's parent"):
        traversal.next_block()
    assert traversal.current.number == 3  # nothing moved


def test_replaced_tip_without_a_new_block_is_a_reset() -> None:
    l1 = history(3)
    traversal = L1Traversal(l1, l1.blocks[0])
    walk(traversal)
    l1.fork_at(2)
    l1.append(124, salt=b"fork")
    with pytest.raises(ResetError, match="block 2 was replaced"):
        traversal.next_block()


def test_start_block_no_longer_canonical_is_a_reset() -> None:
    l1 = history(3)
    start = l1.blocks[1]
    l1.fork_at(1)
    l1.append(112, salt=b"fork")
    with pytest.raises(ResetError, match="where traversal starts"):
        L1Traversal(l1, start).next_block()


def test_stops_at_the_sources_head() -> None:
    """A source that holds back unconfirmed blocks (head() behind block_by_number) is obeyed."""
    l1 = history(5)

    class Confirmed(L1History):
        def head(self):
            return self.blocks[-3]

    confirmed = Confirmed(l1.blocks, l1.deposits_by_hash, l1.txs_by_hash)
    assert walk(L1Traversal(confirmed, l1.blocks[0])) == [0, 1, 2]
