"""Channels decoded ahead in the worker process (`node.derive.decode_ahead`): an answer is taken
only for the very bytes it was computed from and equals decoding in the node process, senders
and py-evm transaction objects included; a stranger's channel, a guess the bank never reads, or
a dead worker change nothing but who decodes; and derivation over the L1 prefetcher, which feeds
it, reaches the same chain."""

from __future__ import annotations

import os
import signal
from typing import Iterator

import pytest
import rlp
from eth_keys.exceptions import BadSignature

from node.batches import SingularBatch, SpanBatch, encode_batch
from node.chain import Chain
from node.channels import MAX_RLP_BYTES_PER_CHANNEL, ChannelBuilder, Frame, channel_id, encode_batcher_tx_data, encode_channel, split_channel
from node.derive.decode_ahead import ChannelsAhead, DecodedChannel, batch_transactions, decode_channel
from node.derive.l1_prefetch import PrefetchingL1Source
from node.derive.l1_source import InboxTransaction
from node.derive.pipeline import DerivationPipeline
from node.tx_sender import RecoveredAhead, sender_of_encoding
from node.vm import LantauVM
from node.worker_process import SECOND_CORE, WorkerProcess
from tests.harness.l1_history import BATCHER, STRANGER
from tests.node.derive.sequencing import GENESIS, Batcher, config
from tests.node.derive.test_pipeline import Scenario, assert_same_chain, derive_all

CHAIN_ID = GENESIS.chain_id


@pytest.fixture(scope="module")
def worker() -> Iterator[WorkerProcess]:
    worker = WorkerProcess()
    worker.start().result(timeout=120)
    yield worker
    worker.close()


def span_channel(blocks: list, identity: bytes) -> tuple[bytes, list[Frame]]:
    builder = ChannelBuilder(channel_id=identity, chain_id=CHAIN_ID, span_batches=True, target_size=10**9, max_frame_data=400)
    for block in blocks:
        builder.add_block(block)
    return builder.channel_bytes(), builder.frames()


def inbox(frames: list[Frame], sender: bytes = BATCHER) -> list[InboxTransaction]:
    return [InboxTransaction(index, sender, encode_batcher_tx_data([frame])) for index, frame in enumerate(frames)]


def local(channel: bytes) -> DecodedChannel:
    return decode_channel(channel, MAX_RLP_BYTES_PER_CHANNEL, CHAIN_ID, False)


@pytest.fixture(scope="module")
def sequenced_blocks() -> list:
    scenario = Scenario(Batcher())
    for _ in range(2):
        scenario.run_round()
    assert sum(len(b.transactions) for b in scenario.blocks) >= 6
    return scenario.blocks


