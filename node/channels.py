"""Channels and frames: how batches travel to L1 (the OP Stack's format, FastLZ compression).

A **channel** is a compressed stream of batches::

    rlp_batches      = rlp_bytes(batch_0) ++ rlp_bytes(batch_1) ++ ...   (each an RLP byte
                       string holding `encode_batch(batch)`, node/batches.py)
    channel (fastlz) = 0x02 ++ fastlz_stream(rlp_batches)   the canonical format (node/fastlz.py)
    channel (zlib)   = zlib_stream(rlp_batches)          first byte's low nibble is 8 (CM=8,
                                                         deflate) or 15 (reserved), as OP's
    channel (brotli) = 0x01 ++ brotli_stream(rlp_batches)

Only FastLZ channels are canonical: an L1 contract decodes them (contracts/src/L1/lib/FastLZ.sol)
where it cannot decode zlib or brotli, so derivation refuses the other two
(`RetiredChannelCompression`); they remain here for bench/batch_size.py's comparison.

A FastLZ channel that is malformed anywhere (`FastLZTruncated`, `FastLZBadBackReference`) or
decodes to more than `MAX_RLP_BYTES_PER_CHANNEL` bytes (`FastLZTooLarge`) counts for nothing,
as the L1 decoder reverts on it; so does a channel of more than `MAX_CHANNEL_BYTES` compressed
bytes (`ChannelTooLong`). Only its first `MAX_BATCHES_PER_CHANNEL` batches count
(`TooManyBatches`, as a framing break after them). These three bounds are what one L1
transaction (the derivation leaf, `DerivationStep`, EIP-7825's 16,777,216 gas) can decode and
judge of one channel (docs/batches.md, "What one derivation step reads"). For zlib and brotli, decompression stops at the limit (a zip
bomb guard): the batches wholly inside it still count, the rest of the channel does not, and
bytes after the end of the compressed stream are ignored.

A channel is cut into **frames** that fit L1 transactions::

    frame = channel_id ++ frame_number ++ frame_data_length ++ frame_data ++ is_last
        channel_id         16 bytes   u64 BE o ++ 8 bytes chosen by the batcher: o names the L1
                                      block the channel opens at (`channel_id`; a frame read from
                                      L1 block b counts only if o <= b <= o + channel_timeout:
                                      node/derive/channel_bank.py)
        frame_number       u16 BE     0, 1, 2, ... within the channel
        frame_data_length  u32 BE     <= MAX_FRAME_DATA (1,000,000)
        frame_data         bytes      a slice of the channel
        is_last            u8         1 on the channel's last frame, else 0 (nothing else)

A **batcher transaction** (calldata sent to the batch inbox address by the batcher) is::

    batcher_tx_data = 0x00 ++ frame ++ frame ++ ...      (0x00 = derivation version 0)

and is all-or-nothing: if any frame in it is malformed, none of its frames count.
"""

from __future__ import annotations

import enum
import zlib
from dataclasses import dataclass, field
from typing import Sequence

import brotli
import rlp
from eth.abc import BlockAPI

from node import fastlz
from node.batches import (
    RlpFramingError,
    SingularBatch,
    SpanBatch,
    batch_from_block,
    decode_batch_transaction,
    encode_batch,
    rlp_item_bounds,
)
from node.errors import (
    ChannelClosed,
    ChannelFull,
    ChannelTooLarge,
    ChannelTooLong,
    CodecError,
    CorruptChannel,
    EmptyBatcherTransaction,
    FrameTooLarge,
    InvalidBatchTransaction,
    InvalidChannelFraming,
    InvalidFrameFlag,
    NoFrames,
    RetiredChannelCompression,
    TooManyBatches,
    TruncatedFrame,
    UnencodableBatch,
    UnknownChannelCompression,
    UnknownDerivationVersion,
)
from node.l1_info import l1_origin_of_block

