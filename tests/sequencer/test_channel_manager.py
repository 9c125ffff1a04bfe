"""The batcher's channel manager without L1 or a chain: plain batches in, frames out, and what L1
did told back through the tx callbacks. A fake clock drives the duration rule."""

from __future__ import annotations

import ast
import json
import random
from pathlib import Path

import pytest
from eth_typing import Hash32

import sequencer.channel_manager as channel_manager
from bridge.blob_tx import MAX_BLOBS_PER_TX as SIGNED_BLOBS_LIMIT
from node.batches import SingularBatch, SpanBatch, decode_batch
from node.blobs import MAX_BLOBS_PER_TX
from node.batch_inbox import MAX_BATCHER_DATA_PER_L1_BLOCK
from node.channels import MAX_CHANNEL_BYTES, Compression, channel_id, channel_open_block, decode_batcher_tx_data, read_channel
from node.errors import ChannelFull
from sequencer.batcher_state import BatcherState, TxRecord
from sequencer.channel_manager import BLOB_FRAME_DATA, BatcherConfig, BatcherError, ChannelManager, batch_of_block

CHAIN_ID = 42
GENESIS = "0x" + "00" * 32


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def block_hash(number: int) -> bytes:
    return number.to_bytes(32, "big")


def batch(number: int, origin: int = 1, transactions: tuple[bytes, ...] = ()) -> SingularBatch:
    return SingularBatch(Hash32(block_hash(number - 1)), origin, Hash32(bytes([origin]) * 32), 1_700_000_000 + number, transactions)


def manager(clock: Clock | None = None, **overrides: object) -> ChannelManager:
    if not overrides.get("use_blobs"):  # two calldata frames of 60,000 bytes fit an L1 block's 131,072
        overrides = {"max_frame_data": 60_000, "max_pending_txs": 2, **overrides}
    config = BatcherConfig(batch_inbox="0x" + "ff" * 20, compression=Compression.FASTLZ, span_batches=False, **overrides)  # type: ignore[arg-type]
    state = BatcherState(l1_chain_id=900, l2_genesis_hash=GENESIS, batcher="0x" + "01" * 20, batch_inbox=config.batch_inbox,
                         safe_l2_number=0, safe_l2_hash=GENESIS, next_nonce=7)
    nonces = iter(bytes([i]) * 8 for i in range(1, 100))
    return ChannelManager(state, config, chain_id=CHAIN_ID, clock=clock or Clock(), new_channel_nonce=lambda: next(nonces))


def add(m: ChannelManager, first: int, last: int, origin: int = 1) -> None:
    for number in range(first, last + 1):
        m.add_block(number, block_hash(number), batch(number, origin), starts_epoch=number == first)


def send_all(m: ChannelManager) -> list[TxRecord]:
    """Record and 'send' every frame the manager hands out, as the service does."""
    sent = []
    while (work := m.next_tx_frames()) is not None:
        channel, frames = work
        tx = TxRecord(nonce=m.state.next_nonce, frames=frames, blob=channel.blob, max_fee_per_gas=2, max_priority_fee_per_gas=1)
        tx.hashes.append(f"0x{tx.nonce:064x}")
        m.tx_recorded(channel, tx)
        m.tx_sent(channel, tx, now=5.0)
        sent.append(tx)
    return sent


def include(m: ChannelManager, txs: list[TxRecord], l1_block: int) -> None:
    for channel, tx in m.live_txs():
        if tx in txs:
            m.tx_included(channel, tx, tx.hashes[-1], l1_block, f"0x{l1_block:064x}", now=6.0)


