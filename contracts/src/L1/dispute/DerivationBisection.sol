// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Position, LibPosition} from "@eth-optimism/contracts-bedrock/src/dispute/lib/LibPosition.sol";
import {BondCurve} from "./BondCurve.sol";
import {IDerivationStep} from "../derive/IDerivationStep.sol";
import {DerivationCommitment} from "../derive/DerivationCommitment.sol";
import {DerivationStep} from "../derive/DerivationStep.sol";
import {InputOracle} from "../derive/InputOracle.sol";
import {L2ParentLib} from "../derive/L2ParentLib.sol";
import {ClaimTree, OutputDisputeGameBase} from "./OutputDisputeGameBase.sol";

/// @notice What the bisection reads of the game a block claim is in (`OutputDisputeGame`'s getters).
interface IBlockClaimGame {
    /// @notice Non-zero iff `claimIndex` is a block subgame's root (its `inputsHash`).
    function blockInputs(uint256 claimIndex) external view returns (bytes32);
    /// @notice The block claim's `derivationEnd`.
    function blockDerivation(uint256 claimIndex) external view returns (bytes32);
    /// @notice The agreed output before the claim's block, and the block's number.
    function blockOf(uint256 claimIndex) external view returns (bytes32 startingOutput, uint256 blockNumber);
    function claimData(uint256 claimIndex)
        external
        view
        returns (uint32, address, address claimant, uint128, bytes32, uint128, uint64 clockDuration, uint64);
    function resolvedSubgames(uint256 claimIndex) external view returns (bool);
    function getChallengerDuration(uint256 claimIndex) external view returns (uint64);
    function status() external view returns (uint8);
    function resolvedAt() external view returns (uint64);
    function MAX_CLOCK_DURATION() external view returns (uint64);
    function CLOCK_EXTENSION() external view returns (uint64);
    function BOND_DELAY() external view returns (uint256);
    function MIN_BOND() external view returns (uint256);
    function MAX_BOND() external view returns (uint256);
}

