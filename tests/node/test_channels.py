"""Channels, frames and the batcher's channel builder (node/channels.py)."""

from __future__ import annotations

import random
import zlib

import brotli
import pytest
import rlp
from eth_account import Account
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from genesis.config import GenesisConfig
from genesis.dev_accounts import dev_accounts
from node.batches import SingularBatch, SpanBatch, decode_batch, encode_batch
from node import fastlz
from node.channels import (
    BROTLI_CHANNEL_PREFIX,
    FASTLZ_CHANNEL_PREFIX,
    FRAME_OVERHEAD,
    MAX_BATCHES_PER_CHANNEL,
    MAX_CHANNEL_BYTES,
    MAX_FRAME_DATA,
    MAX_RLP_BYTES_PER_CHANNEL,
    ChannelBuilder,
    ChannelContents,
    Compression,
    Frame,
    compress,
    compression_of,
    decode_batcher_tx_data,
    decode_channel,
    encode_batcher_tx_data,
    encode_channel,
    read_channel,
    split_channel,
)
from node.errors import (
    ChannelClosed,
    ChannelFull,
    ChannelTooLarge,
    ChannelTooLong,
    CorruptChannel,
    EmptyBatcherTransaction,
    FrameTooLarge,
    InvalidChannelFraming,
    InvalidFrameFlag,
    MalformedBatcherTransaction,
    NoFrames,
    RetiredChannelCompression,
    TooManyBatches,
    TruncatedFrame,
    UnencodableBatch,
    UnknownChannelCompression,
    UnknownDerivationVersion,
)

CHAIN_ID = GenesisConfig.load().chain_id
ACCOUNTS = dev_accounts()
CHANNEL_ID = bytes(range(0x11, 0x21))
ALL = frozenset(Compression)  # zlib and brotli too: the reader's old formats, still tested


# --- frames and batcher transactions -------------------------------------------------------------


def test_frame_layout_by_hand() -> None:
    frame = Frame(CHANNEL_ID, 0x0102, b"abc", True)
    expected = CHANNEL_ID + b"\x01\x02" + b"\x00\x00\x00\x03" + b"abc" + b"\x01"
    assert frame.encode() == expected
    assert len(expected) == FRAME_OVERHEAD + 3


def test_batcher_tx_data_layout_by_hand() -> None:
    frames = [Frame(CHANNEL_ID, 0, b"ab", False), Frame(CHANNEL_ID, 1, b"", True)]
    expected = (
        b"\x00"
        + CHANNEL_ID + b"\x00\x00" + b"\x00\x00\x00\x02" + b"ab" + b"\x00"
        + CHANNEL_ID + b"\x00\x01" + b"\x00\x00\x00\x00" + b"\x01"
    )
    assert encode_batcher_tx_data(frames) == expected
    assert decode_batcher_tx_data(expected) == frames


GOOD_FRAME = Frame(CHANNEL_ID, 0, b"abc", False).encode()


@pytest.mark.parametrize(
    "data, error",
    [
        (b"", EmptyBatcherTransaction),
        (b"\x01" + GOOD_FRAME, UnknownDerivationVersion),
        (b"\x00", NoFrames),
        (b"\x00" + GOOD_FRAME[:20], TruncatedFrame),  # header cut
        (b"\x00" + GOOD_FRAME[:-1], TruncatedFrame),  # no is_last byte
        (b"\x00" + GOOD_FRAME[:-2], TruncatedFrame),  # data shorter than announced
        (b"\x00" + GOOD_FRAME[:-1] + b"\x02", InvalidFrameFlag),
        (b"\x00" + CHANNEL_ID + b"\x00\x00" + (MAX_FRAME_DATA + 1).to_bytes(4, "big"), FrameTooLarge),
        (b"\x00" + GOOD_FRAME + GOOD_FRAME[:-1] + b"\xff", InvalidFrameFlag),  # all or nothing
        (b"\x00" + GOOD_FRAME + b"\x00", TruncatedFrame),  # a stray byte after the last frame
    ],
)
def test_malformed_batcher_transactions(data: bytes, error: type) -> None:
    with pytest.raises(error) as raised:
        decode_batcher_tx_data(data)
    assert isinstance(raised.value, MalformedBatcherTransaction)