def test_a_channel_closes_at_max_blocks_and_its_frames_carry_the_batches() -> None:
    m = manager(max_channel_blocks=3)
    add(m, 1, 7)
    assert [(c.first_block, c.last_block) for c in m.state.channels] == [(1, 3), (4, 6)]
    assert m.open is not None and m.open.blocks == [(7, block_hash(7))] and m.next_block() == 8
    assert (m.counts.blocks_added, m.counts.channels_closed, m.metrics.channels_opened) == (7, 2, 2)
    channel = m.state.channels[0]
    assert channel.channel_id == "" and m.next_tx_frames() == (channel, [0])  # named when it goes out
    frames = decode_batcher_tx_data(m.tx_data(channel, [0]))
    assert len(frames) == 1 and frames[0].is_last and frames[0].channel_id == channel_id(0, bytes([1]) * 8)
    decoded = [decode_batch(raw, chain_id=CHAIN_ID) for raw in read_channel(frames[0].data).batches]
    assert decoded == [batch(1), batch(2), batch(3)]


def test_small_frames_one_per_calldata_tx_up_to_max_pending() -> None:
    m = manager(max_frame_data=10, max_pending_txs=3, max_channel_blocks=5)
    add(m, 1, 5)
    [channel] = m.state.channels
    assert len(channel.frames) > 3
    sent = send_all(m)
    assert [tx.frames for tx in sent] == [[0], [1], [2]] and [tx.nonce for tx in sent] == [7, 8, 9]
    assert m.next_tx_frames() is None and m.state.next_nonce == 10  # 3 pending: the limit
    include(m, sent[:1], l1_block=100)
    assert m.next_tx_frames() == (channel, [3])
    assert m.metrics.txs_sent == 3 and m.metrics.frames_posted == 3 and m.metrics.l2_blocks_posted == 0


def test_two_channels_never_complete_in_one_l1_block() -> None:
    """Derivation reads one channel an L1 block and drops a second completed in it
    (node/derive/channel_bank.py): with transactions to spare, a channel's last frame still waits
    until the transaction carrying another channel's last frame is included; its other frames go."""
    m = manager(max_frame_data=40, max_pending_txs=4, max_channel_blocks=2)
    add(m, 1, 4)
    first, second = m.state.channels
    assert (len(first.frames), len(second.frames)) == (1, 2)
    sent = send_all(m)  # first's only frame (its last), second's frame 0; second's last waits
    assert [tx.frames for tx in sent] == [[0], [0]] and [tx.nonce for tx in sent] == [7, 8]
    assert m.next_tx_frames() is None  # two transactions to spare
    include(m, sent[1:], l1_block=100)  # (not in nonce order: the test's, not L1's)
    assert m.next_tx_frames() is None  # first's last frame still pending
    include(m, sent[:1], l1_block=100)
    assert m.next_tx_frames() == (second, [1])  # first's included: second may complete, in a later L1 block


def test_a_channel_derivation_does_not_read_is_requeued_with_the_later_ones() -> None:
    """Two closing transactions that landed apart and an L1 reorg put into one block: node's
    channel bank, replayed over the records, reads the first channel there and drops the second
    (one channel completed an L1 block); the second and every later channel are abandoned and
    their blocks batched again under a new id. Landed apart, nothing is requeued."""
    m = manager(max_pending_txs=1, max_channel_blocks=2)
    add(m, 1, 6)
    first, second, third = m.state.channels
    [a] = send_all(m)
    include(m, [a], l1_block=3)
    [b] = send_all(m)
    include(m, [b], l1_block=4)
    m.requeue_unread()
    assert not any(c.abandoned for c in m.state.channels) and m.metrics.channels_unread == 0
    m.tx_reorged(first, a)
    m.tx_reorged(second, b)
    include(m, [a, b], l1_block=3)  # both again, in one block
    m.requeue_unread()
    assert (first.abandoned, m.metrics.channels_unread) == (None, 1)
    assert second.abandoned is not None and "L1 block(s) [3] but derivation does not read it" in second.abandoned
    assert third.abandoned is not None and m.next_block() == 3  # blocks 3-6 go into new channels
    add(m, 3, 6)
    assert [(c.first_block, c.last_block) for c in m.state.channels[3:]] == [(3, 4), (5, 6)]
    assert send_all(m) == m.state.channels[3].txs and m.state.channels[3].channel_id != second.channel_id
    m.requeue_unread()  # the abandoned channel is not requeued twice
    assert m.metrics.channels_unread == 1


