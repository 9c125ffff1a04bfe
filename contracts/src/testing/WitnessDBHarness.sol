// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {NodeSet} from "../L1/proof/NodeSet.sol";
import {StepTypes} from "../L1/proof/StepTypes.sol";
import {WitnessDB} from "../L1/proof/WitnessDB.sol";

/// @notice External wrapper over `WitnessDB` for tests only.
contract WitnessDBHarness {
    function load(bytes32 preRoot, bytes[] memory nodes, WitnessDB.AccountWitness[] memory witnesses)
        external
        pure
        returns (StepTypes.PreState memory)
    {
        return WitnessDB.load(preRoot, nodes, witnesses);
    }

    function commit(bytes32 preRoot, bytes[] memory nodes, StepTypes.PostState memory post)
        external
        pure
        returns (bytes32)
    {
        return WitnessDB.commit(preRoot, nodes, post);
    }

    /// @notice `load` then `commit` over one node set, with the gas of each (the witness already in
    ///         memory).
    function loadAndCommit(
        bytes32 preRoot,
        bytes[] memory nodes,
        WitnessDB.AccountWitness[] memory witnesses,
        StepTypes.PostState memory post
    ) external view returns (bytes32 postRoot, uint256 loadGas, uint256 commitGas) {
        uint256 start = gasleft();
        NodeSet.Set memory set = NodeSet.fromNodes(nodes, 64);
        WitnessDB.load(set, preRoot, witnesses);
        uint256 middle = gasleft();
        postRoot = WitnessDB.commit(set, preRoot, post);
        commitGas = middle - gasleft();
        loadGas = start - middle;
    }
}