def test_a_channel_assembled_ahead_is_decoded_by_the_worker_with_its_senders(worker: WorkerProcess, sequenced_blocks: list) -> None:
    recovered = RecoveredAhead(worker)
    ahead = ChannelsAhead(chain_id=CHAIN_ID, max_decompressed_size=MAX_RLP_BYTES_PER_CHANNEL, batcher=BATCHER,
                          worker=worker, recovered=recovered)
    channel, frames = span_channel(sequenced_blocks, channel_id(0, b"\x01" * 8))
    assert len(frames) >= 3
    # Frames arrive over two L1 blocks, last frame first: assembled by number all the same.
    ahead.offer(inbox(frames[::-1][:2]))
    ahead.offer(inbox(frames[::-1][2:]))

    answer = ahead.decoded(channel)

    assert ahead.taken == 1
    mine = local(channel)
    assert (answer.batches, answer.dropped, answer.batches_read, answer.channel_error) == (
        mine.batches, mine.dropped, mine.batches_read, mine.channel_error)
    assert len(answer.batches) == 1 and isinstance(answer.batches[0], SpanBatch)
    raws = batch_transactions(answer.batches[0])
    assert raws == [tx.encode() for block in sequenced_blocks for tx in block.transactions if tx.type_id != 0x7E]
    typed = [raw for raw in raws if raw[0] in (1, 2)]
    assert dict(answer.senders) == {raw: sender_of_encoding(raw) for raw in typed} and typed
    # The py-evm transactions wait for execution, each the object LantauVM's builder makes of
    # its bytes, with its hash and sender on it already (cached properties, filled by the worker
    # before anything here asked), so they wait in no RecoveredAhead.
    builder = LantauVM.get_transaction_builder()
    assert [raw for raw, _ in answer.transactions] == raws
    for raw, tx in answer.transactions:
        mine_tx = builder.decode(raw)
        assert type(tx) is type(mine_tx) and tx == mine_tx and tx.encode() == raw
        assert tx.hash == mine_tx.hash
        if raw in typed:  # a legacy one's sender is py-evm's own (and its hash cached by rlp)
            assert tx.__dict__["hash"] == mine_tx.hash and tx.__dict__["sender"] == mine_tx.sender == sender_of_encoding(raw)
    assert all(recovered.take(raw) is None for raw in typed)
    taken = [ahead.transaction(raw) for raw in raws]
    assert ahead.transactions_taken == len(raws)
    assert all(tx is ahead_tx for tx, (_, ahead_tx) in zip(taken, answer.transactions))
    # Taken once: asked again, the same bytes are decoded here, to an equal object.
    again = ahead.transaction(raws[0])
    assert again is not taken[0] and again == taken[0] and ahead.transactions_taken == len(raws)


def test_a_signature_no_key_recovers_from_crosses_without_a_sender_and_execution_refuses_it(worker: WorkerProcess, sequenced_blocks: list) -> None:
    """r = 5 is no curve point's x coordinate (5**3 + 7 = 132 is not a square modulo the field
    prime), so no key recovers from the signature: the worker hands the transaction over without
    a sender, and asking for it raises eth-keys' BadSignature, as for a transaction decoded here."""
    good = next(tx.encode() for block in sequenced_blocks for tx in block.transactions if tx.type_id == 2)
    fields = rlp.decode(good[1:])
    unrecoverable = good[:1] + rlp.encode([*fields[:-2], b"\x05", fields[-1]])
    parent = sequenced_blocks[0].header
    channel = encode_channel([encode_batch(SingularBatch(parent.hash, 0, b"\x22" * 32, parent.timestamp + 1, (good, unrecoverable)))])
    ahead = ChannelsAhead(chain_id=CHAIN_ID, max_decompressed_size=MAX_RLP_BYTES_PER_CHANNEL, batcher=BATCHER,
                          worker=worker, recovered=RecoveredAhead(worker))

    answer = worker.submit(decode_channel, channel, MAX_RLP_BYTES_PER_CHANNEL, CHAIN_ID, True).result(timeout=60)

    assert batch_transactions(answer.batches[0]) == [good, unrecoverable]
    assert dict(answer.senders) == {good: sender_of_encoding(good)}
    carried = dict(answer.transactions)
    assert carried[good].__dict__["sender"] == sender_of_encoding(good)
    assert "sender" not in carried[unrecoverable].__dict__
    with pytest.raises(BadSignature):
        carried[unrecoverable].sender
    with pytest.raises(BadSignature):
        LantauVM.get_transaction_builder().decode(unrecoverable).sender
    assert ahead.taken == 0


def test_a_transaction_no_worker_decoded_is_decoded_here_errors_included(worker: WorkerProcess, sequenced_blocks: list) -> None:
    ahead = ChannelsAhead(chain_id=CHAIN_ID, max_decompressed_size=MAX_RLP_BYTES_PER_CHANNEL, batcher=BATCHER,
                          worker=worker, recovered=RecoveredAhead(worker))
    channel, frames = span_channel(sequenced_blocks, channel_id(0, b"\x07" * 8))
    ahead.offer(inbox(frames))
    raws = batch_transactions(ahead.decoded(channel).batches[0])
    # Bytes no builder decodes: the builder's own error, as without decoding ahead ...
    garbage = b"\x02" + b"\xc3\x01\x02"
    with pytest.raises(rlp.DecodingError):
        LantauVM.get_transaction_builder().decode(garbage)
    with pytest.raises(rlp.DecodingError):
        ahead.transaction(garbage)
    # ... and what the worker decoded is still there, untouched.
    assert ahead.transactions_taken == 0
    assert [ahead.transaction(raw).encode() for raw in raws] == raws and ahead.transactions_taken == len(raws)


