// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Position, LibPosition} from "@eth-optimism/contracts-bedrock/src/dispute/lib/LibPosition.sol";
import {OneStepProof} from "../proof/OneStepProof.sol";
import {BlockFinishLeaf} from "./BlockFinishLeaf.sol";
import {BondCurve} from "./BondCurve.sol";
import {IInputOracle} from "./IInputOracle.sol";
import {DerivationBisection} from "./DerivationBisection.sol";
import {OutputDisputeGameBase} from "./OutputDisputeGameBase.sol";


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
///         Their code is `OutputDisputeGameLeaves`', which this game's `fallback` runs on its own
///         storage: the game's creation code is its blueprint's code, under EIP-170's 24,576 bytes.
/// @dev    Adapted from @eth-optimism/contracts-bedrock 0.17.3 `FaultDisputeGame` (MIT): `move`,
///         `step`'s agreement rule, `resolveClaim`, `getChallengerDuration`, `getRequiredBond`,
///         `_findTraceAncestor`, `_findStartingAndDisputedOutputs` follow OP's code.
contract OutputDisputeGame is OutputDisputeGameBase {
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
    /// @notice `OutputDisputeGameLeaves`: where this game's `fallback` runs the leaf steps.
    address internal immutable leaves;

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
        if (cfg.leaves.code.length == 0) revert NoLeavesCode(cfg.leaves);
        leaves = cfg.leaves;
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

    /// @notice The leaf steps (`stepTransaction`, `stepFinish`, `stepInput`) and `inputsHashOfLeaf`
    ///         are `OutputDisputeGameLeaves`' code, run on this game's storage (DELEGATECALL) with
    ///         this game's `GameParams` appended to the call data; their refusals and events are
    ///         this game's. Any other call data reverts there (no such function).
    fallback() external {
        GameParams memory params = GameParams(
            SPLIT_DEPTH, MAX_DEPTH, TRACE_LENGTH, startingOutputRoot, startingBlockNumber, oneStepProof, inputOracle,
            messagePasser, finishLeaf
        );
        address target = leaves;
        assembly {
            // the call data, then the nine words of `params` (a memory struct of value types: inline)
            let size := calldatasize()
            let forwarded := mload(0x40)
            calldatacopy(forwarded, 0, size)
            for { let i := 0 } lt(i, 288) { i := add(i, 32) } {
                mstore(add(add(forwarded, size), i), mload(add(params, i)))
            }
            let ok := delegatecall(gas(), target, forwarded, add(size, 288), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
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

    function _splitDepth() internal view override returns (uint256) {
        return SPLIT_DEPTH;
    }

    function _startingOutputRoot() internal view override returns (bytes32) {
        return startingOutputRoot;
    }

    function _startingBlockNumber() internal view override returns (uint256) {
        return startingBlockNumber;
    }
}
