// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Position, LibPosition} from "@eth-optimism/contracts-bedrock/src/dispute/lib/LibPosition.sol";
import {StepTypes} from "../proof/StepTypes.sol";
import {OutputRootLib} from "../lib/OutputRootLib.sol";
import {OneStepProof} from "../proof/OneStepProof.sol";
import {BlockFinishLeaf} from "./BlockFinishLeaf.sol";
import {BlockAccumulator} from "./BlockAccumulator.sol";
import {IInputOracle} from "./IInputOracle.sol";
import {OutputDisputeGameBase} from "./OutputDisputeGameBase.sol";

/// @title OutputDisputeGameLeaves
/// @notice The leaves of `OutputDisputeGame` (docs/fault-proofs.md, "The game"): `stepTransaction`,
///         `stepFinish`, `stepInput` and `inputsHashOfLeaf`, the game's functions that are not in
///         its own code. One deployment serves every game (`Config.leaves`): a game's `fallback`
///         DELEGATECALLs here with the call data it got and its `GameParams` appended, so a step
///         reads and writes the game's storage, emits the game's events, and sees the stepper as
///         `msg.sender`, exactly as when this code was the game's. Kept apart so the game's
///         creation code (its blueprint's code, under EIP-170's 24,576 bytes) has room to grow.
///         Called directly, it acts on its own storage, which holds no claim (`ClaimNotFound`).
contract OutputDisputeGameLeaves is OutputDisputeGameBase {
    /// @dev Where a step sits: the claims it reads and the block it is about.
    struct Frame {
        uint256 traceIndex; //    k: the post's index in the block's trace
        bytes32 preClaim; //      claim at k-1 (unused when k = 0)
        uint256 postIndex;
        uint256 execRootIndex;
        bytes32 startingOutput; // output root of the block before the disputed block
        uint256 blockNumber; //    the disputed block
    }

    /// @dev Bytes of `GameParams` at the end of the call data (nine words).
    uint256 internal constant GAME_PARAMS_BYTES = 288;

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
        uint256 traceLength = _traceLength();
        if (f.traceIndex == traceLength - 1) revert WrongLeafKind(f.traceIndex);
        if (input.count >= traceLength) revert TooManyTransactions(input.count, traceLength - 1);
        _checkInput(f.execRootIndex, f.traceIndex, input);
        if (OutputRootLib.hashOutputRootProof(startingOutput) != f.startingOutput) revert InvalidStartingOutput();

        bytes32 preHash = f.traceIndex == 0 ? _finishLeaf().accumulator().initialHash(startingOutput.stateRoot) : f.preClaim;
        bytes32 given = keccak256(abi.encode(pre));
        if (given != preHash) revert AccumulatorMismatch(preHash, given);
        // Padding past the block's transactions: no transaction, no change.
        if (f.traceIndex >= input.count) {
            _counter(claimIndex, f, preHash);
            return;
        }
        StepTypes.BlockContext memory ctx = _finishLeaf().blockContext(
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
        return _finishLeaf().accumulator().step(_oneStepProof(), pre, k, input.txHash, proof, ctx, tries);
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
        if (f.traceIndex != _traceLength() - 1) revert WrongLeafKind(f.traceIndex);
        if (OutputRootLib.hashOutputRootProof(startingOutput) != f.startingOutput) revert InvalidStartingOutput();
        _checkInput(f.execRootIndex, f.traceIndex, input);
        bytes32 given = keccak256(abi.encode(last));
        if (given != f.preClaim) revert AccumulatorMismatch(f.preClaim, given);
        bytes32 output = _finishLeaf().outputRoot(
            BlockFinishLeaf.Agreed(f.blockNumber, startingOutput.latestBlockhash, input.timestamp, last), _messagePasser(), finish
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
        if (_parent(execRootIndex).position.depth() != _splitDepth() + 1) revert NotABlockClaim();
        if (address(_inputOracle()) == address(0)) revert LeafNotAvailable();
        if (inputCounteredBy[execRootIndex] != address(0)) revert DuplicateStep();
        bytes32 expected = blockInputs[execRootIndex];
        bytes32 given = inputsHash(inputs);
        if (given != expected) revert InputsMismatch(expected, given);
        if (keccak256(abi.encode(end)) != blockDerivation[execRootIndex]) revert DerivationMismatch();
        (, bytes32 parentOutput, uint256 blockNumber) = _blockOf(execRootIndex);
        // A block has at least its L1-info deposit: an empty list is a lie the oracle names.
        if (!_inputOracle().refutes(blockNumber, parentOutput, inputs.txHashes, inputs.timestamp, end.found, evidence)) {
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
        if (parentPos.move(isAttack).depth() != _maxDepth() + 1) revert InvalidParent();
        if (parent.counteredBy != address(0)) revert DuplicateStep();
        uint256 traceLength = _traceLength();
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

    // ---- the game's parameters -----------------------------------------------------------

    /// @dev Word `i` of the calling game's `GameParams` (in the struct's field order), one of the
    ///      last `GAME_PARAMS_BYTES` of the call data: read where needed, never decoded whole.
    function _gameParam(uint256 i) internal pure returns (uint256 word) {
        assembly {
            word := calldataload(sub(calldatasize(), sub(GAME_PARAMS_BYTES, mul(i, 32))))
        }
    }

    function _splitDepth() internal pure override returns (uint256) {
        return _gameParam(0);
    }

    function _maxDepth() internal pure returns (uint256) {
        return _gameParam(1);
    }

    function _traceLength() internal pure returns (uint256) {
        return _gameParam(2);
    }

    function _startingOutputRoot() internal pure override returns (bytes32) {
        return bytes32(_gameParam(3));
    }

    function _startingBlockNumber() internal pure override returns (uint256) {
        return _gameParam(4);
    }

    function _oneStepProof() internal pure returns (OneStepProof) {
        return OneStepProof(address(uint160(_gameParam(5))));
    }

    function _inputOracle() internal pure returns (IInputOracle) {
        return IInputOracle(address(uint160(_gameParam(6))));
    }

    function _messagePasser() internal pure returns (address) {
        return address(uint160(_gameParam(7)));
    }

    function _finishLeaf() internal pure returns (BlockFinishLeaf) {
        return BlockFinishLeaf(address(uint160(_gameParam(8))));
    }
}