/// @title DerivationBisection
/// @notice The dispute game's level for which batch, if any, derivation takes for a disputed L2
///         block (docs/fault-proofs.md, "Deciding a block's inputs on L1", item 5): a block
///         subgame's root claim names `derivationEnd`, the commitment to derivation's state after
///         the last L1 block E of its range S .. E (`DerivationCommitment`); anyone may dispute it
///         here by a bisection over those L1 blocks, whose leaf is `IDerivationStep` (one L1 block
///         through node's stages) from the agreed pre state (at S: `DerivationCommitment.EMPTY`).
///         One deployment holds every bisection of every game, keyed by (game, block claim).
/// @dev    The mechanics are OP's `FaultDisputeGame` (contracts-bedrock 0.17.3, MIT), as
///         `OutputDisputeGame` copies them: `LibPosition` positions, attack/defend with the bond of
///         the depth, the chess clock with its extension, the step's agreement rule, `resolveClaim`
///         bottom-up, credit paid `BOND_DELAY` after the game resolved.
contract DerivationBisection {
    using LibPosition for Position;
    using ClaimTree for OutputDisputeGameBase.ClaimData[];

    /// @notice One bisection: the block claim's game and index, the L1 blocks S .. E, its claims.
    struct Bisection {
        IBlockClaimGame game;
        uint256 blockClaim;
        uint256 first; // S
        uint256 last; //  E
        uint256 l2BlockNumber;
        bytes32 parentOutput;
        bool rootResolved;
        OutputDisputeGameBase.ClaimData[] claims;
    }

    // The refusals OP's mechanics share with the game are the game's own (`OutputDisputeGameBase.*`).
    error BlockClaimResolved(uint256 blockClaim);
    /// @notice The claim is not a block subgame's root (it names no block inputs).
    error NotABlockClaim(uint256 claimIndex);
    error AlreadyOpen(bytes32 id);
    error NotOpen(bytes32 id);
    error InvalidDisputedClaim();
    /// @notice The range S .. E has more L1 blocks than the trace's 2^DEPTH leaves.
    error RangeBeyondTrace(uint256 first, uint256 last);
    /// @notice The range's end E is not on L1 yet (`E >= block.number`): the `derivationEnd` under
    ///         dispute is not decided by L1 yet, so no bisection over it can decide anything.
    error RangeNotOnL1(uint256 last, uint256 blockNumber);

    event Opened(bytes32 indexed id, address indexed game, uint256 indexed blockClaim, uint256 first, uint256 last);
    event Move(bytes32 indexed id, uint256 indexed parentIndex, bytes32 claim, address indexed claimant);
    event Stepped(bytes32 indexed id, uint256 indexed claimIndex, address indexed counteredBy);

    Position internal constant ROOT_POSITION = Position.wrap(1);

    /// @notice Depth of the trace: 2^DEPTH L1 blocks (>= channel_timeout + sequencing_window + 1).
    uint256 public immutable DEPTH;
    /// @notice The leaf, and the one home of the range S .. E (`derivationRange`).
    DerivationStep public immutable leaf;

    mapping(bytes32 => Bisection) internal _bisections;
    mapping(bytes32 => mapping(bytes32 => bool)) public claimed;
    mapping(bytes32 => mapping(uint256 => uint256[])) internal _subgames;
    mapping(bytes32 => mapping(uint256 => bool)) public resolvedClaims;
    /// @notice game => recipient => wei, paid once the game resolved and its bond delay passed.
    mapping(address => mapping(address => uint256)) public credit;

    constructor(uint256 depth, DerivationStep leaf_) {
        DEPTH = depth;
        leaf = leaf_;
    }

    /// @notice The key of block claim `blockClaim`'s bisection in `game`.
    function bisectionId(address game, uint256 blockClaim) public pure returns (bytes32) {
        return keccak256(abi.encode(game, blockClaim));
    }

    // ---- opening and moves ------------------------------------------------------------------

    /// @notice Disputes block claim `blockClaim`'s `derivationEnd` by attacking it with `claim`, the
    ///         opener's commitment at the middle of the range (depth 1), bonded with `msg.value`.
    ///         `parentProof` proves the block's agreed parent (abi.encode(InputOracle.ParentProof)):
    ///         its L1 origin fixes S and E (`DerivationStep.derivationRange`, node's `derivation_range`).
    function open(IBlockClaimGame game, uint256 blockClaim, bytes32 claim, bytes calldata parentProof)
        external
        payable
        returns (bytes32 id)
    {
        if (game.status() != 0) revert OutputDisputeGameBase.GameNotInProgress();
        id = bisectionId(address(game), blockClaim);
        Bisection storage b = _bisections[id];
        if (address(b.game) != address(0)) revert AlreadyOpen(id);
        if (game.blockInputs(blockClaim) == bytes32(0)) revert NotABlockClaim(blockClaim);
        if (game.resolvedSubgames(blockClaim)) revert BlockClaimResolved(blockClaim);
        (bytes32 startingOutput, uint256 number) = game.blockOf(blockClaim);
        (b.first, b.last) = _range(number, startingOutput, parentProof);
        if (b.last - b.first >= 1 << DEPTH) revert RangeBeyondTrace(b.first, b.last);
        if (b.last >= block.number) revert RangeNotOnL1(b.last, block.number);
        (b.game, b.blockClaim, b.l2BlockNumber, b.parentOutput) = (game, blockClaim, number, startingOutput);
        _pushRoot(b, blockClaim);
        emit Opened(id, address(game), blockClaim, b.first, b.last);
        _move(id, msg.sender, 0, claim, true, msg.value);
    }

    /// @dev S .. E for the block after the parent `proof` proves against `parentOutput`.
    function _range(uint256 number, bytes32 parentOutput, bytes calldata proof) internal view returns (uint256, uint256) {
        uint256[3] memory slots = [leaf.numberSlot(), leaf.hashSlot(), leaf.sequenceSlot()];
        L2ParentLib.Parent memory p = L2ParentLib.prove(number, parentOutput, abi.decode(proof, (InputOracle.ParentProof)), slots);
        return leaf.derivationRange(p.originHash == bytes32(0), p.originNumber);
    }

    /// @dev The root: the block claim's `derivationEnd`, its claimant and side's clock; the opener
    ///      answers it with the time its side used in the game (the game's clock goes on here).
    function _pushRoot(Bisection storage b, uint256 blockClaim) internal {
        (,, address claimant,,,, uint64 ownDuration,) = b.game.claimData(blockClaim);
        uint64 answerDuration = b.game.getChallengerDuration(blockClaim);
        b.claims.push(
            OutputDisputeGameBase.ClaimData(
                type(uint32).max, address(0), claimant, 0, b.game.blockDerivation(blockClaim), ROOT_POSITION, ownDuration,
                uint64(block.timestamp) - answerDuration
            )
        );
    }

    /// @notice OP's move: `claim` at the parent's left child (attack) or its right sibling's left child (defend).
    function move(bytes32 id, bytes32 disputed, uint256 parentIndex, bytes32 claim, bool isAttack) external payable {
        Bisection storage b = _open(id);
        if (_claim(b, parentIndex).claim != disputed) revert InvalidDisputedClaim();
        _move(id, msg.sender, parentIndex, claim, isAttack, msg.value);
    }

    function _move(bytes32 id, address mover, uint256 parentIndex, bytes32 claim, bool isAttack, uint256 value) internal {
        Bisection storage b = _bisections[id];
        if (b.game.status() != 0) revert OutputDisputeGameBase.GameNotInProgress();
        if (parentIndex == 0 && !isAttack) revert OutputDisputeGameBase.CannotDefendRootClaim();
        Position next = b.claims[parentIndex].position.move(isAttack);
        uint256 required = getRequiredBond(b.game, next);
        if (value != required) revert OutputDisputeGameBase.IncorrectBondAmount(value, required);
        uint64 duration = _nextDuration(id, b, parentIndex);
        bytes32 key = keccak256(abi.encode(claim, next, parentIndex));
        if (claimed[id][key]) revert OutputDisputeGameBase.ClaimAlreadyExists();
        claimed[id][key] = true;
        b.claims.push(OutputDisputeGameBase.ClaimData(uint32(parentIndex), address(0), mover, uint128(value), claim, next, duration, uint64(block.timestamp)));
        _subgames[id][parentIndex].push(b.claims.length - 1);
        emit Move(id, parentIndex, claim, mover);
    }

    /// @dev OP's clock: the mover's side's time so far, refused once used up; a side always keeps
    ///      `CLOCK_EXTENSION` to answer.
    function _nextDuration(bytes32 id, Bisection storage b, uint256 parentIndex) internal view returns (uint64 duration) {
        uint64 maxClock = b.game.MAX_CLOCK_DURATION();
        duration = getChallengerDuration(id, parentIndex);
        if (duration == maxClock) revert OutputDisputeGameBase.ClockTimeExceeded();
        uint64 extension = b.game.CLOCK_EXTENSION();
        if (duration > maxClock - extension) duration = maxClock - extension;
    }

    // ---- the leaf ---------------------------------------------------------------------------

    /// @notice Counters leaf `claimIndex` (depth `DEPTH`) by running L1 block S + i through node's
    ///         stages on L1 (`IDerivationStep.step`) from the agreed pre state (attack: the claim at
    ///         i - 1, or the empty state at i = 0; defend: the leaf itself, i its index + 1), `pre`
    ///         its preimage. Past E (padding) the state does not change. OP's agreement rule.
    function step(
        bytes32 id,
        uint256 claimIndex,
        bool isAttack,
        IDerivationStep.State calldata pre,
        IDerivationStep.InboxData calldata inbox,
        bytes calldata evidence
    ) external {
        Bisection storage b = _open(id);
        if (b.game.status() != 0) revert OutputDisputeGameBase.GameNotInProgress();
        (bytes32 preClaim, uint256 postIndex, uint256 l1Block) = _stepFrame(b, claimIndex, isAttack);
        bytes32 post = l1Block > b.last ? preClaim : leaf.step(b.l2BlockNumber, b.parentOutput, preClaim, l1Block, pre, inbox, evidence);
        _counter(id, b, claimIndex, postIndex, post);
    }

    /// @dev OP's agreement rule: the step counters the leaf iff the computed post contradicts it.
    function _counter(bytes32 id, Bisection storage b, uint256 claimIndex, uint256 postIndex, bytes32 post) internal {
        OutputDisputeGameBase.ClaimData storage parent = b.claims[claimIndex];
        OutputDisputeGameBase.ClaimData storage postClaim = b.claims[postIndex];
        bool validStep = post == postClaim.claim;
        bool parentPostAgree = (parent.position.depth() - postClaim.position.depth()) % 2 == 0;
        if (parentPostAgree == validStep) revert OutputDisputeGameBase.ValidStep();
        parent.counteredBy = msg.sender;
        emit Stepped(id, claimIndex, msg.sender);
    }

    /// @dev OP's `step` up to the VM call: the agreed pre claim, the post claim's index and the
    ///      L1 block the step is about.
    function _stepFrame(Bisection storage b, uint256 claimIndex, bool isAttack)
        internal
        view
        returns (bytes32 preClaim, uint256 postIndex, uint256 l1Block)
    {
        OutputDisputeGameBase.ClaimData storage parent = _claim(b, claimIndex);
        Position pos = parent.position;
        if (pos.depth() != DEPTH) revert OutputDisputeGameBase.InvalidParent();
        if (parent.counteredBy != address(0)) revert OutputDisputeGameBase.DuplicateStep();
        uint256 index = pos.indexAtDepth();
        if (isAttack) {
            preClaim = index == 0 ? DerivationCommitment.EMPTY : b.claims[b.claims.ancestorIndex(Position.wrap(pos.raw() - 1).traceAncestor(), parent.parentIndex)].claim;
            postIndex = claimIndex;
        } else {
            if (index == (1 << DEPTH) - 1) revert OutputDisputeGameBase.InvalidParent(); // the root is the last index's post
            preClaim = parent.claim;
            index += 1;
            postIndex = b.claims.ancestorIndex(Position.wrap(pos.raw() + 1).traceAncestor(), parent.parentIndex);
        }
        l1Block = b.first + index;
    }

    // ---- resolution -------------------------------------------------------------------------

    /// @notice OP's `resolveClaim`: once the clock of whoever would answer `claimIndex` ran out and
    ///         its children are resolved, it stands iff no child stands; its bond goes to the
    ///         left-most standing child's claimant, to its stepper, else back to its claimant.
    function resolveClaim(bytes32 id, uint256 claimIndex) external {
        Bisection storage b = _open(id);
        OutputDisputeGameBase.ClaimData storage claim = _claim(b, claimIndex);
        if (getChallengerDuration(id, claimIndex) < b.game.MAX_CLOCK_DURATION()) revert OutputDisputeGameBase.ClockNotExpired();
        if (resolvedClaims[id][claimIndex]) revert OutputDisputeGameBase.ClaimAlreadyResolved();
        uint256[] storage children = _subgames[id][claimIndex];
        address countered = claim.counteredBy;
        uint128 leftmost = type(uint128).max;
        for (uint256 i = 0; i < children.length; ++i) {
            if (!resolvedClaims[id][children[i]]) revert OutputDisputeGameBase.OutOfOrderResolution();
            OutputDisputeGameBase.ClaimData storage child = b.claims[children[i]];
            if (child.counteredBy == address(0) && child.position.raw() < leftmost) {
                countered = child.claimant;
                leftmost = child.position.raw();
            }
        }
        resolvedClaims[id][claimIndex] = true;
        claim.counteredBy = countered;
        if (claimIndex == 0) b.rootResolved = true;
        credit[address(b.game)][countered == address(0) ? claim.claimant : countered] += claim.bond;
    }

    /// @notice Pays `recipient` its credit from `game`'s bisections, the game's `BOND_DELAY` after it resolved.
    function claimCredit(IBlockClaimGame game, address recipient) external {
        if (game.status() == 0) revert OutputDisputeGameBase.GameNotResolved();
        uint256 unlockAt = uint256(game.resolvedAt()) + game.BOND_DELAY();
        if (block.timestamp < unlockAt) revert OutputDisputeGameBase.CreditLocked(unlockAt);
        uint256 amount = credit[address(game)][recipient];
        if (amount == 0) revert OutputDisputeGameBase.NoCreditToClaim();
        credit[address(game)][recipient] = 0;
        (bool ok,) = recipient.call{value: amount}("");
        if (!ok) revert OutputDisputeGameBase.BondTransferFailed();
    }

    // ---- reading ----------------------------------------------------------------------------

    /// @notice What the game asks before resolving block claim `blockClaim`: who countered the root of
    ///         its bisection (the block claim's `derivationEnd`); zero if it stands or none was opened;
    ///         `OutOfOrderResolution` while one is open and its root unresolved.
    function rootCounteredBy(address game, uint256 blockClaim) external view returns (address) {
        Bisection storage b = _bisections[bisectionId(game, blockClaim)];
        if (address(b.game) == address(0)) return address(0);
        if (!b.rootResolved) revert OutputDisputeGameBase.OutOfOrderResolution();
        return b.claims[0].counteredBy;
    }

    /// @notice OP's: time on the clock of whoever would answer `claimIndex`, capped at the maximum.
    function getChallengerDuration(bytes32 id, uint256 claimIndex) public view returns (uint64) {
        Bisection storage b = _open(id);
        OutputDisputeGameBase.ClaimData storage claim = _claim(b, claimIndex);
        uint64 parentDuration = claim.parentIndex == type(uint32).max ? 0 : b.claims[claim.parentIndex].clockDuration;
        uint256 duration = uint256(parentDuration) + (block.timestamp - claim.clockTimestamp);
        uint64 maxClock = b.game.MAX_CLOCK_DURATION();
        return duration > maxClock ? maxClock : uint64(duration);
    }

    /// @notice OP's bond curve over the bisection's depth, between the game's bonds.
    function getRequiredBond(IBlockClaimGame game, Position position) public view returns (uint256) {
        uint256 depth = position.depth();
        if (depth > DEPTH) revert OutputDisputeGameBase.GameDepthExceeded();
        return BondCurve.requiredBond(depth, DEPTH, game.MIN_BOND(), game.MAX_BOND());
    }

    function bisection(bytes32 id)
        external
        view
        returns (address game, uint256 blockClaim, uint256 first, uint256 last, uint256 l2BlockNumber, bytes32 parentOutput, uint256 claimCount)
    {
        Bisection storage b = _open(id);
        return (address(b.game), b.blockClaim, b.first, b.last, b.l2BlockNumber, b.parentOutput, b.claims.length);
    }

    function claimData(bytes32 id, uint256 index) external view returns (OutputDisputeGameBase.ClaimData memory) {
        return _claim(_open(id), index);
    }

    // ---- internals --------------------------------------------------------------------------

    function _open(bytes32 id) internal view returns (Bisection storage b) {
        b = _bisections[id];
        if (address(b.game) == address(0)) revert NotOpen(id);
    }

    function _claim(Bisection storage b, uint256 index) internal view returns (OutputDisputeGameBase.ClaimData storage) {
        if (index >= b.claims.length) revert OutputDisputeGameBase.ClaimNotFound(index);
        return b.claims[index];
    }
}
