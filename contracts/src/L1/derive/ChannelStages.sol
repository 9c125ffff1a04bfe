// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FastLZ} from "../lib/FastLZ.sol";
import {BatchReader} from "./BatchReader.sol";

/// @title ChannelStages
/// @notice A channel read as node's `read_channel` reads it, staged across L1 transactions, for a
///         channel whose output is too big to decode in one (docs/fault-proofs.md, "Canonical batch
///         format": a channel may decode to 10 MB, whose memory alone costs ~190M L1 gas). Each
///         stage is a permissionless L1 transaction that decodes the channel's FastLZ stream on from
///         a `Progress` a stage before it reached (or the start), records every 8 KB output segment's
///         hash and every RLP byte string (batch) it frames, and hands on the next `Progress` by hash,
///         as the EVM step's load and commit chunks do (`WitnessDB.LoadProgress`); the batches framed
///         are a hash chain in the progress, so a stage of many tiny batches costs a keccak each, not
///         a storage write. FastLZ's state
///         between stages is small: the input offset, the output length, the last 8 KB of output
///         (the window: a match reaches at most 8,192 bytes back), here by its hash, and where the
///         next batch's header starts. The last stage records the channel's `Read`: how many batches
///         count (those before a break in the framing, none if the stream breaks: node's rule) and
///         why it stopped. A leaf then takes batch i of the channel from `batch`: its bytes shown as
///         the staged segments covering its range. Everything recorded is a function of the channel's
///         bytes alone, keyed by their hash: a stage's size is the sender's choice, never its result.
contract ChannelStages {
    /// @notice Output bytes per recorded segment, and the window a match may reach back into.
    uint256 public constant SEGMENT_BYTES = 8192;
    uint256 public constant WINDOW_BYTES = 8192;
    /// @notice Decompressed bytes a channel may have (node: `MAX_RLP_BYTES_PER_CHANNEL`).
    uint256 public constant MAX_RLP_BYTES_PER_CHANNEL = 10_000_000;
    uint8 internal constant FASTLZ_CHANNEL_PREFIX = 0x02;
    /// @dev `Progress.nextItemAt` once the framing broke: no later batch counts.
    uint256 internal constant FRAMING_BROKEN = type(uint256).max;

    /// @notice Where a staged read stands between two stages.
    struct Progress {
        bytes32 channelHash; // keccak256 of the channel's bytes (its version byte first)
        uint256 inOffset; //    the next instruction's offset in the channel
        uint256 produced; //    output bytes so far
        bytes32 windowHash; //  keccak256 of the last min(8192, produced) output bytes
        uint256 items; //       batches (RLP byte strings) framed so far
        uint256 nextItemAt; //  output offset of the next batch's header (FRAMING_BROKEN: none counts)
        bytes32 itemsChain; //  c_0 = 0, c_i = keccak256(abi.encode(c_{i-1}, start_i, end_i)): every batch framed
    }

    /// @notice A channel read to its end: `batches` count, `stop` says why the read ended before the
    ///         output did (0: it did not; else `BatchReader.readChannel`'s `stop`), `length` the output's.
    struct Read {
        bool done;
        bytes4 stop;
        uint256 batches;
        uint256 length;
    }

    /// @notice `keccak256(abi.encode(progress))` of every progress a stage reached.
    mapping(bytes32 progressHash => bool) public reached;
    /// @notice keccak256 of output bytes [k * 8192, (k + 1) * 8192) (the last segment: to the end).
    mapping(bytes32 channelHash => mapping(uint256 segment => bytes32)) public segmentHash;
    mapping(bytes32 channelHash => Read) internal _reads;

    event StageDecoded(bytes32 indexed channelHash, bytes32 progressHash, uint256 inOffset, uint256 produced);
    event ChannelRead(bytes32 indexed channelHash, bytes4 stop, uint256 batches, uint256 length);

    /// @notice The progress a stage starts from was never reached by a stage (nor is it the start):
    ///         a stage out of order, or a made-up progress.
    error ProgressNotReached(bytes32 progressHash);
    /// @notice The channel shown is not the one the progress is of.
    error ChannelNotShown(bytes32 expected, bytes32 shown);
    /// @notice The window shown is not the progress's last output bytes.
    error WindowNotShown(bytes32 expected, bytes32 shown);
    /// @notice A stage must be allowed to produce output.
    error EmptyStageBudget();
    /// @notice The channel has not been read to its end by stages.
    error ChannelNotRead(bytes32 channelHash);
    /// @notice The channel gives `batches` batches; there is no batch `index`.
    error NoSuchBatch(uint256 index, uint256 batches);
    /// @notice The progresses shown do not frame batch `index` (`from` has `fromItems` batches, `to`
    ///         `toItems`), or the bounds shown are not those they framed (`shown` of them).
    error BoundsNotFramed(uint256 index, uint256 fromItems, uint256 toItems, uint256 shown);
    /// @notice Batch `index` lies in segments `first` .. `first + count - 1`; `shown` were shown.
    error WrongOutputRange(uint256 index, uint256 first, uint256 count, uint256 shown);
    /// @notice Segment `segment` shown is not the output recorded there.
    error SegmentNotRead(uint256 segment, bytes32 expected, bytes32 shown);

    // --- stages ---------------------------------------------------------------------------------

    /// @notice The progress before the first stage of the channel whose bytes hash to `channelHash`.
    function start(bytes32 channelHash) public pure returns (Progress memory) {
        return Progress(channelHash, 1, 0, keccak256(""), 0, 0, bytes32(0));
    }

    /// @notice One stage: decodes `channel` on from `from` until about `budget` more output bytes
    ///         (at an instruction boundary) or the stream's end, and returns the progress reached
    ///         (recorded), or at the stream's end records the channel's `Read` (its last progress
    ///         recorded too, but after a FastLZ error: then no batch counts). Sending a stage again
    ///         writes the same records: they are the channel's, whoever sends it.
    function decodeStage(Progress calldata from, bytes calldata channel, bytes calldata window, uint256 budget)
        external
        returns (Progress memory to)
    {
        bytes32 fromHash = keccak256(abi.encode(from));
        if (fromHash != keccak256(abi.encode(start(from.channelHash))) && !reached[fromHash]) revert ProgressNotReached(fromHash);
        bytes32 shown = keccak256(channel);
        if (shown != from.channelHash) revert ChannelNotShown(from.channelHash, shown);
        shown = keccak256(window);
        if (shown != from.windowHash) revert WindowNotShown(from.windowHash, shown);
        if (budget == 0) revert EmptyStageBudget();
        to = from;
        if (channel.length == 0 || uint8(channel[0]) != FASTLZ_CHANNEL_PREFIX) {
            _finish(to, BatchReader.UnknownChannelCompression.selector, 0);
            return to;
        }
        if (!_advance(to, channel, window, budget)) return to;
        // every progress with output is recorded, the last one too (a leaf reads batches up to it)
        bytes32 toHash = keccak256(abi.encode(to));
        reached[toHash] = true;
        emit StageDecoded(to.channelHash, toHash, to.inOffset, to.produced);
    }

    /// @dev Decodes one stage on from `p` (updated in place); false after a FastLZ error (the read
    ///      recorded, no batch counting, the progress not recorded).
    function _advance(Progress memory p, bytes calldata channel, bytes calldata window, uint256 budget) internal returns (bool) {
        (bytes memory output, uint256 next, uint256 failure) =
            FastLZ.decodeStage(channel, p.inOffset, window, p.produced, MAX_RLP_BYTES_PER_CHANNEL, budget);
        if (failure != 0) {
            // node: any FastLZ error refuses the whole channel, whatever was framed before it
            _finish(p, failure == 1 ? FastLZ.FastLZTruncated.selector : failure == 2 ? FastLZ.FastLZBadBackReference.selector : FastLZ.FastLZTooLarge.selector, 0);
            return false;
        }
        uint256 before = p.produced;
        uint256 base = before - window.length; // output offset of output[0]
        p.inOffset = next;
        p.produced = base + output.length;
        bool last = next == channel.length;
        _recordSegments(p, output, base, before, last);
        _frame(p, output, base, last);
        uint256 keep = output.length < WINDOW_BYTES ? output.length : WINDOW_BYTES;
        p.windowHash = _hashRange(output, output.length - keep, keep);
        if (last) _finishFraming(p);
        return true;
    }

    /// @dev The read's end: a batch framed whose end is past the output's is cut short (it does not count).
    function _finishFraming(Progress memory p) internal {
        if (p.nextItemAt == p.produced) _finish(p, bytes4(0), p.items);
        else _finish(p, BatchReader.InvalidChannelFraming.selector, p.nextItemAt == FRAMING_BROKEN ? p.items : p.items - 1);
    }

    /// @dev The segments whose last byte came out in this stage (the last one partial at the end).
    function _recordSegments(Progress memory p, bytes memory output, uint256 base, uint256 before, bool last) internal {
        (bytes32 channelHash, uint256 produced) = (p.channelHash, p.produced);
        for (uint256 k = before / SEGMENT_BYTES; k * SEGMENT_BYTES < produced; k++) {
            uint256 segmentEnd = (k + 1) * SEGMENT_BYTES;
            if (segmentEnd > produced) {
                if (!last) break;
                segmentEnd = produced;
            }
            segmentHash[channelHash][k] = _hashRange(output, k * SEGMENT_BYTES - base, segmentEnd - k * SEGMENT_BYTES);
        }
    }

    /// @dev node.batches.rlp_item_bounds over the output so far: each complete header frames one
    ///      batch (its payload may end in a later stage); a list or a non-canonical header breaks the
    ///      framing (the batches before it count); a header still incomplete waits for the next stage,
    ///      or at the stream's end breaks it, as does a batch cut short by the end.
    function _frame(Progress memory p, bytes memory output, uint256 base, bool last) internal {
        while (p.nextItemAt < p.produced) {
            uint256 at = p.nextItemAt;
            (uint256 status, uint256 offset, uint256 payload) = _header(output, at - base, p.produced - at);
            if (status == 1 && !last) return;
            if (status != 0) {
                p.nextItemAt = FRAMING_BROKEN;
                return;
            }
            uint256 end = at + offset + payload;
            p.itemsChain = _link(p.itemsChain, at + offset, end);
            p.items++;
            p.nextItemAt = end;
        }
    }

    /// @dev The items chain's next link: keccak256(abi.encode(chain, start, end)), in scratch memory
    ///      past the free pointer (a stage may frame a batch per output byte: no allocation each).
    function _link(bytes32 chain, uint256 startAt, uint256 end) internal pure returns (bytes32 next) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, chain)
            mstore(add(m, 0x20), startAt)
            mstore(add(m, 0x40), end)
            next := keccak256(m, 0x60)
        }
    }

    /// @dev The RLP header at `output[at]` with `available` output bytes from there: status 0 (a byte
    ///      string: payload offset and length), 1 (the header is not all out yet), 2 (a list, or not canonical).
    function _header(bytes memory output, uint256 at, uint256 available) internal pure returns (uint256 status, uint256 offset, uint256 payload) {
        uint256 prefix = uint8(output[at]);
        if (prefix < 0x80) return (0, 0, 1);
        if (prefix >= 0xc0) return (2, 0, 0);
        if (prefix < 0xb8) {
            payload = prefix - 0x80;
            if (payload == 1) {
                if (available < 2) return (1, 0, 0);
                if (uint8(output[at + 1]) < 0x80) return (2, 0, 0);
            }
            return (0, 1, payload);
        }
        uint256 lengthOfLength = prefix - 0xb7;
        if (available < 2) return (1, 0, 0);
        if (uint8(output[at + 1]) == 0) return (2, 0, 0);
        if (available < 1 + lengthOfLength) return (1, 0, 0);
        for (uint256 i = 0; i < lengthOfLength; i++) payload = (payload << 8) | uint8(output[at + 1 + i]);
        if (payload < 56) return (2, 0, 0);
        return (0, 1 + lengthOfLength, payload);
    }

    function _finish(Progress memory p, bytes4 stop, uint256 batches) internal {
        Read memory r = Read(true, stop, batches, p.produced);
        _reads[p.channelHash] = r;
        emit ChannelRead(p.channelHash, stop, r.batches, r.length);
    }

    function _hashRange(bytes memory data, uint256 from, uint256 size) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := keccak256(add(add(data, 0x20), from), size)
        }
    }

    // --- the leaf's reads -----------------------------------------------------------------------

    /// @notice The channel's read (`done` false while stages remain).
    function readOf(bytes32 channelHash) external view returns (Read memory) {
        return _reads[channelHash];
    }

    /// @notice Batch `index` of the channel read by stages (`BatchReader.readChannel`'s batches[index]):
    ///         its bounds among those two recorded progresses `from` and `to` framed (`bounds`: start
    ///         << 128 | end of batches from.items .. to.items - 1, chained to `to.itemsChain`), its
    ///         bytes from the recorded output segments covering them, shown in order.
    function batch(Progress calldata from, Progress calldata to, uint256 index, uint256[] calldata bounds, bytes[] calldata segments)
        external
        view
        returns (bytes memory out)
    {
        (uint256 startAt, uint256 end) = _bounds(from, to, index, bounds);
        if (end == startAt) {
            if (segments.length != 0) revert WrongOutputRange(index, startAt / SEGMENT_BYTES, 0, segments.length);
            return out;
        }
        uint256 first = startAt / SEGMENT_BYTES;
        uint256 count = (end - 1) / SEGMENT_BYTES - first + 1;
        if (segments.length != count) revert WrongOutputRange(index, first, count, segments.length);
        bytes memory joined = _segments(from.channelHash, first, segments);
        uint256 offset = startAt - first * SEGMENT_BYTES;
        out = new bytes(end - startAt);
        assembly ("memory-safe") {
            mcopy(add(out, 0x20), add(add(joined, 0x20), offset), mload(out))
        }
    }

    /// @dev The segments shown from `first` on, each the output recorded there, joined.
    function _segments(bytes32 channelHash, uint256 first, bytes[] calldata segments) internal view returns (bytes memory joined) {
        for (uint256 k = 0; k < segments.length; k++) {
            bytes32 shown = keccak256(segments[k]);
            bytes32 expected = segmentHash[channelHash][first + k];
            if (shown != expected) revert SegmentNotRead(first + k, expected, shown);
            joined = bytes.concat(joined, segments[k]);
        }
    }

    /// @dev Batch `index`'s payload range [start, end) in the output, from the bounds shown.
    function _bounds(Progress calldata from, Progress calldata to, uint256 index, uint256[] calldata bounds)
        internal
        view
        returns (uint256 startAt, uint256 end)
    {
        bytes32 channelHash = from.channelHash;
        Read memory r = _reads[channelHash];
        if (!r.done) revert ChannelNotRead(channelHash);
        if (index >= r.batches) revert NoSuchBatch(index, r.batches);
        bytes32 fromHash = keccak256(abi.encode(from));
        if (fromHash != keccak256(abi.encode(start(channelHash))) && !reached[fromHash]) revert ProgressNotReached(fromHash);
        bytes32 toHash = keccak256(abi.encode(to));
        if (to.channelHash != channelHash || !reached[toHash]) revert ProgressNotReached(toHash);
        if (index < from.items || index >= to.items || bounds.length != to.items - from.items) {
            revert BoundsNotFramed(index, from.items, to.items, bounds.length);
        }
        bytes32 chain = from.itemsChain;
        for (uint256 i = 0; i < bounds.length; i++) chain = _link(chain, bounds[i] >> 128, uint128(bounds[i]));
        if (chain != to.itemsChain) revert BoundsNotFramed(index, from.items, to.items, bounds.length);
        uint256 packed = bounds[index - from.items];
        return (packed >> 128, uint128(packed));
    }
}