def test_split_channel_cuts_exact_chunks_and_marks_the_last() -> None:
    frames = split_channel(CHANNEL_ID, bytes(range(250)), 100)
    assert [(f.number, len(f.data), f.is_last) for f in frames] == [(0, 100, False), (1, 100, False), (2, 50, True)]
    assert b"".join(f.data for f in frames) == bytes(range(250))
    assert split_channel(CHANNEL_ID, b"", 100) == [Frame(CHANNEL_ID, 0, b"", True)]
    with pytest.raises(ValueError, match="at most 65536"):
        split_channel(CHANNEL_ID, bytes(65_537), 1)


@settings(max_examples=100, deadline=None)
@given(
    frames=st.lists(
        st.builds(Frame, st.binary(min_size=16, max_size=16), st.integers(0, 0xFFFF), st.binary(max_size=300), st.booleans()),
        min_size=1, max_size=5,
    )
)
def test_batcher_tx_data_round_trip(frames: list[Frame]) -> None:
    assert decode_batcher_tx_data(encode_batcher_tx_data(frames)) == frames


# --- channels ------------------------------------------------------------------------------------


def test_channel_is_a_compressed_concatenation_of_rlp_byte_strings() -> None:
    batches = [b"\x00first", b"\x00second"]
    zlib_channel = encode_channel(batches, Compression.ZLIB)
    assert zlib_channel[0] == 0x78 and compression_of(zlib_channel) is Compression.ZLIB
    assert zlib.decompress(zlib_channel) == rlp.encode(b"\x00first") + rlp.encode(b"\x00second")
    brotli_channel = encode_channel(batches, Compression.BROTLI)
    assert brotli_channel[0] == BROTLI_CHANNEL_PREFIX and compression_of(brotli_channel) is Compression.BROTLI
    assert brotli.decompress(brotli_channel[1:]) == rlp.encode(b"\x00first") + rlp.encode(b"\x00second")
    assert decode_channel(zlib_channel, compressions=ALL) == decode_channel(brotli_channel, compressions=ALL) == batches
    fastlz_channel = encode_channel(batches)  # the canonical format, the default
    assert fastlz_channel[0] == FASTLZ_CHANNEL_PREFIX and compression_of(fastlz_channel) is Compression.FASTLZ
    assert fastlz.decompress(fastlz_channel[1:], 1_000) == rlp.encode(b"\x00first") + rlp.encode(b"\x00second")
    assert decode_channel(fastlz_channel) == batches


def test_zlib_and_brotli_channels_are_not_canonical() -> None:
    """No L1 contract can decode them, so derivation (the default reader) refuses them whole."""
    for compression in (Compression.ZLIB, Compression.BROTLI):
        contents = read_channel(encode_channel([b"\x00a"], compression))
        assert contents.batches == () and isinstance(contents.error, RetiredChannelCompression)


def test_channel_compression_is_told_by_the_first_byte() -> None:
    with pytest.raises(UnknownChannelCompression):
        decode_channel(b"")
    with pytest.raises(UnknownChannelCompression, match="0x03"):
        decode_channel(b"\x03" + brotli.compress(b"x"))


def test_corrupt_and_truncated_channels() -> None:
    channel = encode_channel([b"\x00" + bytes(1000)], Compression.ZLIB)
    with pytest.raises(CorruptChannel):
        decode_channel(b"\x78\x9c" + b"\xff" * 20, compressions=ALL)
    with pytest.raises(CorruptChannel, match="ends early"):
        decode_channel(channel[:-6], compressions=ALL)
    brotli_channel = encode_channel([b"\x00" + bytes(1000)], Compression.BROTLI)
    with pytest.raises(CorruptChannel):
        decode_channel(brotli_channel[:-2], compressions=ALL)
    with pytest.raises(CorruptChannel):
        decode_channel(b"\x01\xff\xff\xff\xff", compressions=ALL)


