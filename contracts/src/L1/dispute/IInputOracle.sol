// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IInputOracle
/// @notice The L1 check of an L2 block's inputs (issue 15: the L1 origin's header against
///         `L1BlockAnchors`, the portal's per-L1-block deposit accumulator, the batcher data recorded
///         by the inbox), as the dispute game's input leaf reads it. `refutes` answers whether the
///         block `l2BlockNumber` on the parent whose output root is `parentOutputRoot` (agreed in
///         the game) can have the transactions `txHashes` (in order) at `timestamp`, when derivation
///         takes the batch `found` for it (`DerivationCommitment.foundLeaf`; 0: no batch, the
///         block is the forced deposit-only one; the game agrees it, `DerivationBisection`): true
///         iff a rule of derivation is broken (the block's other header fields, prevRandao among
///         them, the game derives: `BlockFinishLeaf`). `evidence` is the refuter's (its layout is the oracle's;
///         `InputOracle`: abi.encode(ParentProof, Evidence)); evidence that does not match L1's
///         commitments reverts. Implemented by `contracts/src/L1/derive/InputOracle.sol`.
interface IInputOracle {
    function refutes(
        uint256 l2BlockNumber,
        bytes32 parentOutputRoot,
        bytes32[] calldata txHashes,
        uint256 timestamp,
        bytes32 found,
        bytes calldata evidence
    ) external view returns (bool);
}
