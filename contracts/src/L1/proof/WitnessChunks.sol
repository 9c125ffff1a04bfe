// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {NodeSet} from "./NodeSet.sol";
import {StepTypes} from "./StepTypes.sol";
import {WitnessDB} from "./WitnessDB.sol";

/// @title WitnessChunks
/// @notice `WitnessDB`'s load and commit, one chunk at a time, as a contract of its own:
///         `OneStepProof` (which creates it) calls it, so that the trie code does not count
///         against OneStepProof's EIP-170 size (as EVMStep calls EVMTx). Pure: OneStepProof keeps
///         every record (docs/fault-proofs.md, "Load and commit in chunks").
contract WitnessChunks {
    /// @notice `WitnessDB.loadChunk` over the node set of `nodes`.
    function loadChunk(WitnessDB.LoadProgress calldata from, bytes[] calldata nodes,
                       WitnessDB.AccountWitness[] calldata witnesses)
        external
        pure
        returns (WitnessDB.LoadProgress memory, StepTypes.Account[] memory)
    {
        return WitnessDB.loadChunk(NodeSet.fromNodes(nodes, 0), from, witnesses);
    }

    /// @notice `WitnessDB.commitChunk` over the node set of `nodes` (with room for the nodes the
    ///         writes create).
    function commitChunk(bytes32 preRoot, bytes[] calldata nodes, StepTypes.PostState calldata post,
                         WitnessDB.CommitCursor calldata from, uint256 maxOps)
        external
        pure
        returns (WitnessDB.CommitCursor memory)
    {
        return WitnessDB.commitChunk(NodeSet.fromNodes(nodes, 64), preRoot, post, from, maxOps);
    }
}