def test_a_channel_with_a_reverted_transaction_is_batched_again_and_old_records_read_as_landed() -> None:
    """A transaction L1 included with receipt status 0 used its nonce but derivation ignores it: the
    replay skips it, its channel (its closing frame not sent yet) and every later one are abandoned
    and their blocks batched again at the next nonce. The flag persists; a record written before it
    (no "reverted", no "txs_reverted") reads as a successful inclusion, as before."""
    m = manager(max_pending_txs=1, max_frame_data=20, max_channel_blocks=2)
    add(m, 1, 4)
    first, second = m.state.channels
    assert len(first.frames) > 1
    [a] = send_all(m)
    m.tx_included(first, a, a.hashes[-1], 3, f"0x{3:064x}", now=6.0, reverted=True)
    m.requeue_unread()
    assert first.abandoned is not None and "nonce 7 in L1 block 3 reverted on L1" in first.abandoned
    assert second.abandoned is not None and (m.metrics.channels_unread, m.metrics.txs_reverted) == (1, 1)
    assert first.txs == [a] and m.next_block() == 1  # its other frames never go out; blocks 1-4 again
    add(m, 1, 4)
    [again] = send_all(m)[:1]
    assert again.nonce == 8 and m.state.channels[2].channel_id != first.channel_id  # no gap, no reuse
    restored = BatcherState.from_json(m.state.to_json())
    assert restored.channels[0].txs[0].reverted and restored.metrics.txs_reverted == 1
    old = json.loads(m.state.to_json())
    del old["metrics"]["txs_reverted"]
    for channel in old["channels"]:
        for tx in channel["txs"]:
            del tx["reverted"]
    read = BatcherState.from_json(json.dumps(old))
    assert not read.channels[0].txs[0].reverted and read.channels[0].txs[0].included and read.metrics.txs_reverted == 0
    m.tx_reorged(first, a)  # an L1 reorg takes the reverted inclusion away: no longer reverted
    assert not a.reverted and not a.included

def test_a_frame_that_landed_before_the_block_its_id_names_is_batched_again() -> None:
    """An L1 reorg to a shorter chain can put a transaction in a block before the one its channel
    id names (the L1 head when it went out): derivation drops that frame ("channel id names L1
    block o outside ...", node/derive/channel_bank.py), so `requeue_unread` (node's bank replayed)
    abandons the channel and the later ones, and their blocks go out again under an id naming the
    new head."""
    m = manager(max_pending_txs=1, max_channel_blocks=2)
    m.l1_head = 30
    add(m, 1, 2)
    [tx] = send_all(m)
    [channel] = m.state.channels
    include(m, [tx], l1_block=31)
    m.requeue_unread()
    assert not channel.abandoned
    m.tx_reorged(channel, tx)
    include(m, [tx], l1_block=28)  # the same bytes, sent again, land in the shorter chain's block 28
    m.requeue_unread()
    assert channel.abandoned is not None and "L1 block(s) [28] but derivation does not read it" in channel.abandoned
    m.l1_head = 28
    add(m, 1, 2)
    send_all(m)
    assert channel_open_block(bytes.fromhex(m.state.channels[-1].channel_id)) == 28


def random_data_tx(rng: random.Random, nonce: int, size: int) -> bytes:
    """A signed transaction carrying `size` random (incompressible) calldata bytes."""
    from eth_account import Account

    from genesis.dev_accounts import dev_accounts

    sender, receiver = dev_accounts()[:2]
    return bytes(Account.sign_transaction({"nonce": nonce, "gas": 21_000 + 16 * size, "to": receiver.address, "value": 1, "data": rng.randbytes(size),
                                           "maxFeePerGas": 10**9, "maxPriorityFeePerGas": 1, "chainId": CHAIN_ID, "type": 2},
                                          sender.private_key).raw_transaction)


