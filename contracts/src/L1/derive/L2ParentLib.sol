// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {L1HeaderLib} from "../lib/L1HeaderLib.sol";
import {OutputRootLib} from "../lib/OutputRootLib.sol";
import {RLPReader} from "../lib/RLPReader.sol";
import {SecureMerkleTrie} from "../lib/SecureMerkleTrie.sol";
import {DepositTxLib} from "./DepositTxLib.sol";
import {InputOracle} from "./InputOracle.sol";

/// @title L2ParentLib
/// @notice An agreed L2 block as derivation knows it (`safe_head`, `safe_origin`), proven against
///         its output root: its header, and the `L1Block` predeploy's number / hash / sequence
///         number slots by Merkle proofs in its state (`InputOracle.ParentProof`); and the L1 origin
///         an older L2 block recorded (`InputOracle.AncestorOrigin`).
library L2ParentLib {
    struct Parent {
        bytes32 hash;
        bytes32 parentHash;
        uint256 number;
        uint256 timestamp;
        uint256 originNumber;
        bytes32 originHash; // 0 at L2 genesis (no L1 origin yet)
        uint256 sequenceNumber;
    }

    /// @notice The parent's output root is not the one agreed.
    error ParentOutputMismatch(bytes32 agreed, bytes32 proven);
    /// @notice The parent's header does not hash to its output's block hash, or is not block n-1.
    error ParentHeaderMismatch();
    /// @notice An L2 ancestor shown is not the one at its place (`index` 0: the parent's parent).
    error L2AncestorMismatch(uint256 index);

    /// @param slots `L1Block`'s storage slots of number, hash, sequenceNumber.
    function prove(uint256 l2BlockNumber, bytes32 agreed, InputOracle.ParentProof memory proof, uint256[3] memory slots)
        internal
        pure
        returns (Parent memory p)
    {
        bytes32 proven = OutputRootLib.hashOutputRootProof(proof.output);
        if (proven != agreed) revert ParentOutputMismatch(agreed, proven);
        if (keccak256(proof.header) != proof.output.latestBlockhash) revert ParentHeaderMismatch();
        L1HeaderLib.Header memory header = L1HeaderLib.decode(proof.header); // L2 headers have L1's fields
        if (header.number + 1 != l2BlockNumber) revert ParentHeaderMismatch();
        (p.hash, p.parentHash, p.number, p.timestamp) = (header.hash, header.parentHash, header.number, header.timestamp);
        bytes32 storageRoot = l1BlockStorageRoot(proof.output.stateRoot, proof.l1BlockAccount);
        p.originNumber = uint64(slot(slots[0], proof.numberSlot, storageRoot));
        p.originHash = bytes32(slot(slots[1], proof.hashSlot, storageRoot));
        p.sequenceNumber = uint64(slot(slots[2], proof.sequenceSlot, storageRoot));
    }

    /// @notice The `index`-th L2 ancestor shown (0: the parent's parent), if it hashes to `expected`
    ///         (the parent hash of the block after it).
    function ancestor(bytes memory header, bytes32 expected, uint256 index) internal pure returns (L1HeaderLib.Header memory h) {
        h = L1HeaderLib.decode(header);
        if (h.hash != expected) revert L2AncestorMismatch(index);
    }

    /// @notice The L1 origin number an L2 block with state root `stateRoot` recorded.
    function originNumber(bytes32 stateRoot, InputOracle.AncestorOrigin memory proof, uint256 numberSlot) internal pure returns (uint256) {
        return uint64(slot(numberSlot, proof.numberSlot, l1BlockStorageRoot(stateRoot, proof.l1BlockAccount)));
    }

    /// @notice The storage root of the `L1Block` predeploy in an L2 state.
    function l1BlockStorageRoot(bytes32 stateRoot, bytes[] memory accountProof) internal pure returns (bytes32) {
        bytes memory account = SecureMerkleTrie.get(abi.encodePacked(DepositTxLib.L1_BLOCK), accountProof, stateRoot);
        return bytes32(RLPReader.toRLPItem(account).readList()[2].readBytes());
    }

    function slot(uint256 index, bytes[] memory proof, bytes32 storageRoot) internal pure returns (uint256 value) {
        (bool found, bytes memory encoded) = SecureMerkleTrie.tryGet(abi.encode(index), proof, storageRoot);
        if (!found) return 0;
        bytes memory word = RLPReader.toRLPItem(encoded).readBytes();
        for (uint256 i = 0; i < word.length; i++) {
            value = (value << 8) | uint8(word[i]);
        }
    }
}
