"""A channel too big for one L1 transaction read on L1 by stages (contracts/src/L1/derive/
ChannelStages.sol, driven by prover/channel_stages.py) against node's `read_channel`: the same
batches count (those before a break in the framing, none from a broken FastLZ stream or past the
10 MB cap), each batch taken back from the staged output segments is node's, byte for byte; each
refusal is named and leaves what L1 recorded as it was. Real anvil, real transactions: every stage
is an L1 transaction sent by the prover's driver through its `TxManager`."""

from __future__ import annotations

import random

import pytest
import rlp
from eth_utils import keccak
from web3.contract import Contract

from bridge.l1_client import L1Client
from bridge.tx_manager import TxManager
from node import fastlz
from node.channels import FASTLZ_CHANNEL_PREFIX, MAX_RLP_BYTES_PER_CHANNEL, ChannelBuilder, read_channel
from prover.channel_stages import (
    MAX_STAGED_CHANNEL_BYTES,
    ONE_TX_OUTPUT_BYTES,
    ChannelStageDriver,
    channel_output,
    needs_stages,
    progress_hash,
    segments_for,
    start_progress,
)
from tests.harness.evm import Contracts
from tests.node.test_channels import CHAIN_ID, CHANNEL_ID, TRANSFERS, blocks_of

CALL = {"gas": 1_000_000_000}
#: EIP-7825's cap on one L1 transaction's gas.
TX_GAS_CAP = 16_777_216
SELECTORS = {
    "none": b"\x00" * 4,
    "InvalidChannelFraming": keccak(b"InvalidChannelFraming()")[:4],
    "UnknownChannelCompression": keccak(b"UnknownChannelCompression()")[:4],
    "FastLZTruncated": keccak(b"FastLZTruncated(uint256)")[:4],
    "FastLZBadBackReference": keccak(b"FastLZBadBackReference(uint256,uint256,uint256)")[:4],
    "FastLZTooLarge": keccak(b"FastLZTooLarge(uint256)")[:4],
}


@pytest.fixture(scope="module")
def stages(contracts: Contracts) -> Contract:
    return contracts.deploy("ChannelStages")


@pytest.fixture(scope="module")
def l1(contracts: Contracts) -> L1Client:
    return L1Client(contracts.w3)


def span_batch(transfers: int) -> bytes:
    """A real span batch of signed transfers, as the batcher's channel carries it."""
    builder = ChannelBuilder(CHANNEL_ID, CHAIN_ID, span_batches=True, target_size=10**9, max_frame_data=10**6)
    for batch in blocks_of(TRANSFERS[:transfers]):
        builder.add_batch(batch, starts_epoch=True)
    [payload] = read_channel(builder.channel_bytes()).batches
    return payload


def channel_of(content: bytes) -> bytes:
    return bytes([FASTLZ_CHANNEL_PREFIX]) + fastlz.compress(content)


def stop_name(stop: bytes) -> str:
    return next(name for name, selector in SELECTORS.items() if selector == stop)


def node_stop(channel: bytes) -> str:
    error = read_channel(channel).error
    name = "none" if error is None else type(error).__name__
    return {"RetiredChannelCompression": "UnknownChannelCompression"}.get(name, name)  # BatchReader's one name


def driver_of(l1: L1Client, contracts: Contracts, stages: Contract, channel: bytes, budget: int, sender: int = 1) -> ChannelStageDriver:
    return ChannelStageDriver(l1, TxManager(l1, contracts.keys[sender]), stages.address, channel, stage_output_bytes=budget)


def read_by_stages(l1: L1Client, contracts: Contracts, stages: Contract, channel: bytes, budget: int,
                   sender: int = 1) -> list[dict]:
    receipts = driver_of(l1, contracts, stages, channel, budget, sender).run()
    assert all(r["status"] == 1 for r in receipts)
    return receipts


def assert_read_as_node(l1: L1Client, contracts: Contracts, stages: Contract, channel: bytes, budget: int, *,
                        check_batches_up_to: int = 120_000) -> int:
    """The staged read equals node's read_channel: batch count, stop reason, and each batch's bytes
    (up to `check_batches_up_to` bytes) taken back through `batch` as a fresh driver shows it."""
    contents = read_channel(channel)
    done, stop, batches, _ = stages.functions.readOf(keccak(channel)).call()
    assert done
    assert batches == len(contents.batches)
    assert stop_name(bytes(stop)) == node_stop(channel)
    driver = driver_of(l1, contracts, stages, channel, budget)
    for i, expected in enumerate(contents.batches):
        if len(expected) <= check_batches_up_to:
            shown = driver.staged_batch(i)
            assert bytes(stages.functions.batch(*shown.call_args()).call(CALL)) == expected
    return batches


