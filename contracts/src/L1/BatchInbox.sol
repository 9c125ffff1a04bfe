// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SystemConfig} from "./SystemConfig.sol";

/// @title BatchInbox
/// @notice Where the batcher posts the L2 chain's data, and L1's record of what it posted: per L1
///         block, a hash chain over the batcher's transactions to the inbox in that block, in
///         block order, so that a contract (the dispute game) can check later that a piece of
///         batcher data was posted in L1 block B, at its place among B's batcher data:
///
///           c_0 = 0,  c_i = keccak256(c_{i-1} ‖ uint8 kind_i ‖ bytes32 item_i)
///           kind 0 (calldata tx): item = keccak256(calldata)
///           kind 1 (blob tx):     item = keccak256(versionedHash_0 ‖ … ‖ versionedHash_{n-1})
///                                 (BLOBHASH; the calldata of a blob tx is ignored, as derivation
///                                 ignores it)
///
///         `batchHashChain(B)` is c_n for the n batcher transactions of block B (0 for none).
///         Only the configured batcher (`SystemConfig.batcher()`) may post: anyone else reverts
///         with `NotBatcher`, and derivation ignores reverted inbox transactions (it reads
///         receipts), so the data derivation reads from L1 block B is exactly what c_n commits to.
///
///         One L1 block takes at most `MAX_BATCHER_DATA_PER_L1_BLOCK` bytes of batcher data, counted
///         as the derivation leaf is shown them: a calldata transaction its calldata, a blob
///         transaction 65,536 a blob (its first half: all derivation reads of a blob). A transaction that would pass it reverts
///         (`BatcherDataOverBlockBound`), so derivation, which ignores reverted inbox transactions,
///         never reads it, and `DerivationStep` is never shown more than one L1 transaction can
///         carry (docs/batches.md, "What one derivation step reads"; node/batch_inbox.py).
/// @dev    The batcher must be a plain EOA: an account with code (a contract, or an EIP-7702
///         delegated EOA) could call the inbox from inside a transaction sent elsewhere, which
///         L1 would record but derivation (which reads transactions whose `to` is the inbox) would
///         not see. `BatcherHasCode` refuses it.
contract BatchInbox {
    uint8 public constant CALLDATA_KIND = 0;
    uint8 public constant BLOBS_KIND = 1;

    /// @notice Batcher data bytes one L1 block may carry (node/batch_inbox.py's twin).
    uint256 public constant MAX_BATCHER_DATA_PER_L1_BLOCK = 131_072;
    /// @notice What a blob counts: the derivation leaf is shown its first half, 65,536 bytes of calldata.
    uint256 public constant BLOB_HALF_SIZE = 65_536;

    SystemConfig public immutable systemConfig;

    /// @dev The L1 block whose batcher data is being counted (high 128 bits) and its bytes so far.
    uint256 private blockUsage;

    /// @notice Per L1 block number, the hash chain of the batcher's transactions in it.
    mapping(uint256 l1BlockNumber => bytes32) public batchHashChain;

    /// @notice One batcher transaction as the chain records it.
    struct Item {
        uint8 kind;
        bytes32 dataHash;
    }

    /// @notice Only the configured batcher may post to the inbox.
    error NotBatcher(address sender);
    /// @notice The batcher account has code, so its calls to the inbox need not be transactions to it.
    error BatcherHasCode(address batcher);
    /// @notice This transaction would take its L1 block's batcher data to `size` bytes, past `limit`.
    error BatcherDataOverBlockBound(uint256 size, uint256 limit);

    constructor(SystemConfig systemConfig_) {
        systemConfig = systemConfig_;
        blockUsage = 1; // non-zero from the start: every batcher transaction's write is a 5,000-gas update
    }

    /// @notice Records the calling transaction (any calldata; no value) in this block's chain.
    fallback() external {
        if (msg.sender != systemConfig.batcher()) revert NotBatcher(msg.sender);
        if (msg.sender.code.length != 0) revert BatcherHasCode(msg.sender);
        uint8 kind = CALLDATA_KIND;
        bytes32 dataHash;
        uint256 size = msg.data.length;
        if (blobhash(0) != bytes32(0)) {
            kind = BLOBS_KIND;
            assembly ("memory-safe") {
                let start := mload(0x40)
                let at := start
                for { let i := 0 } 1 { i := add(i, 1) } {
                    let h := blobhash(i)
                    if iszero(h) { break }
                    mstore(at, h)
                    at := add(at, 32)
                }
                dataHash := keccak256(start, sub(at, start))
                size := mul(shr(5, sub(at, start)), BLOB_HALF_SIZE)
            }
        } else {
            dataHash = keccak256(msg.data);
        }
        uint256 usage = blockUsage;
        if (usage >> 128 == block.number) size += uint128(usage);
        if (size > MAX_BATCHER_DATA_PER_L1_BLOCK) revert BatcherDataOverBlockBound(size, MAX_BATCHER_DATA_PER_L1_BLOCK);
        blockUsage = (block.number << 128) | size;
        batchHashChain[block.number] = keccak256(abi.encodePacked(batchHashChain[block.number], kind, dataHash));
    }

    /// @notice The chain of `items`, to compare with `batchHashChain(l1Block)`.
    function hashChainOf(Item[] calldata items) public pure returns (bytes32 chain) {
        for (uint256 i = 0; i < items.length; i++) {
            chain = keccak256(abi.encodePacked(chain, items[i].kind, items[i].dataHash));
        }
    }

    /// @notice True iff `items` are exactly the batcher transactions of L1 block `l1Block`, in order.
    function isBlockData(uint256 l1Block, Item[] calldata items) external view returns (bool) {
        return hashChainOf(items) == batchHashChain[l1Block];
    }
}
