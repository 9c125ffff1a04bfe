// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {StepTypes} from "../L1/proof/StepTypes.sol";
import {EVMStep} from "../L1/proof/EVMStep.sol";

/// @title EVMStepHarness
/// @notice Test access to `EVMStep.execute` (tests/contracts/test_evm_step*.py): returns the
///         PostState, and `measure` returns the L1 gas the step used beside it.
contract EVMStepHarness {
    EVMStep public immutable step;

    constructor(EVMStep step_) {
        step = step_;
    }

    function execute(
        StepTypes.PreState memory pre,
        bytes memory rawTx,
        StepTypes.BlockContext memory ctx,
        StepTypes.ProofCostLimits memory caps
    )
        external
        view
        returns (StepTypes.PostState memory)
    {
        return step.execute(pre, rawTx, ctx, caps, type(uint256).max);
    }

    function measure(
        StepTypes.PreState memory pre,
        bytes memory rawTx,
        StepTypes.BlockContext memory ctx,
        StepTypes.ProofCostLimits memory caps
    )
        external
        view
        returns (StepTypes.PostState memory post, uint256 l1Gas)
    {
        uint256 before = gasleft();
        post = step.execute(pre, rawTx, ctx, caps, type(uint256).max);
        l1Gas = before - gasleft();
    }
}
