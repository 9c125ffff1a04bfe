// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EVMStep} from "../L1/proof/EVMStep.sol";
import {OneStepProof} from "../L1/proof/OneStepProof.sol";
import {StepTypes} from "../L1/proof/StepTypes.sol";
import {WitnessDB} from "../L1/proof/WitnessDB.sol";

/// @title OneStepProofHarness
/// @notice `OneStepProof.proveTransaction` with the L1 gas of each part beside its result
///         (tests/e2e/test_one_step_proof.py, the gas table of docs/fault-proofs.md).
contract OneStepProofHarness is OneStepProof {
    struct Measured {
        bytes32 postRoot;
        bool success;
        uint256 gasUsed;
        bytes32 logsHash;
        uint256 loadGas; //    WitnessChunks.loadChunk (node set + WitnessDB load), the call included
        uint256 executeGas; // EVMStep.execute, the call included
        uint256 commitGas; //  WitnessChunks.commitChunk (node set + WitnessDB commit), the call included
    }

    constructor(EVMStep step_, StepTypes.ProofCostLimits memory caps_) OneStepProof(step_, caps_) {}

    function measure(
        bytes32 preRoot,
        bytes[] calldata nodes,
        WitnessDB.AccountWitness[] calldata witnesses,
        bytes calldata rawTx,
        bytes32 claimedTxHash,
        StepTypes.BlockContext calldata ctx
    ) external view returns (Measured memory m) {
        _checkClaimed(rawTx, claimedTxHash);
        m.loadGas = gasleft();
        StepTypes.PostState memory post = _loadAndExecute(m, preRoot, nodes, witnesses, rawTx, ctx);
        m.commitGas = gasleft();
        m.postRoot = _commitAll(preRoot, nodes, post);
        m.commitGas -= gasleft();
        (m.success, m.gasUsed, m.logsHash) = (post.success, post.gasUsed, post.logsHash);
    }

    /// @dev `m.loadGas` holds gasleft() at the start; leaves the load and execute gas in `m`.
    function _loadAndExecute(
        Measured memory m,
        bytes32 preRoot,
        bytes[] calldata nodes,
        WitnessDB.AccountWitness[] calldata witnesses,
        bytes calldata rawTx,
        StepTypes.BlockContext calldata ctx
    ) private view returns (StepTypes.PostState memory post) {
        (, StepTypes.PreState memory pre) = _loadChunk(_loadStart(preRoot), nodes, witnesses);
        m.executeGas = gasleft();
        m.loadGas -= m.executeGas;
        post = _execute(pre, rawTx, ctx);
        m.executeGas -= gasleft();
    }
}
