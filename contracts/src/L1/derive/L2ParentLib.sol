// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {L1HeaderLib} from "../lib/L1HeaderLib.sol";
import {OutputRootLib} from "../lib/OutputRootLib.sol";
import {MerkleTrie} from "../lib/MerkleTrie.sol";
import {RLPReader} from "../lib/RLPReader.sol";
import {RLPWriter} from "../lib/RLPWriter.sol";
import {SecureMerkleTrie} from "../lib/SecureMerkleTrie.sol";
import {DepositTxLib} from "./DepositTxLib.sol";
import {InputOracle} from "./InputOracle.sol";

/// @title L2ParentLib
/// @notice An agreed L2 block as derivation knows it (`safe_head`, `safe_origin`), proven against
///         its output root: its header, and the `L1Block` predeploy's number / hash / sequence
///         number slots by Merkle proofs in its state (`InputOracle.ParentProof`); the L1 origin
///         an older L2 block recorded (`AncestorOrigin`); and an agreed block's user
///         transactions, proven in its `transactionsRoot` (`UserTransactions`).
library L2ParentLib {
    struct Parent {
        bytes32 hash;
        bytes32 parentHash;
        uint256 number;
        uint256 timestamp;
        uint256 originNumber;
        bytes32 originHash; // 0 at L2 genesis (no L1 origin yet)
        uint256 sequenceNumber;
        bytes32 transactionsRoot;
    }

    /// @notice Where an L2 block recorded its L1 origin: `L1Block`'s account and number slot, proven
    ///         in the block's state root.
    struct AncestorOrigin {
        bytes[] l1BlockAccount;
        bytes[] numberSlot;
    }

    /// @notice An agreed L2 block's user transactions (batch_queue.py `_overlap_mismatch`: its
    ///         transactions that are not deposits), each by a Merkle proof under key rlp(i) in the
    ///         block's `transactionsRoot`: `proofs[0]` proves transaction `first - 1` a deposit (type
    ///         0x7E), `proofs[1 + j]` transaction `first + j`, the last one proving the key after the
    ///         last transaction absent. A derived block starts with its deposits (the L1-info deposit,
    ///         then its origin's in the origin's first block) and a batch carries none, so `first` is
    ///         where its deposits end: transaction `first` may not be a deposit.
    struct UserTransactions {
        uint256 first;
        bytes[][] proofs;
    }

    /// @notice The parent's output root is not the one agreed.
    error ParentOutputMismatch(bytes32 agreed, bytes32 proven);
    /// @notice The parent's header does not hash to its output's block hash, or is not block n-1.
    error ParentHeaderMismatch();
    /// @notice An L2 ancestor shown is not the one at its place (`index` 0: the parent's parent).
    error L2AncestorMismatch(uint256 index);
    /// @notice The proofs do not show transaction `first - 1` a deposit and transaction `first` not one.
    error NotWhereDepositsEnd(uint256 first);
    /// @notice The proofs end before one proving the key after the block's last transaction absent.
    error UserTransactionsNotShown(uint256 shown);

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
        p.transactionsRoot = header.transactionsRoot;
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

    /// @notice The hashes of the user transactions of the L2 block whose transactions root is `root`,
    ///         in order, from `shown` (named reverts for proofs that are not L2's or end early).
    function userTransactions(bytes32 root, UserTransactions memory shown) internal pure returns (bytes32[] memory hashes) {
        uint256 first = shown.first;
        bytes[][] memory proofs = shown.proofs;
        if (first == 0 || proofs.length < 2) revert UserTransactionsNotShown(proofs.length);
        (bool found, bytes memory raw) = MerkleTrie.tryGet(RLPWriter.writeUint(first - 1), proofs[0], root);
        if (!found || !_isDeposit(raw)) revert NotWhereDepositsEnd(first);
        hashes = new bytes32[](proofs.length - 2);
        for (uint256 j = 0; j < proofs.length - 1; j++) {
            (found, raw) = MerkleTrie.tryGet(RLPWriter.writeUint(first + j), proofs[1 + j], root);
            if (j == 0 && found && _isDeposit(raw)) revert NotWhereDepositsEnd(first);
            if (found == (j == hashes.length)) revert UserTransactionsNotShown(proofs.length);
            if (found) hashes[j] = keccak256(raw);
        }
    }

    function _isDeposit(bytes memory raw) private pure returns (bool) {
        return raw.length > 0 && uint8(raw[0]) == DepositTxLib.DEPOSIT_TX_TYPE;
    }

    /// @notice The L1 origin number an L2 block with state root `stateRoot` recorded.
    function originNumber(bytes32 stateRoot, AncestorOrigin memory proof, uint256 numberSlot) internal pure returns (uint256) {
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