DERIVATION_VERSION_0 = 0x00
CHANNEL_ID_LENGTH = 16
MAX_FRAME_NUMBER = 0xFFFF
#: OP's MaxFrameLen: the largest frame_data a reader accepts.
MAX_FRAME_DATA = 1_000_000
#: channel_id + frame_number + frame_data_length + is_last
FRAME_OVERHEAD = CHANNEL_ID_LENGTH + 2 + 4 + 1
#: A channel id's bytes naming its opening L1 block (u64 BE), and the batcher's own bytes after them.
CHANNEL_OPEN_BLOCK_LENGTH = 8
CHANNEL_NONCE_LENGTH = CHANNEL_ID_LENGTH - CHANNEL_OPEN_BLOCK_LENGTH
#: A channel's decompressed size (OP's: 10,000,000), compressed size and batch count at most: what
#: one derivation step on L1 decodes and judges within 0.9 of EIP-7825's 16,777,216 gas (docs/
#: batches.md "What one derivation step reads"; measured in tests/e2e/test_inbox_bounds.py). The
#: batcher's channels stay within them (`ChannelBuilder`: the decompressed size; FastLZ adds at
#: most 1 byte in 32, so a channel within it is within `MAX_CHANNEL_BYTES`).
MAX_RLP_BYTES_PER_CHANNEL = 64_000
MAX_CHANNEL_BYTES = 66_048
MAX_BATCHES_PER_CHANNEL = 64
BROTLI_CHANNEL_PREFIX = 0x01
FASTLZ_CHANNEL_PREFIX = 0x02

ZLIB_LEVEL = 9  # as op-batcher's zlib compressor (best compression)
BROTLI_QUALITY = 10  # as op-batcher's "brotli-10"
BROTLI_LGWIN = 24


class Compression(enum.Enum):
    ZLIB = "zlib"
    BROTLI = "brotli"
    FASTLZ = "fastlz"


#: What derivation reads: the formats an L1 contract can decode.
CANONICAL_COMPRESSIONS = frozenset({Compression.FASTLZ})


# --- channels -------------------------------------------------------------------------------------


def encode_channel(batches: Sequence[bytes], compression: Compression = Compression.FASTLZ) -> bytes:
    """Compress encoded batches (`encode_batch` outputs) into channel bytes."""
    return compress(b"".join(rlp.encode(batch) for batch in batches), compression)


def compress(rlp_batches: bytes, compression: Compression) -> bytes:
    if compression is Compression.ZLIB:
        return zlib.compress(rlp_batches, ZLIB_LEVEL)
    if compression is Compression.FASTLZ:
        return bytes([FASTLZ_CHANNEL_PREFIX]) + fastlz.compress(rlp_batches)
    return bytes([BROTLI_CHANNEL_PREFIX]) + brotli.compress(rlp_batches, quality=BROTLI_QUALITY, lgwin=BROTLI_LGWIN)


def compression_of(channel: bytes) -> Compression:
    if not channel:
        raise UnknownChannelCompression(None)
    first = channel[0]
    if first & 0x0F in (8, 15):
        return Compression.ZLIB
    if first == BROTLI_CHANNEL_PREFIX:
        return Compression.BROTLI
    if first == FASTLZ_CHANNEL_PREFIX:
        return Compression.FASTLZ
    raise UnknownChannelCompression(first)


@dataclass(frozen=True, slots=True)
class ChannelContents:
    """What a reader gets from a channel: the batches before the first problem, and the problem."""

    batches: tuple[bytes, ...]
    error: CodecError | None = None


def read_channel(channel: bytes, *, max_decompressed_size: int = MAX_RLP_BYTES_PER_CHANNEL,
                 compressions: frozenset[Compression] = CANONICAL_COMPRESSIONS) -> ChannelContents:
    """Decompress and split a channel, keeping every batch that precedes a problem (as OP's).
    A channel in a compression outside `compressions` gives `RetiredChannelCompression`; one of
    more than `MAX_CHANNEL_BYTES` gives nothing (`ChannelTooLong`); past `MAX_BATCHES_PER_CHANNEL`
    batches the rest is not read (`TooManyBatches`)."""
    if len(channel) > MAX_CHANNEL_BYTES:
        return ChannelContents((), ChannelTooLong(len(channel), MAX_CHANNEL_BYTES))
    try:
        if (compression := compression_of(channel)) not in compressions:
            raise RetiredChannelCompression(compression.value)
        decompressed, stream_error = _decompress(channel, max_decompressed_size)
    except CodecError as exc:
        return ChannelContents((), exc)
    batches: list[bytes] = []
    pos = 0
    while pos < len(decompressed):
        if len(batches) == MAX_BATCHES_PER_CHANNEL:
            return ChannelContents(tuple(batches), TooManyBatches(MAX_BATCHES_PER_CHANNEL))
        try:
            start, end, is_list = rlp_item_bounds(decompressed, pos)
        except RlpFramingError as exc:
            if exc.truncated and stream_error is not None:
                return ChannelContents(tuple(batches), stream_error)
            return ChannelContents(tuple(batches), InvalidChannelFraming(f"batch {len(batches)}: {exc}"))
        if is_list:
            return ChannelContents(tuple(batches), InvalidChannelFraming(f"batch {len(batches)} is an RLP list, not a byte string"))
        batches.append(decompressed[start:end])
        pos = end
    return ChannelContents(tuple(batches), stream_error)