def test_a_truncated_fastlz_channel_counts_for_nothing() -> None:
    channel = encode_channel([b"\x00ok", b"\x00" + bytes(1000)])
    cuts = (
        channel[:-1],  # in the last literal run (FastLZ ends with literals)
        b"\x02\x1f" + bytes(31),  # a literal run of 32 with 31 bytes
        b"\x02\x00a\x20",  # a short match without its distance byte
        b"\x02\x00a\xe0\x00",  # a long match without its distance byte
    )
    for cut in cuts:
        contents = read_channel(cut)
        assert contents.batches == () and isinstance(contents.error, fastlz.FastLZTruncated), cut.hex()


def test_a_fastlz_back_reference_before_the_output_is_refused_by_name() -> None:
    # 3 literals, then a match reaching 4 bytes back: one before the start of the output
    stream = b"\x02abc" + bytes([1 << 5, 3])
    with pytest.raises(fastlz.FastLZBadBackReference) as raised:
        decode_channel(b"\x02" + stream)
    assert (raised.value.position, raised.value.distance, raised.value.produced) == (4, 4, 3)
    with pytest.raises(fastlz.FastLZBadBackReference):
        decode_channel(b"\x02" + bytes([0xE0, 0, 0]))  # a match first, nothing to copy from


def test_a_fastlz_bomb_is_refused_whole() -> None:
    """A FastLZ match writes 264 bytes for 3: a 45 KB stream of them decodes to ~4 MB. Past the
    cap (`MAX_RLP_BYTES_PER_CHANNEL`) the whole channel counts for nothing (the L1 decoder
    reverts), batches before it too."""
    small = rlp.encode(b"\x00small")
    stream = bytes([len(small) - 1]) + small + b"\x00\x00" + bytes([0xE0, 255, 0]) * 15_000  # a literal zero, then matches
    channel = bytes([FASTLZ_CHANNEL_PREFIX]) + stream
    assert len(channel) <= MAX_CHANNEL_BYTES
    contents = read_channel(channel)
    assert contents.batches == () and isinstance(contents.error, fastlz.FastLZTooLarge)
    assert isinstance(contents.error, ChannelTooLarge) and contents.error.limit == MAX_RLP_BYTES_PER_CHANNEL
    assert len(fastlz.decompress(stream, 20_000_000)) == len(small) + 1 + 264 * 15_000


