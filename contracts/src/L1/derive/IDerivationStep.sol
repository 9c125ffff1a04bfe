// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BatchInbox} from "../BatchInbox.sol";

/// @title IDerivationStep
/// @notice The leaf of the bisection over L1 blocks that decides which batch, if any, derivation
///         takes for L2 block n on an agreed parent (docs/fault-proofs.md, "Which batch, and the
///         absence of one"). The claims are commitments to derivation's state (channel bank, batch
///         queue, the batch found for block n) after each L1 block S .. E of the range
///         (`DerivationCommitment`; node: node/derive/derivation_commitment.py), the state before S
///         the empty one (`DerivationCommitment.EMPTY`). `step` runs node's stages over one L1
///         block b's batcher data on the pre state (shown whole, checked against `preCommitment`)
///         and returns the post state's commitment. Implemented by `DerivationStep.sol`.
interface IDerivationStep {
    /// @notice A received frame of an open channel: its number, its data's length and keccak256
    ///         (what the state commits to), and its data, shown only when the step reads the channel
    ///         (else empty: the state carries no frame's bytes; `DerivationStep.FrameDataNotShown`).
    struct Frame {
        uint256 number;
        uint256 length;
        bytes32 dataHash;
        bytes data;
    }

    /// @notice A channel in the bank: id, the L1 block it opens at (the one its id names: the id's first
    ///         8 bytes, big-endian; node/channels.py `channel_id`), the closing frame's number + 1
    ///         (0 while no last frame arrived), its frames in number order.
    struct Channel {
        bytes16 id;
        uint256 openBlock;
        uint256 closing;
        Frame[] frames;
    }

    /// @notice A batch the queue keeps: its bytes as the channel carries them, and the L1 block its
    ///         channel became whole in.
    struct QueuedBatch {
        bytes batch;
        uint256 inclusion;
    }

    /// @notice Derivation's state after an L1 block: the bank's channels in its order (by openBlock, then of opening),
    ///         the queue's batches in arrival order, and `found` (0, or
    ///         `DerivationCommitment.foundLeaf` of the batch taken for block n).
    struct State {
        Channel[] channels;
        QueuedBatch[] queue;
        bytes32 found;
    }

    /// @notice L1 block b's batcher transactions as the inbox recorded them (`BatchInbox.isBlockData`),
    ///         and each one's data: a calldata transaction's calldata (kind 0); for a blob transaction
    ///         (kind 1) abi.encode(BlobReader.ShownBlob[]), every blob with its KZG commitment and proof.
    struct InboxData {
        BatchInbox.Item[] items;
        bytes[] data;
    }

    /// @notice The commitment after L1 block `l1Block`, given the commitment before it (agreed) and
    ///         its preimage `pre`, for L2 block `l2BlockNumber` on the parent whose output root is
    ///         `parentOutputRoot`. Past the range's last L1 block (and once `found` is set) the state
    ///         does not change: `post` = `preCommitment`; before its first, `L1BlockOutOfRange`. `evidence` is the implementation's (DerivationStep: abi.encode of
    ///         its `Evidence`: the parent's proof, and the L1 headers the batch queue reads).
    function step(
        uint256 l2BlockNumber,
        bytes32 parentOutputRoot,
        bytes32 preCommitment,
        uint256 l1Block,
        State calldata pre,
        InboxData calldata inbox,
        bytes calldata evidence
    ) external view returns (bytes32 post);
}
