// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IDisputeGameRegistry
/// @notice What the `OutputOracle` asks its challenger when that is a contract (the dispute game
///         factory): whether an open game keeps output `index` from being final.
interface IDisputeGameRegistry {
    /// @notice True while an unresolved game disputes output `index` or an earlier output that is
    ///         still in the oracle (deleting that one would delete `index` too).
    function blocksFinalization(uint256 index) external view returns (bool);
}
