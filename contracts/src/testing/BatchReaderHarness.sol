// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BatchReader} from "../L1/derive/BatchReader.sol";

/// @notice `BatchReader`'s L1 gas without the calldata that carries its input, for
///         tests/contracts/test_batch_reader.py and bench/span_checks.py: what the reader costs inside
///         the oracle, where the evidence's calldata is paid once, as the compressed channel.
contract BatchReaderHarness is BatchReader {
    /// @notice Gas of `decodeSpanBlock` on a batch already in memory (its copy from calldata not counted).
    function decodeSpanBlockGas(bytes calldata batch, uint256 chainId, uint256 blockIndex)
        external
        view
        returns (uint256 gasUsed, uint256 txCount)
    {
        bytes memory data = batch;
        uint256 before = gasleft();
        (, SpanBlock[] memory blocks) = decodeSpanBlock(data, chainId, blockIndex);
        gasUsed = before - gasleft();
        for (uint256 i = 0; i < blocks.length; i++) txCount += blocks[i].txCount;
    }

    /// @notice Gas of deciding block `blockIndex` of a channel's first batch as the oracle reads
    ///         it: `readChannel` (FastLZ, framing) then `decodeSpanBlock` (`decodeSingular` for a
    ///         singular batch, block 0); the block's tx hashes.
    function channelBlockGas(bytes calldata channel, uint256 maxSize, uint256 chainId, uint256 blockIndex)
        external
        view
        returns (uint256 gasUsed, bytes32[] memory txHashes)
    {
        return _channelGas(channel, maxSize, chainId, blockIndex, DECIDE);
    }

    /// @notice `channelBlockGas` as `InputOracle.checkInputs` now reads a `found` batch:
    ///         `foundSpanBlock` / `foundSingular` (no field checks, a singular batch's transactions
    ///         hashed as carried).
    function foundBlockGas(bytes calldata channel, uint256 maxSize, uint256 chainId, uint256 blockIndex)
        external
        view
        returns (uint256 gasUsed, bytes32[] memory txHashes)
    {
        return _channelGas(channel, maxSize, chainId, blockIndex, FOUND_BLOCK);
    }

    /// @notice Gas of the channel read and the first batch decoded as `DerivationStep.step` decodes
    ///         it for a parent before all its blocks: `decodeSpanOverlap` (every transaction checked,
    ///         none rebuilt) or `decodeSingular` (every one checked and rebuilt).
    function stepBatchGas(bytes calldata channel, uint256 maxSize, uint256 chainId) external view returns (uint256 gasUsed) {
        (gasUsed,) = _channelGas(channel, maxSize, chainId, 0, STEP);
    }

    uint256 private constant DECIDE = 0;
    uint256 private constant FOUND_BLOCK = 1;
    uint256 private constant STEP = 2;

    function _channelGas(bytes calldata channel, uint256 maxSize, uint256 chainId, uint256 blockIndex, uint256 how)
        private
        view
        returns (uint256 gasUsed, bytes32[] memory txHashes)
    {
        bytes memory data = channel;
        uint256 before = gasleft();
        (bytes[] memory batches, bytes4 stop) = readChannel(data, maxSize);
        require(stop == 0 && batches.length > 0, "channel does not read");
        if (uint8(batches[0][0]) == SINGULAR_BATCH_VERSION) {
            txHashes = how == FOUND_BLOCK ? foundSingular(batches[0]).txHashes : decodeSingular(batches[0], chainId).txHashes;
        } else if (how == STEP) {
            decodeSpanOverlap(batches[0], chainId, 0);
        } else if (how == FOUND_BLOCK) {
            (SpanBlock memory found,) = foundSpanBlock(batches[0], chainId, blockIndex);
            txHashes = found.txHashes;
        } else {
            (, SpanBlock[] memory blocks) = decodeSpanBlock(batches[0], chainId, blockIndex);
            txHashes = blocks[blockIndex].txHashes;
        }
        gasUsed = before - gasleft();
    }

}