def test_blob_channels_are_one_blob_and_a_channel_past_one_blob_goes_out_in_calldata() -> None:
    """A blob holds 65,020 bytes of data (node/blobs.py: its first half), under a channel's
    MAX_CHANNEL_BYTES plus framing. A blob channel is one frame in one blob; a channel of
    near-incompressible data past one blob goes out in calldata, one frame in one transaction
    (two blobs in one transaction would show a step over geth's 128 KiB: docs/batches.md "What one
    derivation step reads"), and a later channel goes in a blob again. A configuration that could
    put more than an L1 block's batcher data in flight is refused."""
    assert BLOB_FRAME_DATA < MAX_CHANNEL_BYTES <= 2 * BLOB_FRAME_DATA
    assert BatcherConfig(batch_inbox="0x" + "ff" * 20).max_blobs_per_tx == 1
    rng = random.Random(3)
    m = manager(use_blobs=True, max_channel_blocks=2)
    add(m, 1, 2)
    # ~63 KB of random calldata (FastLZ adds a byte in 32): passes one blob's data, not MAX_CHANNEL_BYTES
    m.add_block(3, block_hash(3), batch(3, transactions=tuple(random_data_tx(rng, n, 15_700) for n in range(4))), starts_epoch=True)
    add(m, 4, 6)
    small, big, later = m.state.channels
    assert (big.first_block, big.last_block, later.first_block, later.last_block) == (3, 4, 5, 6)
    assert [len(bytes.fromhex(f)) for f in big.frames] == [sum(len(bytes.fromhex(f)) for f in big.frames)]
    assert BLOB_FRAME_DATA < len(bytes.fromhex(big.frames[0])) <= MAX_CHANNEL_BYTES
    assert (small.blob, big.blob, later.blob) == (True, False, True)
    assert [len(c.frames) for c in (small, later)] == [1, 1]
    sent = []
    for l1_block in range(10, 13):  # one transaction in flight: each included before the next goes out
        [tx] = send_all(m)
        include(m, [tx], l1_block)
        sent.append(tx)
    assert not send_all(m)
    assert [(tx.blob, tx.frames) for tx in sent] == [(True, [0]), (False, [0]), (True, [0])]
    data = m.tx_data(big, [0])
    assert BLOB_FRAME_DATA < len(data) <= m.config.largest_tx_data <= MAX_BATCHER_DATA_PER_L1_BLOCK
    for bad in ({"max_blobs_per_tx": 3}, {"max_pending_txs": 2}):
        with pytest.raises(ValueError, match="could pass an L1 block's 131072 bytes of batcher data"):
            manager(use_blobs=True, **bad)
    with pytest.raises(ValueError, match="could pass"):
        manager(max_pending_txs=3)  # 3 calldata frames of 60,000 bytes


def test_duration_and_sequencing_window_close_the_open_channel() -> None:
    clock = Clock()
    m = manager(clock, max_channel_duration_s=10.0, sequencing_window=40, sub_safety_margin=10)
    add(m, 1, 2, origin=5)
    m.close_if_due(l1_head=20)
    assert m.open is not None  # young, and origin 5's window (until 45) is far
    clock.now += 10
    m.close_if_due(l1_head=20)
    assert m.open is None and m.state.channels[-1].last_block == 2
    add(m, 3, 3, origin=5)
    m.close_if_due(l1_head=34)
    assert m.open is not None
    m.close_if_due(l1_head=35)  # 5 + 40 - 10, but block 1-2's channel is not sent yet: it would wait
    assert m.open is not None
    [tx] = send_all(m)
    m.close_if_due(l1_head=35)  # ... nor while its transaction is pending (max_pending_txs)
    assert m.open is not None
    include(m, [tx], l1_block=35)
    m.close_if_due(l1_head=35)  # now it goes out at once
    assert m.open is None and m.state.channels[-1].last_block == 3
    add(m, 4, 4, origin=5)
    m.close_if_due(l1_head=0, shutting_down=True)
    assert m.open is None and len(m.state.channels) == 3