def decode_channel(channel: bytes, *, max_decompressed_size: int = MAX_RLP_BYTES_PER_CHANNEL,
                   compressions: frozenset[Compression] = CANONICAL_COMPRESSIONS) -> list[bytes]:
    """The channel's encoded batches; raises a `MalformedChannel` subclass on any problem."""
    contents = read_channel(channel, max_decompressed_size=max_decompressed_size, compressions=compressions)
    if contents.error is not None:
        raise contents.error
    return list(contents.batches)


def _decompress(channel: bytes, limit: int) -> tuple[bytes, CodecError | None]:
    """(output up to `limit` bytes, the error that ended the stream early or None)."""
    compression = compression_of(channel)
    if compression is Compression.FASTLZ:
        return fastlz.decompress(channel[1:], limit), None  # any error refuses the whole channel
    if compression is Compression.ZLIB:
        decompressor = zlib.decompressobj()
        try:
            output = decompressor.decompress(channel, limit + 1)
        except zlib.error as exc:
            raise CorruptChannel(f"invalid zlib stream: {exc}") from exc
        if len(output) > limit:
            return output[:limit], ChannelTooLarge(limit)
        if not decompressor.eof:
            return output, CorruptChannel("zlib stream ends early")
        return output, None
    brotli_decompressor = brotli.Decompressor()
    try:
        output = brotli_decompressor.process(channel[1:], output_buffer_limit=limit + 1)
    except brotli.error as exc:
        raise CorruptChannel(f"invalid brotli stream: {exc}") from exc
    if len(output) > limit:
        return output[:limit], ChannelTooLarge(limit)
    if not brotli_decompressor.is_finished():
        return output, CorruptChannel("brotli stream ends early")
    return output, None


# --- frames ---------------------------------------------------------------------------------------


def channel_id(open_block: int, nonce: bytes) -> bytes:
    """The id of a channel opening at L1 block `open_block`: u64_be(open_block) ++ `nonce` (8 bytes
    the batcher chooses). A chain rule (docs/batches.md "Frame"): the channel bank counts the
    channel's timeout from that block, orders channels by it and drops a frame read outside
    [open_block, open_block + channel_timeout] (node/derive/channel_bank.py)."""
    if not 0 <= open_block < 1 << 64:
        raise ValueError("a channel's open block must fit a u64")
    if len(nonce) != CHANNEL_NONCE_LENGTH:
        raise ValueError(f"a channel id's nonce is {CHANNEL_NONCE_LENGTH} bytes")
    return open_block.to_bytes(CHANNEL_OPEN_BLOCK_LENGTH, "big") + nonce


def channel_open_block(channel_id: bytes) -> int:
    """The L1 block a channel id names (`channel_id`)."""
    return int.from_bytes(channel_id[:CHANNEL_OPEN_BLOCK_LENGTH], "big")


@dataclass(frozen=True, slots=True)
class Frame:
    channel_id: bytes  # 16 bytes
    number: int  # u16
    data: bytes
    is_last: bool

    def __post_init__(self) -> None:
        if len(self.channel_id) != CHANNEL_ID_LENGTH:
            raise ValueError("channel_id must be 16 bytes")
        if not 0 <= self.number <= MAX_FRAME_NUMBER:
            raise ValueError("frame number must fit a u16")
        if len(self.data) > MAX_FRAME_DATA:
            raise ValueError(f"frame data beyond {MAX_FRAME_DATA} bytes")

    def encode(self) -> bytes:
        return (
            self.channel_id + self.number.to_bytes(2, "big") + len(self.data).to_bytes(4, "big")
            + self.data + (b"\x01" if self.is_last else b"\x00")
        )