def random_content(rng: random.Random, size: int, batch: bytes) -> list[bytes]:
    """Batches of every shape a channel can carry: real span batches, noise, long repeats, empty,
    single bytes (RLP's own one-byte strings), so items and headers straddle stage ends."""
    out: list[bytes] = []
    total = 0
    while total < size:
        kind = rng.randrange(6)
        if kind == 0:
            item = batch
        elif kind == 1:
            item = rng.randbytes(rng.randrange(1, 3_000))
        elif kind == 2:
            item = rng.choice([b"\x00", b"ab", b"\x7f\x80"]) * rng.randrange(1, 40_000)
        elif kind == 3:
            item = b""
        elif kind == 4:
            item = bytes([rng.randrange(0x80)])
        else:
            item = bytes([0x80 + rng.randrange(0x80)])
        out.append(item)
        total += len(item) + 4
    return out


BREAKS = ("none", "rlp-list", "cut-short", "non-canonical", "fastlz-truncated", "header-cut")


def broken(content: bytes, kind: str) -> bytes:
    """The channel of `content` with a break of `kind` after it (node's read_channel's cases)."""
    if kind == "rlp-list":
        return channel_of(content + rlp.encode([b"x", b"y"]) + rlp.encode(b"after the list"))
    if kind == "cut-short":
        return channel_of(content + rlp.encode(b"z" * 300)[:-7])
    if kind == "non-canonical":
        return channel_of(content + b"\x81\x05" + rlp.encode(b"after"))
    if kind == "fastlz-truncated":
        return channel_of(content) + b"\x1f\x00"  # a literal run of 32 bytes with 1 shown
    if kind == "header-cut":
        return channel_of(content + b"\xb9\x01")  # a long header missing its second length byte
    return channel_of(content)


@pytest.mark.parametrize("seed", [0])
def test_random_channels_read_by_small_stages_as_node(contracts: Contracts, stages: Contract, l1: L1Client, seed: int) -> None:
    """Stages of a few KB over random channels (items, headers and matches straddling every stage
    end), each broken in one of node's ways: the staged read is node's read_channel."""
    rng = random.Random(seed)
    batch = span_batch(10)
    for kind in BREAKS:
        content = b"".join(rlp.encode(b) for b in random_content(rng, rng.randrange(2_000, 30_000), batch))
        channel = broken(content, kind)
        budget = rng.choice([1_500, 6_000])
        read_by_stages(l1, contracts, stages, channel, budget=budget)
        count = assert_read_as_node(l1, contracts, stages, channel, budget)
        assert (count > 0) == (kind != "fastlz-truncated")


def test_a_dishonest_batchers_multi_mb_channel_read_by_stages(contracts: Contracts, stages: Contract, l1: L1Client) -> None:
    """A channel decoding to ~4.6 MB (real span batches among MB-long repeated batches: node reads
    it, one L1 transaction cannot): read in stages of 320 KB, each under the transaction cap; every
    batch node reads comes back from the staged segments; the read ends with the framing broken by
    an RLP list, the batches before it kept."""
    real = span_batch(25)
    content = [real, b"\x00" * 1_500_000, real[::-1], b"ab" * 900_000, real, b"\xff" * 1_200_000, b"", real]
    raw = b"".join(rlp.encode(b) for b in content) + rlp.encode([b"a list"]) + rlp.encode(real)
    channel = channel_of(raw)
    assert len(channel) <= MAX_STAGED_CHANNEL_BYTES and len(raw) > 4 * ONE_TX_OUTPUT_BYTES and needs_stages(channel)
    receipts = read_by_stages(l1, contracts, stages, channel, budget=320_000)
    gas = [r["gasUsed"] for r in receipts]
    print(f"\nmulti-MB channel: {len(channel):,} B in, {len(raw):,} B out, {len(receipts)} stages, "
          f"gas per stage max {max(gas):,} min {min(gas):,} total {sum(gas):,}")
    assert len(receipts) >= len(raw) // 320_000 and max(gas) < TX_GAS_CAP
    assert assert_read_as_node(l1, contracts, stages, channel, 320_000) == len(content) == 8
    assert node_stop(channel) == "InvalidChannelFraming"