def test_stale_blocks_never_drag_a_fresh_block_into_their_channel() -> None:
    """A span batch lands within its FIRST block's window or is dropped whole: blocks of origin 5
    (window 40, margin 10: ending soon from L1 block 35) share a channel, and it closes before a
    block of origin 30 (its window far) would join them; fresh blocks then share the next one."""
    m = manager(sequencing_window=40, sub_safety_margin=10)
    for number, origin in ((1, 5), (2, 5), (3, 30), (4, 30)):
        m.close_before_fresh_block(origin, l1_head=36)
        m.add_block(number, block_hash(number), batch(number, origin), starts_epoch=number in (1, 3))
    [stale] = m.state.channels
    assert (stale.first_block, stale.last_block) == (1, 2)
    assert m.open is not None and [n for n, _ in m.open.blocks] == [3, 4]
    m.close_before_fresh_block(31, l1_head=36)  # the open channel's window is far: nothing closes
    assert len(m.state.channels) == 1 and m.open is not None


def test_a_block_that_can_still_land_never_joins_a_channel_that_cannot() -> None:
    """A sequencer catching up (window 6, L1 head 57: test_sequencer_catch_up's log) builds blocks
    of origins 51, 52, 53 (the blocks derivation forces: their batches land too late whatever the
    batcher does), then 54, whose batch counts if it lands by L1 block 59. A channel closed now
    lands in 58 at the earliest, after origin 51's window [51, 57): block 54 would go down with it
    (the span counts in its first block's window or not at all), so it starts the next channel,
    which lands in 59. With a transaction ahead, that channel too would land after 59: it joins."""
    def fill(m: ChannelManager, l1_head: int) -> None:
        for number, origin in ((21, 51), (22, 52), (23, 53), (24, 54), (25, 55)):
            m.close_before_fresh_block(origin, l1_head)
            m.add_block(number, block_hash(number), batch(number, origin), starts_epoch=True)

    m = manager(sequencing_window=6, sub_safety_margin=10, max_pending_txs=1)
    m.state.safe_l2_number = 20
    fill(m, l1_head=57)
    assert [(c.first_block, c.last_block) for c in m.state.channels] == [(21, 23), (24, 24)]
    assert m.open is not None and [n for n, _ in m.open.blocks] == [25]  # origin 55's window is far: not with stale 54
    busy = manager(sequencing_window=6, sub_safety_margin=10, max_pending_txs=1)
    busy.state.safe_l2_number = 19
    add(busy, 20, 20, origin=50)
    busy.close_if_due(l1_head=57)
    assert len(send_all(busy)) == 1  # block 20's channel, pending
    fill(busy, l1_head=57)
    assert [(c.first_block, c.last_block) for c in busy.state.channels[1:]] == [(21, 24)]


def test_confirmation_moves_safe_l2_in_channel_order() -> None:
    m = manager(max_channel_blocks=2)
    add(m, 1, 4)
    [first] = send_all(m)  # the second channel's last frame waits for the first's (one completes an L1 block)
    include(m, [first], l1_block=11)
    [second] = send_all(m)
    include(m, [second], l1_block=10)
    assert not m.confirm(l1_safe=10)  # the first channel is not in the safe block: safe_l2 cannot skip it
    assert m.confirm(l1_safe=11)
    assert m.state.safe_l2_number == 4 and m.state.channels == [] and m.metrics.channels_confirmed == 2
    assert m.metrics.l2_blocks_posted == 4 and m.next_block() == 5