def decode_frame(data: bytes, pos: int = 0) -> tuple[Frame, int]:
    """The frame at `data[pos:]` and the position after it."""
    header_end = pos + CHANNEL_ID_LENGTH + 2 + 4
    if header_end > len(data):
        raise TruncatedFrame("frame header ends early")
    channel_id = data[pos : pos + CHANNEL_ID_LENGTH]
    number = int.from_bytes(data[pos + CHANNEL_ID_LENGTH : pos + CHANNEL_ID_LENGTH + 2], "big")
    length = int.from_bytes(data[pos + CHANNEL_ID_LENGTH + 2 : header_end], "big")
    if length > MAX_FRAME_DATA:
        raise FrameTooLarge(length, MAX_FRAME_DATA)
    data_end = header_end + length
    if data_end + 1 > len(data):
        raise TruncatedFrame(f"frame data ends early: {length} bytes announced")
    flag = data[data_end]
    if flag > 1:
        raise InvalidFrameFlag(flag)
    return Frame(channel_id, number, data[header_end:data_end], flag == 1), data_end + 1


def split_channel(channel_id: bytes, channel: bytes, max_frame_data: int) -> list[Frame]:
    """Cut a channel into frames of at most `max_frame_data` bytes; the last one says so."""
    if not 1 <= max_frame_data <= MAX_FRAME_DATA:
        raise ValueError(f"max_frame_data must be in 1..{MAX_FRAME_DATA}")
    chunks = [channel[i : i + max_frame_data] for i in range(0, len(channel), max_frame_data)] or [b""]
    if len(chunks) > MAX_FRAME_NUMBER + 1:
        raise ValueError(f"channel needs {len(chunks)} frames, a channel holds at most {MAX_FRAME_NUMBER + 1}")
    return [Frame(channel_id, i, chunk, i == len(chunks) - 1) for i, chunk in enumerate(chunks)]


def encode_batcher_tx_data(frames: Sequence[Frame]) -> bytes:
    if not frames:
        raise ValueError("a batcher transaction carries at least one frame")
    return bytes([DERIVATION_VERSION_0]) + b"".join(frame.encode() for frame in frames)


def decode_batcher_tx_data(data: bytes) -> list[Frame]:
    """All frames of a batcher transaction, or a `MalformedBatcherTransaction` subclass."""
    if not data:
        raise EmptyBatcherTransaction()
    if data[0] != DERIVATION_VERSION_0:
        raise UnknownDerivationVersion(data[0])
    frames, pos = [], 1
    while pos < len(data):
        frame, pos = decode_frame(data, pos)
        frames.append(frame)
    if not frames:
        raise NoFrames()
    return frames


# --- the batcher's channel builder ------------------------------------------------------------------


