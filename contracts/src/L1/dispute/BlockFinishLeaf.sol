// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {OutputRootLib} from "../lib/OutputRootLib.sol";
import {RLPItem, RLPReader} from "../lib/RLPReader.sol";
import {RLPWriter} from "../lib/RLPWriter.sol";
import {SecureMerkleTrie} from "../lib/SecureMerkleTrie.sol";
import {StepTypes} from "../proof/StepTypes.sol";
import {BlockAccumulator} from "./BlockAccumulator.sol";

/// @title BlockFinishLeaf
/// @notice The leaf that finishes a block in `OutputDisputeGame` (its own contract so that the game
///         and its factory stay under EIP-170's 24 kB): the output root of L2 block `blockNumber`
///         recomputed from its final state root S, the message passer's storage root proven in S,
///         and the hash of the block's header, which the leaf rebuilds field by field as the node
///         builds it (node/chain.py `build_block` on py-evm's Prague header, node/derive/attributes.py)
///         from what the game has agreed, so that no stepper can choose it:
///
///           0 parentHash        the agreed parent's block hash (the starting output's)
///           1 ommersHash        keccak256(rlp([]))
///           2 coinbase          the block context's (the SequencerFeeVault)
///           3 stateRoot         S
///           4 transactionsRoot, 5 receiptsRoot, 6 logsBloom, 10 gasUsed: the agreed final
///                               `BlockAccumulator.Acc`'s (the claim at trace index T-2 is its hash)
///           7 difficulty 0, 12 extraData empty, 14 nonce 0, 16 withdrawalsRoot empty trie,
///           17 blobGasUsed 0, 18 excessBlobGas 0, 19 parentBeaconBlockRoot empty trie root,
///           20 requestsHash sha256("") (the node's constants)
///           8 number            `blockNumber`
///           9 gasLimit          the parent's (derivation's rule), = the context's
///           11 timestamp, 13 mixHash (prevRandao): the context's (transaction 0's, whose hash is
///                               the subgame's `contextHashes[0]`)
///           15 baseFeePerGas    EIP-1559 from the parent header (London's rule, as py-evm), = the
///                               context's
///
///         The parent header must hash to the agreed parent block hash. A header field that differs
///         from the rebuilt one reverts `HeaderMismatch(field)`.
///         Every field is so rebuilt from agreed data: the header shown only has to equal it.
///         The leaf deploys the game's `BlockAccumulator` (`accumulator`), whose final `Acc` it
///         reads, so the game's configuration names one contract for both.
contract BlockFinishLeaf {
    /// @notice Field `field` of the header shown is not the one the node builds.
    error HeaderMismatch(uint256 field);
    /// @notice The header shown is not a list of the node's 21 header fields.
    error NotAnL2Header(uint256 fields);
    /// @notice The parent header does not hash to the agreed parent block hash.
    error ParentHeaderMismatch(bytes32 expected, bytes32 actual);
    /// @notice The context shown is not the subgame's transaction 0's (`contextHashes[0]`), or not
    ///         this block's.
    error ContextMismatch();

    bytes32 internal constant EMPTY_OMMERS_HASH = 0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347;
    bytes32 internal constant EMPTY_TRIE_ROOT = 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421;
    bytes32 internal constant EMPTY_REQUESTS_HASH = 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;
    uint256 internal constant HEADER_FIELDS = 21;
    uint256 internal constant ELASTICITY_MULTIPLIER = 2;
    uint256 internal constant BASE_FEE_MAX_CHANGE_DENOMINATOR = 8;

    /// @notice What the stepper shows to finish a block.
    struct Finish {
        bytes[] passerAccountProof; // the message passer's account in S (`eth_getProof`)
        bytes header; //              the block's header (RLP)
        bytes parentHeader; //        its parent's header (RLP)
        StepTypes.BlockContext context0; // transaction 0's block context
    }

    /// @notice What the game has agreed about the block: its number, its parent's block hash,
    ///         transaction 0's context hash (the subgame's `contextHashes[0]`) and its final `Acc`
    ///         (state root S, gas used, transactions and receipts roots, logs bloom).
    struct Agreed {
        uint256 blockNumber;
        bytes32 parentBlockHash;
        bytes32 context0Hash;
        BlockAccumulator.Acc last; // after the block's last transaction (its hash is the claim at T-2)
    }

    /// @notice Steps a transaction's effect on a block's `Acc` (`OutputDisputeGame.stepTransaction`).
    BlockAccumulator public immutable accumulator;

    constructor() {
        accumulator = new BlockAccumulator();
    }

    function outputRoot(Agreed calldata agreed, address messagePasser, Finish calldata f)
        external
        pure
        returns (bytes32)
    {
        RLPItem[] memory account = RLPReader.readList(
            RLPReader.toRLPItem(SecureMerkleTrie.get(abi.encodePacked(messagePasser), f.passerAccountProof, agreed.last.stateRoot))
        );
        bytes32 passerRoot = bytes32(RLPReader.readBytes(account[2]));
        return OutputRootLib.outputRoot(agreed.last.stateRoot, passerRoot, blockHash(agreed, f));
    }

    /// @notice keccak256 of the header the node builds (the fields above), after checking the one
    ///         shown against it field by field.
    function blockHash(Agreed calldata agreed, Finish calldata f) public pure returns (bytes32) {
        if (keccak256(abi.encode(f.context0)) != agreed.context0Hash || f.context0.number != agreed.blockNumber) {
            revert ContextMismatch();
        }
        bytes32 parentHash = keccak256(f.parentHeader);
        if (parentHash != agreed.parentBlockHash) revert ParentHeaderMismatch(agreed.parentBlockHash, parentHash);
        RLPItem[] memory shown = RLPReader.readList(RLPReader.toRLPItem(f.header));
        if (shown.length != HEADER_FIELDS) revert NotAnL2Header(shown.length);
        RLPItem[] memory parent = RLPReader.readList(RLPReader.toRLPItem(f.parentHeader));
        if (parent.length != HEADER_FIELDS) revert NotAnL2Header(parent.length);

        bytes[] memory fields = new bytes[](HEADER_FIELDS);
        fields[0] = _word(agreed.parentBlockHash);
        fields[1] = _word(EMPTY_OMMERS_HASH);
        fields[2] = RLPWriter.writeAddress(f.context0.coinbase);
        fields[3] = _word(agreed.last.stateRoot);
        fields[4] = _word(agreed.last.transactionsRoot);
        fields[5] = _word(agreed.last.receiptsRoot);
        fields[6] = RLPWriter.writeBytes(abi.encodePacked(agreed.last.logsBloom));
        fields[7] = RLPWriter.writeUint(0);
        fields[8] = RLPWriter.writeUint(agreed.blockNumber);
        uint256 gasLimit = _uint(parent, 9);
        if (f.context0.gasLimit != gasLimit) revert ContextMismatch();
        fields[9] = RLPWriter.writeUint(gasLimit);
        if (agreed.last.cumulativeGasUsed > gasLimit) revert HeaderMismatch(10);
        fields[10] = RLPWriter.writeUint(agreed.last.cumulativeGasUsed);
        fields[11] = RLPWriter.writeUint(f.context0.timestamp);
        fields[12] = RLPWriter.writeBytes("");
        fields[13] = _word(f.context0.prevRandao);
        fields[14] = RLPWriter.writeBytes(new bytes(8));
        uint256 baseFee = nextBaseFee(_uint(parent, 15), _uint(parent, 10), gasLimit);
        if (f.context0.baseFee != baseFee) revert ContextMismatch();
        fields[15] = RLPWriter.writeUint(baseFee);
        fields[16] = _word(EMPTY_TRIE_ROOT);
        fields[17] = RLPWriter.writeUint(0);
        fields[18] = RLPWriter.writeUint(0);
        fields[19] = _word(EMPTY_TRIE_ROOT);
        fields[20] = _word(EMPTY_REQUESTS_HASH);

        bytes memory payload;
        for (uint256 i = 0; i < HEADER_FIELDS; ++i) {
            if (keccak256(RLPReader.readRawBytes(shown[i])) != keccak256(fields[i])) revert HeaderMismatch(i);
            payload = bytes.concat(payload, fields[i]);
        }
        return keccak256(RLPWriter.writeList(payload));
    }

    /// @notice EIP-1559's base fee of a block after a parent with `parentBaseFee`, `parentGasUsed`
    ///         and gas limit `gasLimit` (py-evm's `calculate_expected_base_fee_per_gas`).
    function nextBaseFee(uint256 parentBaseFee, uint256 parentGasUsed, uint256 gasLimit) public pure returns (uint256) {
        uint256 target = gasLimit / ELASTICITY_MULTIPLIER;
        if (parentGasUsed == target) return parentBaseFee;
        if (parentGasUsed > target) {
            uint256 up = parentBaseFee * (parentGasUsed - target) / target / BASE_FEE_MAX_CHANGE_DENOMINATOR;
            return parentBaseFee + (up == 0 ? 1 : up);
        }
        uint256 down = parentBaseFee * (target - parentGasUsed) / target / BASE_FEE_MAX_CHANGE_DENOMINATOR;
        return parentBaseFee > down ? parentBaseFee - down : 0;
    }

    function _word(bytes32 value) private pure returns (bytes memory) {
        return abi.encodePacked(bytes1(0xa0), value);
    }

    function _uint(RLPItem[] memory fields, uint256 index) private pure returns (uint256 value) {
        bytes memory raw = RLPReader.readBytes(fields[index]);
        if (raw.length > 32) revert HeaderMismatch(index);
        for (uint256 i = 0; i < raw.length; ++i) {
            value = (value << 8) | uint8(raw[i]);
        }
    }
}