def test_a_channel_incomplete_at_the_timeout_is_abandoned_with_the_later_ones() -> None:
    """The timeout counts from the L1 block the channel's id names (the head when its first
    frames went out, 99), as derivation counts it: incomplete at 99 + 20, it is abandoned."""
    m = manager(max_frame_data=40, max_pending_txs=1, max_channel_blocks=5, channel_timeout=20)
    add(m, 1, 5)
    add(m, 6, 6)
    m.l1_head = 99
    [tx] = send_all(m)
    assert channel_open_block(bytes.fromhex(m.state.channels[0].channel_id)) == 99
    include(m, [tx], l1_block=100)
    m.time_out(l1_head=118)
    assert not m.state.channels[0].abandoned
    m.time_out(l1_head=119)
    assert m.state.channels[0].abandoned == "channel timed out: its id names L1 block 99, incomplete at 119" and m.open is None
    assert m.counts.channels_abandoned == 1 and m.next_block() == 1  # blocks 1-6 go out again
    m.confirm(l1_safe=120)  # the abandoned channel's one transaction settled: nothing left to watch
    assert m.state.channels == []


def test_a_channel_is_named_after_the_l1_head_when_its_first_frames_go_out() -> None:
    """A channel closed while others wait is named when its first frame goes out, after the L1 head
    then (its transaction lands after it: node/channels.py `channel_id`), not when it closed: a
    backlog of closed channels does not eat their timeout."""
    m = manager(max_pending_txs=1, max_channel_blocks=1)
    m.l1_head = 5
    add(m, 1, 2)
    first, second = m.state.channels
    [tx] = send_all(m)
    assert channel_open_block(bytes.fromhex(first.channel_id)) == 5 and second.channel_id == ""
    include(m, [tx], l1_block=6)
    m.l1_head = 40
    send_all(m)
    assert channel_open_block(bytes.fromhex(second.channel_id)) == 40 and first.channel_id[16:] != second.channel_id[16:]
    m.time_out(l1_head=40)
    assert not first.abandoned and not second.abandoned  # first complete in 6 <= 5 + 20


def test_an_l2_reorg_abandons_the_channel_whose_last_block_changed() -> None:
    m = manager(max_channel_blocks=2)
    add(m, 1, 5)
    canonical = {n: block_hash(n) for n in range(0, 6)}
    canonical[0] = bytes(32)
    m.check_l2_reorg(canonical.get)
    assert not any(c.abandoned for c in m.state.channels) and m.open is not None
    canonical[4] = b"\x44" * 32
    m.check_l2_reorg(canonical.get)
    assert [bool(c.abandoned) for c in m.state.channels] == [False, True] and m.open is None
    assert m.next_block() == 3


def test_tx_callbacks_free_frames_of_a_used_nonce_and_count_reposts_once() -> None:
    m = manager(max_channel_blocks=2)
    add(m, 1, 2)
    [tx] = send_all(m)
    [channel] = m.state.channels
    m.tx_sent(channel, tx, now=9.0, repost=True)
    assert (m.metrics.reposts, m.metrics.txs_sent, m.metrics.frames_posted) == (1, 1, 1)
    include(m, [tx], l1_block=3)
    m.tx_reorged(channel, tx)
    assert not tx.included and tx.reorged == 1
    m.tx_failed(channel, tx)
    assert channel.txs == [] and m.next_tx_frames() == (channel, [0])
    [again] = send_all(m)
    assert again.nonce == tx.nonce + 1 and m.metrics.frames_posted == 1  # a frame counts once


def test_a_block_beyond_a_channel_alone_is_an_operator_error() -> None:
    m = manager()
    with pytest.raises(ValueError, match="L2 block 2 added, 1 expected"):
        m.add_block(2, block_hash(2), batch(2), starts_epoch=True)
    m.open = None

    class Full:
        def __init__(self, *args: object, **kwargs: object) -> None:
            self.blocks = 0

        def add_batch(self, *args: object, **kwargs: object) -> None:
            raise ChannelFull("too big")

    m._new_builder = Full  # type: ignore[method-assign]
    with pytest.raises(BatcherError, match="alone exceeds"):
        m.add_block(1, block_hash(1), batch(1), starts_epoch=True)


