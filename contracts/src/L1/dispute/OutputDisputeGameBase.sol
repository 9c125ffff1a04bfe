// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Position, LibPosition} from "@eth-optimism/contracts-bedrock/src/dispute/lib/LibPosition.sol";
import {OneStepProof} from "../proof/OneStepProof.sol";
import {BlockFinishLeaf} from "./BlockFinishLeaf.sol";
import {IInputOracle} from "./IInputOracle.sol";
import {DerivationBisection} from "./DerivationBisection.sol";

/// @title OutputDisputeGameBase
/// @notice What `OutputDisputeGame` and `OutputDisputeGameLeaves` share: the game's types, errors,
///         events and storage (one layout: the leaves run on the game's storage by DELEGATECALL),
///         and the reads of the claim tree both need. The rules are in the two contracts.
abstract contract OutputDisputeGameBase {
    enum GameStatus {
        IN_PROGRESS,
        CHALLENGER_WINS,
        DEFENDER_WINS
    }

    /// @notice OP's `ClaimData`, the clock as two fields.
    struct ClaimData {
        uint32 parentIndex;
        address counteredBy;
        address claimant;
        uint128 bond;
        bytes32 claim;
        Position position;
        uint64 clockDuration; //  time on the claimant's side's clock when the claim was made
        uint64 clockTimestamp; // when the claim was made
    }

    /// @notice The game's rules, set by the factory for every game it makes.
    struct Config {
        uint256 splitDepth; //        log2 of the L2 blocks between two outputs
        uint256 txDepth; //           log2 of a block's trace: at most 2^txDepth - 1 transactions per block
        uint64 maxClockDuration; //   seconds a side may spend in all (OP: 3.5 days)
        uint64 clockExtension; //     seconds a side always has left to answer (OP: 3 hours)
        uint256 bondDelay; //         seconds between resolution and payout (OP's DelayedWETH: 7 days)
        uint256 minBond; //           wei of the bond at depth 0 (the curve's start)
        uint256 maxBond; //           wei of the bond at `MAX_DEPTH` (the curve's end)
        OneStepProof oneStepProof;
        IInputOracle inputOracle; //  0 until issue 15's commitments exist
        address messagePasser; //     the L2ToL1MessagePasser predeploy
        BlockFinishLeaf finishLeaf;
        DerivationBisection derivation; // the bisection over a block's L1 derivation range (0: none)
        address leaves; //             `OutputDisputeGameLeaves`: the code of the leaf steps
    }

    struct Output {
        bytes32 root;
        uint256 l2BlockNumber;
    }

    /// @notice A block's inputs as a block claim names them: the hash of each transaction (in
    ///         order) and the block's timestamp. The rest of every transaction's context is derived
    ///         (`BlockFinishLeaf.blockContext`), so a block claim cannot name a context that no
    ///         step can use; what it names, `stepInput` decides against L1.
    struct BlockInputs {
        bytes32[] txHashes;
        uint256 timestamp;
    }

    /// @notice The preimage of a block claim's `derivationEnd` (`DerivationCommitment`): the channel
    ///         bank's and batch queue's hashes after the range's last L1 block, and `found`, the batch
    ///         derivation takes for the block (0: none, the forced deposit-only block).
    struct DerivationEnd {
        bytes32 bankHash;
        bytes32 queueHash;
        bytes32 found;
    }

    /// @notice One transaction's place in a block's inputs, what a step reads instead of the whole
    ///         list (`inputsHash` is a Merkle root, so a step's calldata does not grow with the
    ///         block): `count` transactions in all; the hash of transaction k; the block's
    ///         timestamp; the Merkle branch from its leaf up (`inputsHash`). Past the last
    ///         transaction (padding) there is no leaf: `branch` is the one-item list [root].
    struct InputLeaf {
        uint256 count;
        bytes32 txHash;
        uint256 timestamp;
        bytes32[] branch;
    }

    /// @notice The game's parameters the leaves read, appended by the game to every call it
    ///         forwards to `OutputDisputeGameLeaves` (immutables of the game, not of the leaves).
    struct GameParams {
        uint256 splitDepth;
        uint256 maxDepth;
        uint256 traceLength;
        bytes32 startingOutputRoot;
        uint256 startingBlockNumber;
        OneStepProof oneStepProof;
        IInputOracle inputOracle;
        address messagePasser;
        BlockFinishLeaf finishLeaf;
    }

    error GameNotInProgress();
    error ClaimNotFound(uint256 index);
    error InvalidDisputedClaimIndex();
    error CannotDefendRootClaim();
    error GameDepthExceeded();
    error BlockClaimNeedsInputs();
    error NotABlockClaim();
    /// @notice A subgame's root claim contradicts (or, for its own side, repeats) the wrong output.
    error UnexpectedBlockClaim(bytes32 outputRoot, bytes32 disputedOutput);
    error IncorrectBondAmount(uint256 given, uint256 required);
    error ClockTimeExceeded();
    error ClaimAlreadyExists();
    error InvalidParent();
    error DuplicateStep();
    error ValidStep();
    /// @notice The step function does not decide the leaf at trace index `traceIndex`.
    error WrongLeafKind(uint256 traceIndex);
    error InvalidStartingOutput();
    error InputsMismatch(bytes32 expected, bytes32 given);
    /// @notice An `InputLeaf`'s branch has `length` hashes where its count needs `expected`.
    error BadInputBranch(uint256 length, uint256 expected);
    /// @notice The `BlockAccumulator.Acc` shown does not hash to the agreed claim `expected`.
    error AccumulatorMismatch(bytes32 expected, bytes32 given);
    error TooManyTransactions(uint256 count, uint256 max);
    /// @notice The input leaf needs issue 15's L1 input commitments, which are not deployed yet.
    error LeafNotAvailable();
    error InputsMatch();
    /// @notice The `DerivationEnd` shown does not hash to the block claim's `derivationEnd`.
    error DerivationMismatch();
    error ClockNotExpired();
    error ClaimAlreadyResolved();
    error OutOfOrderResolution();
    error GameNotResolved();
    error CreditLocked(uint256 unlockAt);
    error NoCreditToClaim();
    error BondTransferFailed();
    error NotFactory();
    /// @notice `Config.leaves` holds no code: no step could ever be played in this game.
    error NoLeavesCode(address leaves);

    event Move(uint256 indexed parentIndex, bytes32 indexed claim, address indexed claimant);
    event Stepped(uint256 indexed claimIndex, address indexed counteredBy);
    /// @notice The inputs a block subgame's root claim `claimIndex` names (the preimage of its `inputsHash`).
    event BlockInputsNamed(uint256 indexed claimIndex, bytes32[] txHashes, uint256 timestamp);
    /// @notice Block claim `claimIndex` names the `count` transaction hashes its claimant had
    ///         published under `id` on the factory (its `BlockInputsChunk`s) and `timestamp`.
    event BlockInputsPublished(uint256 indexed claimIndex, bytes32 id, uint256 count, uint256 timestamp);
    event Resolved(GameStatus indexed status);

    GameStatus public status;
    uint64 public resolvedAt;
    ClaimData[] public claimData;
    mapping(bytes32 => bool) internal claims;
    mapping(uint256 => uint256[]) internal subgames;
    mapping(uint256 => bool) public resolvedSubgames;
    /// @notice `inputsHash` named by each block subgame's root claim.
    mapping(uint256 => bytes32) public blockInputs;
    /// @notice `derivationEnd` named by each block subgame's root claim: derivation's state after
    ///         the last L1 block of the block's range (`DerivationCommitment`), which says which batch
    ///         gives the block (`DerivationBisection` decides it when disputed).
    mapping(uint256 => bytes32) public blockDerivation;
    /// @notice Who countered a block subgame's root by the input leaf.
    mapping(uint256 => address) public inputCounteredBy;
    mapping(address => uint256) public credit;

    /// @notice `inputsHash` of a block of n transactions at `timestamp`: keccak256(abi.encode(n,
    ///         root, timestamp)), where root is the Merkle root of the transaction hashes padded
    ///         with zero leaves to the next power of two (a node: keccak256(abi.encode(left, right));
    ///         n = 0: root 0, n = 1: the hash). A step proves one leaf by its branch of ceil(log2 n)
    ///         hashes (`inputsHashOfLeaf`) instead of sending the list.
    function inputsHash(BlockInputs calldata inputs) public pure returns (bytes32) {
        bytes32[] calldata txHashes = inputs.txHashes;
        uint256 count = txHashes.length;
        uint256 width = 1;
        while (width < count) width <<= 1;
        bytes32[] memory level = new bytes32[](count == 0 ? 1 : width);
        for (uint256 k = 0; k < count; ++k) {
            level[k] = txHashes[k];
        }
        for (; width > 1; width >>= 1) {
            for (uint256 i = 0; i < width / 2; ++i) {
                level[i] = keccak256(abi.encode(level[2 * i], level[2 * i + 1]));
            }
        }
        return keccak256(abi.encode(count, level[0], inputs.timestamp));
    }


    // ---- internals -----------------------------------------------------------------------

    /// @dev The game's `SPLIT_DEPTH`, `startingOutputRoot` and `startingBlockNumber`.
    function _splitDepth() internal view virtual returns (uint256);

    function _startingOutputRoot() internal view virtual returns (bytes32);

    function _startingBlockNumber() internal view virtual returns (uint256);

    // ---- internals -----------------------------------------------------------------------

    function _parent(uint256 index) internal view returns (ClaimData storage) {
        if (index >= claimData.length) revert ClaimNotFound(index);
        return claimData[index];
    }

    /// @dev The block subgame `claimIndex` (below the split) is in: its root, the agreed output
    ///      before the disputed block, and that block's number (OP's `_findStartingAndDisputedOutputs`).
    function _blockOf(uint256 claimIndex)
        internal
        view
        returns (uint256 execRootIndex, bytes32 startingOutput, uint256 blockNumber)
    {
        uint256 index = claimIndex;
        ClaimData storage claim = claimData[index];
        execRootIndex = index;
        while (claim.position.depth() > _splitDepth()) {
            execRootIndex = index;
            index = claim.parentIndex;
            claim = claimData[index];
        }
        Position outputPos = claim.position;
        bool wasAttack = claimData[execRootIndex].position.parent().raw() == outputPos.raw();
        Position disputedPos;
        if (wasAttack) {
            disputedPos = outputPos;
            startingOutput = outputPos.indexAtDepth() == 0
                ? _startingOutputRoot()
                : _findTraceAncestor(Position.wrap(outputPos.raw() - 1), index, true).claim;
        } else {
            startingOutput = claim.claim;
            disputedPos = _findTraceAncestor(Position.wrap(outputPos.raw() + 1), index, true).position;
        }
        blockNumber = _startingBlockNumber() + uint256(disputedPos.traceIndex(_splitDepth())) + 1;
    }

    /// @dev OP's `_findTraceAncestor`: the claim up the path from `start` that commits to the same
    ///      trace index as `pos` (within the block subgame unless `global`); `_traceAncestorIndex`, its index.
    function _findTraceAncestor(Position pos, uint256 start, bool global) internal view returns (ClaimData storage) {
        return claimData[_traceAncestorIndex(pos, start, global)];
    }

    function _traceAncestorIndex(Position pos, uint256 start, bool global) internal view returns (uint256) {
        return ClaimTree.ancestorIndex(claimData, global ? pos.traceAncestor() : pos.traceAncestorBounded(_splitDepth()), start);
    }
}

/// @title ClaimTree
/// @notice The walk up a claim tree (OP's `claimData`: each claim names its parent's index) that the
///         game, its leaves and `DerivationBisection` share.
library ClaimTree {
    /// @notice The index of the claim at `target` on the path up from `start` (OP's
    ///         `_findTraceAncestor` walk; `target` is a trace ancestor of a position below `start`).
    function ancestorIndex(OutputDisputeGameBase.ClaimData[] storage claims, Position target, uint256 start)
        internal
        view
        returns (uint256 index)
    {
        index = start;
        OutputDisputeGameBase.ClaimData storage claim = claims[index];
        while (claim.position.raw() != target.raw()) {
            index = claim.parentIndex; // each claim read once: one bounds check and slot per step up
            claim = claims[index];
        }
    }
}
