// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FastLZ} from "../lib/FastLZ.sol";
import {L2ParentLib} from "./L2ParentLib.sol";
import {RLPItem, RLPReader} from "../lib/RLPReader.sol";
import {MAX_BATCHES_PER_CHANNEL as BATCHES_PER_CHANNEL} from "./ChannelBounds.sol";

/// @title BatchReader
/// @notice The batcher's data read on L1 exactly as node/channels.py and node/batches.py read it:
///         a batcher transaction's frames, a FastLZ channel's batches, and a span batch's blocks
///         with each transaction rebuilt in its EIP-2718 bytes (so its hash is the L2's). Every
///         refusal is a named error; node's refusal of the same input is a `MalformedBatch`,
///         `MalformedChannel` or `MalformedBatcherTransaction` subclass (docs/batches.md).
///         Pure functions, deployed as a contract so the oracle and tests can call them. Beside
///         them, the other side of a span overlapping the agreed chain: an agreed L2 block's user
///         transactions from their proofs (`userTransactions`, L2ParentLib's), which the
///         derivation leaf compares with the span's (BatchRules `_overlapMismatch`).
contract BatchReader {
    uint256 internal constant CHANNEL_ID_LENGTH = 16;
    uint256 internal constant MAX_FRAME_DATA = 1_000_000;
    uint8 internal constant FASTLZ_CHANNEL_PREFIX = 0x02;
    uint256 internal constant MAX_SPAN_BATCH_ELEMENT_COUNT = 10_000_000;
    /// @notice One L2 block's user transactions at most, in either batch version (node.batches'
    ///         MAX_BLOCK_USER_TRANSACTIONS, its home and why: every one is checked, rebuilt and hashed
    ///         when the block is decided, in one L1 transaction).
    uint256 public constant MAX_BLOCK_USER_TRANSACTIONS = 500;
    uint8 internal constant SPAN_BATCH_VERSION = 0x01;
    uint8 internal constant SINGULAR_BATCH_VERSION = 0x00;
    uint8 internal constant ACCESS_LIST_TX = 0x01;
    uint8 internal constant DYNAMIC_FEE_TX = 0x02;
    uint256 internal constant LEGACY_TX = 0x00;
    uint256 internal constant ALL_BLOCKS = type(uint256).max;
    /// @notice node/channels.py's `MAX_BATCHES_PER_CHANNEL`: the batches of a channel that count, at
    ///         most (what one derivation step reads; its home and the byte bounds: ChannelBounds.sol).
    uint256 public constant MAX_BATCHES_PER_CHANNEL = BATCHES_PER_CHANNEL;

    struct Frame {
        bytes16 channelId;
        uint16 number;
        bytes data;
        bool isLast;
    }

    /// @notice One block of a span batch: its timestamp, L1 origin and transactions' hashes.
    struct SpanBlock {
        uint256 timestamp;
        uint256 originNumber;
        uint256 txCount;
        bytes32[] txHashes; // empty for the blocks `decodeSpanBlock` was not asked for
    }

    struct SpanHeader {
        bytes20 parentCheck;
        bytes20 l1OriginCheck;
    }

    /// @notice A singular batch: one block, its parent and L1 origin named by their whole hashes.
    struct SingularBatch {
        bytes32 parentHash;
        uint256 originNumber;
        bytes32 originHash;
        uint256 timestamp;
        bytes32[] txHashes;
    }

    error EmptyBatcherTransaction();
    error UnknownDerivationVersion(uint256 version);
    error TruncatedFrame();
    error FrameTooLarge(uint256 length, uint256 max);
    error InvalidFrameFlag(uint256 flag);
    /// @notice `readChannel`'s `stop`: the channel is not FastLZ (prefix 0x02).
    error UnknownChannelCompression();
    /// @notice `readChannel`'s `stop`: the decompressed stream is not a list of canonical RLP byte strings.
    error InvalidChannelFraming();
    /// @notice `readChannel`'s `stop`: a batch past the first `MAX_BATCHES_PER_CHANNEL` (those count).
    error TooManyBatches(uint256 limit);
    error NotASpanBatch(uint256 version);
    error NotASingularBatch(uint256 version);
    error TruncatedBatch(uint256 position);
    error MalformedBatch(uint256 position);
    error NonCanonicalBatch(uint256 position);
    error InvalidSpanBatch(uint256 position);
    error SpanBatchTooLarge(uint256 count);
    error TrailingBatchData(uint256 extra);
    error InvalidBatchTransaction(uint256 index);
    error BlockNotInSpan(uint256 index, uint256 blocks);
    error BlockTooManyTransactions(uint256 blockIndex, uint256 count);

    /// @notice The user transactions' hashes of the L2 block whose transactions root is `root`, from
    ///         `shown` = abi.encode(L2ParentLib.UserTransactions) (`L2ParentLib.userTransactions`).
    function userTransactions(bytes32 root, bytes calldata shown) external pure returns (bytes32[] memory) {
        return L2ParentLib.userTransactions(root, abi.decode(shown, (L2ParentLib.UserTransactions)));
    }

    // --- frames and channels ----------------------------------------------------------------

    /// @notice The frames of one batcher transaction (`node.channels.decode_batcher_tx_data`).
    function frames(bytes calldata data) external pure returns (Frame[] memory out) {
        if (data.length == 0) revert EmptyBatcherTransaction();
        if (uint8(data[0]) != 0) revert UnknownDerivationVersion(uint8(data[0]));
        Frame[] memory buffer = new Frame[](data.length / 23 + 1);
        uint256 count;
        uint256 pos = 1;
        while (pos < data.length) {
            uint256 headerEnd = pos + CHANNEL_ID_LENGTH + 6;
            if (headerEnd > data.length) revert TruncatedFrame();
            uint256 length = uint32(bytes4(data[pos + 18:headerEnd]));
            if (length > MAX_FRAME_DATA) revert FrameTooLarge(length, MAX_FRAME_DATA);
            uint256 dataEnd = headerEnd + length;
            if (dataEnd + 1 > data.length) revert TruncatedFrame();
            uint8 flag = uint8(data[dataEnd]);
            if (flag > 1) revert InvalidFrameFlag(flag);
            buffer[count++] = Frame(bytes16(data[pos:pos + 16]), uint16(bytes2(data[pos + 16:pos + 18])), data[headerEnd:dataEnd], flag == 1);
            pos = dataEnd + 1;
        }
        out = new Frame[](count);
        for (uint256 i = 0; i < count; i++) out[i] = buffer[i];
    }

    /// @notice A channel's encoded batches as derivation reads them (`node.channels.read_channel`):
    ///         FastLZ decompressed up to `maxSize` bytes (node: `MAX_RLP_BYTES_PER_CHANNEL`), split
    ///         into RLP byte strings, every batch before the first problem kept. `stop` names the
    ///         problem (0: none): `UnknownChannelCompression` or a FastLZ error (`FastLZTruncated`,
    ///         `FastLZBadBackReference`, `FastLZTooLarge`: the stream gives no batch at all), or
    ///         `InvalidChannelFraming` (a batch cut mid-way, trailing bytes that are not a canonical
    ///         RLP string, an RLP list: the batches before it kept, the rest dropped), `TooManyBatches`
    ///         (the first `MAX_BATCHES_PER_CHANNEL` kept).
    function readChannel(bytes memory channel, uint256 maxSize) public pure returns (bytes[] memory batches, bytes4 stop) {
        if (channel.length == 0 || uint8(channel[0]) != FASTLZ_CHANNEL_PREFIX) return (batches, UnknownChannelCompression.selector);
        bytes memory stream;
        (stream, stop) = FastLZ.tryDecompress(channel, 1, maxSize);
        if (stop != 0) return (batches, stop);
        uint256 count;
        uint256 pos;
        while (pos < stream.length) {
            if (count == MAX_BATCHES_PER_CHANNEL) {
                stop = TooManyBatches.selector;
                break;
            }
            (bool ok, bool isList) = _itemHeader(stream, pos);
            if (!ok || isList) {
                stop = InvalidChannelFraming.selector;
                break;
            }
            pos += RLPReader.itemAt(stream, pos).length();
            count++;
        }
        batches = new bytes[](count);
        uint256 at;
        for (uint256 i = 0; i < count; i++) {
            RLPItem item = RLPReader.itemAt(stream, at);
            batches[i] = item.readBytes();
            at += item.length();
        }
    }

    /// @dev Whether a canonical RLP item header starts at `data[pos]` and its item fits, and
    ///      whether it is a list (node.batches.rlp_item_bounds's checks), without reverting.
    function _itemHeader(bytes memory data, uint256 pos) private pure returns (bool ok, bool isList) {
        uint256 available = data.length - pos;
        uint256 prefix = uint8(data[pos]);
        if (prefix < 0x80) return (true, false);
        isList = prefix >= 0xc0;
        uint256 base = isList ? 0xc0 : 0x80;
        uint256 payload;
        uint256 offset;
        if (prefix < base + 56) {
            payload = prefix - base;
            offset = 1;
            if (!isList && payload == 1 && (available < 2 || uint8(data[pos + 1]) < 0x80)) return (false, false);
        } else {
            uint256 lengthOfLength = prefix - base - 55;
            if (available < 1 + lengthOfLength || uint8(data[pos + 1]) == 0) return (false, isList);
            for (uint256 i = 0; i < lengthOfLength; i++) payload = (payload << 8) | uint8(data[pos + 1 + i]);
            if (payload < 56) return (false, isList);
            offset = 1 + lengthOfLength;
        }
        return (available >= offset + payload, isList);
    }

    // --- span batches ---------------------------------------------------------------------------

    /// @dev A cursor over a batch.
    struct Cursor {
        bytes data;
        uint256 pos;
        bool found; // a span's batch derivation took: its transactions' fields not checked (`foundSpanBlock`)
    }

    /// @notice A span batch (`node.batches._decode_span`): its two checks and its blocks, each
    ///         transaction's hash that of its rebuilt EIP-2718 bytes for chain `chainId`.
    function decodeSpan(bytes memory batch, uint256 chainId)
        public
        pure
        returns (SpanHeader memory header, SpanBlock[] memory blocks)
    {
        return _decodeSpan(batch, chainId, ALL_BLOCKS, BY_BLOCK);
    }

    /// @notice `decodeSpan` with only block `blockIndex`'s transactions rebuilt and hashed (every
    ///         transaction is still checked, as node refuses the whole batch for one bad one); the
    ///         other blocks keep their timestamps and origins, their `txHashes` empty. What deciding
    ///         one L2 block needs.
    function decodeSpanBlock(bytes memory batch, uint256 chainId, uint256 blockIndex)
        public
        pure
        returns (SpanHeader memory header, SpanBlock[] memory blocks)
    {
        return _spanBlock(batch, chainId, blockIndex, BY_BLOCK);
    }

    /// @notice A batch's first and last L1 origin (a singular batch's one, a span's first and last
    ///         block's), decoded as `decodeSingular` (version 0) or `decodeSpanBlock` of its first block
    ///         decode it: their named errors where node's `decode_batch` refuses the batch. What
    ///         `DerivationStep` checks a batch's arrival with (batch_queue.py).
    function origins(bytes memory batch, uint256 chainId) external pure returns (uint256 first, uint256 last) {
        if (batch.length > 0 && uint8(batch[0]) == SINGULAR_BATCH_VERSION) {
            first = decodeSingular(batch, chainId).originNumber;
            return (first, first);
        }
        (, SpanBlock[] memory blocks) = decodeSpanBlock(batch, chainId, 0);
        return (blocks[0].originNumber, blocks[blocks.length - 1].originNumber);
    }

    /// @notice `decodeSpan` with the transactions of the blocks at or before `parentTimestamp` rebuilt
    ///         and hashed (every transaction still checked): the blocks a span overlapping the agreed
    ///         chain must share with it (batch_queue.py `_overlap_mismatch`); the others' `txHashes` empty.
    function decodeSpanOverlap(bytes memory batch, uint256 chainId, uint256 parentTimestamp)
        public
        pure
        returns (SpanHeader memory header, SpanBlock[] memory blocks)
    {
        return _decodeSpan(batch, chainId, parentTimestamp, BY_TIME);
    }

    /// @notice `decodeSpanBlock` of a batch derivation already took (InputOracle's `found`): block
    ///         `blockIndex`'s transactions located, rebuilt and hashed, without the transactions'
    ///         field checks (`CHECK_FIELDS`), which only revert and which the derivation leaf ran on
    ///         these very bytes before it set `found` (docs/fault-proofs.md "Deciding a block's
    ///         inputs on L1": why this is sound). On any other batch its hashes mean nothing.
    ///         Returns the block and the timestamp of the block before it (0 for the first).
    function foundSpanBlock(bytes memory batch, uint256 chainId, uint256 blockIndex)
        public
        pure
        returns (SpanBlock memory, uint256 previousTimestamp)
    {
        (, SpanBlock[] memory blocks) = _spanBlock(batch, chainId, blockIndex, FOUND);
        return (blocks[blockIndex], blockIndex > 0 ? blocks[blockIndex - 1].timestamp : 0);
    }

    function _spanBlock(bytes memory batch, uint256 chainId, uint256 blockIndex, uint256 how)
        private
        pure
        returns (SpanHeader memory header, SpanBlock[] memory blocks)
    {
        (header, blocks) = _decodeSpan(batch, chainId, blockIndex, how);
        if (blockIndex >= blocks.length) revert BlockNotInSpan(blockIndex, blocks.length);
    }

    /// @notice `decodeSingular` of a batch derivation already took (`found`): each transaction's hash
    ///         is keccak256 of its bytes as the batch carries them, none read or rebuilt (the
    ///         derivation leaf's `decodeSingular` checked each one's rebuild equals them). On any
    ///         other batch its hashes mean nothing.
    function foundSingular(bytes memory batch) public pure returns (SingularBatch memory out) {
        RLPItem[] memory f = RLPReader.itemAt(batch, 1).readList();
        out.originNumber = _u64(f[1]);
        out.timestamp = _u64(f[3]);
        RLPItem[] memory txs = f[4].readList();
        out.txHashes = new bytes32[](txs.length);
        for (uint256 i = 0; i < txs.length; i++) {
            (uint256 rawAt, uint256 rawLength) = txs[i].stringPayload();
            bytes32 digest;
            assembly ("memory-safe") {
                digest := keccak256(rawAt, rawLength)
            }
            out.txHashes[i] = digest;
        }
    }

    uint256 private constant BY_BLOCK = 0; // `_decodeSpan`'s `how`
    uint256 private constant BY_TIME = 1;
    uint256 private constant FOUND = 2;

    /// @dev The blocks whose transactions are rebuilt and hashed: block `only` (ALL_BLOCKS: all), or
    ///      (`how` BY_TIME) every block at or before time `only`, a prefix of the span. `how` FOUND: as
    ///      BY_BLOCK, the transactions' fields not checked (`foundSpanBlock`).
    function _decodeSpan(bytes memory batch, uint256 chainId, uint256 only, uint256 how)
        private
        pure
        returns (SpanHeader memory header, SpanBlock[] memory blocks)
    {
        if (batch.length == 0 || uint8(batch[0]) != SPAN_BATCH_VERSION) revert NotASpanBatch(batch.length == 0 ? 256 : uint8(batch[0]));
        Cursor memory c = Cursor(batch, 1, how == FOUND);
        uint256[] memory txCounts;
        uint256 total;
        (header, blocks, txCounts, total) = _readSpanHead(c);
        (uint256 fromBlock, uint256 toBlock) = only == ALL_BLOCKS ? (0, blocks.length) : (only, only + 1);
        if (how == BY_TIME) for (fromBlock = toBlock = 0; toBlock < blocks.length && blocks[toBlock].timestamp <= only; toBlock++) {}
        bytes32[] memory hashes;
        {
            (uint256 hashFrom, uint256 hashTo) = _hashRange(txCounts, fromBlock, toBlock);
            hashes = _spanTxs(c, total, chainId, hashFrom, hashTo);
        }
        if (c.pos != batch.length) revert TrailingBatchData(batch.length - c.pos);
        uint256 cursor; // the next of `hashes`: the wanted blocks' transactions, in order
        for (uint256 i = 0; i < blocks.length; i++) {
            bool wanted = i >= fromBlock && i < toBlock;
            blocks[i].txCount = txCounts[i];
            blocks[i].txHashes = new bytes32[](wanted ? txCounts[i] : 0);
            for (uint256 k = 0; wanted && k < txCounts[i]; k++) blocks[i].txHashes[k] = hashes[cursor++];
        }
    }

    /// @dev prefix ++ block_count ++ origin_bits ++ timestamp_deltas ++ block_tx_counts.
    function _readSpanHead(Cursor memory c)
        private
        pure
        returns (SpanHeader memory header, SpanBlock[] memory blocks, uint256[] memory txCounts, uint256 total)
    {
        uint256 firstTimestamp = _uvarint(c);
        uint256 lastOrigin = _uvarint(c);
        header.parentCheck = bytes20(_take(c, 20));
        header.l1OriginCheck = bytes20(_take(c, 20));
        uint256 count = _uvarint(c);
        if (count == 0) revert InvalidSpanBatch(c.pos);
        if (count > MAX_SPAN_BATCH_ELEMENT_COUNT) revert SpanBatchTooLarge(count);
        (uint256 originAt, uint256 originLen) = _bitlist(c, count);
        blocks = new SpanBlock[](count);
        blocks[0].timestamp = firstTimestamp;
        for (uint256 i = 1; i < count; i++) {
            uint256 delta = _uvarint(c);
            if (delta == 0) revert InvalidSpanBatch(c.pos);
            blocks[i].timestamp = blocks[i - 1].timestamp + delta;
        }
        if (blocks[count - 1].timestamp > type(uint64).max) revert MalformedBatch(c.pos);
        txCounts = new uint256[](count);
        for (uint256 i = 0; i < count; i++) {
            txCounts[i] = _uvarint(c);
            if (txCounts[i] > MAX_BLOCK_USER_TRANSACTIONS) revert BlockTooManyTransactions(i, txCounts[i]);
            total += txCounts[i];
            if (total > MAX_SPAN_BATCH_ELEMENT_COUNT) revert SpanBatchTooLarge(total);
        }
        uint256 origin = lastOrigin;
        for (uint256 i = count; i > 0; i--) {
            blocks[i - 1].originNumber = origin;
            if (i > 1 && _bit(c.data, originAt, originLen, i - 1)) {
                if (origin == 0) revert InvalidSpanBatch(c.pos);
                origin -= 1;
            }
        }
    }

    /// @dev The transactions to rebuild: those of blocks `fromBlock` .. `toBlock` - 1.
    function _hashRange(uint256[] memory txCounts, uint256 fromBlock, uint256 toBlock) private pure returns (uint256 from, uint256 to) {
        for (uint256 i = 0; i < toBlock && i < txCounts.length; i++) {
            if (i < fromBlock) from += txCounts[i];
            to += txCounts[i];
        }
    }

    /// @dev Where the parts of a span's transaction section start in the batch, and what the
    ///      rebuild of transactions `hashFrom`.. reads besides (`_txDataPass`'s third reading reads
    ///      these words by offset: keep the order).
    struct TxSection {
        uint256 creationAt;
        uint256 creationLen;
        uint256 yAt;
        uint256 yLen;
        uint256 sigsAt;
        uint256 tosAt; // the first rebuilt transaction's `to` (the section's first, before the rebuild)
        uint256 datasAt;
        uint256 chainId;
        uint256[] nonceGas; // transaction hashFrom + k's nonce and gas at 2k, 2k + 1
        bytes32[] hashes; // where the rebuilt transactions' hashes go
        uint256 protectedLast; // memory address of the protected bits' last byte (0: none, a singular batch's)
    }

    uint256 private constant CHECK_FIELDS = 0; // `_txDataPass`'s readings
    uint256 private constant FRAME = 1;
    uint256 private constant REBUILD = 2;

    /// @dev The errors the transaction section's assembly reverts with, one selector per 32 bits
    ///      (index k at bits 32k): the same errors, with the same arguments, as the Solidity reader
    ///      before it (RLPReader's for an item header `readList` refuses).
    function _txSectionErrors() private pure returns (uint256) {
        return uint256(uint32(TruncatedBatch.selector)) | (uint256(uint32(MalformedBatch.selector)) << 32)
            | (uint256(uint32(NonCanonicalBatch.selector)) << 64) | (uint256(uint32(InvalidBatchTransaction.selector)) << 96)
            | (uint256(uint32(RLPReader.RLPTruncated.selector)) << 128)
            | (uint256(uint32(RLPReader.RLPNonCanonicalSingleByte.selector)) << 160)
            | (uint256(uint32(RLPReader.RLPNonCanonicalLength.selector)) << 192);
    }

    /// @dev The span's transactions (`node.batches._decode_span_txs`), read in node's order so that
    ///      the first problem is the one named: the bit lists, signatures and `to`s; every tx_data
    ///      framed; the nonces and gas limits; the protected bits; then every transaction's fields.
    ///      Transactions `hashFrom`.. `hashTo` are rebuilt and hashed. The section is walked in
    ///      place, in assembly, with nothing allocated per transaction (docs/fault-proofs.md, "BatchReader
    ///      on a channel of the batcher's size": ~13k gas a transfer before, in Solidity); the rebuild
    ///      too (`_txDataPass`'s third reading: ~11k gas a transfer before, in Solidity).
    function _spanTxs(Cursor memory c, uint256 total, uint256 chainId, uint256 hashFrom, uint256 hashTo)
        private
        pure
        returns (bytes32[] memory hashes)
    {
        TxSection memory s;
        (s.creationAt, s.creationLen) = _bitlist(c, total);
        (s.yAt, s.yLen) = _bitlist(c, total);
        s.sigsAt = c.pos;
        _skip(c, 64 * total);
        s.tosAt = c.pos;
        _skip(c, 20 * (total - _countBits(c.data, s.creationAt, s.creationLen, total)));
        s.datasAt = c.pos;
        uint256 legacyCount;
        uint256 at; // transaction hashFrom's tx_data
        (c.pos, legacyCount, at) = _txDataPass(c.data, c.pos, total, hashFrom, FRAME, s);
        s.nonceGas = new uint256[](2 * (hashTo - hashFrom));
        c.pos = _uvarints(c.data, c.pos, total, hashFrom, s.nonceGas, 0);
        c.pos = _uvarints(c.data, c.pos, total, hashFrom, s.nonceGas, 1);
        s.protectedLast = _bitlistLast(c, legacyCount);
        if (!c.found) _txDataPass(c.data, s.datasAt, total, 0, CHECK_FIELDS, s);
        hashes = s.hashes = new bytes32[](hashTo - hashFrom);
        s.tosAt += 20 * (hashFrom - _countBits(c.data, s.creationAt, s.creationLen, hashFrom));
        s.chainId = chainId;
        _txDataPass(c.data, at, hashTo - hashFrom, hashFrom, REBUILD, s);
    }

    /// @dev One pass over `txCount` tx_datas (`type ‖ rlp(list)`, or a legacy `rlp(list)`) from `startAt`.
    ///      `FRAME`: the first reading, as node's `_decode_span_txs` frames them: a batchable type
    ///      (else InvalidBatchTransaction(i)), a canonical RLP list that fits (else TruncatedBatch or
    ///      MalformedBatch at its offset, as `_rlpAt`), its items' headers as `RLPReader.readList`
    ///      checks them (RLPReader's errors), 3 / 4 / 5 of them (else MalformedBatch); returns the
    ///      end, the legacy count and the offset of transaction `firstIndex`'s tx_data. `CHECK_FIELDS`: the second, on tx_datas already framed, numbered from
    ///      `firstIndex`: a legacy transaction's protected
    ///      bit (bit i of the bitlist whose last byte is at memory `s.protectedLast`; 0: no bits, a
    ///      singular batch's transaction, whose v is checked whole) must be set, and the fields
    ///      are as node's decoder takes them: integers canonical (a string of at most 32 bytes,
    ///      no leading zero), data a string, the access list [[address (20 bytes), [slot (32
    ///      bytes), ...]], ...] (else InvalidBatchTransaction(i), or RLPReader's error for a
    ///      nested item's header). Errors and their arguments are the Solidity reader's before it.
    ///      `REBUILD`: the third, on tx_datas checked, transaction `firstIndex`'s at `startAt`: each
    ///      transaction's EIP-2718 bytes written past the free memory pointer (never allocated: a block
    ///      of hundreds of transactions leaves no memory behind to grow the next one's cost) from its
    ///      tx_data and `s` (its bits, signature, `to`, nonce and gas), hashed into `s.hashes`:
    ///        legacy  rlp([nonce, gas_price, gas, to, value, data, v, r, s])
    ///        0x01 ‖  rlp([chain_id, nonce, gas_price, gas, to, value, data, access_list, y, r, s])
    ///        0x02 ‖  rlp([chain_id, nonce, tip, fee_cap, gas, to, value, data, access_list, y, r, s])
    function _txDataPass(
        bytes memory data,
        uint256 startAt,
        uint256 txCount,
        uint256 firstIndex,
        uint256 mode,
        TxSection memory s
    )
        private
        pure
        returns (uint256 stopAt, uint256 legacyCount, uint256 keptAt)
    {
        {
            uint256 errors = _txSectionErrors();
            assembly ("memory-safe") {
                mstore(0, errors) // scratch space: the selectors `fail` reads, below
            }
        }
        assembly ("memory-safe") {
            // `fail(k, a)`: the error of `_txSectionErrors` index k (0 TruncatedBatch, 1 MalformedBatch,
            // 3 InvalidBatchTransaction) with argument a
            function fail(k, a) {
                let p := mload(0x40)
                mstore(p, shl(224, shr(shl(5, k), mload(0))))
                mstore(add(p, 4), a)
                revert(p, 0x24)
            }
            function failRLPTruncated(needed, available) {
                let p := mload(0x40)
                mstore(p, shl(224, shr(128, mload(0))))
                mstore(add(p, 4), needed)
                mstore(add(p, 0x24), available)
                revert(p, 0x44)
            }
            // 5 RLPNonCanonicalSingleByte, 6 RLPNonCanonicalLength
            function failBare(k) {
                mstore(0x20, shl(224, shr(shl(5, k), mload(0))))
                revert(0x20, 4)
            }
            function longLength(p, lengthOfLength) -> l {
                l := shr(sub(256, shl(3, lengthOfLength)), mload(add(p, 1)))
            }
            // the size of the item at p, whose header is known to be valid
            function itemSize(p) -> size {
                let prefix := byte(0, mload(p))
                size := 1
                if gt(prefix, 0x7f) {
                    switch lt(prefix, 0xc0)
                    case 1 {
                        switch lt(prefix, 0xb8)
                        case 1 { size := sub(prefix, 0x7f) }
                        default { size := add(sub(prefix, 0xb6), longLength(p, sub(prefix, 0xb7))) }
                    }
                    default {
                        switch lt(prefix, 0xf8)
                        case 1 { size := sub(prefix, 0xbf) }
                        default { size := add(sub(prefix, 0xf6), longLength(p, sub(prefix, 0xf7))) }
                    }
                }
            }
            // the payload of the list at p, whose header is known to be valid
            function listPayload(p) -> start, end {
                let prefix := byte(0, mload(p))
                switch lt(prefix, 0xf8)
                case 1 {
                    start := add(p, 1)
                    end := add(start, sub(prefix, 0xc0))
                }
                default {
                    start := add(p, sub(prefix, 0xf6))
                    end := add(start, longLength(p, sub(prefix, 0xf7)))
                }
            }
            // RLPReader.readList's checks of the items in [start, end): their number. One-byte
            // headers other than 0x81 need only fit (RLPReader._shortItemSize); 0x81 and the long
            // forms (bits set in the mask) go through RLPReader._decodeHeader's checks.
            function checkedItems(start, end) -> count {
                for {} lt(start, end) { count := add(count, 1) } {
                    let prefix := byte(0, mload(start))
                    let size := 1
                    if gt(prefix, 0x7f) {
                        switch and(shr(prefix, 0xff00000000000000ff0000000000000200000000000000000000000000000000), 1)
                        case 0 {
                            size := sub(prefix, 0x7f)
                            if gt(prefix, 0xbf) { size := sub(prefix, 0xbf) }
                            if gt(size, sub(end, start)) { failRLPTruncated(size, sub(end, start)) }
                        }
                        default { size := decodedSize(start, prefix, sub(end, start)) }
                    }
                    start := add(start, size)
                }
            }
            function decodedSize(p, prefix, available) -> size {
                if eq(prefix, 0x81) {
                    if lt(available, 2) { failRLPTruncated(2, available) }
                    if lt(byte(0, mload(add(p, 1))), 0x80) { failBare(5) }
                    size := 2
                    leave
                }
                let offset := sub(prefix, 0xb6)
                if gt(prefix, 0xbf) { offset := sub(prefix, 0xf6) }
                if lt(available, offset) { failRLPTruncated(offset, available) }
                if iszero(byte(0, mload(add(p, 1)))) { failBare(6) }
                let payload := longLength(p, sub(offset, 1))
                if lt(payload, 56) { failBare(6) }
                size := add(offset, payload)
                if lt(sub(available, offset), payload) { failRLPTruncated(size, available) }
            }

            // --- the first reading
            function frameAll(base, len, pos, total, from) -> end, legacy, fromAt {
                for { let i := 0 } lt(i, total) { i := add(i, 1) } {
                    if eq(i, from) { fromAt := pos }
                    let kind, next := frameTx(base, len, pos, i)
                    legacy := add(legacy, iszero(kind))
                    pos := next
                }
                end := pos
            }
            // transaction i's tx_data at offset pos: its type (0 legacy), its list's offset, the offset after it
            function frameTx(base, len, pos, i) -> kind, next {
                if iszero(lt(pos, len)) { fail(0, pos) }
                kind := byte(0, mload(add(base, pos)))
                let fields := 3
                switch lt(kind, 0xc0)
                case 1 {
                    if iszero(or(eq(kind, 1), eq(kind, 2))) { fail(3, i) }
                    fields := add(kind, 3)
                    pos := add(pos, 1)
                    if iszero(lt(pos, len)) { fail(0, pos) }
                }
                default { kind := 0 }
                next := add(pos, frameList(add(base, pos), sub(len, pos), pos, fields))
            }
            // the list at p (offset `at`, `available` bytes left): canonical, fitting, its items'
            // headers valid, `fields` of them; its size
            function frameList(p, available, at, fields) -> size {
                let prefix := byte(0, mload(p))
                if lt(prefix, 0xc0) { fail(1, at) }
                let start := add(p, 1)
                let payload := sub(prefix, 0xc0)
                if gt(prefix, 0xf7) {
                    start := add(p, sub(prefix, 0xf6))
                    if or(lt(available, sub(prefix, 0xf6)), iszero(byte(0, mload(add(p, 1))))) { fail(1, at) }
                    payload := longLength(p, sub(prefix, 0xf7))
                    if lt(payload, 56) { fail(1, at) }
                }
                size := add(sub(start, p), payload)
                if lt(available, size) { fail(1, at) }
                if iszero(eq(checkedItems(start, add(start, payload)), fields)) { fail(1, at) }
            }

            // --- the second reading
            function checkAll(base, pos, first, last, protectedLast) -> end {
                let legacyIndex := 0
                let p := add(base, pos)
                for { let i := first } lt(i, last) { i := add(i, 1) } {
                    let kind := byte(0, mload(p))
                    switch lt(kind, 0xc0)
                    case 1 { p := checkTyped(add(p, 1), kind, i) }
                    default {
                        if protectedLast {
                            let bits := byte(0, mload(sub(protectedLast, shr(3, legacyIndex))))
                            if iszero(and(shr(and(legacyIndex, 7), bits), 1)) { fail(3, i) }
                            legacyIndex := add(legacyIndex, 1)
                        }
                        p := checkLegacy(p, i)
                    }
                }
                end := sub(p, base)
            }
            // [value, gas_price, data]
            function checkLegacy(p, i) -> after {
                let field, end := listPayload(p)
                field := checkUint(checkUint(field, i), i)
                if gt(byte(0, mload(field)), 0xbf) { fail(3, i) }
                after := end
            }
            // 0x01: [value, gas_price, data, access_list]; 0x02: [value, tip, fee_cap, data, access_list]
            function checkTyped(p, kind, i) -> after {
                let field, end := listPayload(p)
                field := checkUint(checkUint(field, i), i)
                if eq(kind, 2) { field := checkUint(field, i) }
                if gt(byte(0, mload(field)), 0xbf) { fail(3, i) }
                field := add(field, itemSize(field))
                if iszero(eq(byte(0, mload(field)), 0xc0)) { checkAccessList(field, i) }
                after := end
            }
            // an integer: not a list, no leading zero byte, at most 32 bytes (0xa1.. is 33 or a long
            // form); the offset after it
            function checkUint(field, i) -> next {
                let prefix := byte(0, mload(field))
                if or(or(gt(prefix, 0xa0), iszero(prefix)), and(gt(prefix, 0x80), iszero(byte(0, mload(add(field, 1)))))) {
                    fail(3, i)
                }
                next := add(field, 1)
                if gt(prefix, 0x80) { next := add(field, sub(prefix, 0x7f)) }
            }
            function checkAccessList(p, i) {
                if lt(byte(0, mload(p)), 0xc0) { fail(3, i) }
                let start, end := listPayload(p)
                pop(checkedItems(start, end))
                for { let entry := start } lt(entry, end) { entry := add(entry, itemSize(entry)) } { checkAccessListEntry(entry, i) }
            }
            // [address: a 20-byte string (0x94 ‖ 20 bytes), [slot: a 32-byte string (0xa0 ‖ 32 bytes), ...]]
            function checkAccessListEntry(entry, i) {
                if lt(byte(0, mload(entry)), 0xc0) { fail(3, i) }
                let pairStart, pairEnd := listPayload(entry)
                if iszero(eq(checkedItems(pairStart, pairEnd), 2)) { fail(3, i) }
                let slots := add(pairStart, itemSize(pairStart))
                if or(gt(byte(0, mload(pairStart)), 0xbf), lt(byte(0, mload(slots)), 0xc0)) { fail(3, i) }
                if iszero(eq(byte(0, mload(pairStart)), 0x94)) { fail(3, i) }
                let slotsStart, slotsEnd := listPayload(slots)
                pop(checkedItems(slotsStart, slotsEnd))
                for { let slot := slotsStart } lt(slot, slotsEnd) { slot := add(slot, 33) } {
                    if iszero(eq(byte(0, mload(slot)), 0xa0)) { fail(3, i) }
                }
            }

            // --- the third reading
            // the RLP integer x at memory q; the address after it
            function putUint(q, x) -> next {
                switch lt(x, 0x80)
                case 1 {
                    mstore8(q, or(x, shl(7, iszero(x)))) // 0 is the empty string 0x80
                    next := add(q, 1)
                }
                default {
                    // n + 1 bytes: n the index of x's highest non-zero byte
                    let n := shl(4, iszero(iszero(shr(128, x))))
                    if shr(add(shl(3, n), 64), x) { n := add(n, 8) }
                    if shr(add(shl(3, n), 32), x) { n := add(n, 4) }
                    if shr(add(shl(3, n), 16), x) { n := add(n, 2) }
                    if shr(add(shl(3, n), 8), x) { n := add(n, 1) }
                    mstore8(q, add(0x81, n))
                    mstore(add(q, 1), shl(shl(3, sub(31, n)), x))
                    next := add(q, add(n, 2))
                }
            }
            // the bytes [from, to) copied to memory q; the address after them
            function put(q, from, to) -> next {
                mcopy(q, from, sub(to, from))
                next := add(q, sub(to, from))
            }
            // bit i of the bitlist whose last byte is at memory `last`
            function bitAt(last, i) -> b {
                b := and(shr(and(i, 7), byte(0, mload(sub(last, shr(3, i))))), 1)
            }
            // keccak256 of `kind ‖ rlp_list_header(length) ‖ payload` (no type byte for legacy), the
            // payload's `length` bytes at memory `body`, with 10 bytes free before it
            function hashList(body, length, kind) -> digest {
                let start := sub(body, 1)
                switch lt(length, 56)
                case 1 { mstore8(start, add(0xc0, length)) }
                default {
                    let n := 1 // bytes of the length (a transaction is far below 2**64 bytes)
                    if shr(8, length) { n := 2 }
                    if shr(16, length) { n := 3 }
                    if shr(24, length) { n := 4 }
                    start := sub(body, add(n, 1))
                    mstore8(start, add(0xf7, n))
                    for { let b := 0 } lt(b, n) { b := add(b, 1) } { mstore8(add(start, sub(n, b)), shr(shl(3, b), length)) }
                }
                if kind {
                    start := sub(start, 1)
                    mstore8(start, kind)
                }
                digest := keccak256(start, sub(add(body, length), start))
            }
            // `to` at memory q: the empty string for a creation, else 0x94 ‖ the 20 bytes at memory `tos`
            function putTo(q, creation, tos) -> next {
                switch creation
                case 1 {
                    mstore8(q, 0x80)
                    next := add(q, 1)
                }
                default {
                    mstore8(q, 0x94)
                    mstore(add(q, 1), mload(tos)) // the 12 bytes after the 20 are overwritten or not hashed
                    next := add(q, 21)
                }
            }
            // [gas_price | tip, fee_cap,] gas, to, value, data[, access_list] of the tx_data list at p
            // (type `kind`) written at q; `to` written by `putTo(.., creation, tos)`
            function putFields(q, p, kind, gasLimit, creation, tos) -> next {
                let value, end := listPayload(p)
                let price := add(value, itemSize(value))
                let dataItem := add(price, itemSize(price))
                if eq(kind, 2) { dataItem := add(dataItem, itemSize(dataItem)) }
                q := putUint(put(q, price, dataItem), gasLimit)
                q := put(putTo(q, creation, tos), value, price)
                price := add(dataItem, itemSize(dataItem)) // now: after the data
                next := put(q, dataItem, price)
                if kind { next := put(next, price, end) } // access_list
            }
            // nonce, then `putFields`, of transaction i (the k-th rebuilt) at q; moves `sec`'s `to` on
            function putNonceAndFields(q, p, kind, base, i, k, sec) -> next {
                let nonceGas := add(add(mload(add(sec, 0x100)), 0x20), shl(6, k))
                let creation := bitAt(add(base, sub(add(mload(sec), mload(add(sec, 0x20))), 1)), i)
                let tos := add(base, mload(add(sec, 0xa0)))
                next := putFields(putUint(q, mload(nonceGas)), p, kind, mload(add(nonceGas, 0x20)), creation, tos)
                if iszero(creation) { mstore(add(sec, 0xa0), add(mload(add(sec, 0xa0)), 20)) }
            }
            // v (legacy: EIP-155's) or y, r, s of transaction i at q
            function putSignature(q, kind, base, i, sec) -> next {
                let y := bitAt(add(base, sub(add(mload(add(sec, 0x40)), mload(add(sec, 0x60))), 1)), i)
                switch kind
                case 0 { q := putUint(q, add(add(shl(1, mload(add(sec, 0xe0))), 35), y)) }
                default { q := putUint(q, y) }
                let sig := add(add(base, mload(add(sec, 0x80))), shl(6, i))
                next := putUint(putUint(q, mload(sig)), mload(add(sig, 0x20)))
            }
            // transaction `first` + k's tx_data at memory p: its hash and the memory after its tx_data
            function rebuildTx(base, p, first, k, sec) -> digest, after {
                let kind := byte(0, mload(p))
                switch lt(kind, 0xc0)
                case 1 { p := add(p, 1) }
                default { kind := 0 }
                after := add(p, itemSize(p))
                let body := add(mload(0x40), 10)
                let q := body
                if kind { q := putUint(q, mload(add(sec, 0xe0))) } // chain_id
                q := putNonceAndFields(q, p, kind, base, add(first, k), k, sec)
                q := putSignature(q, kind, base, add(first, k), sec)
                digest := hashList(body, sub(q, body), kind)
            }
            function rebuildAll(base, pos, first, count, sec) {
                let p := add(base, pos)
                let out := add(mload(add(sec, 0x120)), 0x20)
                for { let k := 0 } lt(k, count) { k := add(k, 1) } {
                    let digest, after := rebuildTx(base, p, first, k, sec)
                    mstore(add(out, shl(5, k)), digest)
                    p := after
                }
            }

            switch mode
            case 1 { stopAt, legacyCount, keptAt := frameAll(add(data, 32), mload(data), startAt, txCount, firstIndex) }
            case 2 { rebuildAll(add(data, 32), startAt, firstIndex, txCount, s) }
            default { stopAt := checkAll(add(data, 32), startAt, firstIndex, add(firstIndex, txCount), mload(add(s, 0x140))) }
        }
    }

    /// @dev `count` uvarints from `pos` (`_uvarint`'s rules and errors); that of transaction
    ///      `from + k` kept in `wanted[2k + slot]`. Returns the offset after them.
    function _uvarints(bytes memory data, uint256 pos, uint256 count, uint256 from, uint256[] memory wanted, uint256 slot)
        private
        pure
        returns (uint256)
    {
        uint256 errors = _txSectionErrors();
        assembly ("memory-safe") {
            // errors: 0 TruncatedBatch, 1 MalformedBatch, 2 NonCanonicalBatch
            function fail(errs, k, a) {
                let p := mload(0x40)
                mstore(p, shl(224, shr(shl(5, k), errs)))
                mstore(add(p, 4), a)
                revert(p, 0x24)
            }
            function uvarint(base, len, at, errs) -> value, next {
                if iszero(lt(at, len)) { fail(errs, 0, at) }
                let b := byte(0, mload(add(base, at)))
                next := add(at, 1)
                value := and(b, 0x7f)
                if gt(b, 0x7f) {
                    let shift := 7
                    for { let n := 1 } 1 { n := add(n, 1) } {
                        if eq(n, 10) { fail(errs, 1, next) }
                        if iszero(lt(next, len)) { fail(errs, 0, next) }
                        b := byte(0, mload(add(base, next)))
                        next := add(next, 1)
                        value := or(value, shl(shift, and(b, 0x7f)))
                        if lt(b, 0x80) {
                            if gt(value, 0xffffffffffffffff) { fail(errs, 1, next) }
                            if iszero(b) { fail(errs, 2, next) }
                            break
                        }
                        shift := add(shift, 7)
                    }
                }
            }
            let base := add(data, 32)
            let len := mload(data)
            let wantedCount := shr(1, mload(wanted))
            let out := add(add(wanted, 32), shl(5, slot))
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                let value := 0
                value, pos := uvarint(base, len, pos, errors)
                if lt(sub(i, from), wantedCount) { mstore(add(out, shl(6, sub(i, from))), value) }
            }
        }
        return pos;
    }

    // --- singular batches -----------------------------------------------------------------------

    /// @notice A singular batch (`node.batches._decode_singular`): 0x00 ++ rlp([parent_hash,
    ///         epoch_number, epoch_hash, timestamp, [tx, ...]]), each transaction one node's
    ///         `decode_batch_transaction` takes (type 1, 2 or EIP-155 legacy of chain `chainId`,
    ///         canonical, nonce and gas within a u64) and hashed as it is.
    function decodeSingular(bytes memory batch, uint256 chainId) public pure returns (SingularBatch memory out) {
        if (batch.length == 0 || uint8(batch[0]) != SINGULAR_BATCH_VERSION) revert NotASingularBatch(batch.length == 0 ? 256 : uint8(batch[0]));
        RLPItem item = RLPReader.itemAt(batch, 1);
        if (1 + item.length() != batch.length) revert TrailingBatchData(batch.length - 1 - item.length());
        if (!item.isList()) revert MalformedBatch(1);
        RLPItem[] memory f = item.readList();
        if (f.length != 5 || f[0].isList() || f[2].isList() || !f[4].isList()) revert MalformedBatch(1);
        bytes memory parentHash = f[0].readBytes();
        bytes memory originHash = f[2].readBytes();
        if (parentHash.length != 32 || originHash.length != 32) revert MalformedBatch(1);
        out.parentHash = bytes32(parentHash);
        out.originHash = bytes32(originHash);
        out.originNumber = _u64(f[1]);
        out.timestamp = _u64(f[3]);
        RLPItem[] memory txs = f[4].readList();
        if (txs.length > MAX_BLOCK_USER_TRANSACTIONS) revert BlockTooManyTransactions(0, txs.length);
        out.txHashes = new bytes32[](txs.length);
        for (uint256 i = 0; i < txs.length; i++) {
            if (txs[i].isList()) revert MalformedBatch(1);
            // What one transaction's check allocates is dropped after it (the free memory pointer
            // set back): a block of hundreds of transactions must not grow memory, whose cost is
            // quadratic, with each one's copies (67k gas a transfer at 1,000 before).
            uint256 mark;
            assembly ("memory-safe") {
                mark := mload(0x40)
            }
            (uint256 rawAt, uint256 rawLength) = txs[i].stringPayload();
            bytes32 digest;
            assembly ("memory-safe") {
                digest := keccak256(rawAt, rawLength)
            }
            if (_rawTxRebuilt(rawAt, rawLength, chainId, i) != digest) revert InvalidBatchTransaction(i);
            out.txHashes[i] = digest;
            assembly ("memory-safe") {
                mstore(0x40, mark)
            }
        }
    }

    function _u64(RLPItem item) private pure returns (uint256 value) {
        if (item.isList()) revert MalformedBatch(1);
        bytes memory b = item.readBytes();
        if (b.length > 8 || (b.length > 0 && b[0] == 0)) revert MalformedBatch(1);
        for (uint256 i = 0; i < b.length; i++) value = (value << 8) | uint8(b[i]);
    }

    /// @dev The hash of the raw transaction at memory [rawAt, rawAt + rawLength) read into the span's
    ///      fields and rebuilt: the raw transaction's own hash iff node's `decode_batch_transaction`
    ///      takes it (type 1 or 2 of chain `chainId`, or EIP-155 legacy; its fields as a span's
    ///      reader checks them; nonce and gas within a u64; canonical, since the rebuild is). The
    ///      fields are read in place (`_spanOfRaw`) into a transaction section of one, which the span's
    ///      own readings frame (`FRAME`: its items' headers canonical), check (`CHECK_FIELDS`) and
    ///      rebuild (`REBUILD`).
    function _rawTxRebuilt(uint256 rawAt, uint256 rawLength, uint256 chainId, uint256 index) private pure returns (bytes32) {
        (bytes memory section, uint256 nonce, uint256 gasLimit, bool ok) = _spanOfRaw(rawAt, rawLength, chainId);
        if (!ok) revert InvalidBatchTransaction(index);
        TxSection memory s;
        // creation bit, y bit, r, s, `to` (none for a creation), tx_data
        (s.creationLen, s.yAt, s.yLen, s.sigsAt, s.tosAt) = (1, 1, 1, 2, 66);
        s.datasAt = uint8(section[0]) == 1 ? 66 : 86;
        _txDataPass(section, s.datasAt, 1, index, FRAME, s);
        _txDataPass(section, s.datasAt, 1, index, CHECK_FIELDS, s);
        s.nonceGas = new uint256[](2);
        (s.nonceGas[0], s.nonceGas[1], s.chainId, s.hashes) = (nonce, gasLimit, chainId, new bytes32[](1));
        _txDataPass(section, s.datasAt, 1, 0, REBUILD, s);
        return s.hashes[0];
    }

    /// @dev The raw transaction at memory [p, p + len) as a span's transaction section of one:
    ///      creation bit ‖ y bit ‖ r ‖ s ‖ `to` ‖ tx_data, with its nonce and gas; `ok` false if it is
    ///      not a transaction of a batchable type whose list fills it, with 9 (legacy), 11 (0x01) or
    ///      12 (0x02) items, integers of at most 32 bytes (nonce and gas: 8), `to` empty or 20 bytes,
    ///      EIP-155 v or this chain's id and y <= 1. What it does not check (canonical integers and
    ///      headers, the tx_data's fields) the span's readings check, or the rebuild differs.
    function _spanOfRaw(uint256 p, uint256 len, uint256 chainId)
        private
        pure
        returns (bytes memory section, uint256 nonce, uint256 gasLimit, bool ok)
    {
        assembly ("memory-safe") {
            // the size of the item at q (a header read as it claims; the caller checks it fits)
            function size(q) -> n {
                let prefix := byte(0, mload(q))
                n := 1
                if gt(prefix, 0x7f) {
                    let base := 0x80
                    if gt(prefix, 0xbf) { base := 0xc0 }
                    n := add(sub(prefix, base), 1)
                    if gt(sub(prefix, base), 55) {
                        let lol := sub(prefix, add(base, 55))
                        n := add(add(1, lol), shr(sub(256, shl(3, lol)), mload(add(q, 1))))
                    }
                }
            }
            // an integer item of at most 32 bytes at q: its value, and whether it is one
            function uintAt(q) -> value, valid {
                let prefix := byte(0, mload(q))
                valid := lt(prefix, 0xa1)
                value := prefix
                if gt(prefix, 0x7f) { value := shr(sub(256, shl(3, sub(prefix, 0x80))), mload(add(q, 1))) }
            }
            // the items of the list at `list` ending at `end`, their addresses in the words at
            // `fields` and their sizes in the words 0x200 after: their count (at most 13 read)
            function readItems(list, end, fields) -> count {
                let prefix := byte(0, mload(list))
                let q := add(list, 1)
                if gt(prefix, 0xf7) { q := add(q, sub(prefix, 0xf7)) }
                for {} and(lt(q, end), lt(count, 13)) { count := add(count, 1) } {
                    let n := size(q)
                    mstore(add(fields, shl(5, count)), q)
                    mstore(add(add(fields, 0x200), shl(5, count)), n)
                    q := add(q, n)
                }
                if iszero(eq(q, end)) { count := 0 }
            }
            // y (legacy: from EIP-155's v), r, s written at w + 1, w + 2, w + 34; whether they are
            // integers, v is EIP-155's for chain `id` (legacy) or y <= 1 and the chain id `id`
            function writeSignature(w, fields, count, kind, id) -> valid {
                let x, good := uintAt(mload(add(fields, shl(5, sub(count, 2)))))
                mstore(add(w, 2), x)
                valid := good
                x, good := uintAt(mload(add(fields, shl(5, sub(count, 1)))))
                mstore(add(w, 34), x)
                valid := and(valid, good)
                x, good := uintAt(mload(add(fields, shl(5, sub(count, 3)))))
                valid := and(valid, good)
                switch kind
                case 0 { x := sub(x, add(shl(1, id), 35)) } // below: wraps, refused as y > 1
                default {
                    let shown, shownGood := uintAt(mload(fields))
                    valid := and(valid, and(shownGood, eq(shown, id)))
                }
                valid := and(valid, lt(x, 2))
                mstore8(add(w, 1), x)
            }
            // the items k in [from, to) copied to w; the address after them
            function copyItems(w, fields, from, to) -> next {
                for { let k := from } lt(k, to) { k := add(k, 1) } {
                    let n := mload(add(add(fields, 0x200), shl(5, k)))
                    mcopy(w, mload(add(fields, shl(5, k))), n)
                    w := add(w, n)
                }
                next := w
            }
            // tx_data (type ‖ rlp([value, gas_price | tip, fee_cap, data, access_list]), no type for
            // legacy) at w from the items; the address after it
            function writeTxData(w, fields, count, kind, gasAt) -> next {
                let first := iszero(iszero(kind)) // the nonce's index
                // [value] ++ items first + 1 .. gasAt - 1 ++ items gasAt + 3 .. count - 4
                let payloadLength := copyItemsSize(fields, add(gasAt, 2), add(gasAt, 3))
                payloadLength := add(payloadLength, copyItemsSize(fields, add(first, 1), gasAt))
                payloadLength := add(payloadLength, copyItemsSize(fields, add(gasAt, 3), sub(count, 3)))
                if kind {
                    mstore8(w, kind)
                    w := add(w, 1)
                }
                switch lt(payloadLength, 56)
                case 1 {
                    mstore8(w, add(0xc0, payloadLength))
                    w := add(w, 1)
                }
                default {
                    let n := 1
                    if shr(8, payloadLength) { n := 2 }
                    if shr(16, payloadLength) { n := 3 }
                    mstore8(w, add(0xf7, n))
                    mstore(add(w, 1), shl(sub(256, shl(3, n)), payloadLength))
                    w := add(w, add(1, n))
                }
                w := copyItems(w, fields, add(gasAt, 2), add(gasAt, 3))
                w := copyItems(w, fields, add(first, 1), gasAt)
                next := copyItems(w, fields, add(gasAt, 3), sub(count, 3))
            }
            function copyItemsSize(fields, from, to) -> total {
                for { let k := from } lt(k, to) { k := add(k, 1) } { total := add(total, mload(add(add(fields, 0x200), shl(5, k)))) }
            }

            let end := add(p, len)
            let kind := byte(0, mload(p))
            let list := p
            if lt(kind, 0xc0) { list := add(p, 1) }
            ok := and(gt(len, 0), or(gt(kind, 0xbf), or(eq(kind, 1), eq(kind, 2))))
            if lt(kind, 0xc0) { ok := and(ok, gt(len, 1)) }
            if gt(kind, 0xbf) { kind := 0 }
            if ok { ok := and(gt(byte(0, mload(list)), 0xbf), eq(add(list, size(list)), end)) }
            let fields := mload(0x40) // the items' addresses and sizes, in scratch words
            let count := 0
            if ok {
                count := readItems(list, end, fields)
                // 9, 11 or 12 items (legacy, 0x01, 0x02)
                ok := eq(count, add(9, mul(iszero(iszero(kind)), add(kind, 1))))
            }
            if ok {
                // legacy [nonce, gas_price, gas, to, value, data, v, r, s]; 0x01 [chain_id, nonce,
                // gas_price, gas, to, value, data, access_list, y, r, s]; 0x02 [chain_id, nonce, tip,
                // fee_cap, gas, to, value, data, access_list, y, r, s]
                let gasAt := add(iszero(iszero(kind)), add(2, eq(kind, 2)))
                let good := 0
                nonce, good := uintAt(mload(add(fields, shl(5, iszero(iszero(kind))))))
                ok := good
                gasLimit, good := uintAt(mload(add(fields, shl(5, gasAt))))
                ok := and(ok, and(good, iszero(or(shr(64, nonce), shr(64, gasLimit)))))
                section := add(fields, 0x400) // after the scratch words
                let w := add(section, 32)
                ok := and(ok, writeSignature(w, fields, count, kind, chainId))
                let to := mload(add(fields, shl(5, add(gasAt, 1))))
                mstore8(w, eq(byte(0, mload(to)), 0x80)) // the creation bit
                w := add(w, 66)
                switch byte(0, mload(to))
                case 0x80 {}
                case 0x94 {
                    mcopy(w, add(to, 1), 20)
                    w := add(w, 20)
                }
                default { ok := 0 }
                w := writeTxData(w, fields, count, kind, gasAt)
                mstore(section, sub(w, add(section, 32)))
                mstore(0x40, and(add(w, 31), not(31)))
            }
            if iszero(ok) { section := 0x60 }
        }
    }

    // --- small readers ------------------------------------------------------------------------

    function _rlpAt(Cursor memory c) private pure returns (RLPItem) {
        if (c.pos >= c.data.length) revert TruncatedBatch(c.pos);
        (bool ok,) = _itemHeader(c.data, c.pos);
        if (!ok) revert MalformedBatch(c.pos);
        return RLPReader.itemAt(c.data, c.pos);
    }

    /// @dev Unsigned LEB128, at most 10 bytes, a u64, minimal (node re-encodes and compares).
    function _uvarint(Cursor memory c) private pure returns (uint256 value) {
        uint256 shift;
        for (uint256 n = 0; n < 10; n++) {
            if (c.pos >= c.data.length) revert TruncatedBatch(c.pos);
            uint8 b = uint8(c.data[c.pos++]);
            value |= uint256(b & 0x7f) << shift;
            if (b < 0x80) {
                if (value > type(uint64).max) revert MalformedBatch(c.pos);
                if (b == 0 && n > 0) revert NonCanonicalBatch(c.pos);
                return value;
            }
            shift += 7;
        }
        revert MalformedBatch(c.pos);
    }

    /// @dev A bitlist of `n` bits: ceil(n/8) bytes, the big-endian integer sum(bit_i << i).
    function _bitlist(Cursor memory c, uint256 n) private pure returns (uint256 at, uint256 len) {
        at = c.pos;
        len = (n + 7) / 8;
        _skip(c, len);
        if (n % 8 != 0 && len > 0 && (uint8(c.data[at]) >> (n % 8)) != 0) revert InvalidSpanBatch(at);
    }

    /// @dev `_bitlist`, returning the memory address of its last byte (where bits 0..7 are).
    function _bitlistLast(Cursor memory c, uint256 n) private pure returns (uint256) {
        (uint256 at, uint256 len) = _bitlist(c, n);
        return _base(c.data) + at + len - 1;
    }

    function _bit(bytes memory data, uint256 at, uint256 len, uint256 i) private pure returns (bool) {
        return (uint8(data[at + len - 1 - i / 8]) >> (i % 8)) & 1 == 1;
    }

    function _skip(Cursor memory c, uint256 n) private pure {
        if (c.pos + n > c.data.length) revert TruncatedBatch(c.pos);
        c.pos += n;
    }

    function _take(Cursor memory c, uint256 n) private pure returns (bytes memory out) {
        if (c.pos + n > c.data.length) revert TruncatedBatch(c.pos);
        out = _slice(c.data, c.pos, n);
        c.pos += n;
    }

    function _slice(bytes memory data, uint256 at, uint256 n) private pure returns (bytes memory out) {
        out = new bytes(n);
        assembly ("memory-safe") {
            mcopy(add(out, 32), add(add(data, 32), at), n)
        }
    }

    /// @dev The number of bits set among bits 0 .. n-1 of the bitlist of `len` bytes at `at`.
    function _countBits(bytes memory data, uint256 at, uint256 len, uint256 n) private pure returns (uint256 count) {
        assembly ("memory-safe") {
            let last := add(add(data, 32), sub(add(at, len), 1)) // bit i is in the byte at last - i / 8
            for { let i := 0 } lt(i, n) { i := add(i, 8) } {
                let b := byte(0, mload(sub(last, shr(3, i))))
                if lt(sub(n, i), 8) { b := and(b, sub(shl(sub(n, i), 1), 1)) }
                b := sub(b, and(shr(1, b), 0x55))
                b := add(and(b, 0x33), and(shr(2, b), 0x33))
                count := add(count, and(add(b, shr(4, b)), 0x0f))
            }
        }
    }

    /// @dev The memory address of `data`'s first byte.
    function _base(bytes memory data) private pure returns (uint256 base) {
        assembly ("memory-safe") {
            base := add(data, 32)
        }
    }
}
