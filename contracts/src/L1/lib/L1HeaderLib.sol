// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RLPItem, RLPReader} from "./RLPReader.sol";

/// @title L1HeaderLib
/// @notice Reads L1 block headers from their RLP encoding, and walks a chain of them back from a
///         block hash a contract trusts (`blockhash`, EIP-2935's history contract, or a hash
///         anchored in storage while it was recent) to any older block, so that no check on an
///         L1 block depends on a hash L1 has forgotten.
///
///         A header is the RLP list L1 hashes (Prague: 21 fields): parentHash, ommersHash,
///         coinbase, stateRoot, transactionsRoot, receiptsRoot, logsBloom, difficulty, number,
///         gasLimit, gasUsed, timestamp, extraData, mixHash (prevrandao), nonce, baseFeePerGas,
///         withdrawalsRoot, blobGasUsed, excessBlobGas, parentBeaconBlockRoot, requestsHash.
///         Its hash is keccak256 of that encoding. Headers before London (no base fee, fewer than
///         16 fields) are refused; later fields are read when present (0 otherwise).
library L1HeaderLib {
    /// @notice EIP-2935's history contract (Prague): `staticcall` with a 32-byte block number
    ///         returns that block's hash for the last `HISTORY_SERVE_WINDOW` blocks.
    address internal constant HISTORY_STORAGE_ADDRESS = 0x0000F90827F1C53a10cb7A02335B175320002935;
    uint256 internal constant HISTORY_SERVE_WINDOW = 8191;

    /// @notice The fields of an L1 header that Lantau's derivation uses (L1-info deposit, deposits).
    struct Header {
        bytes32 hash;
        bytes32 parentHash;
        bytes32 stateRoot;
        bytes32 receiptsRoot;
        uint256 number;
        uint256 timestamp;
        bytes32 mixHash;
        uint256 baseFee;
        uint256 excessBlobGas;
        bytes32 transactionsRoot; // an L2 header's: what the span overlap check proves transactions in
    }

    /// @notice The RLP is a list of fewer than 16 items: not a post-London header.
    error NotAHeader(uint256 fields);
    /// @notice A header field is longer than its type allows.
    error BadHeaderField(uint256 index);
    /// @notice `headers[index]` is not the parent of the header before it (or, for index 0, does
    ///         not hash to the trusted hash): the chain does not reach a trusted block.
    error HeaderChainBroken(uint256 index, bytes32 expected, bytes32 actual);
    /// @notice No headers were given.
    error EmptyHeaderChain();

    /// @notice The fields of the header encoded by `rlpHeader`, with its hash.
    function decode(bytes memory rlpHeader) internal pure returns (Header memory header) {
        RLPItem[] memory fields = RLPReader.toRLPItem(rlpHeader).readList();
        if (fields.length < 16) revert NotAHeader(fields.length);
        header.hash = keccak256(rlpHeader);
        header.parentHash = _word(fields, 0);
        header.stateRoot = _word(fields, 3);
        header.transactionsRoot = _word(fields, 4);
        header.receiptsRoot = _word(fields, 5);
        header.number = uint256(_uintField(fields, 8));
        header.timestamp = uint256(_uintField(fields, 11));
        header.mixHash = _word(fields, 13);
        header.baseFee = uint256(_uintField(fields, 15));
        if (fields.length > 18) header.excessBlobGas = uint256(_uintField(fields, 18));
    }

    /// @notice Walks from `trusted` back through `headers`: `headers[0]` must hash to `trusted`,
    ///         and each next one must be the parent of the one before. Returns the last, decoded.
    ///         O(n) in the headers walked: ~600 B of calldata and a few thousand gas per block.
    function walkBack(bytes32 trusted, bytes[] memory headers) internal pure returns (Header memory header) {
        Header[] memory chain = walkBackAll(trusted, headers);
        return chain[chain.length - 1];
    }

    /// @notice `walkBack`, returning every header of the chain decoded (newest first), so a caller
    ///         reading several of them decodes none twice.
    function walkBackAll(bytes32 trusted, bytes[] memory headers) internal pure returns (Header[] memory chain) {
        if (headers.length == 0) revert EmptyHeaderChain();
        chain = new Header[](headers.length);
        bytes32 expected = trusted;
        for (uint256 i = 0; i < headers.length; i++) {
            chain[i] = decode(headers[i]);
            if (chain[i].hash != expected) revert HeaderChainBroken(i, expected, chain[i].hash);
            expected = chain[i].parentHash;
        }
    }

    /// @notice The hash of L1 block `number` as this L1 block still knows it: `blockhash` for the
    ///         last 256 blocks, EIP-2935's history contract for the last 8191, else 0.
    function recentBlockHash(uint256 number) internal view returns (bytes32 hash) {
        if (number >= block.number) return bytes32(0);
        if (block.number - number <= 256) return blockhash(number);
        if (block.number - number > HISTORY_SERVE_WINDOW) return bytes32(0);
        (bool ok, bytes memory answer) = HISTORY_STORAGE_ADDRESS.staticcall(abi.encode(number));
        if (ok && answer.length == 32) hash = abi.decode(answer, (bytes32));
    }

    function _word(RLPItem[] memory fields, uint256 index) private pure returns (bytes32 value) {
        (uint256 at, uint256 size) = fields[index].stringPayload();
        if (size != 32) revert BadHeaderField(index);
        assembly ("memory-safe") {
            value := mload(at)
        }
    }

    function _uintField(RLPItem[] memory fields, uint256 index) private pure returns (uint256 value) {
        (uint256 at, uint256 size) = fields[index].stringPayload();
        if (size > 32) revert BadHeaderField(index);
        if (size == 0) return 0;
        assembly ("memory-safe") {
            value := shr(mul(8, sub(32, size)), mload(at))
        }
    }
}
