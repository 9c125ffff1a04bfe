// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IInputOracle
/// @notice The L1 commitment to an L2 block's inputs (issue 15: batcher data recorded by the inbox,
///         the portal's per-L1-block deposit accumulator, L1 block hashes), as the dispute game's
///         input leaf reads it. `blockInputsHash(n)` is the `inputsHash` (see
///         `OutputDisputeGame.inputsHash`) of the transactions and contexts that L1 derivation gives
///         L2 block `n`. Not deployed yet: until it is, the game's input leaf reverts
///         `LeafNotAvailable` and a claim with wrong inputs cannot be countered by it.
interface IInputOracle {
    function blockInputsHash(uint256 l2BlockNumber) external view returns (bytes32);
}
