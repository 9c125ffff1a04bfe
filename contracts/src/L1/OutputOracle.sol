// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDisputeGameRegistry} from "./dispute/IDisputeGameRegistry.sol";
import {L1BlockAnchors} from "./L1BlockAnchors.sol";

/// @title OutputOracle
/// @notice Lantau's L2 output roots on L1, as the OP Stack's L2OutputOracle: the proposer posts
///         the output root of every `submissionInterval`-th L2 block, strictly in order, with a
///         bond; an output is final `finalizationPeriodSeconds` after it was posted, unless the
///         challenger (the dispute game factory on the devnet; an EOA only where no game is
///         deployed) deleted it first. Each proposal anchors the L1 block before it in `anchors`.
///         The portal proves withdrawals against these roots and pays out only against final ones.
///
///         Bonds: each proposal locks `msg.value` (at least `requiredBond`). Once the output is
///         final, anyone may return its bond to the proposer (`reclaimBond`). Deleting outputs
///         forfeits their bonds to the challenger, which pays the winner of the dispute; the
///         proposer gets nothing back.
///
///         L2 time: Lantau's L2 blocks have no fixed block time (the sequencer stamps each block
///         with the wall clock, at least one second after its parent), so an L2 block's timestamp
///         is not a function of its number. What consensus does fix is that timestamps are whole
///         seconds and strictly increase, so `l2BlockTime` is the *least* spacing of two L2
///         blocks (1 for Lantau) and `computeL2Timestamp(n)` the *earliest* time block `n` can
///         carry. The `L2BlockInFuture` check therefore refuses only proposals for blocks whose
///         timestamp is provably not yet in L1's past — never a block that is — which is sound;
///         it cannot catch every early proposal (no L1 contract can see an L2 timestamp without
///         the header), and need not: a proposer that posts a wrong root loses it to a dispute.
/// @dev    Output root (version 0): keccak256(bytes32(0) ‖ stateRoot ‖ messagePasserStorageRoot
///         ‖ blockHash); see `lib/OutputRootLib.sol` and `node/output_root.py`.
contract OutputOracle {
    /// @notice One posted output (OP Stack's `Types.OutputProposal`), two storage slots.
    struct Proposal {
        bytes32 outputRoot;
        uint128 timestamp; //     L1 time at which it was posted
        uint128 l2BlockNumber;
    }

    /// @notice The only account that may propose outputs.
    address public immutable proposer;
    /// @notice L2 blocks between two proposals.
    uint256 public immutable submissionInterval;
    /// @notice Least seconds between two L2 blocks (1 for Lantau, whose L2 timestamps are whole
    ///         seconds that strictly increase, with no fixed block time).
    uint256 public immutable l2BlockTime;
    /// @notice The L2 block the first proposal counts from (its output is not proposed).
    uint256 public immutable startingBlockNumber;
    /// @notice L2 timestamp of `startingBlockNumber`.
    uint256 public immutable startingTimestamp;
    /// @notice Seconds after posting before an output is final (7 days on a public chain).
    uint256 public immutable finalizationPeriodSeconds;
    /// @notice Least wei that must accompany a proposal.
    uint256 public immutable requiredBond;

    /// @notice Where each proposal anchors the L1 block before it (0: none), so that every L1
    ///         origin of the proposed L2 blocks descends from an anchored block whose hash L1 keeps
    ///         checkable after its 8191-block window (docs/fault-proofs.md, "Inputs on L1").
    L1BlockAnchors public immutable anchors;

    /// @notice May delete unfinalized outputs and hand this power on (to the dispute game).
    address public challenger;

    Proposal[] internal _outputs;
    /// @dev Bond locked by the output at the same index; zeroed when reclaimed.
    uint256[] internal _bonds;

    event OutputProposed(
        bytes32 indexed outputRoot, uint256 indexed l2OutputIndex, uint256 indexed l2BlockNumber, uint256 l1Timestamp
    );
    event OutputsDeleted(uint256 indexed prevNextOutputIndex, uint256 indexed newNextOutputIndex);
    event BondsForfeited(address indexed challenger, uint256 amount);
    event BondReclaimed(uint256 indexed l2OutputIndex, address indexed proposer, uint256 amount);
    event ChallengerChanged(address indexed previous, address indexed next);

    error NotProposer(address caller);
    error NotChallenger(address caller);
    error ZeroAddress();
    error ZeroSubmissionInterval();
    error ZeroL2BlockTime();
    error BondTooLow(uint256 given, uint256 required);
    error WrongL2BlockNumber(uint256 expected, uint256 given);
    error L2BlockInFuture(uint256 l2Timestamp, uint256 l1Timestamp);
    /// @notice `given` is not the hash of L1 block `l1BlockNumber` (`actual` is 0 when that block
    ///         is the current one, in the future or more than 256 blocks old).
    error L1BlockHashMismatch(uint256 l1BlockNumber, bytes32 actual, bytes32 given);
    error EmptyOutputRoot();
    error OutputNotFound(uint256 index);
    error NoOutputAfter(uint256 l2BlockNumber);
    error OutputAlreadyFinalized(uint256 index);
    error OutputNotFinalized(uint256 index);
    error BondAlreadyReclaimed(uint256 index);
    error BondTransferFailed(address to, uint256 amount);

    constructor(
        uint256 _submissionInterval,
        uint256 _l2BlockTime,
        uint256 _startingBlockNumber,
        uint256 _startingTimestamp,
        address _proposer,
        address _challenger,
        uint256 _finalizationPeriodSeconds,
        uint256 _requiredBond,
        L1BlockAnchors _anchors
    ) {
        if (_submissionInterval == 0) revert ZeroSubmissionInterval();
        if (_l2BlockTime == 0) revert ZeroL2BlockTime();
        if (_proposer == address(0) || _challenger == address(0)) revert ZeroAddress();
        submissionInterval = _submissionInterval;
        l2BlockTime = _l2BlockTime;
        startingBlockNumber = _startingBlockNumber;
        startingTimestamp = _startingTimestamp;
        proposer = _proposer;
        challenger = _challenger;
        finalizationPeriodSeconds = _finalizationPeriodSeconds;
        requiredBond = _requiredBond;
        anchors = _anchors;
        emit ChallengerChanged(address(0), _challenger);
    }

    // ---- proposing ------------------------------------------------------------------------

    /// @notice Posts the output root of L2 block `l2BlockNumber`, which must be `nextBlockNumber()`.
    /// @param  l1BlockHash  Hash of the L1 block the proposer built on (0 to skip the check):
    ///         the proposal reverts if that block was reorged out, so a proposal never outlives
    ///         the L1 history it was derived from. Only the last 256 blocks can be checked.
    function proposeL2Output(bytes32 outputRoot, uint256 l2BlockNumber, bytes32 l1BlockHash, uint256 l1BlockNumber)
        external
        payable
    {
        if (msg.sender != proposer) revert NotProposer(msg.sender);
        if (msg.value < requiredBond) revert BondTooLow(msg.value, requiredBond);
        uint256 expected = nextBlockNumber();
        if (l2BlockNumber != expected) revert WrongL2BlockNumber(expected, l2BlockNumber);
        uint256 l2Timestamp = computeL2Timestamp(l2BlockNumber);
        if (l2Timestamp >= block.timestamp) revert L2BlockInFuture(l2Timestamp, block.timestamp);
        if (outputRoot == bytes32(0)) revert EmptyOutputRoot();
        if (l1BlockHash != bytes32(0)) {
            bytes32 actual = blockhash(l1BlockNumber);
            if (actual != l1BlockHash) revert L1BlockHashMismatch(l1BlockNumber, actual, l1BlockHash);
        }

        if (address(anchors) != address(0)) anchors.anchorPrevious();
        uint256 index = _outputs.length;
        _outputs.push(Proposal(outputRoot, uint128(block.timestamp), uint128(l2BlockNumber)));
        _bonds.push(msg.value);
        emit OutputProposed(outputRoot, index, l2BlockNumber, block.timestamp);
    }

    // ---- disputes -------------------------------------------------------------------------

    /// @notice Deletes output `index` and every later one (OP's name); see `invalidateOutput`.
    function deleteL2Outputs(uint256 index) external {
        _delete(index);
    }

    /// @notice The dispute hook: output `index` was shown wrong, so it and every later output
    ///         (which the proposer built after it) are deleted and their bonds go to the
    ///         challenger. Final outputs cannot be deleted. Only the challenger may call it.
    function invalidateOutput(uint256 index) external {
        _delete(index);
    }

    /// @notice Hands the challenger role to `next` (e.g. the dispute game, once deployed).
    function setChallenger(address next) external {
        if (msg.sender != challenger) revert NotChallenger(msg.sender);
        if (next == address(0)) revert ZeroAddress();
        emit ChallengerChanged(challenger, next);
        challenger = next;
    }

    /// @notice Returns the bond of final output `index` to the proposer. Anyone may call it.
    function reclaimBond(uint256 index) external {
        if (!isOutputFinalized(index)) revert OutputNotFinalized(index);
        uint256 amount = _bonds[index];
        if (amount == 0) revert BondAlreadyReclaimed(index);
        _bonds[index] = 0;
        emit BondReclaimed(index, proposer, amount);
        _pay(proposer, amount);
    }

    // ---- reading --------------------------------------------------------------------------

    /// @notice Output `index`; reverts `OutputNotFound` if there is none.
    function getL2Output(uint256 index) external view returns (Proposal memory) {
        return _output(index);
    }

    /// @notice Index of the first output whose L2 block is at or after `l2BlockNumber`: the output
    ///         a withdrawal from that block is proven against.
    function getL2OutputIndexAfter(uint256 l2BlockNumber) public view returns (uint256) {
        uint256 count = _outputs.length;
        if (count == 0 || _outputs[count - 1].l2BlockNumber < l2BlockNumber) revert NoOutputAfter(l2BlockNumber);
        // Binary search over the (strictly increasing) block numbers.
        uint256 lo = 0;
        uint256 hi = count - 1;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (_outputs[mid].l2BlockNumber < l2BlockNumber) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// @notice The first output at or after `l2BlockNumber`.
    function getL2OutputAfter(uint256 l2BlockNumber) external view returns (Proposal memory) {
        return _outputs[getL2OutputIndexAfter(l2BlockNumber)];
    }

    /// @notice Index of the newest output; reverts `OutputNotFound(0)` when there is none.
    function latestOutputIndex() external view returns (uint256) {
        if (_outputs.length == 0) revert OutputNotFound(0);
        return _outputs.length - 1;
    }

    /// @notice Index the next proposal will get (the number of outputs).
    function nextOutputIndex() public view returns (uint256) {
        return _outputs.length;
    }

    /// @notice L2 block of the newest output, or `startingBlockNumber` before the first.
    function latestBlockNumber() public view returns (uint256) {
        uint256 count = _outputs.length;
        return count == 0 ? startingBlockNumber : _outputs[count - 1].l2BlockNumber;
    }

    /// @notice The L2 block the next proposal must be for.
    function nextBlockNumber() public view returns (uint256) {
        return latestBlockNumber() + submissionInterval;
    }

    /// @notice Earliest L2 timestamp block `l2BlockNumber` can have: blocks come at least
    ///         `l2BlockTime` seconds apart (exactly that far apart on a chain with a fixed block time).
    function computeL2Timestamp(uint256 l2BlockNumber) public view returns (uint256) {
        return startingTimestamp + (l2BlockNumber - startingBlockNumber) * l2BlockTime;
    }

    /// @notice Whether output `index` is final: more than `finalizationPeriodSeconds` have passed
    ///         since it was posted (the OP portal's `block.timestamp > posted + period`), and, when
    ///         the challenger is the dispute game factory, no open game disputes it or an earlier
    ///         output (a withdrawal proven against it waits for the game to resolve).
    function isOutputFinalized(uint256 index) public view returns (bool) {
        if (block.timestamp <= uint256(_output(index).timestamp) + finalizationPeriodSeconds) return false;
        address disputes = challenger;
        return disputes.code.length == 0 || !IDisputeGameRegistry(disputes).blocksFinalization(index);
    }

    /// @notice Bond still locked by output `index` (0 once reclaimed).
    function bondOf(uint256 index) external view returns (uint256) {
        _output(index);
        return _bonds[index];
    }

    // ---- internals ------------------------------------------------------------------------

    function _output(uint256 index) internal view returns (Proposal storage) {
        if (index >= _outputs.length) revert OutputNotFound(index);
        return _outputs[index];
    }

    function _delete(uint256 index) internal {
        if (msg.sender != challenger) revert NotChallenger(msg.sender);
        if (isOutputFinalized(index)) revert OutputAlreadyFinalized(index); // also OutputNotFound
        uint256 previousNext = _outputs.length;
        uint256 forfeited;
        // Outputs after a non-final one are younger, so none of them is final either.
        for (uint256 i = previousNext; i > index; --i) {
            forfeited += _bonds[i - 1];
            _bonds.pop();
            _outputs.pop();
        }
        emit OutputsDeleted(previousNext, index);
        if (forfeited != 0) {
            emit BondsForfeited(msg.sender, forfeited);
            _pay(msg.sender, forfeited);
        }
    }

    function _pay(address to, uint256 amount) internal {
        (bool ok,) = payable(to).call{value: amount}("");
        if (!ok) revert BondTransferFailed(to, amount);
    }
}