def test_batch_of_block_needs_the_l1_info_deposit() -> None:
    with pytest.raises(BatcherError, match="no L1-info deposit"):
        batch_of_block(3, block_hash(2), 123, [])


def test_span_batches_round_trip_through_the_frames() -> None:
    config_manager = manager(max_channel_blocks=3)
    config_manager.config = BatcherConfig(batch_inbox="0x" + "ff" * 20, span_batches=True, max_channel_blocks=3)
    add(config_manager, 1, 3)
    [channel] = config_manager.state.channels
    assert config_manager.next_tx_frames() == (channel, [0])
    [frame] = decode_batcher_tx_data(config_manager.tx_data(channel, [0]))
    [span] = [decode_batch(raw, chain_id=CHAIN_ID) for raw in read_channel(frame.data).batches]
    assert isinstance(span, SpanBatch) and len(span.elements) == 3


def test_blob_count_bound_is_the_protocol_one_and_refused_past_it() -> None:
    """The manager plans blob transactions by node.blobs' EIP-7594 limit (6), the same number
    bridge.blob_tx signs by, without importing the L1 I/O layer (it does no I/O)."""
    assert MAX_BLOBS_PER_TX == SIGNED_BLOBS_LIMIT == 6
    assert BatcherConfig(batch_inbox="0x" + "ff" * 20).max_blobs_per_tx == 1  # a channel past one blob goes in calldata
    with pytest.raises(ValueError, match=r"max_blobs_per_tx must be in 1\.\.6"):
        manager(use_blobs=True, max_blobs_per_tx=7)
    tree = ast.parse(Path(channel_manager.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {name for name in imported if name.split(".")[0] == "bridge"}


def test_a_busy_batchers_channels_stay_under_the_transaction_cap() -> None:
    """Blocks of 7-23 transactions against a cap of 50: every channel holds at most 50 (the block
    that would pass it opens the next channel, nothing lost, blocks in order), and the default cap
    is the one docs/batches.md states (what one L1 transaction can decide, bench/span_checks.py)."""
    from eth_account import Account

    from genesis.dev_accounts import dev_accounts

    sender, receiver = dev_accounts()[:2]
    raw = bytes(Account.sign_transaction({"nonce": 0, "gas": 21_000, "to": receiver.address, "value": 1, "maxFeePerGas": 10**9,
                                          "maxPriorityFeePerGas": 1, "chainId": CHAIN_ID, "type": 2}, sender.private_key).raw_transaction)
    m = manager(max_channel_transactions=50, max_channel_blocks=64)
    sizes = [7 + (number * 5) % 17 for number in range(1, 41)]
    for number, size in enumerate(sizes, start=1):
        m.add_block(number, block_hash(number), batch(number, transactions=(raw,) * size), starts_epoch=number == 1)
    channels = [(c.first_block, c.last_block) for c in m.state.channels]
    held = [sum(sizes[first - 1:last]) for first, last in channels]
    assert len(channels) >= 8 and max(held) <= 50, held
    assert [first for first, _ in channels] == [1] + [last + 1 for _, last in channels[:-1]]  # no block lost or repeated
    assert all(h + sizes[last] > 50 for h, (_, last) in zip(held, channels))  # each closed when the next block would pass the cap
    assert BatcherConfig(batch_inbox="0x" + "ff" * 20).max_channel_transactions == 1_000  # two blocks at the bound
    with pytest.raises(ValueError, match="max_channel_transactions"):
        BatcherConfig(batch_inbox="0x" + "ff" * 20, max_channel_transactions=0)
