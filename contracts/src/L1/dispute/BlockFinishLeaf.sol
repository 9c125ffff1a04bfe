// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {OutputRootLib} from "../lib/OutputRootLib.sol";
import {RLPItem, RLPReader} from "../lib/RLPReader.sol";
import {SecureMerkleTrie} from "../lib/SecureMerkleTrie.sol";

/// @title BlockFinishLeaf
/// @notice The leaf that finishes a block in `OutputDisputeGame` (its own contract so that the game
///         and its factory stay under EIP-170's 24 kB): the output root of L2 block `blockNumber`
///         recomputed from its final state root, the message passer's storage root proven in that
///         state, and the hash of `header`, whose parent is `parentBlockHash`, whose stateRoot is
///         the final state root and whose number is `blockNumber`.
/// @dev    The header's other fields (transactions, receipts, gas used) are not checked yet.
contract BlockFinishLeaf {
    error HeaderMismatch(uint256 field);

    function outputRoot(
        bytes32 stateRoot,
        bytes32 parentBlockHash,
        uint256 blockNumber,
        address messagePasser,
        bytes[] calldata passerAccountProof,
        bytes calldata header
    ) external pure returns (bytes32) {
        RLPItem[] memory account = RLPReader.readList(
            RLPReader.toRLPItem(SecureMerkleTrie.get(abi.encodePacked(messagePasser), passerAccountProof, stateRoot))
        );
        bytes32 passerRoot = bytes32(RLPReader.readBytes(account[2]));
        RLPItem[] memory fields = RLPReader.readList(RLPReader.toRLPItem(header));
        if (bytes32(RLPReader.readBytes(fields[0])) != parentBlockHash) revert HeaderMismatch(0);
        if (bytes32(RLPReader.readBytes(fields[3])) != stateRoot) revert HeaderMismatch(3);
        bytes memory number = RLPReader.readBytes(fields[8]);
        if (number.length > 32 || (number.length == 0 ? 0 : uint256(bytes32(number)) >> (256 - 8 * number.length)) != blockNumber) {
            revert HeaderMismatch(8);
        }
        return OutputRootLib.outputRoot(stateRoot, passerRoot, keccak256(header));
    }
}
