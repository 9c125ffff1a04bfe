"""`node.explorer.batch_log`: what the explorer shows of the batcher's transactions, recorded from
what derivation reads (through the tests' in-memory L1, `tests.harness.l1_history`). A channel built
by the batcher's own `ChannelBuilder` is cut into three frames posted in two L1 transactions (one
calldata, one blob); the log counts its L2 blocks and transactions only once every frame is in, and
L1 bytes per L2 transaction is the data of both transactions over the transactions."""

from __future__ import annotations

from node.blobs import encode_blob
from node.channels import ChannelBuilder, encode_batcher_tx_data
from node.explorer.batch_log import BatchLog, RecordingL1Source
from tests.harness.l1_history import BATCH_INBOX, BATCHER, STRANGER, L1History, batcher_tx, blob_tx
from tests.node.test_channels import CHAIN_ID, TRANSFERS, blocks_of

CHANNEL_ID = bytes(range(16))


def channel_data() -> tuple[bytes, bytes]:
    """Three frames of a 2-block, 7-transaction channel, as two batcher transactions' data."""
    builder = ChannelBuilder(channel_id=CHANNEL_ID, chain_id=CHAIN_ID, max_frame_data=400)
    for batch in blocks_of(TRANSFERS[:7], per_block=4):
        builder.add_batch(batch)
    frames = builder.frames()
    assert len(frames) == 3
    return encode_batcher_tx_data(frames[:2]), encode_batcher_tx_data(frames[2:])


def test_a_channel_is_counted_once_all_its_frames_are_in() -> None:
    first, second = channel_data()
    l1 = L1History()
    one = l1.append(1_000, txs=[batcher_tx(b"\x00" + bytes(5), sender=STRANGER), batcher_tx(first)])
    two = l1.append(1_002, txs=[blob_tx(encode_blob(second))])
    log = BatchLog(CHAIN_ID)
    source = RecordingL1Source(l1, log, batcher_address=BATCHER)
    source.inbox_transactions(one, BATCH_INBOX)
    (only,) = log.batches(10)[0]  # the stranger's transaction does not count, as for derivation
    assert (only["index"], only["kind"], only["bytes"]) == (1, "calldata", len(first))
    assert only["channels"] == [{"channel": "0x" + CHANNEL_ID.hex(), "complete": False}]
    assert [f["number"] for f in only["frames"]] == [0, 1]

    source.inbox_transactions(two, BATCH_INBOX)
    source.inbox_transactions(two, BATCH_INBOX)  # derivation may read a block again: recorded once
    newest, oldest = log.batches(10)[0]
    assert (newest["l1BlockNumber"], newest["kind"], newest["bytes"], oldest["l1BlockNumber"]) == (1, "blobs", len(second), 0)
    (channel,) = newest["channels"]
    assert (channel["complete"], channel["l2Blocks"], channel["l2Transactions"]) == (True, 2, 7)
    assert channel["l1Bytes"] == len(first) + len(second)
    assert channel["bytesPerL2Tx"] == round((len(first) + len(second)) / 7, 1)


def test_an_l1_reorg_replaces_what_was_recorded_for_the_reorged_blocks() -> None:
    first, _ = channel_data()
    l1 = L1History()
    l1.append(1_000)
    old = l1.append(1_002, txs=[batcher_tx(first)])
    log = BatchLog(CHAIN_ID)
    source = RecordingL1Source(l1, log, batcher_address=BATCHER)
    source.inbox_transactions(old, BATCH_INBOX)
    l1.fork_at(1)
    new = l1.append(1_002, txs=[batcher_tx(b"\x00garbage")], salt=b"fork")
    source.inbox_transactions(new, BATCH_INBOX)
    (only,) = log.batches(10)[0]
    assert (only["l1BlockHash"], only["frames"]) == ("0x" + bytes(new.hash).hex(), [])
    assert only["error"].startswith("not frames:")


def test_pages_follow_the_read_order_and_stay_right_while_batches_arrive() -> None:
    l1 = L1History()
    blocks = [l1.append(1_000 + 2 * n, txs=[batcher_tx(b"\x00" + bytes([n]))]) for n in range(5)]
    log = BatchLog(CHAIN_ID)
    source = RecordingL1Source(l1, log, batcher_address=BATCHER)
    for block in blocks[:4]:
        source.inbox_transactions(block, BATCH_INBOX)
    first, cursor = log.batches(2)
    assert ([b["l1BlockNumber"] for b in first], cursor) == ([3, 2], 2)
    source.inbox_transactions(blocks[4], BATCH_INBOX)  # a new batch does not shift the next page
    second, cursor = log.batches(2, before=cursor)
    assert ([b["l1BlockNumber"] for b in second], cursor) == ([1, 0], None)
    assert log.recorded_count() == 5
    assert [b["l1BlockNumber"] for b in log.batches(10)[0]] == [4, 3, 2, 1, 0]
