"""The L1 FastLZ decoder (contracts/src/L1/lib/FastLZ.sol) against node/fastlz.py: the same
channels decode to the same bytes, the same bad streams are refused under the same names, and
the Python compressor writes Solady's `LibZip.flzCompress` bytes exactly."""

from __future__ import annotations

import os
import random

import pytest
import rlp
from web3.contract import Contract

from node import fastlz
from node.batches import SpanBatch, decode_batch
from node.channels import FASTLZ_CHANNEL_PREFIX, MAX_FRAME_DATA, MAX_RLP_BYTES_PER_CHANNEL, ChannelBuilder, read_channel
from node.errors import CodecError
from tests.harness.evm import Contracts
from tests.node.test_channels import CHAIN_ID, CHANNEL_ID, TRANSFERS, blocks_of

CALL = {"gas": 1_000_000_000}
#: The decoder's own differential, on streams past the chain's channel bounds (node/channels.py):
#: a full calldata frame of FastLZ decodes to ~169 KB.
FRAME_OUTPUT_CAP = 1_000_000


@pytest.fixture(scope="module")
def harness(contracts: Contracts) -> Contract:
    return contracts.deploy("FastLZHarness")


def l1_decode(harness: Contract, channel: bytes, max_size: int = MAX_RLP_BYTES_PER_CHANNEL) -> bytes:
    return bytes(harness.functions.decodeChannel(channel, max_size).call(CALL))


def random_data(rng: random.Random, size: int) -> bytes:
    """Mixed text, repeats, zero runs and noise: every instruction kind, overlapping matches too."""
    out = bytearray()
    while len(out) < size:
        kind = rng.randrange(4)
        if kind == 0:
            out += rng.randbytes(rng.randrange(1, 80))
        elif kind == 1:
            out += bytes(rng.randrange(1, 600))
        elif kind == 2 and out:
            start = rng.randrange(len(out))
            out += out[start:start + rng.randrange(3, 400)]
        else:
            out += rng.choice([b"ab", b"xyz", b"\xff"]) * rng.randrange(1, 200)
    return bytes(out[:size])


@pytest.mark.parametrize("size", [0, 1, 12, 13, 14, 31, 32, 33, 100, 4_000, 20_000])
def test_random_streams_decode_alike_and_compress_as_solady(harness: Contract, size: int) -> None:
    rng = random.Random(size)
    for _ in range(3):
        data = random_data(rng, size)
        stream = fastlz.compress(data)
        assert bytes(harness.functions.soladyFlzCompress(data).call(CALL)) == stream
        assert l1_decode(harness, bytes([FASTLZ_CHANNEL_PREFIX]) + stream) == data == fastlz.decompress(stream, size)


def test_a_full_frame_of_real_span_batches_decodes_alike(harness: Contract) -> None:
    """Channels of span batches of real signed transfers, the largest over a calldata frame
    (120 KB) of FastLZ: the L1 decoder gives the bytes the Python reader splits into batches."""
    batches = blocks_of(TRANSFERS)  # 500 transfers
    builder = ChannelBuilder(CHANNEL_ID, CHAIN_ID, span_batches=True, target_size=10**9, max_frame_data=MAX_FRAME_DATA,
                             max_decompressed_size=FRAME_OUTPUT_CAP)
    for batch in batches:
        builder.add_batch(batch, starts_epoch=True)
    small = builder.channel_bytes()
    # a frame's worth: the same blocks' content repeated with fresh noise (signatures) each time
    rng = random.Random(7)
    content = builder.rlp_batches()
    big = b"".join(content[:-64] + rng.randbytes(64) for _ in range(3))
    for channel in (small, bytes([FASTLZ_CHANNEL_PREFIX]) + fastlz.compress(big)):
        decoded = l1_decode(harness, channel, FRAME_OUTPUT_CAP)
        contents = read_channel(channel, max_decompressed_size=FRAME_OUTPUT_CAP)
        assert contents.error is None or channel is not small
        assert decoded == b"".join(rlp.encode(batch) for batch in contents.batches) or contents.error is not None
        assert decoded == fastlz.decompress(channel[1:], FRAME_OUTPUT_CAP)
    assert len(channel) > 120_000
    [payload] = read_channel(small, max_decompressed_size=FRAME_OUTPUT_CAP).batches
    assert decode_batch(payload, chain_id=CHAIN_ID) == SpanBatch.from_singular_batches(batches, chain_id=CHAIN_ID, starts_epoch=True)


