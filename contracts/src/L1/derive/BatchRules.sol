// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BatchReader} from "./BatchReader.sol";
import {L2ParentLib} from "./L2ParentLib.sol";

/// @title BatchRules
/// @notice node/derive/batch_queue.py's verdicts on a batch for the block after the safe head
///         (the agreed parent): accept, drop, or future (kept for a later L1 block). Arrival
///         (`add`), singular batches (`_check_singular`), span batches (`_check_span`,
///         `_overlap_mismatch`) and the rules every block obeys (`_check_block`), in node's order,
///         on an agreed parent (`next_batch(..., agreed_parent=True)`): a batch built on another
///         block is never this block's, so it is dropped, not kept.
library BatchRules {
    enum Verdict {
        Accept,
        Drop,
        Future
    }

    /// @notice The rollup's parameters the rules read.
    struct Params {
        uint256 l1StartBlock;
        uint256 maxSequencerDrift;
        uint256 sequencingWindow;
    }

    /// @notice The L1 blocks read so far that may be origins: `first` .. `current`, their
    ///         timestamps and hashes (index: number - first).
    struct L1Read {
        uint256 first;
        uint256 current;
        uint256[] timestamps;
        bytes32[] hashes;
    }

    /// @notice An L2 block before the parent (n-2, n-3, ...), proven: what `_overlap_mismatch` compares.
    struct Ancestor {
        bytes32 parentHash;
        uint256 timestamp;
        uint256 originNumber;
    }

    /// @notice The parent's L2 ancestors a span overlapping the safe chain needs were not shown.
    error AncestorsNeeded(uint256 shown, uint256 needed);
    /// @notice The user transactions of the span's blocks at or before the parent were not all shown.
    error UserTransactionsNeeded(uint256 shown, uint256 needed);

    /// @notice batch_queue.py `add`: kept for judging, or dropped for good on arrival.
    function arrives(Params memory p, uint256 firstOrigin, uint256 lastOrigin, uint256 inclusion) internal pure returns (bool) {
        return lastOrigin <= inclusion && firstOrigin + p.sequencingWindow > inclusion;
    }

    /// @notice `_check_block`: the rules every derived block obeys. Returns the verdict and, when
    ///         accepted, the origin's hash.
    function checkBlock(
        Params memory p,
        L1Read memory l1,
        uint256 timestamp,
        uint256 origin,
        bool empty,
        uint256 parentTimestamp,
        bool hasParentOrigin,
        uint256 parentOrigin
    ) internal pure returns (Verdict, bytes32) {
        if (hasParentOrigin ? (origin != parentOrigin && origin != parentOrigin + 1) : origin != p.l1StartBlock) return (Verdict.Drop, 0);
        if (timestamp <= parentTimestamp) return (Verdict.Drop, 0);
        if (origin < l1.first || origin > l1.current) return (Verdict.Drop, 0); // not read
        uint256 originTime = l1.timestamps[origin - l1.first];
        if (timestamp < originTime) return (Verdict.Drop, 0);
        if (timestamp > originTime + p.maxSequencerDrift) {
            if (!empty) return (Verdict.Drop, 0);
            if (hasParentOrigin && origin == parentOrigin) {
                if (origin + 1 > l1.current) return (Verdict.Future, 0);
                if (timestamp >= l1.timestamps[origin + 1 - l1.first]) return (Verdict.Drop, 0);
            }
        }
        return (Verdict.Accept, l1.hashes[origin - l1.first]);
    }

    /// @notice `_check_singular`.
    function judgeSingular(Params memory p, L2ParentLib.Parent memory parent, L1Read memory l1, BatchReader.SingularBatch memory s)
        internal
        pure
        returns (Verdict)
    {
        if (s.timestamp <= parent.timestamp) return Verdict.Drop;
        if (s.parentHash != parent.hash) return Verdict.Drop; // another parent: never this block's
        bool hasOrigin = parent.originHash != bytes32(0);
        (Verdict v, bytes32 originHash) =
            checkBlock(p, l1, s.timestamp, s.originNumber, s.txHashes.length == 0, parent.timestamp, hasOrigin, parent.originNumber);
        if (v != Verdict.Accept) return v;
        return originHash == s.originHash ? Verdict.Accept : Verdict.Drop;
    }

    /// @notice `_check_span`: the span's blocks at or before the parent must be the agreed chain's
    ///         (`ancestors`: n-2, n-3, ...; `userTxs`: the user transactions' hashes of the parent,
    ///         n-2, n-3, ..., proven in their transactions roots), its first block after the parent
    ///         built on it, the last origin the one `l1_origin_check` names, each later block
    ///         obeying `checkBlock`. `blocks` must carry the hashes of the overlapping blocks'
    ///         transactions (`BatchReader.decodeSpanOverlap`).
    function judgeSpan(
        Params memory p,
        L2ParentLib.Parent memory parent,
        L1Read memory l1,
        BatchReader.SpanHeader memory header,
        BatchReader.SpanBlock[] memory blocks,
        Ancestor[] memory ancestors,
        bytes32[][] memory userTxs
    ) internal pure returns (Verdict) {
        if (blocks[blocks.length - 1].timestamp <= parent.timestamp) return Verdict.Drop;
        uint256 overlap;
        while (blocks[overlap].timestamp <= parent.timestamp) overlap++;
        if (overlap == 0) {
            if (header.parentCheck != bytes20(parent.hash)) return Verdict.Drop;
        } else if (_overlapMismatch(parent, header, blocks, overlap, ancestors, userTxs)) {
            return Verdict.Drop;
        }
        // the last block's origin first (node's order): a span waits on the next L1 block only if
        // it names the hash of the block it is in
        uint256 lastOrigin = blocks[blocks.length - 1].originNumber;
        if (lastOrigin < l1.first || lastOrigin > l1.current || bytes20(l1.hashes[lastOrigin - l1.first]) != header.l1OriginCheck) {
            return Verdict.Drop;
        }
        uint256 parentTimestamp = parent.timestamp;
        bool hasOrigin = parent.originHash != bytes32(0);
        uint256 parentOrigin = parent.originNumber;
        for (uint256 i = overlap; i < blocks.length; i++) {
            (Verdict v,) = checkBlock(
                p, l1, blocks[i].timestamp, blocks[i].originNumber, blocks[i].txCount == 0, parentTimestamp, hasOrigin, parentOrigin
            );
            if (v != Verdict.Accept) return v;
            (parentTimestamp, hasOrigin, parentOrigin) = (blocks[i].timestamp, true, blocks[i].originNumber);
        }
        return Verdict.Accept;
    }

    /// @dev `_overlap_mismatch`: true iff the span's first `overlap` blocks are not the agreed
    ///      chain's last ones (walked back from the parent: timestamps, L1 origins, user
    ///      transactions), or it starts at or before L2 genesis.
    function _overlapMismatch(
        L2ParentLib.Parent memory parent,
        BatchReader.SpanHeader memory header,
        BatchReader.SpanBlock[] memory blocks,
        uint256 overlap,
        Ancestor[] memory ancestors,
        bytes32[][] memory userTxs
    ) private pure returns (bool) {
        // Block overlap-1 of the span is the parent; block overlap-1-k the parent's k-th ancestor.
        if (overlap > parent.number) return true; // reaches L2 genesis (or before it)
        if (overlap - 1 > ancestors.length) revert AncestorsNeeded(ancestors.length, overlap - 1);
        if (blocks[overlap - 1].timestamp != parent.timestamp || blocks[overlap - 1].originNumber != parent.originNumber) return true;
        bytes32 before = parent.parentHash;
        for (uint256 k = 1; k < overlap; k++) {
            Ancestor memory a = ancestors[k - 1];
            if (blocks[overlap - 1 - k].timestamp != a.timestamp || blocks[overlap - 1 - k].originNumber != a.originNumber) return true;
            before = a.parentHash;
        }
        if (bytes20(before) != header.parentCheck) return true;
        if (overlap > userTxs.length) revert UserTransactionsNeeded(userTxs.length, overlap);
        for (uint256 k = 0; k < overlap; k++) {
            bytes32[] memory spanTxs = blocks[overlap - 1 - k].txHashes;
            if (spanTxs.length != userTxs[k].length) return true;
            for (uint256 i = 0; i < spanTxs.length; i++) if (spanTxs[i] != userTxs[k][i]) return true;
        }
        return false;
    }
}
