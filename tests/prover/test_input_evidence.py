"""`prover.input_evidence` without a chain: which L1 headers the evidence shows for the oracle to
rebuild the L1-info deposit from; which batcher data the frame stage drops whole; the found batch's
evidence (its channel whole, the L1 block it was read in). (On a real anvil:
tests/e2e/test_input_oracle.py.)"""

from __future__ import annotations

import dataclasses

from eth_abi import encode as abi_encode
from eth_typing import Address
from eth_utils import keccak

from genesis.rollup_config import CHANNEL_TIMEOUT
from node.batch_inbox import BLOBS_KIND
from node.batches import SingularBatch, encode_batch
from node.blobs import blob_versioned_hash, encode_blob
from node.channels import Frame, channel_id, encode_batcher_tx_data, encode_channel
from node.derive.l1_source import InboxTransaction
from prover.input_evidence import (
    BATCH_EVIDENCE_ABI, InboxBlock, PostedFrame, find_batch, inbox_block, origin_chain_numbers, parent_origin_number,
)

TIMEOUT = CHANNEL_TIMEOUT


def test_the_origin_chain_ends_at_the_parents_origin_through_the_next_l1_block() -> None:
    """Block n's parent's origin: the block's own (a later block of the origin), the one before (the
    origin's first block), the start block at L2 genesis (block 1); the chain shows the next L1
    block whenever L1 has it, newest first."""
    assert parent_origin_number(7, 40, 3) == 40
    assert parent_origin_number(7, 41, 0) == 40
    assert parent_origin_number(1, 12, 0) == 12
    assert origin_chain_numbers(40, 45) == [41, 40]
    assert origin_chain_numbers(40, 41) == [41, 40]
    assert origin_chain_numbers(40, 40) == [40]


def test_a_batch_that_does_not_decode_is_passed_over_as_derivation_drops_it() -> None:
    """The batcher's channel carries a batch that does not decode, then the block's batch: the
    evidence gatherer finds the block's batch (it raised MalformedBatch before, so the challenger
    could gather no evidence for any block whose window held such a channel), and a channel with
    only the undecodable batch carries no block."""
    batch = SingularBatch(keccak(b"parent"), 7, keccak(b"origin"), 1_000, ())
    undecodable = b"\x00\xc1\x80"  # a singular batch that is not an RLP list of five
    both = encode_batcher_tx_data([Frame(channel_id(9, b"\x01" * 8), 0, encode_channel([undecodable, encode_batch(batch)]), True)])
    alone = encode_batcher_tx_data([Frame(channel_id(9, b"\x02" * 8), 0, encode_channel([undecodable]), True)])
    # one channel completed an L1 block (node/derive/channel_bank.py): the second in block 10
    inbox = [InboxBlock(9, [(0, keccak(alone))], [alone]), InboxBlock(10, [(0, keccak(both))], [both])]
    evidence = find_batch(inbox, 1_000, chain_id=4852, channel_timeout=TIMEOUT)
    assert evidence is not None
    assert (evidence.batch_index, evidence.block_index, evidence.posted) == (1, 0, (PostedFrame(10, 0, 0),))
    # the channel's bytes shown whole, read in its last frame's L1 block; `found` their batch's leaf
    assert (evidence.channel, evidence.inclusion) == (encode_channel([undecodable, encode_batch(batch)]), 10)
    assert evidence.batch() == encode_batch(batch)
    assert evidence.found() == keccak(abi_encode(["bytes32", "uint256"], [keccak(encode_batch(batch)), 10]))
    assert find_batch(inbox[:1], 999, chain_id=4852, channel_timeout=TIMEOUT) is None


def test_the_found_batch_is_found_in_the_l1_block_derivation_read_it_in() -> None:
    """A channel of three frames over two L1 blocks (one frame in a transaction of its own, two in
    the next block's): the evidence is the channel whole, read in the last frame's block; a `found`
    naming a later block (a channel read late, which one completion a block rules out: docs/batches.md
    "No backlog of channels") or an earlier one gives none, nor does a channel completed before
    `included_from` (the block's L1 origin)."""
    batch = SingularBatch(keccak(b"parent"), 7, keccak(b"origin"), 1_000, ())
    channel = encode_channel([encode_batch(batch)])
    frames = [Frame(channel_id(11, b"\x03" * 8), n, channel[n * 10:(n + 1) * 10] if n < 2 else channel[20:], n == 2) for n in range(3)]
    first, rest = encode_batcher_tx_data(frames[:1]), encode_batcher_tx_data(frames[1:])
    inbox = [InboxBlock(11, [(0, keccak(first))], [first]), InboxBlock(12, [(0, keccak(rest))], [rest])]
    evidence = find_batch(inbox, 1_000, chain_id=4852, channel_timeout=TIMEOUT)
    assert evidence is not None
    assert (evidence.channel, evidence.inclusion, evidence.last_frame_block()) == (channel, 12, 12)
    assert evidence.posted == (PostedFrame(11, 0, 0), PostedFrame(12, 0, 0), PostedFrame(12, 0, 0))
    assert find_batch(inbox, 1_000, chain_id=4852, channel_timeout=TIMEOUT, found=evidence.found(), included_from=12) == evidence
    for inclusion in (11, 13, 14):
        assert find_batch(inbox, 1_000, chain_id=4852, channel_timeout=TIMEOUT, found=dataclasses.replace(evidence, inclusion=inclusion).found()) is None
    assert find_batch(inbox, 1_000, chain_id=4852, channel_timeout=TIMEOUT, included_from=13) is None


