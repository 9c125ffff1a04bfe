"""`node.derive.l1_source.ForwardingL1Source`: the one base of the wrappers between derivation and
its `L1Source` (`InboxByHash` of the derivation RPCs, the explorer's `RecordingL1Source`,
`PrefetchingL1Source`). It forwards every read the interface names, and each wrapper answers every
read as the source it wraps does (a wrapper changes how often L1 is asked, never the answer)."""

from __future__ import annotations

import inspect
from typing import Callable

import pytest

from node.blobs import blob_versioned_hash, encode_blob
from node.derive.l1_prefetch import PrefetchingL1Source
from node.derive.l1_source import ForwardingL1Source, L1Source
from node.explorer.batch_log import BatchLog, RecordingL1Source
from node.rpc.rollup import InboxByHash
from tests.harness.l1_history import BATCH_INBOX, BATCHER, L1History, batcher_tx, blob_tx


def interface_reads() -> set[str]:
    return {name for name, member in vars(L1Source).items() if inspect.isfunction(member) and not name.startswith("_")}


def test_the_base_forwards_every_read_the_interface_names() -> None:
    reads = interface_reads()
    assert reads == {"head", "block_by_number", "deposits", "inbox_transactions", "blobs"}
    assert reads <= {name for name, member in vars(ForwardingL1Source).items() if inspect.isfunction(member)}


@pytest.mark.parametrize("wrap", [
    lambda l1: ForwardingL1Source(l1),
    lambda l1: InboxByHash(l1),
    lambda l1: RecordingL1Source(l1, BatchLog(chain_id=901), batcher_address=BATCHER),
    lambda l1: PrefetchingL1Source(l1, inbox=BATCH_INBOX, depth=2, workers=1),
], ids=["forwarding", "inbox-by-hash", "recording", "prefetching"])
def test_each_wrapper_answers_every_read_as_its_source(wrap: Callable[[L1History], ForwardingL1Source]) -> None:
    l1 = L1History()
    l1.append(100, mints=[5])
    blob = encode_blob(b"\x00frames in a blob")
    block = l1.append(112, mints=[7, 9], txs=[batcher_tx(b"\x00calldata frames"), blob_tx(blob)])
    wrapper = wrap(l1)
    try:
        assert wrapper.head() == l1.head() == block
        assert wrapper.block_by_number(0) == l1.block_by_number(0) and wrapper.block_by_number(2) is None
        assert [tx.hash for tx in wrapper.deposits(block)] == [tx.hash for tx in l1.deposits(block)]
        assert list(wrapper.inbox_transactions(block, BATCH_INBOX)) == list(l1.inbox_transactions(block, BATCH_INBOX))
        assert wrapper.blobs(block, [blob_versioned_hash(blob)]) == [blob]
    finally:
        if isinstance(wrapper, PrefetchingL1Source):
            wrapper.close()
