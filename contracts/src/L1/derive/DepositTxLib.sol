// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RLPWriter} from "../lib/RLPWriter.sol";

/// @title DepositTxLib
/// @notice The L2's deposit transactions (type 0x7E) built on L1 byte for byte as the node builds
///         them, so that their hashes (the `txHashes` the dispute game's block subgames name) can
///         be decided on L1: the L1-info deposit that opens every L2 block (node/l1_info.py) and
///         a user deposit from the portal's `TransactionDeposited` fields (node/deposit_event.py).
///
///             0x7E ‖ rlp([sourceHash, from, to, mint, value, gas, isSystemTx, data])
///
///         sourceHash: user deposit keccak256(uint256(256) ‖ keccak256(l1BlockHash ‖ uint256 position)),
///         `position` the deposit's place among its L1 block's portal deposits from 0 (the link of
///         `depositHashChain[block]` the portal appended for it; Lantau's domain 256, not OP's log
///         index), L1-info keccak256(uint256(1) ‖ keccak256(l1BlockHash ‖ uint256 sequenceNumber))
///         (node/deposit_tx.py); `to` is the empty string for a creation; isSystemTx is false.
library DepositTxLib {
    address internal constant L1_INFO_DEPOSITOR = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;
    address internal constant L1_BLOCK = 0x4200000000000000000000000000000000000015;
    uint256 internal constant L1_INFO_DEPOSIT_GAS = 1_000_000;
    /// @notice `setL1BlockValues(uint64,uint64,uint256,bytes32,uint64)`.
    bytes4 internal constant SET_L1_BLOCK_VALUES = bytes4(keccak256("setL1BlockValues(uint64,uint64,uint256,bytes32,uint64)"));
    uint256 internal constant USER_DEPOSIT_DOMAIN = 256;
    uint256 internal constant L1_INFO_DEPOSIT_DOMAIN = 1;
    uint8 internal constant DEPOSIT_TX_TYPE = 0x7E;

    /// @notice The L1 origin fields the L1-info deposit writes into the `L1Block` predeploy.
    struct L1Info {
        uint64 number;
        uint64 timestamp;
        uint256 baseFee;
        bytes32 hash;
        uint64 sequenceNumber;
    }

    /// @notice A user deposit as the portal logged it (`TransactionDeposited`): the L2 sender (already
    ///         aliased), the recipient (0 for a creation), opaqueData = mint ‖ value ‖ uint64 gas ‖
    ///         isCreation ‖ data. Its position in its L1 block (its source hash) is its place in the
    ///         list the portal's chain fixes.
    struct UserDeposit {
        address from;
        address to;
        bytes opaqueData;
    }

    /// @notice opaqueData shorter than its fixed 73-byte head, or a creation flag other than 0/1.
    error MalformedOpaqueData(uint256 length);

    function l1InfoSourceHash(bytes32 l1BlockHash, uint256 sequenceNumber) internal pure returns (bytes32) {
        return keccak256(abi.encode(L1_INFO_DEPOSIT_DOMAIN, keccak256(abi.encode(l1BlockHash, sequenceNumber))));
    }

    function userDepositSourceHash(bytes32 l1BlockHash, uint256 position) internal pure returns (bytes32) {
        return keccak256(abi.encode(USER_DEPOSIT_DOMAIN, keccak256(abi.encode(l1BlockHash, position))));
    }

    /// @notice The L1-info deposit of a block with L1 origin `info` (node.l1_info.l1_info_deposit).
    function l1InfoDeposit(L1Info memory info) internal pure returns (bytes memory) {
        bytes memory data = abi.encodeWithSelector(
            SET_L1_BLOCK_VALUES, info.number, info.timestamp, info.baseFee, info.hash, info.sequenceNumber
        );
        return encode(
            l1InfoSourceHash(info.hash, info.sequenceNumber), L1_INFO_DEPOSITOR, L1_BLOCK, false, 0, 0,
            L1_INFO_DEPOSIT_GAS, data
        );
    }

    /// @notice The deposit transaction the `position`-th portal deposit (from 0) of L1 block
    ///         `l1BlockHash` makes (node.deposit_event.deposit_transaction).
    function userDeposit(bytes32 l1BlockHash, uint256 position, UserDeposit memory d) internal pure returns (bytes memory) {
        bytes memory opaque = d.opaqueData;
        if (opaque.length < 73 || uint8(opaque[72]) > 1) revert MalformedOpaqueData(opaque.length);
        uint256 mint;
        uint256 value;
        uint256 gasLimit;
        assembly ("memory-safe") {
            mint := mload(add(opaque, 32))
            value := mload(add(opaque, 64))
            gasLimit := shr(192, mload(add(opaque, 96)))
        }
        bool creation = uint8(opaque[72]) == 1;
        bytes memory data = new bytes(opaque.length - 73);
        assembly ("memory-safe") {
            mcopy(add(data, 32), add(opaque, 105), mload(data))
        }
        return encode(userDepositSourceHash(l1BlockHash, position), d.from, d.to, creation, mint, value, gasLimit, data);
    }

    /// @notice keccak256(from ‖ to ‖ opaqueData): one link of the portal's `depositHashChain`.
    function depositLeaf(UserDeposit memory d) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(d.from, d.to, d.opaqueData));
    }

    function encode(
        bytes32 sourceHash,
        address from,
        address to,
        bool creation,
        uint256 mint,
        uint256 value,
        uint256 gas,
        bytes memory data
    ) internal pure returns (bytes memory) {
        bytes memory payload = abi.encodePacked(
            bytes1(0xa0), sourceHash, RLPWriter.writeAddress(from),
            creation ? bytes(hex"80") : RLPWriter.writeAddress(to),
            RLPWriter.writeUint(mint), RLPWriter.writeUint(value), RLPWriter.writeUint(gas), bytes1(0x80),
            RLPWriter.writeBytes(data)
        );
        return abi.encodePacked(bytes1(DEPOSIT_TX_TYPE), RLPWriter.writeList(payload));
    }
}