def test_a_channel_id_used_again_is_another_channel() -> None:
    """A channel id used again after its channel was whole (both within the blocks the id names,
    so node's bank reads the first channel in L1 block 9 and the second in 10): the evidence is the
    second channel, the one carrying the block's batch (before, the id's frames were merged and
    the first channel's frame 0 hid the second's: no evidence for a block node derived)."""
    x = channel_id(9, b"\x05" * 8)
    other = SingularBatch(keccak(b"other parent"), 7, keccak(b"origin"), 999, ())
    batch = SingularBatch(keccak(b"parent"), 7, keccak(b"origin"), 1_000, ())
    first = encode_batcher_tx_data([Frame(x, 0, encode_channel([encode_batch(other)]), True)])
    second = encode_batcher_tx_data([Frame(x, 0, encode_channel([encode_batch(batch)]), True)])
    inbox = [InboxBlock(9, [(0, keccak(first))], [first]), InboxBlock(10, [(0, keccak(second))], [second])]
    evidence = find_batch(inbox, 1_000, chain_id=4852, channel_timeout=TIMEOUT)
    assert evidence is not None and evidence.batch() == encode_batch(batch)
    assert (evidence.inclusion, evidence.posted) == (10, (PostedFrame(10, 0, 0),))
    earlier = find_batch(inbox, 999, chain_id=4852, channel_timeout=TIMEOUT)
    assert earlier is not None and earlier.batch() == encode_batch(other) and earlier.inclusion == 9


def test_a_channel_over_three_blobs_is_shown_as_its_bytes() -> None:
    """A blob batcher transaction of three blobs, a frame of the channel in each (the real blobs, KZG
    commitments and proofs: `inbox_block`): the evidence is the channel's bytes, read from the three
    blobs as derivation reads them, and `InputOracle`'s evidence carries no blob (before, one whole
    131,072-byte blob per frame: three blobs' calldata in one L1 transaction)."""
    batch = SingularBatch(keccak(b"parent"), 7, keccak(b"origin"), 1_000, ())
    channel = encode_channel([encode_batch(batch)])
    cut = [0, len(channel) // 3, 2 * len(channel) // 3, len(channel)]
    blobs = [encode_blob(encode_batcher_tx_data([Frame(channel_id(21, b"\x04" * 8), n, channel[cut[n]:cut[n + 1]], n == 2)])) for n in range(3)]
    tx = InboxTransaction(index=0, sender=Address(bytes(20)), data=b"", tx_type=3,
                          blob_versioned_hashes=tuple(blob_versioned_hash(blob) for blob in blobs))
    evidence = find_batch([inbox_block(21, [tx], [blobs])], 1_000, chain_id=4852, channel_timeout=TIMEOUT)
    assert evidence is not None
    assert (evidence.channel, evidence.batch(), evidence.inclusion) == (channel, encode_batch(batch), 21)
    assert evidence.posted == tuple(PostedFrame(21, 0, BLOBS_KIND) for _ in range(3))
    shown = abi_encode([BATCH_EVIDENCE_ABI], [evidence.as_abi()])
    assert len(channel) < len(shown) < len(channel) + 32 * 8  # the channel and four words, no blob


def test_frames_the_bank_refuses_hide_no_channel_it_reads() -> None:
    """Issue 15: channel x's id names L1 block 10. A hostile frame 0 of x lands in block 9 (before the
    block its id names: node's bank drops it), and channel y (id of block 10, opened in 10, ahead of x
    in the bank's order) completes in block 11 right after x does (a second completion in one block:
    the bank drops y). Node's bank reads x in 11, and the evidence is x's batch, posted where x's one
    frame landed. Before (the prover assembled channels itself, blind to both rules), the hostile
    frame took x's place, x never completed, and the evidence was y's batch, or none with x's `found`."""
    x, y = channel_id(10, b"\x06" * 8), channel_id(10, b"\x07" * 8)
    batch = SingularBatch(keccak(b"parent"), 10, keccak(b"origin"), 1_000, ())
    hostile = SingularBatch(keccak(b"another parent"), 10, keccak(b"origin"), 1_000, ())
    x_channel, y_channel = encode_channel([encode_batch(batch)]), encode_channel([encode_batch(hostile)])
    early = encode_batcher_tx_data([Frame(x, 0, y_channel[:5], False)])
    y_open = encode_batcher_tx_data([Frame(y, 0, y_channel[:5], False)])
    x_whole = encode_batcher_tx_data([Frame(x, 0, x_channel, True)])
    y_close = encode_batcher_tx_data([Frame(y, 1, y_channel[5:], True)])
    inbox = [InboxBlock(9, [(0, keccak(early))], [early]), InboxBlock(10, [(0, keccak(y_open))], [y_open]),
             InboxBlock(11, [(0, keccak(x_whole)), (0, keccak(y_close))], [x_whole, y_close])]
    evidence = find_batch(inbox, 1_000, chain_id=4852, channel_timeout=TIMEOUT, included_from=10)
    assert evidence is not None and evidence.batch() == encode_batch(batch)
    assert (evidence.channel, evidence.inclusion, evidence.posted) == (x_channel, 11, (PostedFrame(11, 0, 0),))
    assert find_batch(inbox, 1_000, chain_id=4852, channel_timeout=TIMEOUT, found=evidence.found()) == evidence
    y_found = dataclasses.replace(evidence, channel=y_channel).found()  # y's batch, had the bank read y in 11
    assert find_batch(inbox, 1_000, chain_id=4852, channel_timeout=TIMEOUT, found=y_found) is None
    # the bank replayed from the first block given: from block 10 on (the hostile frame unseen), the same
    assert find_batch(inbox[1:], 1_000, chain_id=4852, channel_timeout=TIMEOUT) == evidence