@dataclass
class ChannelBuilder:
    """Collects L2 blocks (as singular batches) into one channel, for the batcher. Pure: no I/O.

    It closes itself once its compressed size reaches `target_size` (the block that crosses the
    target stays in: frames split at `max_frame_data`, so the channel ends a little past the
    target), or when told (`close`). With `span_batches`, the whole channel is one span batch.
    The exact compressed size is recomputed only when a bound says the target may be reached,
    so adding a block is cheap until the channel is nearly full.
    """

    channel_id: bytes
    chain_id: int
    compression: Compression = Compression.FASTLZ
    span_batches: bool = False
    target_size: int = 100_000
    max_frame_data: int = 120_000
    max_decompressed_size: int = MAX_RLP_BYTES_PER_CHANNEL
    max_transactions: int | None = None  # user transactions a channel holds at most (None: no cap)
    _batches: list[SingularBatch] = field(default_factory=list, init=False, repr=False)
    _singular_bytes: list[bytes] = field(default_factory=list, init=False, repr=False)
    _starts_epoch: bool = field(default=False, init=False, repr=False)
    # an upper bound on the uncompressed size (exact for singular batches)
    _rlp_size_bound: int = field(default=0, init=False, repr=False)
    _cache: bytes | None = field(default=None, init=False, repr=False)  # channel bytes, when computed
    _exact_size: int = field(default=0, init=False, repr=False)  # compressed size when last computed ...
    _checked_rlp_size: int = field(default=0, init=False, repr=False)  # ... and _rlp_size_bound then
    _closed: bool = field(default=False, init=False, repr=False)
    _transactions: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.channel_id) != CHANNEL_ID_LENGTH:
            raise ValueError("channel_id must be 16 bytes")
        if not 1 <= self.max_frame_data <= MAX_FRAME_DATA:
            raise ValueError(f"max_frame_data must be in 1..{MAX_FRAME_DATA}")

    # --- adding -----------------------------------------------------------------------------

    def add_block(self, block: BlockAPI) -> None:
        """Add an L2 block built by the sequencer (its L1-info deposit says its origin)."""
        self.add_batch(batch_from_block(block), starts_epoch=l1_origin_of_block(block).sequence_number == 0)

    def add_batch(self, batch: SingularBatch, *, starts_epoch: bool = False) -> None:
        """Add the next block. `starts_epoch` (its sequence number is 0) only feeds the span
        batch's first origin bit. Raises `ChannelClosed`; `ChannelFull` (nothing added) when the
        channel would decompress to more than `max_decompressed_size` or, holding blocks already,
        would hold more than `max_transactions` user transactions; `UnencodableBatch` when
        the batch cannot be encoded (or, for spans, does not follow the previous block)."""
        if self._closed:
            raise ChannelClosed()
        encoded = encode_batch(batch)
        for index, raw in enumerate(batch.transactions):
            try:
                decode_batch_transaction(raw, chain_id=self.chain_id)
            except InvalidBatchTransaction as exc:
                raise UnencodableBatch(f"block at {batch.timestamp}, transaction {index}: {exc}") from exc
        if self.span_batches:
            if self._batches:
                SpanBatch.from_singular_batches([self._batches[-1], batch], chain_id=self.chain_id)
            growth = _span_growth_bound(batch)
        else:
            growth = len(rlp.encode(encoded))
        if self._rlp_size_bound + growth > self.max_decompressed_size:
            raise ChannelFull(f"channel would decompress to more than {self.max_decompressed_size} bytes")
        # A block past the cap opens the next channel (one block alone over it still goes in: it
        # must be batched, and the cap bounds the checks of the channel's other blocks).
        if self.max_transactions is not None and self._batches and self._transactions + len(batch.transactions) > self.max_transactions:
            raise ChannelFull(f"channel would hold more than {self.max_transactions} transactions")
        if not self._batches:
            self._starts_epoch = starts_epoch
        self._batches.append(batch)
        self._transactions += len(batch.transactions)
        self._singular_bytes.append(encoded)
        self._rlp_size_bound += growth
        self._cache = None
        # Compressed data grows at most by the raw growth plus a little framing (deflate's
        # stored blocks, brotli's metablocks, FastLZ's literal-run bytes, 1 in 32): compress
        # again only when the target is in reach.
        unchecked = self._rlp_size_bound - self._checked_rlp_size
        if self._exact_size + unchecked + unchecked // 32 + 64 >= self.target_size:
            if self.compressed_size >= self.target_size:
                self._closed = True

    # --- state ------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def is_full(self) -> bool:
        """Closed because the target size was reached."""
        return self._closed and self.compressed_size >= self.target_size

    @property
    def batches(self) -> tuple[SingularBatch, ...]:
        return tuple(self._batches)

    @property
    def block_count(self) -> int:
        return len(self._batches)

    @property
    def compressed_size(self) -> int:
        return len(self.channel_bytes())

    def close(self) -> None:
        self._closed = True

    # --- output -----------------------------------------------------------------------------

    def rlp_batches(self) -> bytes:
        """The uncompressed channel content."""
        if not self._batches:
            return b""
        if self.span_batches:
            span = SpanBatch.from_singular_batches(self._batches, chain_id=self.chain_id, starts_epoch=self._starts_epoch)
            return rlp.encode(encode_batch(span, check_transactions=False))  # checked in add_batch
        return b"".join(rlp.encode(encoded) for encoded in self._singular_bytes)

    def channel_bytes(self) -> bytes:
        if self._cache is None:
            self._cache = compress(self.rlp_batches(), self.compression)
            self._exact_size, self._checked_rlp_size = len(self._cache), self._rlp_size_bound
        return self._cache

    def frames(self) -> list[Frame]:
        """Close the channel and cut it into frames."""
        if not self._batches:
            raise ValueError("an empty channel has no frames")
        self._closed = True
        return split_channel(self.channel_id, self.channel_bytes(), self.max_frame_data)


def _span_growth_bound(batch: SingularBatch) -> int:
    """An upper bound on how much a block adds to a span batch: per transaction at most its own
    encoding plus varint slack, per block a timestamp delta and a count."""
    return sum(len(tx) + 8 for tx in batch.transactions) + 24
