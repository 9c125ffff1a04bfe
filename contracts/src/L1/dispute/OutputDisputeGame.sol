// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Position, LibPosition} from "@eth-optimism/contracts-bedrock/src/dispute/lib/LibPosition.sol";
import {BondCurve} from "./BondCurve.sol";
import {OneStepProof} from "../proof/OneStepProof.sol";
import {StepTypes} from "../proof/StepTypes.sol";
import {OutputRootLib} from "../lib/OutputRootLib.sol";
import {BlockFinishLeaf} from "./BlockFinishLeaf.sol";
import {BlockAccumulator} from "./BlockAccumulator.sol";
import {IInputOracle} from "./IInputOracle.sol";
import {DerivationBisection} from "./DerivationBisection.sol";


/// @notice What a game asks of the factory that made it (`DisputeGameFactory`).
interface IGameFactoryHooks {
    function gameResolved(bool challengerWins) external;
    /// @notice How many hashes `publisher` published under `id` (`publishInputs`), and the
    ///         `OutputDisputeGame.inputsHash` of them with `timestamp`.
    function publishedInputsHash(address publisher, bytes32 id, uint256 timestamp) external view returns (uint256 count, bytes32 hash);
}

/// @title OutputDisputeGame
/// @notice One dispute about one `OutputOracle` output, with the OP Stack's FaultDisputeGame
///         mechanics (docs/fault-proofs.md, "The game"): one tree of claims whose positions are
///         OP's generalized indices (`LibPosition`, imported from the pinned package), attack and
///         defend moves, a chess clock per side (OP's `getChallengerDuration` with its clock
///         extension), bonds growing with depth (OP's `getRequiredBond` curve), subgames resolved
///         bottom-up (OP's `resolveClaim`: a claim stands iff none of its children stands; the
///         left-most standing child takes its bond), credit paid out `bondDelay` after resolution.
///
///         What is Lantau's: the levels and the leaves. Depths 0..`SPLIT_DEPTH` bisect the L2
///         blocks between the previous output (agreed) and the disputed one: a claim there is the
///         output root of a block. Below, a subgame bisects one block: trace index k < T-1 (T =
///         `TRACE_LENGTH` = 2^txDepth, leaves at `MAX_DEPTH` = `SPLIT_DEPTH` + 1 + txDepth) is the state root after its transaction k (after the last one for k past
///         the transactions: padding), and k = T-1 is the block's output root. The subgame's root
///         claim (depth `SPLIT_DEPTH`+1) names the block's inputs (moveToBlock, kept as `inputsHash`, published in `BlockInputsNamed`):
///         its transactions and its timestamp, nothing else; every other field of a transaction's
///         context is derived from agreed data (`BlockFinishLeaf.blockContext`).
///         Leaves (depth `MAX_DEPTH`) are countered by `stepTransaction` (OneStepProof re-executes
///         transaction k), `stepFinish` (the output root recomputed from the state root, the
///         message passer's storage root proven in it and the block header) or `stepInput` (the
///         inputs against L1's commitments, `IInputOracle`; `LeafNotAvailable` while none is set).
/// @dev    Adapted from @eth-optimism/contracts-bedrock 0.17.3 `FaultDisputeGame` (MIT): `move`,
///         `step`'s agreement rule, `resolveClaim`, `getChallengerDuration`, `getRequiredBond`,
///         `_findTraceAncestor`, `_findStartingAndDisputedOutputs` follow OP's code.
contract OutputDisputeGame {
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

    /// @dev Where a step sits: the claims it reads and the block it is about.
    struct Frame {
        uint256 traceIndex; //    k: the post's index in the block's trace
        bytes32 preClaim; //      claim at k-1 (unused when k = 0)
        uint256 postIndex;
        uint256 execRootIndex;
        bytes32 startingOutput; // output root of the block before the disputed block
        uint256 blockNumber; //    the disputed block
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

    event Move(uint256 indexed parentIndex, bytes32 indexed claim, address indexed claimant);
    event Stepped(uint256 indexed claimIndex, address indexed counteredBy);
    /// @notice The inputs a block subgame's root claim `claimIndex` names (the preimage of its `inputsHash`).
    event BlockInputsNamed(uint256 indexed claimIndex, bytes32[] txHashes, uint256 timestamp);
    /// @notice Block claim `claimIndex` names the `count` transaction hashes its claimant had
    ///         published under `id` on the factory (its `BlockInputsChunk`s) and `timestamp`.
    event BlockInputsPublished(uint256 indexed claimIndex, bytes32 id, uint256 count, uint256 timestamp);
    event Resolved(GameStatus indexed status);

    Position internal constant ROOT_POSITION = Position.wrap(1);

    address public immutable factory;
    uint256 public immutable outputIndex;
    bytes32 public immutable rootClaim;
    uint256 public immutable l2BlockNumber;
    bytes32 public immutable startingOutputRoot;
    uint256 public immutable startingBlockNumber;
    uint256 public immutable SPLIT_DEPTH;
    uint256 public immutable MAX_DEPTH;
    /// @notice T = 2^txDepth: a block's trace (transactions 0..T-2, then its output root at T-1).
    uint256 public immutable TRACE_LENGTH;
    uint64 public immutable MAX_CLOCK_DURATION;
    uint64 public immutable CLOCK_EXTENSION;
    uint256 public immutable BOND_DELAY;
    uint256 public immutable MIN_BOND;
    uint256 public immutable MAX_BOND;
    OneStepProof public immutable oneStepProof;
    IInputOracle public immutable inputOracle;
    address internal immutable messagePasser;
    BlockFinishLeaf public immutable finishLeaf;
    DerivationBisection internal immutable derivation;

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

    /// @param creator  the first challenger; its `firstClaim` attacks the root with `msg.value`.
    constructor(
        Config memory cfg,
        uint256 outputIndex_,
        Output memory disputed,
        Output memory starting,
        address proposer,
        address creator,
        bytes32 firstClaim
    ) payable {
        factory = msg.sender;
        outputIndex = outputIndex_;
        rootClaim = disputed.root;
        l2BlockNumber = disputed.l2BlockNumber;
        startingOutputRoot = starting.root;
        startingBlockNumber = starting.l2BlockNumber;
        SPLIT_DEPTH = cfg.splitDepth;
        // The block subgame's root (depth SPLIT_DEPTH + 1) sits at an even index of its depth, so
        // the leaves under it are the first 2^txDepth of 2^(MAX_DEPTH - SPLIT_DEPTH) (as OP's
        // execution subgame): txDepth levels below that root give a trace of 2^txDepth.
        MAX_DEPTH = cfg.splitDepth + 1 + cfg.txDepth;
        TRACE_LENGTH = 1 << cfg.txDepth;
        MAX_CLOCK_DURATION = cfg.maxClockDuration;
        CLOCK_EXTENSION = cfg.clockExtension;
        BOND_DELAY = cfg.bondDelay;
        MIN_BOND = cfg.minBond;
        MAX_BOND = cfg.maxBond;
        oneStepProof = cfg.oneStepProof;
        inputOracle = cfg.inputOracle;
        messagePasser = cfg.messagePasser;
        finishLeaf = cfg.finishLeaf;
        derivation = cfg.derivation;
        // The root is the proposer's output; its bond is the one the oracle holds.
        claimData.push(
            ClaimData(type(uint32).max, address(0), proposer, 0, disputed.root, ROOT_POSITION, 0, uint64(block.timestamp))
        );
        if (SPLIT_DEPTH == 0) revert BlockClaimNeedsInputs(); // the first move is a block claim
        _move(creator, 0, firstClaim, true, msg.value);
    }

    // ---- moves ---------------------------------------------------------------------------

    function attack(bytes32 disputed, uint256 parentIndex, bytes32 claim) external payable {
        move(disputed, parentIndex, claim, true);
    }

    function defend(bytes32 disputed, uint256 parentIndex, bytes32 claim) external payable {
        move(disputed, parentIndex, claim, false);
    }

    /// @notice OP's move: a claim at the parent's left (attack) or right sibling's left (defend) child.
    function move(bytes32 disputed, uint256 parentIndex, bytes32 claim, bool isAttack) public payable {
        _checkDisputed(disputed, parentIndex);
        if (_parent(parentIndex).position.move(isAttack).depth() == SPLIT_DEPTH + 1) revert BlockClaimNeedsInputs();
        _move(msg.sender, parentIndex, claim, isAttack, msg.value);
    }

    /// @notice Opens a block subgame under a claim at the split depth: `outputRoot` is the mover's
    ///         output root of the disputed block (OP's VM-status rule: it must differ from the
    ///         disputed output when that is the other side's, equal it when it is the mover's
    ///         side's), `inputs` the block's inputs every leaf of the subgame reads (kept as their
    ///         `inputsHash`). They are published whole (`BlockInputsNamed`): the other side must be
    ///         able to show them to a leaf (`stepInput`, `stepTransaction`), so a mover cannot name
    ///         inputs nobody else can open. `derivationEnd` is derivation's state after the block's
    ///         L1 range (`DerivationCommitment`): which batch gives the block; `stepInput` decides
    ///         the inputs against its `found`, `DerivationBisection` decides it.
    function moveToBlock(
        bytes32 disputed,
        uint256 parentIndex,
        bytes32 outputRoot,
        BlockInputs calldata inputs,
        bytes32 derivationEnd,
        bool isAttack
    ) external payable {
        uint256 claimIndex = _moveToBlock(disputed, parentIndex, outputRoot, inputsHash(inputs), derivationEnd, isAttack);
        emit BlockInputsNamed(claimIndex, inputs.txHashes, inputs.timestamp);
    }

    /// @notice `moveToBlock` naming the hashes the mover published under `id` on the factory
    ///         (`DisputeGameFactory.publishInputs`, for a list too long for one L1 transaction)
    ///         and `timestamp`: the same `inputsHash` as the whole list would give.
    function moveToBlockPublished(bytes32 disputed, uint256 parentIndex, bytes32 outputRoot, bytes32 id, uint256 timestamp,
                                  bytes32 derivationEnd, bool isAttack) external payable {
        (uint256 count, bytes32 hash) = IGameFactoryHooks(factory).publishedInputsHash(msg.sender, id, timestamp);
        emit BlockInputsPublished(_moveToBlock(disputed, parentIndex, outputRoot, hash, derivationEnd, isAttack), id, count, timestamp);
    }

    /// @dev A move into a block subgame, claiming what its side says of the block's output and
    ///      naming the block's inputs by `hash` and derivation's end state; the new claim's index.
    function _moveToBlock(bytes32 disputed, uint256 parentIndex, bytes32 outputRoot, bytes32 hash, bytes32 derivationEnd, bool isAttack)
        internal
        returns (uint256 claimIndex)
    {
        _checkDisputed(disputed, parentIndex);
        Position parentPos = _parent(parentIndex).position;
        if (parentPos.move(isAttack).depth() != SPLIT_DEPTH + 1) revert NotABlockClaim();
        // Attacking, the disputed output is the parent; defending, the next block's (OP's search).
        ClaimData storage disputedOutput = isAttack
            ? claimData[parentIndex]
            : _findTraceAncestor(Position.wrap(parentPos.raw() + 1), parentIndex, true);
        bool opposed = isAttack || disputedOutput.position.depth() % 2 == SPLIT_DEPTH % 2;
        if (opposed == (outputRoot == disputedOutput.claim)) {
            revert UnexpectedBlockClaim(outputRoot, disputedOutput.claim);
        }
        claimIndex = claimData.length;
        blockInputs[claimIndex] = hash;
        blockDerivation[claimIndex] = derivationEnd;
        _move(msg.sender, parentIndex, outputRoot, isAttack, msg.value);
    }

    function _checkDisputed(bytes32 disputed, uint256 parentIndex) internal view {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (_parent(parentIndex).claim != disputed) revert InvalidDisputedClaimIndex();
    }

    function _move(address mover, uint256 parentIndex, bytes32 claim, bool isAttack, uint256 value) internal {
        ClaimData storage parent = claimData[parentIndex];
        Position nextPosition = parent.position.move(isAttack);
        uint256 nextDepth = nextPosition.depth();
        if ((parentIndex == 0 || nextDepth == SPLIT_DEPTH + 2) && !isAttack) revert CannotDefendRootClaim();
        if (nextDepth > MAX_DEPTH) revert GameDepthExceeded();
        uint256 required = getRequiredBond(nextPosition);
        if (value != required) revert IncorrectBondAmount(value, required);

        uint64 nextDuration = getChallengerDuration(parentIndex);
        if (nextDuration == MAX_CLOCK_DURATION) revert ClockTimeExceeded();
        // OP: a side always keeps `CLOCK_EXTENSION` to answer (twice that before a block subgame).
        if (nextDuration > MAX_CLOCK_DURATION - CLOCK_EXTENSION) {
            uint64 extension = nextDepth == SPLIT_DEPTH - 1 ? CLOCK_EXTENSION * 2 : CLOCK_EXTENSION;
            nextDuration = MAX_CLOCK_DURATION - extension;
        }

        bytes32 claimHash = keccak256(abi.encode(claim, nextPosition, parentIndex));
        if (claims[claimHash]) revert ClaimAlreadyExists();
        claims[claimHash] = true;
        claimData.push(
            ClaimData(
                uint32(parentIndex), address(0), mover, uint128(value), claim, nextPosition, nextDuration,
                uint64(block.timestamp)
            )
        );
        subgames[parentIndex].push(claimData.length - 1);
        emit Move(parentIndex, claim, mover);
    }

    // ---- leaves --------------------------------------------------------------------------

    /// @notice Counters a leaf about transaction k (or padding past the block's transactions) by
    ///         re-executing it on L1: claims below the split are hashes of `BlockAccumulator.Acc`;
    ///         `pre` must hash to the agreed one (at k = 0: the previous block's state root, proven
    ///         by `startingOutput`, with no gas, empty tries and bloom). Transaction k runs in the
    ///         context the game derives (`BlockFinishLeaf.blockContext`: the block's number, the
    ///         named timestamp, the rest from the agreed parent (`startingOutput.latestBlockhash`,
    ///         its header and as many ancestor headers as the transaction's BLOCKHASH reads, in
    ///         `ancestry`), `pre`'s gas used and the rollup's constants), and the `Acc` after it
    ///         (`BlockAccumulator.step`: the state root OneStepProof computes, the receipt, the two
    ///         trie inserts from `tries`) decides. A `proof` with no trie nodes takes the step
    ///         OneStepProof recorded (`postStateRoot`, and the `PostState` shown in `tries`), proven
    ///         beforehand in stages and segments by anyone in that same context: a transaction too
    ///         long for one L1 transaction.
    function stepTransaction(
        uint256 claimIndex,
        bool isAttack,
        OutputRootLib.OutputRootProof calldata startingOutput,
        InputLeaf calldata input,
        BlockAccumulator.TxProof calldata proof,
        BlockFinishLeaf.Ancestry calldata ancestry,
        BlockAccumulator.Acc calldata pre,
        BlockAccumulator.Tries calldata tries
    ) external {
        Frame memory f = _frame(claimIndex, isAttack);
        uint256 traceLength = TRACE_LENGTH;
        if (f.traceIndex == traceLength - 1) revert WrongLeafKind(f.traceIndex);
        if (input.count >= traceLength) revert TooManyTransactions(input.count, traceLength - 1);
        _checkInput(f.execRootIndex, f.traceIndex, input);
        if (OutputRootLib.hashOutputRootProof(startingOutput) != f.startingOutput) revert InvalidStartingOutput();

        bytes32 preHash = f.traceIndex == 0 ? finishLeaf.accumulator().initialHash(startingOutput.stateRoot) : f.preClaim;
        bytes32 given = keccak256(abi.encode(pre));
        if (given != preHash) revert AccumulatorMismatch(preHash, given);
        // Padding past the block's transactions: no transaction, no change.
        if (f.traceIndex >= input.count) {
            _counter(claimIndex, f, preHash);
            return;
        }
        StepTypes.BlockContext memory ctx = finishLeaf.blockContext(
            f.blockNumber, startingOutput.latestBlockhash, input.timestamp, pre.cumulativeGasUsed, ancestry
        );
        _counter(claimIndex, f, _transactionPost(f.traceIndex, input, proof, ctx, pre, tries));
    }

    /// @dev The hash of the `Acc` after transaction k, re-executed on the agreed `pre` in `ctx`.
    function _transactionPost(
        uint256 k,
        InputLeaf calldata input,
        BlockAccumulator.TxProof calldata proof,
        StepTypes.BlockContext memory ctx,
        BlockAccumulator.Acc calldata pre,
        BlockAccumulator.Tries calldata tries
    ) internal view returns (bytes32) {
        return finishLeaf.accumulator().step(oneStepProof, pre, k, input.txHash, proof, ctx, tries);
    }

    /// @dev `input` must be leaf k of the inputs the subgame `execRootIndex` named.
    function _checkInput(uint256 execRootIndex, uint256 k, InputLeaf calldata input) internal view {
        bytes32 expected = blockInputs[execRootIndex];
        bytes32 given = inputsHashOfLeaf(k, input);
        if (given != expected) revert InputsMismatch(expected, given);
    }

    /// @notice Counters the leaf that finishes a block (trace index T-1): its output root is
    ///         recomputed by `BlockFinishLeaf` from the agreed final `Acc` (`last`, hashing to the
    ///         claim at T-2: state root S, gas used, transactions and receipts roots, bloom), the message
    ///         passer's storage root proven in S, and the block's header rebuilt from what the game
    ///         agreed (the parent's header, hashing to the previous output's block hash; the named
    ///         timestamp, `input` being the subgame's leaf T-1, past its transactions; S; the number).
    function stepFinish(
        uint256 claimIndex,
        bool isAttack,
        OutputRootLib.OutputRootProof calldata startingOutput,
        InputLeaf calldata input,
        BlockAccumulator.Acc calldata last,
        BlockFinishLeaf.Finish calldata finish
    ) external {
        Frame memory f = _frame(claimIndex, isAttack);
        if (f.traceIndex != TRACE_LENGTH - 1) revert WrongLeafKind(f.traceIndex);
        if (OutputRootLib.hashOutputRootProof(startingOutput) != f.startingOutput) revert InvalidStartingOutput();
        _checkInput(f.execRootIndex, f.traceIndex, input);
        bytes32 given = keccak256(abi.encode(last));
        if (given != f.preClaim) revert AccumulatorMismatch(f.preClaim, given);
        bytes32 output = finishLeaf.outputRoot(
            BlockFinishLeaf.Agreed(f.blockNumber, startingOutput.latestBlockhash, input.timestamp, last), messagePasser, finish
        );
        _counter(claimIndex, f, output);
    }

    /// @notice Counters a block subgame's root whose inputs break a rule of derivation that L1
    ///         decides (issue 15's `IInputOracle`: the L1-info deposit and its L1 origin, the
    ///         origin's deposits, no forged deposit, the timestamp rules). `inputs` is the preimage
    ///         of the subgame's `inputsHash`, `end` the preimage of its `derivationEnd` (the oracle
    ///         takes the batch derivation takes, `found`, never the refuter's choice; 0: the forced
    ///         block), `evidence` the oracle's (it proves the agreed parent against the subgame's
    ///         starting output itself). The block's prevRandao is no input: the game derives it
    ///         (`l2PrevRandao`), so no claim can name another. Until an oracle is set, `LeafNotAvailable`.
    function stepInput(uint256 execRootIndex, BlockInputs calldata inputs, DerivationEnd calldata end, bytes calldata evidence)
        external
    {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (_parent(execRootIndex).position.depth() != SPLIT_DEPTH + 1) revert NotABlockClaim();
        if (address(inputOracle) == address(0)) revert LeafNotAvailable();
        if (inputCounteredBy[execRootIndex] != address(0)) revert DuplicateStep();
        bytes32 expected = blockInputs[execRootIndex];
        bytes32 given = inputsHash(inputs);
        if (given != expected) revert InputsMismatch(expected, given);
        if (keccak256(abi.encode(end)) != blockDerivation[execRootIndex]) revert DerivationMismatch();
        (, bytes32 parentOutput, uint256 blockNumber) = _blockOf(execRootIndex);
        // A block has at least its L1-info deposit: an empty list is a lie the oracle names.
        if (!inputOracle.refutes(blockNumber, parentOutput, inputs.txHashes, inputs.timestamp, end.found, evidence)) {
            revert InputsMatch();
        }
        inputCounteredBy[execRootIndex] = msg.sender;
        emit Stepped(execRootIndex, msg.sender);
    }

    /// @dev OP's `step` up to the VM call: which claims are pre and post of the step under
    ///      `claimIndex` (a leaf), and whether the game lets it be stepped on.
    function _frame(uint256 claimIndex, bool isAttack) internal view returns (Frame memory f) {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        ClaimData storage parent = _parent(claimIndex);
        Position parentPos = parent.position;
        if (parentPos.move(isAttack).depth() != MAX_DEPTH + 1) revert InvalidParent();
        if (parent.counteredBy != address(0)) revert DuplicateStep();
        uint256 traceLength = TRACE_LENGTH;
        uint256 leaf = uint256(parentPos.indexAtDepth()) % traceLength;
        if (isAttack) {
            f.traceIndex = leaf;
            f.postIndex = claimIndex;
            if (leaf != 0) {
                f.preClaim = _findTraceAncestor(Position.wrap(parentPos.raw() - 1), parent.parentIndex, false).claim;
            }
        } else {
            // Defending the block's last leaf would agree with its output root: nothing to step.
            if (leaf == traceLength - 1) revert InvalidParent();
            f.traceIndex = leaf + 1;
            f.preClaim = parent.claim;
            f.postIndex = _traceAncestorIndex(Position.wrap(parentPos.raw() + 1), parent.parentIndex, false);
        }
        (f.execRootIndex, f.startingOutput, f.blockNumber) = _blockOf(claimIndex);
    }

    /// @dev OP's agreement rule: the step counters the parent iff the computed post contradicts it.
    function _counter(uint256 claimIndex, Frame memory f, bytes32 computedPost) internal {
        ClaimData storage parent = claimData[claimIndex];
        ClaimData storage post = claimData[f.postIndex];
        bool validStep = computedPost == post.claim;
        bool parentPostAgree = (parent.position.depth() - post.position.depth()) % 2 == 0;
        if (parentPostAgree == validStep) revert ValidStep();
        parent.counteredBy = msg.sender;
        emit Stepped(claimIndex, msg.sender);
    }

    // ---- resolution ----------------------------------------------------------------------

    /// @notice OP's `resolveClaim` (all children in one call): once the clock of whoever would
    ///         answer `claimIndex` has run out and its children are resolved, it stands iff no
    ///         child stands; its bond goes to the left-most standing child's claimant, or back to
    ///         its own claimant. A leaf stepped on pays the stepper.
    function resolveClaim(uint256 claimIndex) external {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        ClaimData storage subgameRoot = _parent(claimIndex);
        if (getChallengerDuration(claimIndex) < MAX_CLOCK_DURATION) revert ClockNotExpired();
        if (resolvedSubgames[claimIndex]) revert ClaimAlreadyResolved();

        uint256[] storage children = subgames[claimIndex];
        address countered = subgameRoot.counteredBy; // set by a step on a leaf
        uint128 leftmost = type(uint128).max;
        for (uint256 i = 0; i < children.length; ++i) {
            uint256 childIndex = children[i];
            if (!resolvedSubgames[childIndex]) revert OutOfOrderResolution();
            ClaimData storage child = claimData[childIndex];
            if (child.counteredBy == address(0) && child.position.raw() < leftmost) {
                countered = child.claimant;
                leftmost = child.position.raw();
            }
        }
        if (inputCounteredBy[claimIndex] != address(0)) countered = inputCounteredBy[claimIndex];
        if (address(derivation) != address(0) && blockInputs[claimIndex] != bytes32(0)) {
            // A block claim whose derivationEnd lost its bisection is countered by whoever won it.
            address by = derivation.rootCounteredBy(address(this), claimIndex); // OutOfOrderResolution while it runs
            if (by != address(0)) countered = by;
        }
        resolvedSubgames[claimIndex] = true;
        subgameRoot.counteredBy = countered;
        credit[countered == address(0) ? subgameRoot.claimant : countered] += subgameRoot.bond;
    }

    /// @notice Ends the game once the root's subgame is resolved: the challengers win iff the root
    ///         was countered. The factory then deletes the output (and every later one) from the
    ///         oracle and forwards the forfeited proposer bonds, credited to the root's counter.
    function resolve() external returns (GameStatus) {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        if (!resolvedSubgames[0]) revert OutOfOrderResolution();
        bool challengerWins = claimData[0].counteredBy != address(0);
        status = challengerWins ? GameStatus.CHALLENGER_WINS : GameStatus.DEFENDER_WINS;
        resolvedAt = uint64(block.timestamp);
        emit Resolved(status);
        IGameFactoryHooks(factory).gameResolved(challengerWins);
        return status;
    }

    /// @notice The proposer bonds the oracle forfeited, for the root's counter (factory only).
    function receiveForfeit() external payable {
        if (msg.sender != factory) revert NotFactory();
        credit[claimData[0].counteredBy] += msg.value;
    }

    /// @notice Pays `recipient` its credit, `BOND_DELAY` seconds after the game resolved (as OP's
    ///         DelayedWETH delays a withdrawal, so that a faulty resolution can be noticed first).
    function claimCredit(address recipient) external {
        if (status == GameStatus.IN_PROGRESS) revert GameNotResolved();
        uint256 unlockAt = uint256(resolvedAt) + BOND_DELAY;
        if (block.timestamp < unlockAt) revert CreditLocked(unlockAt);
        uint256 amount = credit[recipient];
        if (amount == 0) revert NoCreditToClaim();
        credit[recipient] = 0;
        (bool ok,) = recipient.call{value: amount}("");
        if (!ok) revert BondTransferFailed();
    }

    // ---- reading -------------------------------------------------------------------------

    /// @notice OP's: time on the clock of whoever would answer `claimIndex`, capped at the maximum.
    function getChallengerDuration(uint256 claimIndex) public view returns (uint64) {
        if (status != GameStatus.IN_PROGRESS) revert GameNotInProgress();
        ClaimData storage claim = _parent(claimIndex);
        uint64 parentDuration = claim.parentIndex == type(uint32).max ? 0 : claimData[claim.parentIndex].clockDuration;
        uint256 duration = uint256(parentDuration) + (block.timestamp - claim.clockTimestamp);
        return duration > MAX_CLOCK_DURATION ? MAX_CLOCK_DURATION : uint64(duration);
    }

    /// @notice OP's bond curve: geometric in the depth, `MIN_BOND` at 0 to `MAX_BOND` at `MAX_DEPTH`
    ///         (OP: 200 gwei x 400k gas to 200 gwei x 300M gas).
    function getRequiredBond(Position position) public view returns (uint256) {
        uint256 depth = uint256(position.depth());
        if (depth > MAX_DEPTH) revert GameDepthExceeded();
        return BondCurve.requiredBond(depth, MAX_DEPTH, MIN_BOND, MAX_BOND);
    }

    function claimDataLen() external view returns (uint256) {
        return claimData.length;
    }

    /// @notice The block subgame `claimIndex` (below the split) is in: the agreed output before its
    ///         block, and the block's number (`DerivationBisection` reads them of a block claim).
    function blockOf(uint256 claimIndex) external view returns (bytes32 startingOutput, uint256 blockNumber) {
        if (_parent(claimIndex).position.depth() <= SPLIT_DEPTH) revert NotABlockClaim();
        (, startingOutput, blockNumber) = _blockOf(claimIndex);
    }

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

    /// @notice The `inputsHash` that leaf k (`input`) and its branch imply; past the last
    ///         transaction, that of the root shown (`branch` = [root]).
    function inputsHashOfLeaf(uint256 k, InputLeaf calldata input) public pure returns (bytes32) {
        bytes32[] calldata branch = input.branch;
        if (k >= input.count) {
            if (branch.length != 1) revert BadInputBranch(branch.length, 1);
            return keccak256(abi.encode(input.count, branch[0], input.timestamp));
        }
        uint256 depth_ = 0;
        while ((1 << depth_) < input.count) ++depth_;
        if (branch.length != depth_) revert BadInputBranch(branch.length, depth_);
        bytes32 node = input.txHash;
        for (uint256 i = 0; i < depth_; ++i) {
            node = (k >> i) & 1 == 1 ? keccak256(abi.encode(branch[i], node)) : keccak256(abi.encode(node, branch[i]));
        }
        return keccak256(abi.encode(input.count, node, input.timestamp));
    }

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
        while (claim.position.depth() > SPLIT_DEPTH) {
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
                ? startingOutputRoot
                : _findTraceAncestor(Position.wrap(outputPos.raw() - 1), index, true).claim;
        } else {
            startingOutput = claim.claim;
            disputedPos = _findTraceAncestor(Position.wrap(outputPos.raw() + 1), index, true).position;
        }
        blockNumber = startingBlockNumber + uint256(disputedPos.traceIndex(SPLIT_DEPTH)) + 1;
    }

    /// @dev OP's `_findTraceAncestor`: the claim up the path from `start` that commits to the same
    ///      trace index as `pos` (within the block subgame unless `global`).
    function _findTraceAncestor(Position pos, uint256 start, bool global) internal view returns (ClaimData storage) {
        return claimData[_traceAncestorIndex(pos, start, global)];
    }

    function _traceAncestorIndex(Position pos, uint256 start, bool global) internal view returns (uint256 index) {
        Position target = global ? pos.traceAncestor() : pos.traceAncestorBounded(SPLIT_DEPTH);
        index = start;
        while (claimData[index].position.raw() != target.raw()) index = claimData[index].parentIndex;
    }
}
