// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BatchInbox} from "../BatchInbox.sol";
import {L1BlockAnchors} from "../L1BlockAnchors.sol";
import {L1HeaderLib} from "../lib/L1HeaderLib.sol";
import {BatchReader} from "./BatchReader.sol";
import {
    FRAME_ACCOUNTING_OVERHEAD, MAX_CHANNEL_BANK_FRAMES, MAX_CHANNEL_BANK_SIZE, MAX_CHANNEL_BYTES, MAX_RLP_BYTES_PER_CHANNEL
} from "./ChannelBounds.sol";
import {BlobReader} from "./BlobReader.sol";
import {BatchRules} from "./BatchRules.sol";
import {DerivationCommitment} from "./DerivationCommitment.sol";
import {IDerivationStep} from "./IDerivationStep.sol";
import {InputOracle} from "./InputOracle.sol";
import {L2ParentLib} from "./L2ParentLib.sol";

/// @title DerivationStep
/// @notice One L1 block of the derivation range through node's stages, on L1: the leaf of the
///         bisection that decides which batch, if any, derivation takes for L2 block n
///         (docs/fault-proofs.md, "Which batch, and the absence of one"). On the pre state shown
///         (checked against the agreed commitment) it runs L1 block b's batcher data, checked
///         against `BatchInbox.batchHashChain[b]` (a calldata item's bytes by their hash, each blob
///         of a blob item by `BlobReader.readItem`: one point evaluation, decoded as node/blobs.py does), through
///           frames        node/derive/frames.py: a transaction the frame stage refuses is dropped whole;
///           channel bank  channel_bank.py: the channel id rule (it names the L1 block the channel
///                         opens at), insert, duplicate, closing, timeout and prune rules (at
///                         most 100 MB and 64 frames held, a second channel completed in one L1
///                         block dropped), then the complete channel read (timed-out incomplete
///                         first channels dropped); the pre state carries each frame by
///                         its length and hash, its data shown only for a channel the step reads
///                         (`FrameDataNotShown`);
///           channels      a channel read is decoded by `BatchReader.readChannel` as channels.py's
///                         `read_channel` (the batches before a break in the stream kept, none from
///                         a broken FastLZ stream or an unknown compression), each batch by
///                         `decodeSpanOverlap` / `decodeSingular` (one that does not decode is dropped);
///           batch queue   batch_queue.py: arrival checks, then every batch held judged in order
///                         against the agreed parent (`BatchRules`): dropped, kept, or taken (`found`),
///         and returns the post state's commitment. Once `found` is set the state no longer changes.
contract DerivationStep is IDerivationStep {
    /// @notice What the step reads besides the pre state and the block's inbox data.
    struct Evidence {
        InputOracle.ParentProof parent;
        bytes[] l1Headers; //      newest first, L1 block b down to the parent's L1 origin (at genesis `l1StartBlock`);
        //                         needed when a batch is judged and b is at or after that origin
        bytes[] l2Ancestors; //    headers of L2 blocks n-2, n-3, ... (a span overlapping the agreed chain)
        L2ParentLib.AncestorOrigin[] ancestorOrigins; // for each of l2Ancestors
        bytes[] userTxs; // abi.encode(L2ParentLib.UserTransactions) of the parent, then of each of l2Ancestors (a span overlapping them)
    }

    struct Config {
        L1BlockAnchors anchors;
        BatchInbox inbox;
        BatchReader reader;
        BlobReader blobReader;
        uint256 l1StartBlock;
        uint256 maxSequencerDrift;
        uint256 sequencingWindow;
        uint256 channelTimeout;
        uint256 l2ChainId;
        uint256[3] l1BlockSlots;
    }

    /// @notice The pre state shown does not hash to the agreed commitment.
    error PreStateMismatch(bytes32 agreed, bytes32 shown);
    /// @notice L1 block `l1Block` is before the range `first` .. `last` for this parent (past `last`
    ///         the step changes nothing: the bisection's padding).
    error L1BlockOutOfRange(uint256 l1Block, uint256 first, uint256 last);
    /// @notice The inbox data shown is not what `BatchInbox` recorded for that L1 block.
    error InboxDataNotL1s(uint256 l1Block, uint256 index);
    /// @notice The step cannot be decided from this evidence (or not on L1 yet: an L1 block at or
    ///         past `block.number`, or past the range while its end E is not on L1): `what`.
    error EvidenceNeeded(string what);

    /// @notice A frame of a channel the step reads is not shown: its data is not the bytes whose
    ///         length and hash the state commits to (the state carries frames by hash; the data of
    ///         each channel read in the step must be shown with it).
    error FrameDataNotShown(bytes16 channel, uint256 frame);

    L1BlockAnchors public immutable anchors;
    BatchInbox public immutable inbox;
    BatchReader public immutable reader;
    BlobReader public immutable blobReader;
    uint256 public immutable l1StartBlock;
    uint256 public immutable maxSequencerDrift;
    uint256 public immutable sequencingWindow;
    uint256 public immutable channelTimeout;
    uint256 public immutable l2ChainId;
    uint256 public immutable numberSlot;
    uint256 public immutable hashSlot;
    uint256 public immutable sequenceSlot;

    constructor(Config memory cfg) {
        anchors = cfg.anchors;
        inbox = cfg.inbox;
        reader = cfg.reader;
        blobReader = cfg.blobReader;
        l1StartBlock = cfg.l1StartBlock;
        maxSequencerDrift = cfg.maxSequencerDrift;
        sequencingWindow = cfg.sequencingWindow;
        channelTimeout = cfg.channelTimeout;
        l2ChainId = cfg.l2ChainId;
        (numberSlot, hashSlot, sequenceSlot) = (cfg.l1BlockSlots[0], cfg.l1BlockSlots[1], cfg.l1BlockSlots[2]);
    }

    /// @dev The state being stepped, in memory.
    struct Work {
        Channel[] channels;
        uint256 channelCount;
        uint256 bankSize;
        uint256 bankFrames;
        bytes[] queue;
        uint256[] inclusions;
        uint256 queueCount;
        bytes32 found;
    }

    // --- the entry points -----------------------------------------------------------------------

    /// @notice The range S .. E of L1 blocks for the block after a parent of L1 origin `parentOrigin`
    ///         (`genesis`: the parent is L2 genesis, no origin): node's `derivation_range`.
    function derivationRange(bool genesis, uint256 parentOrigin) public view returns (uint256 first, uint256 last) {
        if (genesis) return (l1StartBlock, l1StartBlock + sequencingWindow - 1);
        first = parentOrigin > l1StartBlock + channelTimeout ? parentOrigin - channelTimeout : l1StartBlock;
        last = parentOrigin + sequencingWindow;
    }

    /// @inheritdoc IDerivationStep
    function step(
        uint256 l2BlockNumber,
        bytes32 parentOutputRoot,
        bytes32 preCommitment,
        uint256 l1Block,
        State calldata pre,
        InboxData calldata data,
        bytes calldata evidence
    ) external view returns (bytes32) {
        bytes32 shown = DerivationCommitment.ofState(pre);
        if (shown != preCommitment) revert PreStateMismatch(preCommitment, shown);
        Evidence memory ev = abi.decode(evidence, (Evidence));
        L2ParentLib.Parent memory parent =
            L2ParentLib.prove(l2BlockNumber, parentOutputRoot, ev.parent, [numberSlot, hashSlot, sequenceSlot]);
        bool genesis = parent.originHash == bytes32(0);
        (uint256 first, uint256 last) = derivationRange(genesis, parent.originNumber);
        if (l1Block < first) revert L1BlockOutOfRange(l1Block, first, last);
        // The block read (past E: E itself) must be on L1: at or past block.number its inbox record
        // is not final (zero ahead: a premature "no batch"), so the step decides nothing yet.
        if ((l1Block > last ? last : l1Block) >= block.number) revert EvidenceNeeded("the L1 block on L1 (not yet)");
        // Decided, or past the range (the game's padding up to a power of two): no change.
        if (pre.found != bytes32(0) || l1Block > last) return preCommitment;
        Work memory w = _load(pre);
        _readInbox(w, l1Block, data);
        _judge(w, parent, l1Block, genesis ? l1StartBlock : parent.originNumber, ev);
        return _commitment(w);
    }

    // --- frames and the channel bank ------------------------------------------------------------

    function _readInbox(Work memory w, uint256 b, InboxData calldata data) internal view {
        if (data.items.length != data.data.length || !inbox.isBlockData(b, data.items)) revert InboxDataNotL1s(b, data.items.length);
        for (uint256 i = 0; i < data.items.length; i++) {
            if (data.items[i].kind == 0) {
                if (data.items[i].dataHash != keccak256(data.data[i])) revert InboxDataNotL1s(b, i);
                _readBatcherData(w, data.data[i], b);
            } else {
                _readBlobs(w, data.items[i].dataHash, data.data[i], b);
            }
        }
        _readChannels(w, b);
    }

    /// @dev One batcher data item through the frame stage into the bank.
    function _readBatcherData(Work memory w, bytes memory batcherData, uint256 b) internal view {
        BatchReader.Frame[] memory frames;
        try reader.frames(batcherData) returns (BatchReader.Frame[] memory read) {
            frames = read;
        } catch (bytes memory reason) {
            _frameStageDrops(reason);
            return; // node/derive/frames.py: the transaction is dropped whole
        }
        for (uint256 k = 0; k < frames.length; k++) _addFrame(w, frames[k], b);
    }

    /// @dev A blob transaction (kind 1): each of its blobs is one batcher data item (retrieval.py),
    ///      every one shown, in order (`shown` = abi.encode(BlobReader.ShownBlob[])), read by
    ///      `BlobReader.readItem` against the inbox's item, which leaves out a blob whose encoding
    ///      node refuses; its refusals of the evidence are its named errors, and a read that could
    ///      not finish (no revert data: out of gas) decides nothing.
    function _readBlobs(Work memory w, bytes32 item, bytes calldata shown, uint256 b) internal view {
        bytes[] memory kept;
        try blobReader.readItem(item, shown) returns (bytes[] memory read) {
            kept = read;
        } catch (bytes memory reason) {
            if (reason.length < 4) revert EvidenceNeeded("a blob the reader could not finish");
            assembly ("memory-safe") {
                revert(add(reason, 32), mload(reason))
            }
        }
        for (uint256 k = 0; k < kept.length; k++) _readBatcherData(w, kept[k], b);
    }

    /// @dev Only the frame stage's own refusals drop a transaction; any other revert decides nothing.
    function _frameStageDrops(bytes memory reason) internal pure {
        bytes4 selector = reason.length >= 4 ? bytes4(reason) : bytes4(0);
        if (
            selector != BatchReader.EmptyBatcherTransaction.selector && selector != BatchReader.UnknownDerivationVersion.selector
                && selector != BatchReader.TruncatedFrame.selector && selector != BatchReader.FrameTooLarge.selector
                && selector != BatchReader.InvalidFrameFlag.selector
        ) revert EvidenceNeeded("batcher data the frame stage reads to its end");
    }

    /// @dev channel_bank.py `add_frame`. The channel id names the L1 block o the channel opens at
    ///      (node/channels.py `channel_id`: its first 8 bytes, big-endian): a frame of block b counts
    ///      only if o <= b <= o + channelTimeout, and a new channel goes after every channel held
    ///      whose open block is at or before o (the bank in the order of (o, opening)).
    function _addFrame(Work memory w, BatchReader.Frame memory frame, uint256 b) internal view {
        uint256 o = uint64(bytes8(frame.channelId));
        if (o > b || o + channelTimeout < b) return; //              out of range (so never timed out)
        uint256 at = w.channelCount;
        uint256 place = w.channelCount; // where a new channel goes
        for (uint256 i = w.channelCount; i > 0; i--) {
            if (w.channels[i - 1].id == frame.channelId) at = i - 1;
            if (w.channels[i - 1].openBlock > o) place = i - 1;
        }
        if (at == w.channelCount) {
            if (w.channelCount == w.channels.length) w.channels = _grow(w.channels);
            for (uint256 i = w.channelCount; i > place; i--) w.channels[i] = w.channels[i - 1];
            w.channels[place] = Channel(frame.channelId, o, 0, new Frame[](0));
            w.channelCount++;
            at = place;
        }
        Channel memory c = w.channels[at];
        if (_hasFrame(c, frame.number)) return; //                      duplicate
        if (c.closing != 0 && (frame.isLast || frame.number >= c.closing)) return; // second last / after the last
        bool another = _firstComplete(w) < w.channelCount; // c is not: its frames are all refused
        if (frame.isLast) {
            c.closing = uint256(frame.number) + 1;
            uint256 kept;
            for (uint256 k = 0; k < c.frames.length; k++) {
                if (c.frames[k].number <= frame.number) kept++;
                else _account(w, c.frames[k], false);
            }
            Frame[] memory trimmed = new Frame[](kept);
            for (uint256 k = 0; k < kept; k++) trimmed[k] = c.frames[k]; // sorted: the kept ones come first
            c.frames = trimmed;
        }
        Frame memory added = Frame(frame.number, frame.data.length, keccak256(frame.data), frame.data);
        c.frames = _insert(c.frames, added);
        _account(w, added, true);
        // a second channel completed in one L1 block is dropped (at most one ready: no backlog)
        if (another && _complete(c)) _removeAt(w, at);
        // prune the oldest
        while ((w.bankSize > MAX_CHANNEL_BANK_SIZE || w.bankFrames > MAX_CHANNEL_BANK_FRAMES) && w.channelCount > 0) _removeAt(w, 0);
    }

    /// @dev channel_bank.py `read`, once an L1 block: timed-out incomplete first channels dropped, then
    ///      the complete channel (at most one, completed in block b: `_addFrame`) decoded and its batches queued.
    function _readChannels(Work memory w, uint256 b) internal view {
        while (w.channelCount > 0 && !_complete(w.channels[0]) && w.channels[0].openBlock + channelTimeout < b) _removeAt(w, 0);
        uint256 at = _firstComplete(w);
        if (at < w.channelCount) {
            Channel memory c = w.channels[at];
            _removeAt(w, at);
            uint256 length;
            for (uint256 k = 0; k < c.frames.length; k++) length += c.frames[k].length;
            if (length > MAX_CHANNEL_BYTES) return; // node's ChannelTooLong: no batch, its data never shown
            bytes memory channel;
            for (uint256 k = 0; k < c.frames.length; k++) {
                Frame memory f = c.frames[k];
                if (f.data.length != f.length || keccak256(f.data) != f.dataHash) revert FrameDataNotShown(c.id, f.number);
                channel = bytes.concat(channel, f.data);
            }
            return _queueChannel(w, channel, b);
        }
    }

    function _queueChannel(Work memory w, bytes memory channel, uint256 b) internal view {
        bytes[] memory batches;
        // node's read_channel: the batches before the channel's first problem (none for an unknown
        // compression or a broken FastLZ stream); only a read that could not finish decides nothing.
        try reader.readChannel(channel, MAX_RLP_BYTES_PER_CHANNEL) returns (bytes[] memory read, bytes4) {
            batches = read;
        } catch {
            revert EvidenceNeeded("a channel the reader could not finish");
        }
        for (uint256 i = 0; i < batches.length; i++) {
            (bool decoded, uint256 firstOrigin, uint256 lastOrigin) = _origins(batches[i]);
            if (!decoded || !BatchRules.arrives(_params(), firstOrigin, lastOrigin, b)) continue;
            if (w.queueCount == w.queue.length) (w.queue, w.inclusions) = _growQueue(w.queue, w.inclusions);
            (w.queue[w.queueCount], w.inclusions[w.queueCount]) = (batches[i], b);
            w.queueCount++; // no cap, as node's (batch_queue.py): an agreed pre-state's queue is empty, so one channel's 64 at most
        }
    }

    // --- the batch queue --------------------------------------------------------------------------

    /// @dev batch_queue.py `next_batch` on the agreed parent: every batch held, in order, dropped,
    ///      kept, or taken (then the rest kept as they are). A batch on another parent is dropped,
    ///      so one is kept only while it waits on the drift rule's next L1 block, b + 1: a batch
    ///      of origin b included in b, whose bytes would hold b's hash (none can: the queue shown
    ///      is empty; batch_queue.py's docstring).
    function _judge(Work memory w, L2ParentLib.Parent memory parent, uint256 b, uint256 origin, Evidence memory ev) internal view {
        if (w.queueCount == 0) return;
        BatchRules.L1Read memory l1 = _l1Read(b, origin, ev.l1Headers);
        (BatchRules.Ancestor[] memory ancestors, bytes32[][] memory userTxs) = _ancestors(parent, ev);
        uint256 i = 0;
        while (i < w.queueCount) {
            BatchRules.Verdict v = _verdict(parent, l1, w.queue[i], ancestors, userTxs);
            if (v == BatchRules.Verdict.Accept) {
                w.found = DerivationCommitment.foundLeaf(keccak256(w.queue[i]), w.inclusions[i]);
                _dropQueued(w, i);
                return;
            }
            if (v == BatchRules.Verdict.Drop) _dropQueued(w, i);
            else i++;
        }
    }

    function _verdict(
        L2ParentLib.Parent memory parent,
        BatchRules.L1Read memory l1,
        bytes memory batch,
        BatchRules.Ancestor[] memory ancestors,
        bytes32[][] memory userTxs
    ) internal view returns (BatchRules.Verdict) {
        if (uint8(batch[0]) == 0) return BatchRules.judgeSingular(_params(), parent, l1, reader.decodeSingular(batch, l2ChainId));
        (BatchReader.SpanHeader memory header, BatchReader.SpanBlock[] memory blocks) =
            reader.decodeSpanOverlap(batch, l2ChainId, parent.timestamp);
        return BatchRules.judgeSpan(_params(), parent, l1, header, blocks, ancestors, userTxs);
    }

    /// @dev A batch's first and last L1 origin (`BatchReader.origins`); `decoded` false if node's
    ///      `decode_batch` refuses it (BatchReader's named errors; anything else decides nothing).
    function _origins(bytes memory batch) internal view returns (bool decoded, uint256 firstOrigin, uint256 lastOrigin) {
        try reader.origins(batch, l2ChainId) returns (uint256 first, uint256 last) {
            return (true, first, last);
        } catch (bytes memory reason) {
            _decodeRefused(reason);
        }
    }

    /// @dev A named error (the decoder's, differential-tested against node's `decode_batch`) drops
    ///      the batch; out of gas (no data) or a panic decide nothing.
    function _decodeRefused(bytes memory reason) internal pure {
        if (reason.length < 4 || bytes4(reason) == 0x4e487b71) revert EvidenceNeeded("a batch the decoder could not finish");
    }

    /// @dev L1 blocks `origin` .. b from their headers (newest first, one chain through the anchors).
    function _l1Read(uint256 b, uint256 origin, bytes[] memory headers) internal view returns (BatchRules.L1Read memory l1) {
        l1.first = origin;
        l1.current = b;
        if (b < origin) return l1; // no block that may be an origin is read yet
        uint256 count = b - origin + 1;
        if (headers.length != count) revert EvidenceNeeded("the L1 headers from b down to the parent's L1 origin");
        L1HeaderLib.Header memory oldest = anchors.verifyL1Header(headers);
        if (oldest.number != origin) revert EvidenceNeeded("the L1 headers from b down to the parent's L1 origin");
        l1.timestamps = new uint256[](count);
        l1.hashes = new bytes32[](count);
        for (uint256 k = 0; k < count; k++) {
            L1HeaderLib.Header memory h = L1HeaderLib.decode(headers[k]);
            (l1.timestamps[count - 1 - k], l1.hashes[count - 1 - k]) = (h.timestamp, h.hash);
        }
    }

    /// @dev The parent's ancestors shown, each the parent of the one before, its L1 origin proven in
    ///      its state; and the user transactions shown of the parent and those ancestors (`userTxs[0]`
    ///      the parent's), proven in their transactions roots.
    function _ancestors(L2ParentLib.Parent memory parent, Evidence memory ev)
        internal
        view
        returns (BatchRules.Ancestor[] memory out, bytes32[][] memory userTxs)
    {
        if (ev.ancestorOrigins.length != ev.l2Ancestors.length) revert EvidenceNeeded("the L1 origin of each L2 ancestor");
        if (ev.userTxs.length > ev.l2Ancestors.length + 1) revert BatchRules.UserTransactionsNeeded(ev.userTxs.length, ev.l2Ancestors.length + 1);
        out = new BatchRules.Ancestor[](ev.l2Ancestors.length);
        userTxs = new bytes32[][](ev.userTxs.length);
        if (userTxs.length > 0) userTxs[0] = reader.userTransactions(parent.transactionsRoot, ev.userTxs[0]);
        bytes32 next = parent.parentHash;
        for (uint256 k = 0; k < out.length; k++) {
            L1HeaderLib.Header memory h = L2ParentLib.ancestor(ev.l2Ancestors[k], next, k);
            out[k] = BatchRules.Ancestor(h.parentHash, h.timestamp, L2ParentLib.originNumber(h.stateRoot, ev.ancestorOrigins[k], numberSlot));
            if (k + 1 < userTxs.length) userTxs[k + 1] = reader.userTransactions(h.transactionsRoot, ev.userTxs[k + 1]);
            next = h.parentHash;
        }
    }

    // --- the state in memory -----------------------------------------------------------------------

    function _params() internal view returns (BatchRules.Params memory) {
        return BatchRules.Params(l1StartBlock, maxSequencerDrift, sequencingWindow);
    }

    function _load(State calldata pre) internal pure returns (Work memory w) {
        w.channels = new Channel[](pre.channels.length + 4);
        for (uint256 i = 0; i < pre.channels.length; i++) {
            w.channels[i] = pre.channels[i];
            for (uint256 k = 0; k < pre.channels[i].frames.length; k++) _account(w, w.channels[i].frames[k], true);
        }
        w.channelCount = pre.channels.length;
        w.queue = new bytes[](pre.queue.length + 4);
        w.inclusions = new uint256[](pre.queue.length + 4);
        for (uint256 i = 0; i < pre.queue.length; i++) (w.queue[i], w.inclusions[i]) = (pre.queue[i].batch, pre.queue[i].inclusion);
        w.queueCount = pre.queue.length;
    }

    function _commitment(Work memory w) internal pure returns (bytes32) {
        bytes32 bank;
        for (uint256 i = 0; i < w.channelCount; i++) bank = DerivationCommitment.channelLink(bank, w.channels[i]);
        bytes32 queue;
        for (uint256 i = 0; i < w.queueCount; i++) queue = DerivationCommitment.queueLink(queue, keccak256(w.queue[i]), w.inclusions[i]);
        return DerivationCommitment.commit(bank, queue, w.found);
    }

    function _hasFrame(Channel memory c, uint256 number) internal pure returns (bool) {
        for (uint256 k = 0; k < c.frames.length; k++) if (c.frames[k].number == number) return true;
        return false;
    }

    /// @dev `frames` with `f` inserted in number order.
    function _insert(Frame[] memory frames, Frame memory f) internal pure returns (Frame[] memory out) {
        out = new Frame[](frames.length + 1);
        uint256 j;
        bool placed;
        for (uint256 k = 0; k < frames.length; k++) {
            if (!placed && f.number < frames[k].number) {
                out[j++] = f;
                placed = true;
            }
            out[j++] = frames[k];
        }
        if (!placed) out[j] = f;
    }

    function _removeAt(Work memory w, uint256 at) internal pure {
        Channel memory c = w.channels[at];
        for (uint256 k = 0; k < c.frames.length; k++) _account(w, c.frames[k], false);
        for (uint256 i = at + 1; i < w.channelCount; i++) w.channels[i - 1] = w.channels[i];
        w.channelCount--;
    }

    function _complete(Channel memory c) internal pure returns (bool) {
        return c.closing != 0 && c.frames.length == c.closing;
    }

    /// @dev The index of the first complete channel held, `channelCount` if none.
    function _firstComplete(Work memory w) internal pure returns (uint256 i) {
        while (i < w.channelCount && !_complete(w.channels[i])) i++;
    }

    /// @dev The bank's counters (channel_bank.py `_account`): a frame's length plus the overhead, and one frame.
    function _account(Work memory w, Frame memory f, bool added) internal pure {
        if (added) (w.bankSize, w.bankFrames) = (w.bankSize + f.length + FRAME_ACCOUNTING_OVERHEAD, w.bankFrames + 1);
        else (w.bankSize, w.bankFrames) = (w.bankSize - f.length - FRAME_ACCOUNTING_OVERHEAD, w.bankFrames - 1);
    }

    function _dropQueued(Work memory w, uint256 at) internal pure {
        for (uint256 i = at + 1; i < w.queueCount; i++) (w.queue[i - 1], w.inclusions[i - 1]) = (w.queue[i], w.inclusions[i]);
        w.queueCount--;
    }

    function _grow(Channel[] memory channels) internal pure returns (Channel[] memory out) {
        out = new Channel[](channels.length * 2 + 4);
        for (uint256 i = 0; i < channels.length; i++) out[i] = channels[i];
    }

    function _growQueue(bytes[] memory queue, uint256[] memory inclusions) internal pure returns (bytes[] memory q, uint256[] memory inc) {
        q = new bytes[](queue.length * 2 + 4);
        inc = new uint256[](queue.length * 2 + 4);
        for (uint256 i = 0; i < queue.length; i++) (q[i], inc[i]) = (queue[i], inclusions[i]);
    }
}