def test_a_channel_past_the_compressed_bound_counts_for_nothing() -> None:
    """`MAX_CHANNEL_BYTES`: a channel at the bound is read, one a byte longer gives no batch
    (`ChannelTooLong`)."""
    batch = b"\x00" + random.Random(5).randbytes(MAX_CHANNEL_BYTES // 2 - 4)
    content = rlp.encode(batch)  # MAX_CHANNEL_BYTES / 2 bytes, written as a 2-byte literal run then 1-byte ones
    at_bound = bytes([FASTLZ_CHANNEL_PREFIX, 1]) + content[:2] + b"".join(bytes([0, x]) for x in content[2:])
    assert len(at_bound) == MAX_CHANNEL_BYTES
    assert read_channel(at_bound) == ChannelContents((batch,), None)
    over = read_channel(at_bound + b"\x00")
    assert over.batches == () and isinstance(over.error, ChannelTooLong)
    assert (over.error.size, over.error.limit) == (MAX_CHANNEL_BYTES + 1, MAX_CHANNEL_BYTES)


def test_only_the_first_batches_of_a_channel_count() -> None:
    """`MAX_BATCHES_PER_CHANNEL` batches are read; a channel with more keeps those (`TooManyBatches`,
    as a framing break after them); one at the bound reads whole."""
    batches = [b"\x00" + bytes([i]) for i in range(MAX_BATCHES_PER_CHANNEL + 1)]
    assert read_channel(encode_channel(batches[:-1])) == ChannelContents(tuple(batches[:-1]), None)
    contents = read_channel(encode_channel(batches))
    assert contents.batches == tuple(batches[:-1]) and isinstance(contents.error, TooManyBatches)
    assert contents.error.limit == MAX_BATCHES_PER_CHANNEL


@pytest.mark.parametrize("compression", [Compression.ZLIB, Compression.BROTLI])
def test_zip_bomb_stops_at_the_limit_and_keeps_the_batches_inside_it(compression: Compression) -> None:
    """2 MB of one batch after a small one compresses to ~9 KB; reading stops at the limit."""
    small, bomb = b"\x00small", b"\x00" + bytes(2_000_000)
    content = rlp.encode(small) + rlp.encode(bomb)
    if compression is Compression.ZLIB:  # fast settings: the format is the same at every level
        channel = zlib.compress(content, 1)
    else:
        channel = bytes([BROTLI_CHANNEL_PREFIX]) + brotli.compress(content, quality=1)
    assert len(channel) < MAX_CHANNEL_BYTES
    with pytest.raises(ChannelTooLarge):
        decode_channel(channel, compressions=ALL)
    contents = read_channel(channel, compressions=ALL)
    assert contents.batches == (small,) and isinstance(contents.error, ChannelTooLarge)
    assert decode_channel(channel, max_decompressed_size=30_000_000, compressions=ALL) == [small, bomb]


def test_channel_framing_must_be_rlp_byte_strings() -> None:
    with pytest.raises(InvalidChannelFraming, match="RLP list"):
        decode_channel(compress(rlp.encode(b"\x00ok") + rlp.encode([b"x"]), Compression.FASTLZ))
    contents = read_channel(compress(rlp.encode(b"\x00ok") + b"\x81\x05", Compression.FASTLZ))  # non-canonical prefix
    assert contents.batches == (b"\x00ok",) and isinstance(contents.error, InvalidChannelFraming)
    contents = read_channel(compress(rlp.encode(b"\x00ok") + b"\xb8", Compression.FASTLZ))  # cut
    assert contents.batches == (b"\x00ok",) and isinstance(contents.error, InvalidChannelFraming)


def test_bytes_after_the_compressed_stream_are_ignored() -> None:
    assert decode_channel(encode_channel([b"\x00a"], Compression.ZLIB) + b"junk", compressions=ALL) == [b"\x00a"]


@settings(max_examples=40, deadline=None)
@given(batches=st.lists(st.binary(min_size=1, max_size=500), max_size=6), compression=st.sampled_from(list(Compression)))
def test_channel_round_trip(batches: list[bytes], compression: Compression) -> None:
    assert decode_channel(encode_channel(batches, compression), compressions=ALL) == batches


# --- the channel builder ---------------------------------------------------------------------------


def transfers(count: int, seed: int = 852) -> list[bytes]:
    """`count` EIP-1559 transfers between the dev accounts, nonces in order, random amounts/tips."""
    rng = random.Random(seed)
    nonces = [0] * len(ACCOUNTS)
    raws = []
    for _ in range(count):
        sender = rng.randrange(len(ACCOUNTS))
        tx = {"to": ACCOUNTS[rng.randrange(len(ACCOUNTS))].address, "value": rng.randrange(1, 10**20), "gas": 21_000,
              "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": rng.randrange(1, 2 * 10**9), "nonce": nonces[sender],
              "chainId": CHAIN_ID, "type": 2}
        nonces[sender] += 1
        raws.append(bytes(Account.sign_transaction(tx, ACCOUNTS[sender].private_key).raw_transaction))
    return raws


TRANSFERS = transfers(500)


def blocks_of(raws: list[bytes], per_block: int = 5) -> list[SingularBatch]:
    """Consecutive singular batches, 2 s apart, a new L1 origin every 6 blocks."""
    batches, parent = [], keccak(b"genesis")
    for i in range(0, len(raws), per_block):
        n = i // per_block
        batches.append(SingularBatch(parent, 100 + n // 6, keccak(b"l1-%d" % (100 + n // 6)), 10_000 + 2 * n, tuple(raws[i : i + per_block])))
        parent = keccak(b"l2-%d" % n)
    return batches


@pytest.mark.parametrize("compression", list(Compression))
@pytest.mark.parametrize("span", [False, True])
def test_builder_frames_decode_back_to_its_batches(compression: Compression, span: bool) -> None:
    batches = blocks_of(TRANSFERS[:60])
    builder = ChannelBuilder(CHANNEL_ID, CHAIN_ID, compression, span, target_size=10**6, max_frame_data=1_000)
    for batch in batches:
        builder.add_batch(batch, starts_epoch=True)
    frames = builder.frames()
    assert builder.closed and not builder.is_full
    assert all(len(f.data) <= 1_000 for f in frames) and frames[-1].is_last
    decoded = decode_batcher_tx_data(encode_batcher_tx_data(frames))
    channel = b"".join(f.data for f in decoded)
    assert len(channel) == builder.compressed_size
    payloads = [decode_batch(p, chain_id=CHAIN_ID) for p in decode_channel(channel, compressions=ALL)]
    if span:
        assert payloads == [SpanBatch.from_singular_batches(batches, chain_id=CHAIN_ID, starts_epoch=True)]
    else:
        assert payloads == batches


@pytest.mark.parametrize("span", [False, True])
def test_builder_closes_once_the_compressed_size_reaches_the_target(span: bool) -> None:
    builder = ChannelBuilder(CHANNEL_ID, CHAIN_ID, Compression.ZLIB, span, target_size=5_000)
    added = 0
    for batch in blocks_of(TRANSFERS):
        if builder.closed:
            break
        builder.add_batch(batch)
        added += 1
    assert builder.is_full
    # closed by the block that crossed the target: without it, the channel was below the target
    assert builder.compressed_size >= 5_000
    smaller = ChannelBuilder(CHANNEL_ID, CHAIN_ID, Compression.ZLIB, span, target_size=10**9)
    for batch in blocks_of(TRANSFERS)[: added - 1]:
        smaller.add_batch(batch)
    assert smaller.compressed_size < 5_000
    with pytest.raises(ChannelClosed):
        builder.add_batch(blocks_of(TRANSFERS)[added])


def test_builder_refuses_what_would_pass_the_decompressed_limit_and_keeps_what_it_has() -> None:
    batches = blocks_of(TRANSFERS[:20])
    builder = ChannelBuilder(CHANNEL_ID, CHAIN_ID, max_decompressed_size=len(rlp.encode(encode_batch(batches[0]))) + 10)
    builder.add_batch(batches[0])
    with pytest.raises(ChannelFull):
        builder.add_batch(batches[1])
    assert builder.batches == (batches[0],) and not builder.closed


def test_builder_refuses_a_span_that_does_not_follow_and_a_foreign_transaction() -> None:
    batches = blocks_of(TRANSFERS[:20])
    builder = ChannelBuilder(CHANNEL_ID, CHAIN_ID, span_batches=True)
    builder.add_batch(batches[1])
    with pytest.raises(UnencodableBatch):
        builder.add_batch(batches[0])  # goes back in time
    other_chain = bytes(Account.sign_transaction(
        {"to": ACCOUNTS[1].address, "value": 1, "gas": 21_000, "gasPrice": 10**9, "nonce": 0, "chainId": 1},
        ACCOUNTS[0].private_key,
    ).raw_transaction)
    foreign = SingularBatch(keccak(b"p"), 200, keccak(b"o"), 20_000, (other_chain,))
    with pytest.raises(UnencodableBatch, match="signed for chain id 1"):
        ChannelBuilder(CHANNEL_ID, CHAIN_ID).add_batch(foreign)


def test_size_of_500_transfers_singular_vs_span_zlib_vs_brotli() -> None:
    """Bytes per transaction on L1 for 500 EIP-1559 transfers in 100 blocks of 5."""
    batches = blocks_of(TRANSFERS)
    raw = sum(len(tx) for tx in TRANSFERS)
    sizes = {}
    for span in (False, True):
        for compression in Compression:
            builder = ChannelBuilder(CHANNEL_ID, CHAIN_ID, compression, span, target_size=10**9, max_decompressed_size=10**9)
            for batch in batches:
                builder.add_batch(batch)
            sizes[("span" if span else "singular", compression.value)] = builder.compressed_size
            sizes[("span" if span else "singular", "none")] = len(builder.rlp_batches())
    print(f"\n500 transfers, raw transactions {raw / 500:.1f} B/tx")
    for (kind, compression), size in sorted(sizes.items()):
        print(f"  {kind:8} {compression:6} {size:7d} B  {size / 500:6.1f} B/tx")
    assert sizes[("span", "none")] < sizes[("singular", "none")]
    assert sizes[("span", "zlib")] < sizes[("singular", "zlib")]
    assert sizes[("span", "brotli")] < sizes[("singular", "brotli")]
    assert sizes[("singular", "brotli")] < sizes[("singular", "zlib")]
    assert sizes[("span", "brotli")] < 0.9 * sizes[("singular", "zlib")]
