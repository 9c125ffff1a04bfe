// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {OutputRootLib} from "../lib/OutputRootLib.sol";
import {RLPItem, RLPReader} from "../lib/RLPReader.sol";
import {RLPWriter} from "../lib/RLPWriter.sol";
import {SecureMerkleTrie} from "../lib/SecureMerkleTrie.sol";
import {PatriciaTrie} from "../proof/PatriciaTrie.sol";
import {StepTypes} from "../proof/StepTypes.sol";
import {BlockAccumulator} from "./BlockAccumulator.sol";

/// @notice An L2 block's prevRandao: keccak256 of its parent's block hash (node/derive/attributes.py
///         `attributes_on`), so the game derives it rather than a claim naming it.
function l2PrevRandao(bytes32 parentBlockHash) pure returns (bytes32) {
    return keccak256(abi.encodePacked(parentBlockHash));
}

/// @title BlockFinishLeaf
/// @notice The one home of what `OutputDisputeGame` derives about an L2 block from what it has
///         agreed (its own contract so that the game and its factory stay under EIP-170's 24 kB):
///
///         `blockContext`: transaction k's `StepTypes.BlockContext`, every field derived, none
///         named by a claim (docs/fault-proofs.md, "Contexts the game derives"): number = the
///         subgame's block; timestamp = the block claim's (the one input the block claim names
///         beside its transactions; `stepInput` decides it); prevRandao = keccak256(parent block
///         hash) (node/derive/attributes.py); coinbase and chainId = this leaf's (the rollup's
///         constants: the SequencerFeeVault, the L2 chain id); gasLimit = the parent's; baseFee =
///         EIP-1559 from the parent header (London's rule, py-evm's); gasUsedBefore = the agreed
///         pre `Acc`'s cumulative gas; blockHashes = the BLOCKHASH window: the agreed parent hash,
///         the parent header's parentHash, then each ancestor header's parentHash, the headers
///         shown (`Ancestry`) chained by hash from the agreed parent (as deep as the transaction
///         reads: `EVMStep` refuses a BLOCKHASH beyond the window, `MissingBlockHash`).
///
///         `outputRoot`: the leaf that finishes a block, its output root recomputed from its final
///         state root S, the message passer's storage root proven in S, and the hash of the
///         block's header, rebuilt field by field as the node builds it (node/chain.py
///         `build_block` on py-evm's Prague header, node/derive/attributes.py) from the same
///         derived values, so that no stepper can choose it:
///
///           0 parentHash        the agreed parent's block hash (the starting output's)
///           1 ommersHash        keccak256(rlp([]))
///           2 coinbase          the context's (the SequencerFeeVault)
///           3 stateRoot         S
///           4 transactionsRoot, 5 receiptsRoot, 6 logsBloom, 10 gasUsed: the agreed final
///                               `BlockAccumulator.Acc`'s (the claim at trace index T-2 is its hash)
///           7 difficulty 0, 12 extraData empty, 14 nonce 0, 16 withdrawalsRoot empty trie,
///           17 blobGasUsed 0, 18 excessBlobGas 0, 19 parentBeaconBlockRoot empty trie root,
///           20 requestsHash sha256("") (the node's constants)
///           8 number, 9 gasLimit, 11 timestamp, 13 mixHash (prevRandao), 15 baseFeePerGas:
///                               the context's
///
///         The parent header must hash to the agreed parent block hash. A header field that differs
///         from the rebuilt one reverts `HeaderMismatch(field)`.
///         The leaf deploys the game's `BlockAccumulator` (`accumulator`), whose final `Acc` it
///         reads, so the game's configuration names one contract for both.
contract BlockFinishLeaf {
    /// @notice Field `field` of the header shown is not the one the node builds.
    error HeaderMismatch(uint256 field);
    /// @notice The header shown is not a list of the node's 21 header fields.
    error NotAnL2Header(uint256 fields);
    /// @notice The parent header does not hash to the agreed parent block hash.
    error ParentHeaderMismatch(bytes32 expected, bytes32 actual);
    /// @notice The window reads the parent of block hash `blockHash` from the record, which has none.
    error AncestorNotRecorded(bytes32 blockHash);
    /// @notice `recordHeaders` was given something that is not an L2 header list (0xf9, 0xa0 ...).
    error NotAHeader(uint256 index);
    /// @notice Ancestor header `index` does not hash to the block hash the window expects there.
    error AncestorMismatch(uint256 index, bytes32 expected, bytes32 actual);
    /// @notice More ancestor headers than the BLOCKHASH window of this block can use.
    error AncestorsBeyondWindow(uint256 given, uint256 max);

    bytes32 internal constant EMPTY_OMMERS_HASH = 0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347;
    bytes32 internal constant EMPTY_REQUESTS_HASH = 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;
    uint256 internal constant HEADER_FIELDS = 21;
    uint256 internal constant ELASTICITY_MULTIPLIER = 2;
    uint256 internal constant BASE_FEE_MAX_CHANGE_DENOMINATOR = 8;
    /// @notice BLOCKHASH reaches the 256 most recent blocks (`EVMStep`, py-evm).
    uint256 internal constant BLOCKHASH_WINDOW = 256;

    /// @notice What the stepper shows to finish a block.
    struct Finish {
        bytes[] passerAccountProof; // the message passer's account in S (`eth_getProof`)
        bytes header; //              the block's header (RLP)
        bytes parentHeader; //        its parent's header (RLP)
    }

    /// @notice The headers a transaction's context is derived from: the parent's (hashing to the
    ///         agreed parent block hash) and, for a BLOCKHASH deeper than two blocks, the headers
    ///         of blocks number-2, number-3, ... each hashing to the parentHash of the one before;
    ///         then `recorded` more hashes read from `parentHashOf` (a window too deep for one
    ///         transaction's calldata: its older headers recorded beforehand, `recordHeaders`).
    struct Ancestry {
        bytes parentHeader;
        bytes[] ancestors;
        uint256 recorded;
    }

    /// @notice The parentHash of the L2 header whose hash is the key, recorded by anyone
    ///         (`recordHeaders`). Sound whoever records: only a block's own header hashes to its
    ///         hash, and a window is only ever walked from an agreed block hash down.
    mapping(bytes32 blockHash => bytes32 parentHash) public parentHashOf;

    event HeadersRecorded(bytes32 indexed newest, bytes32 indexed oldestParent, uint256 count);

    /// @notice What the game has agreed about the block: its number, its parent's block hash,
    ///         the timestamp its block claim named and its final `Acc` (state root S, gas used,
    ///         transactions and receipts roots, logs bloom).
    struct Agreed {
        uint256 blockNumber;
        bytes32 parentBlockHash;
        uint256 timestamp;
        BlockAccumulator.Acc last; // after the block's last transaction (its hash is the claim at T-2)
    }

    /// @notice Steps a transaction's effect on a block's `Acc` (`OutputDisputeGame.stepTransaction`).
    BlockAccumulator public immutable accumulator;
    /// @notice Every L2 block's fee recipient (the SequencerFeeVault predeploy).
    address public immutable coinbase;
    /// @notice The L2 chain id (CHAINID, and the chain id of signed transactions).
    uint256 public immutable chainId;

    constructor(address coinbase_, uint256 chainId_) {
        accumulator = new BlockAccumulator();
        coinbase = coinbase_;
        chainId = chainId_;
    }

    /// @notice Transaction k's context in block `blockNumber`, on the parent of hash
    ///         `parentBlockHash`, at the named `timestamp`, after `gasUsedBefore` gas of the
    ///         block's earlier transactions (the agreed pre `Acc`'s), derived as the contract's
    ///         notice says. The window holds 2 + ancestors + recorded hashes, at most
    ///         min(number, 256) (`AncestorsBeyondWindow`).
    function blockContext(
        uint256 blockNumber,
        bytes32 parentBlockHash,
        uint256 timestamp,
        uint256 gasUsedBefore,
        Ancestry calldata ancestry
    ) external view returns (StepTypes.BlockContext memory ctx) {
        bytes32 grandparentHash;
        (ctx, grandparentHash) = _context(blockNumber, parentBlockHash, timestamp, ancestry.parentHeader);
        ctx.gasUsedBefore = gasUsedBefore;
        ctx.blockHashes = _window(blockNumber, parentBlockHash, grandparentHash, ancestry);
    }

    /// @dev The context's fields but the window and the gas used before, and the parent's parentHash.
    function _context(uint256 blockNumber, bytes32 parentBlockHash, uint256 timestamp, bytes calldata parentHeader)
        private
        view
        returns (StepTypes.BlockContext memory ctx, bytes32 grandparentHash)
    {
        bytes32 parentHash = keccak256(parentHeader);
        if (parentHash != parentBlockHash) revert ParentHeaderMismatch(parentBlockHash, parentHash);
        RLPItem[] memory parent = RLPReader.readList(RLPReader.toRLPItem(parentHeader));
        if (parent.length != HEADER_FIELDS) revert NotAnL2Header(parent.length);
        ctx.number = blockNumber;
        ctx.timestamp = timestamp;
        ctx.gasLimit = _uint(parent, 9);
        ctx.baseFee = nextBaseFee(_uint(parent, 15), _uint(parent, 10), ctx.gasLimit);
        ctx.coinbase = coinbase;
        ctx.prevRandao = l2PrevRandao(parentBlockHash);
        ctx.chainId = chainId;
        grandparentHash = bytes32(RLPReader.readBytes(parent[0]));
    }

    /// @dev Hashes of blocks number-1, number-2, ...: the parent's, its parentHash, then the
    ///      parentHash of each ancestor header, which must hash to the hash before it.
    function _window(uint256 blockNumber, bytes32 parentHash, bytes32 grandparentHash, Ancestry calldata ancestry)
        private
        view
        returns (bytes32[] memory hashes)
    {
        bytes[] calldata ancestors = ancestry.ancestors;
        uint256 max = blockNumber < BLOCKHASH_WINDOW ? blockNumber : BLOCKHASH_WINDOW;
        uint256 count = 2 + ancestors.length + ancestry.recorded;
        if (count > max) {
            uint256 extra = ancestors.length + ancestry.recorded;
            if (extra != 0) revert AncestorsBeyondWindow(extra, max < 2 ? 0 : max - 2);
            count = max;
        }
        hashes = new bytes32[](count);
        if (count == 0) return hashes;
        hashes[0] = parentHash;
        if (count == 1) return hashes;
        hashes[1] = grandparentHash;
        for (uint256 i = 0; i < ancestors.length; ++i) {
            bytes calldata header = ancestors[i];
            bytes32 actual = keccak256(header);
            if (actual != hashes[i + 1]) revert AncestorMismatch(i, hashes[i + 1], actual);
            // A header that hashes to a block hash is that block's: an RLP list of 256..65535
            // bytes (0xf9 and two length bytes) whose first item is the parentHash (0xa0 and 32
            // bytes), so it is read in place rather than parsed.
            hashes[i + 2] = bytes32(header[4:36]);
        }
        for (uint256 k = 2 + ancestors.length; k < count; ++k) {
            bytes32 parent = parentHashOf[hashes[k - 1]];
            if (parent == 0) revert AncestorNotRecorded(hashes[k - 1]);
            hashes[k] = parent;
        }
    }

    /// @notice Records the parentHash of each L2 header given (any order, anyone, idempotent), for
    ///         windows deeper than a transaction's calldata carries (`Ancestry.recorded`).
    function recordHeaders(bytes[] calldata headers) external {
        for (uint256 i = 0; i < headers.length; ++i) {
            bytes calldata header = headers[i];
            if (header.length < 36 || header[0] != 0xf9 || header[3] != 0xa0) revert NotAHeader(i);
            parentHashOf[keccak256(header)] = bytes32(header[4:36]);
        }
        if (headers.length != 0) {
            emit HeadersRecorded(keccak256(headers[0]), bytes32(headers[headers.length - 1][4:36]), headers.length);
        }
    }

    function outputRoot(Agreed calldata agreed, address messagePasser, Finish calldata f)
        external
        view
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
    function blockHash(Agreed calldata agreed, Finish calldata f) public view returns (bytes32) {
        (StepTypes.BlockContext memory ctx,) = _context(agreed.blockNumber, agreed.parentBlockHash, agreed.timestamp, f.parentHeader);
        RLPItem[] memory shown = RLPReader.readList(RLPReader.toRLPItem(f.header));
        if (shown.length != HEADER_FIELDS) revert NotAnL2Header(shown.length);

        bytes[] memory fields = new bytes[](HEADER_FIELDS);
        fields[0] = _word(agreed.parentBlockHash);
        fields[1] = _word(EMPTY_OMMERS_HASH);
        fields[2] = RLPWriter.writeAddress(ctx.coinbase);
        fields[3] = _word(agreed.last.stateRoot);
        fields[4] = _word(agreed.last.transactionsRoot);
        fields[5] = _word(agreed.last.receiptsRoot);
        fields[6] = RLPWriter.writeBytes(abi.encodePacked(agreed.last.logsBloom));
        fields[7] = RLPWriter.writeUint(0);
        fields[8] = RLPWriter.writeUint(ctx.number);
        fields[9] = RLPWriter.writeUint(ctx.gasLimit);
        if (agreed.last.cumulativeGasUsed > ctx.gasLimit) revert HeaderMismatch(10);
        fields[10] = RLPWriter.writeUint(agreed.last.cumulativeGasUsed);
        fields[11] = RLPWriter.writeUint(ctx.timestamp);
        fields[12] = RLPWriter.writeBytes("");
        fields[13] = _word(ctx.prevRandao);
        fields[14] = RLPWriter.writeBytes(new bytes(8));
        fields[15] = RLPWriter.writeUint(ctx.baseFee);
        fields[16] = _word(PatriciaTrie.EMPTY_ROOT);
        fields[17] = RLPWriter.writeUint(0);
        fields[18] = RLPWriter.writeUint(0);
        fields[19] = _word(PatriciaTrie.EMPTY_ROOT);
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