def test_other_bytes_a_stranger_or_a_dead_worker_decode_in_the_node_process(worker: WorkerProcess, sequenced_blocks: list) -> None:
    ahead = ChannelsAhead(chain_id=CHAIN_ID, max_decompressed_size=MAX_RLP_BYTES_PER_CHANNEL, batcher=BATCHER,
                          worker=worker, recovered=RecoveredAhead(worker))
    # A stranger's frames are never assembled: its channel is decoded here if the bank ever reads it.
    channel, frames = span_channel(sequenced_blocks[:3], channel_id(0, b"\x02" * 8))
    ahead.offer(inbox(frames, sender=STRANGER))
    assert ahead.decoded(channel) == local(channel) and ahead.taken == 0

    # A channel with a malformed second batch: the answer names it as the node process would.
    good = encode_batch(SingularBatch(b"\x11" * 32, 0, b"\x22" * 32, 5, ()))
    bad_channel = encode_channel([good, b"\x01\xff\xff"])
    ahead.offer(inbox(split_channel(channel_id(0, b"\x03" * 8), bad_channel, 10_000)))
    answer = ahead.decoded(bad_channel)
    assert ahead.taken == 1
    assert answer == local(bad_channel) and answer.dropped and answer.dropped[0][0] == 1
    assert len(answer.batches) == 1

    # Bytes that differ from every guess (the bank's channel is what counts): decoded here.
    other, other_frames = span_channel(sequenced_blocks[:2], channel_id(0, b"\x04" * 8))
    ahead.offer(inbox(other_frames[:-1]))  # the last frame never read ahead
    assert ahead.decoded(other) == local(other) and ahead.taken == 1

    # The worker dies with a decoding under way (or before it was sent): decoded here, and a
    # new worker takes the next one.
    channel, frames = span_channel(sequenced_blocks, channel_id(0, b"\x05" * 8))
    os.kill(worker.pid, signal.SIGKILL)
    ahead.offer(inbox(frames))
    assert ahead.decoded(channel) == local(channel)
    worker.start().result(timeout=120)
    channel, frames = span_channel(sequenced_blocks[1:], channel_id(0, b"\x06" * 8))
    ahead.offer(inbox(frames))
    decoded = ahead.decoded(channel)
    assert decoded.batches == local(channel).batches and ahead.taken == 2


def test_derivation_over_the_prefetcher_takes_channels_decoded_ahead() -> None:
    scenario = Scenario(Batcher(span_batches=True, max_frame_data=500), split_channels=True)
    for _ in range(4):
        scenario.run_round()
    scenario.flush()
    SECOND_CORE.start().result(timeout=120)
    try:
        verifier = Chain.open(None, GENESIS)
        pipeline = DerivationPipeline(config(), PrefetchingL1Source(scenario.l1, inbox=config().batch_inbox, depth=3), verifier)
        derived = derive_all(pipeline)
        assert [d.header.hash for d in derived] == [b.header.hash for b in scenario.blocks]
        assert_same_chain(verifier, scenario.blocks)
        # Each round's channel was read ahead (block 0, read directly, holds no channel), and
        # every batched transaction executed was the worker's decoding.
        assert pipeline.channels_ahead.taken == 4
        batched = [tx for b in scenario.blocks for tx in b.transactions if tx.type_id != 0x7E]
        assert batched and pipeline.channels_ahead.transactions_taken == len(batched)
    finally:
        SECOND_CORE.close()
