// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {L1HeaderLib} from "./lib/L1HeaderLib.sol";

/// @title L1BlockAnchors
/// @notice L1 block hashes recorded while L1 still knew them, and the check of any older L1
///         header against them. L1 serves `blockhash` for 256 blocks and EIP-2935's history
///         contract for 8191 (~27 hours); a dispute may need an L1 origin older than that. So a
///         recent hash is anchored here (`anchor`: anyone; the proposer anchors the L1 block
///         before each proposal, so every L1 origin of the proposed L2 blocks is an ancestor of an
///         anchored block), and a header of any older block is checked by walking parent hashes
///         back from an anchored one (`verifyL1Header`): the dispute never depends on a block
///         hash L1 has forgotten.
contract L1BlockAnchors {
    /// @notice Anchored L1 block hashes, by block number (0: never anchored).
    mapping(uint256 l1BlockNumber => bytes32) public anchored;

    event L1BlockAnchored(uint256 indexed l1BlockNumber, bytes32 l1BlockHash);

    /// @notice L1 no longer serves (or never had) the hash of this block: older than 8191 blocks
    ///         (EIP-2935's window), or not in the past.
    error L1BlockHashUnavailable(uint256 l1BlockNumber);
    /// @notice The first header of a chain is neither anchored nor recent at its number: a header
    ///         of a reorged-out branch, or of a block never anchored and long forgotten.
    error UnanchoredL1Header(uint256 l1BlockNumber, bytes32 l1BlockHash);

    /// @notice Records the hash of recent L1 block `l1BlockNumber` (one of the last 8191).
    function anchor(uint256 l1BlockNumber) public returns (bytes32 l1BlockHash) {
        l1BlockHash = L1HeaderLib.recentBlockHash(l1BlockNumber);
        if (l1BlockHash == bytes32(0)) revert L1BlockHashUnavailable(l1BlockNumber);
        if (anchored[l1BlockNumber] != l1BlockHash) {
            anchored[l1BlockNumber] = l1BlockHash;
            emit L1BlockAnchored(l1BlockNumber, l1BlockHash);
        }
    }

    /// @notice Records the hash of the previous L1 block (what a proposal anchors).
    function anchorPrevious() external returns (bytes32) {
        return anchor(block.number - 1);
    }

    /// @notice The trusted hash of L1 block `l1BlockNumber`: anchored, or still known to L1 (0 if neither).
    function trustedHash(uint256 l1BlockNumber) public view returns (bytes32 hash) {
        hash = anchored[l1BlockNumber];
        if (hash == bytes32(0)) hash = L1HeaderLib.recentBlockHash(l1BlockNumber);
    }

    /// @notice The L1 header at the end of `headers` (RLP, newest first, each the parent of the
    ///         one before), checked: `headers[0]`'s hash is the trusted hash at its number.
    ///         Reverts `UnanchoredL1Header` or `L1HeaderLib.HeaderChainBroken` otherwise.
    function verifyL1Header(bytes[] calldata headers) external view returns (L1HeaderLib.Header memory) {
        L1HeaderLib.Header[] memory chain = verifyL1Headers(headers);
        return chain[chain.length - 1];
    }

    /// @notice `verifyL1Header`'s check, returning every header of the chain decoded (newest first):
    ///         a caller that reads several of them (`InputOracle`: a span's origins) decodes none again.
    function verifyL1Headers(bytes[] calldata headers) public view returns (L1HeaderLib.Header[] memory) {
        if (headers.length == 0) revert L1HeaderLib.EmptyHeaderChain();
        L1HeaderLib.Header memory top = L1HeaderLib.decode(headers[0]);
        bytes32 trusted = trustedHash(top.number);
        if (trusted != top.hash) revert UnanchoredL1Header(top.number, top.hash);
        return L1HeaderLib.walkBackAll(trusted, headers);
    }
}
