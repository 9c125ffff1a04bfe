"""`node.rpc.rollup.InboxByHash`: the derivation RPCs read each L1 block's inbox transactions once
per block hash (a trace per L1 block of a range would read them again each time), and a block
of another hash at the same number (an L1 reorg) is read afresh, never served the old answer."""

from __future__ import annotations

from node.rpc.rollup import InboxByHash
from tests.harness.l1_history import BATCH_INBOX, L1History, batcher_tx


def test_each_block_hash_is_read_once_and_a_reorged_block_afresh() -> None:
    l1 = L1History()
    l1.append(100)
    first = l1.append(112, txs=[batcher_tx(b"\x00before the reorg")])
    cached = InboxByHash(l1)

    for _ in range(3):
        assert [tx.data for tx in cached.inbox_transactions(first, BATCH_INBOX)] == [b"\x00before the reorg"]
    assert l1.reads == [1]  # read from L1 once

    l1.fork_at(1)  # block 1 replaced by another (another hash, other batcher data)
    replaced = l1.append(113, txs=[batcher_tx(b"\x00after the reorg")], salt=b"fork")
    assert replaced.number == first.number and replaced.hash != first.hash
    assert cached.block_by_number(1) == replaced  # numbers always asked of L1
    assert [tx.data for tx in cached.inbox_transactions(replaced, BATCH_INBOX)] == [b"\x00after the reorg"]
    assert l1.reads == [1, 1]


def test_at_most_max_blocks_are_kept() -> None:
    l1 = L1History()
    blocks = [l1.append(100 + 12 * n, txs=[batcher_tx(bytes([n]))]) for n in range(4)]
    cached = InboxByHash(l1, max_blocks=2)
    for block in blocks:
        cached.inbox_transactions(block, BATCH_INBOX)
    cached.inbox_transactions(blocks[3], BATCH_INBOX)  # kept
    cached.inbox_transactions(blocks[0], BATCH_INBOX)  # dropped: read again
    assert l1.reads == [0, 1, 2, 3, 0]