def test_a_bomb_over_the_cap_gives_no_batch_and_one_within_it_its_batch(contracts: Contracts, stages: Contract, l1: L1Client) -> None:
    """Distance-1 matches, the costliest output per gas: a stream past 10 MB is refused whole
    (FastLZTooLarge, no batch, as node), one 2 MB batch of zeros within the cap is framed whole."""
    header = rlp.encode(b"\x00" * 2_000_000)[:4]  # one batch: its header, then 2 MB of matches
    within = bytes([FASTLZ_CHANNEL_PREFIX]) + fastlz.compress(header + b"\x00" * 2_000_000) + bytes([0x00, 0x42])
    receipts = read_by_stages(l1, contracts, stages, within, budget=320_000)
    gas = [r["gasUsed"] for r in receipts]
    print(f"\n2 MB bomb: {len(within):,} B in, {len(receipts)} stages, gas per stage max {max(gas):,}")
    assert max(gas) < TX_GAS_CAP
    assert assert_read_as_node(l1, contracts, stages, within, 320_000) == 2  # the 2 MB batch, then the byte 0x42

    big_header = bytes([0x03, 0xBA, 0x98, 0x96, 0x80])  # a literal: one batch of 10,000,000 bytes
    over = bytes([FASTLZ_CHANNEL_PREFIX]) + big_header + bytes([0xE0, 0xFF, 0x00]) * (MAX_RLP_BYTES_PER_CHANNEL // 264 + 1)
    assert len(over) <= MAX_STAGED_CHANNEL_BYTES and node_stop(over) == "FastLZTooLarge"
    receipts = read_by_stages(l1, contracts, stages, over, budget=320_000)
    gas = [r["gasUsed"] for r in receipts]
    print(f"10 MB bomb: {len(over):,} B in, {len(receipts)} stages, gas per stage max {max(gas):,} total {sum(gas):,}")
    assert max(gas) < TX_GAS_CAP
    assert assert_read_as_node(l1, contracts, stages, over, 320_000) == 0
    assert stop_name(bytes(stages.functions.readOf(keccak(over)).call()[1])) == "FastLZTooLarge"


def test_a_late_fastlz_error_drops_the_batches_framed_before_it(contracts: Contracts, stages: Contract, l1: L1Client) -> None:
    """A bad back-reference after 1.2 MB of well-framed batches: node refuses the whole channel,
    so the stages that framed them record no batch either."""
    real = span_batch(10)
    content = b"".join(rlp.encode(b) for b in [real, b"\x00" * 1_200_000, real])
    # a literal of one byte restarts nothing: a match reaching 8,192 back from a fresh stream would
    # be fine here, so the break is a truncated match instead (its distance byte missing)
    channel = channel_of(content) + bytes([0x20])
    assert node_stop(channel) == "FastLZTruncated"
    read_by_stages(l1, contracts, stages, channel, budget=320_000)
    assert assert_read_as_node(l1, contracts, stages, channel, 320_000) == 0
    other = bytes([FASTLZ_CHANNEL_PREFIX, 0x00, 0x41, 0x3F, 0xFF])  # one byte out, then a match 16,384 back
    read_by_stages(l1, contracts, stages, other, budget=1_000)
    assert node_stop(other) == "FastLZBadBackReference" and assert_read_as_node(l1, contracts, stages, other, 1_000) == 0
    unknown = bytes([0x05]) + fastlz.compress(rlp.encode(real))
    read_by_stages(l1, contracts, stages, unknown, budget=1_000)
    assert stop_name(bytes(stages.functions.readOf(keccak(unknown)).call()[1])) == "UnknownChannelCompression"
    assert assert_read_as_node(l1, contracts, stages, unknown, 1_000) == 0


def test_a_stage_of_tiny_batches_fits_by_a_smaller_budget(contracts: Contracts, stages: Contract, l1: L1Client) -> None:
    """100 KB of one-byte batches (RLP's bytes below 0x80, each its own item, as node reads them):
    framing costs a keccak a batch, so the driver halves a stage's budget until its gas fits; every
    stage under the cap, and batches from the middle and the end read back as node's."""
    content = bytes(range(0x7F)) * 800
    channel = channel_of(content)
    receipts = read_by_stages(l1, contracts, stages, channel, budget=320_000)
    gas = [r["gasUsed"] for r in receipts]
    print(f"\n{len(content):,} one-byte batches: {len(receipts)} stages, gas per stage max {max(gas):,}")
    assert max(gas) < TX_GAS_CAP and len(receipts) > 1
    batches = read_channel(channel).batches
    assert stages.functions.readOf(keccak(channel)).call()[2] == len(batches) == len(content)
    driver = driver_of(l1, contracts, stages, channel, 320_000)
    for i in (0, 50_001, len(content) - 1):
        shown = driver.staged_batch(i)
        assert bytes(stages.functions.batch(*shown.call_args()).call(CALL)) == batches[i]


def recorded(stages: Contract, channel: bytes) -> tuple:
    """What L1 holds of a channel's staged read: its read and the first segments' hashes."""
    h = keccak(channel)
    return (tuple(stages.functions.readOf(h).call()),
            tuple(bytes(stages.functions.segmentHash(h, k).call()) for k in range(4)))


def test_each_refusal_named_and_nothing_recorded(contracts: Contracts, stages: Contract, l1: L1Client) -> None:
    """A stage out of order, a forged stage state (another window, another channel, a made-up
    progress), an empty budget, a batch asked for before the read's end, bounds the stages did not
    frame, a wrong output range, a segment that is not the output, a batch past the last: each
    refused by name (sent, mined and reverted), L1's records as before; the honest stages then read
    the channel as node does."""
    real = span_batch(10)
    content = b"".join(rlp.encode(b) for b in [real, b"\x07" * 40_000, real, b"\x00" * 30_000])
    channel = channel_of(content)
    output = channel_output(channel)
    h = keccak(channel)
    budget = 16_000
    start = start_progress(channel)
    first = tuple(stages.functions.decodeStage(start, channel, b"", budget).call(CALL))
    before = recorded(stages, channel)

    def refused(call, name: str) -> tuple:
        assert contracts.revert_of(2, call)[0] == name
        receipt = contracts.send(2, call, gas=5_000_000)  # sent and mined: reverted, nothing recorded
        assert receipt["status"] == 0
        assert recorded(stages, channel) == before
        return contracts.revert_of(2, call)[1]

    def window(progress: tuple) -> bytes:
        return output[max(0, progress[2] - 8192):progress[2]]

    # a stage out of order: the second stage's, before the first stage is on L1
    assert refused(stages.functions.decodeStage(first, channel, window(first), budget), "ProgressNotReached") == (progress_hash(first),)
    assert not stages.functions.reached(progress_hash(first)).call()
    # a made-up progress further on
    made_up = (h, 5_000, 500_000, keccak(b"w"), 3, 500_001, b"\x01" * 32)
    refused(stages.functions.decodeStage(made_up, channel, b"w", budget), "ProgressNotReached")
    # another channel under this channel's start; a window where there is none yet; no budget
    refused(stages.functions.decodeStage(start, channel + b"\x00", b"", budget), "ChannelNotShown")
    refused(stages.functions.decodeStage(start, channel, b"\x00", budget), "WindowNotShown")
    refused(stages.functions.decodeStage(start, channel, b"", 0), "EmptyStageBudget")

    contracts.ok(1, stages.functions.decodeStage(start, channel, b"", budget))
    assert stages.functions.reached(progress_hash(first)).call()
    before = recorded(stages, channel)
    # a forged window on the recorded progress: one byte changed
    forged = bytearray(window(first))
    forged[100] ^= 1
    assert refused(stages.functions.decodeStage(first, channel, bytes(forged), budget), "WindowNotShown")[0] == first[3]
    # a batch before the read's end
    refused(stages.functions.batch(start, first, 0, [], []), "ChannelNotRead")

    read_by_stages(l1, contracts, stages, channel, budget=budget)
    assert assert_read_as_node(l1, contracts, stages, channel, budget) == 4
    before = recorded(stages, channel)
    shown = driver_of(l1, contracts, stages, channel, budget).staged_batch(1)
    ok = shown.call_args()
    assert bytes(stages.functions.batch(*ok).call(CALL)) == b"\x07" * 40_000
    # bounds the stages did not frame: one moved by a byte; one left out; progresses around another batch
    moved = list(shown.bounds)
    moved[0] += 1
    assert refused(stages.functions.batch(shown.start, shown.end, 1, moved, list(shown.segments)), "BoundsNotFramed")[0] == 1
    refused(stages.functions.batch(shown.start, shown.end, 1, list(shown.bounds)[:-1], list(shown.segments)), "BoundsNotFramed")
    later = driver_of(l1, contracts, stages, channel, budget).staged_batch(3)
    if later.start != shown.start:
        refused(stages.functions.batch(later.start, later.end, 1, list(later.bounds), list(shown.segments)), "BoundsNotFramed")
    # a progress never recorded as the end
    refused(stages.functions.batch(shown.start, made_up, 1, list(shown.bounds), list(shown.segments)), "ProgressNotReached")
    # a wrong output range: a segment left out, one too many
    start_at = shown.bounds[1 - shown.start[4]] >> 128
    segments = list(shown.segments)
    assert refused(stages.functions.batch(shown.start, shown.end, 1, list(shown.bounds), segments[:-1]), "WrongOutputRange") == (
        1, start_at // 8192, len(segments), len(segments) - 1)
    refused(stages.functions.batch(shown.start, shown.end, 1, list(shown.bounds), segments + [output[:8192]]), "WrongOutputRange")
    # the right number of segments, one of them not the output recorded there (shifted by a byte)
    shifted = list(segments)
    shifted[0] = output[start_at // 8192 * 8192 + 1:(start_at // 8192 + 1) * 8192 + 1]
    assert refused(stages.functions.batch(shown.start, shown.end, 1, list(shown.bounds), shifted), "SegmentNotRead")[0] == start_at // 8192
    refused(stages.functions.batch(shown.start, shown.end, 4, list(shown.bounds), []), "NoSuchBatch")
    assert bytes(stages.functions.batch(*ok).call(CALL)) == b"\x07" * 40_000