BAD_STREAMS = [
    (b"\x1f" + bytes(31), "FastLZTruncated"),  # literal run of 32, 31 bytes
    (b"\x00a\x20", "FastLZTruncated"),  # short match without its distance byte
    (b"\x00a\xe0\x00", "FastLZTruncated"),  # long match without its distance byte
    (b"\x02abc\x20\x03", "FastLZBadBackReference"),  # 4 bytes back, 3 written
    (b"\xe0\x00\x00", "FastLZBadBackReference"),  # a match first
    (b"\x00a\x3f\xff", "FastLZBadBackReference"),  # 8192 back
]


@pytest.mark.parametrize("stream, error", BAD_STREAMS, ids=[e + "-" + s.hex() for s, e in BAD_STREAMS])
def test_bad_streams_are_refused_by_name_on_both_sides(contracts: Contracts, harness: Contract, stream: bytes, error: str) -> None:
    with pytest.raises(CodecError) as raised:
        fastlz.decompress(stream, 1_000)
    assert type(raised.value).__name__ == error
    name, args = contracts.revert_of(0, harness.functions.decodeChannel(bytes([FASTLZ_CHANNEL_PREFIX]) + stream, 1_000))
    assert name == error
    if error == "FastLZBadBackReference":
        assert args == (raised.value.position, raised.value.distance, raised.value.produced)
    else:
        assert args == (raised.value.position,)


def test_a_bomb_is_refused_on_both_sides(contracts: Contracts, harness: Contract) -> None:
    """~264 output bytes per 3 stream bytes: a frame of matches decodes to ~10 MB. The L1 call is
    given a 1 MB cap: memory for 10 MB would cost ~190M gas, so one call cannot reach the 10 MB
    channel cap (docs/fault-proofs.md: such a channel needs the staged decoder)."""
    stream = b"\x00\x00" + bytes([0xE0, 0xFF, 0x00]) * 40_000
    with pytest.raises(fastlz.FastLZTooLarge):
        fastlz.decompress(stream, 1_000_000)
    assert contracts.revert_of(0, harness.functions.decodeChannel(bytes([FASTLZ_CHANNEL_PREFIX]) + stream, 1_000_000)) == (
        "FastLZTooLarge", (1_000_000,))
    # one byte over a small cap, in a literal run and in a match
    assert contracts.revert_of(0, harness.functions.decodeChannel(b"\x02\x01ab", 1)) == ("FastLZTooLarge", (1,))
    assert contracts.revert_of(0, harness.functions.decodeChannel(b"\x02\x00a\x20\x00", 3)) == ("FastLZTooLarge", (3,))
    assert l1_decode(harness, b"\x02\x00a\x20\x00", 4) == b"aaaa" == fastlz.decompress(b"\x00a\x20\x00", 4)


def test_random_garbage_is_refused_or_decoded_alike(contracts: Contracts, harness: Contract) -> None:
    rng = random.Random(15)
    for _ in range(30):
        stream = os.urandom(rng.randrange(1, 60)) if rng.random() < 0.5 else rng.randbytes(rng.randrange(1, 60))
        try:
            expected = fastlz.decompress(stream, 2_000)
        except CodecError as exc:
            assert contracts.revert_of(0, harness.functions.decodeChannel(b"\x02" + stream, 2_000))[0] == type(exc).__name__
        else:
            assert l1_decode(harness, b"\x02" + stream, 2_000) == expected
