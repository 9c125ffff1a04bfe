// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDerivationStep} from "./IDerivationStep.sol";

/// @title DerivationCommitment
/// @notice The one encoding of derivation's state after an L1 block (node's twin:
///         node/derive/derivation_commitment.py, whose docstring has the layout):
///         keccak256(abi.encode(bankHash, queueHash, found)).
library DerivationCommitment {
    /// @notice The empty state (before L1 block S): keccak256(abi.encode(0, 0, 0)).
    bytes32 internal constant EMPTY = keccak256(abi.encode(bytes32(0), bytes32(0), bytes32(0)));

    function commit(bytes32 bankHash, bytes32 queueHash, bytes32 found) internal pure returns (bytes32) {
        return keccak256(abi.encode(bankHash, queueHash, found));
    }

    /// @notice `found` when this batch is the one derivation takes for block n.
    function foundLeaf(bytes32 batchHash, uint256 inclusion) internal pure returns (bytes32) {
        return keccak256(abi.encode(batchHash, inclusion));
    }

    function framesHash(IDerivationStep.Frame[] memory frames) internal pure returns (bytes32 acc) {
        for (uint256 i = 0; i < frames.length; i++) {
            acc = keccak256(abi.encode(acc, frames[i].number, frames[i].dataHash, frames[i].length));
        }
    }

    function channelLink(bytes32 acc, IDerivationStep.Channel memory c) internal pure returns (bytes32) {
        return keccak256(abi.encode(acc, c.id, c.openBlock, c.closing, framesHash(c.frames)));
    }

    function queueLink(bytes32 acc, bytes32 batchHash, uint256 inclusion) internal pure returns (bytes32) {
        return keccak256(abi.encode(acc, batchHash, inclusion));
    }

    function ofState(IDerivationStep.State memory s) internal pure returns (bytes32) {
        bytes32 bank;
        for (uint256 i = 0; i < s.channels.length; i++) bank = channelLink(bank, s.channels[i]);
        bytes32 queue;
        for (uint256 i = 0; i < s.queue.length; i++) queue = queueLink(queue, keccak256(s.queue[i].batch), s.queue[i].inclusion);
        return commit(bank, queue, s.found);
    }
}
