// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EVMStep} from "./EVMStep.sol";
import {NodeSet} from "./NodeSet.sol";
import {StepTypes} from "./StepTypes.sol";
import {WitnessDB} from "./WitnessDB.sol";

/// @title OneStepProof
/// @notice The whole one-step transaction proof (docs/fault-proofs.md, "The whole step"): from an
///         agreed pre-state root, the claimed transaction and its block context, the post-state root
///         that re-executing that transaction gives, every value proven from the witness:
///
///           WitnessDB.load  ->  EVMStep.execute  ->  WitnessDB.commit
///
///         Two ways to run it, with the same checks and the same result:
///         - `proveTransaction`: the three parts in one call, over one node set (a `view`);
///         - staged, one permissionless L1 transaction per part, for a transaction whose proof
///           does not fit one L1 transaction (EIP-7825: 16,777,216 gas): `loadWitness` records the
///           hash of the proven `PreState`, `executeTransaction` takes that `PreState` back as
///           calldata, checks its hash was recorded and records the hash of the `PostState`,
///           `commitTransaction` takes that `PostState` back, checks its hash was recorded, writes
///           it into the tries and records the post-state root under the step's id. Only hashes are
///           stored: a stage's output is re-sent as the next stage's calldata, which costs less than
///           storing it.
///
///         The proof-cost caps are the rollup's (its config's `proof_cost_limits`), fixed at
///         deployment, never an input a prover chooses.
contract OneStepProof {
    /// @notice `keccak256(rawTx)` is not the transaction the dispute claims.
    error TransactionNotClaimed(bytes32 claimed, bytes32 actual);
    /// @notice The node set does not hold the pre-state root's node: a witness for another state.
    error WitnessForAnotherRoot(bytes32 preRoot);
    /// @notice Staged: this `PreState` was not proven by `loadWitness`.
    error PreStateNotLoaded(bytes32 preStateHash);
    /// @notice Staged: this `PostState` was not produced by `executeTransaction` from that pre-state
    ///         root, transaction and context.
    error PostStateNotExecuted(bytes32 executionHash);
    /// @notice Segmented: this machine was not left paused by a segment of step `stepId`.
    error MachineNotRecorded(bytes32 stepId, bytes32 machineHash);

    /// @notice Staged: a `PreState` proven against `preRoot` (its hash is the key of `loaded`).
    event WitnessLoaded(bytes32 indexed preRoot, bytes32 preStateHash);
    /// @notice Staged: the transaction executed over a loaded `PreState`.
    event TransactionExecuted(bytes32 indexed stepId, bytes32 executionHash);
    /// @notice Segmented: a segment of step `stepId` ended paused, in the machine of this hash.
    event SegmentExecuted(bytes32 indexed stepId, bytes32 machineHash);
    /// @notice The step's result: `stepId` = `stepId(preRoot, txHash, ctx)`.
    event TransactionProven(bytes32 indexed stepId, bytes32 indexed preRoot, bytes32 indexed txHash, bytes32 postRoot);

    /// @dev `EVMStep`'s first word of a paused machine (an ABI-encoded PostState starts with 0x20).
    uint256 internal constant STEP_PAUSED = 0x5041555345440000000000000000000000000000000000000000000000000000;

    EVMStep public immutable step;
    uint256 public immutable maxOpcodes;
    uint256 public immutable maxAccounts;
    uint256 public immutable maxSlots;
    uint256 public immutable maxCodeBytes;
    uint256 public immutable maxMemoryBytes;
    uint256 public immutable maxFrames;

    /// @notice Staged: hashes of `PreState`s proven by `loadWitness`.
    mapping(bytes32 preStateHash => bool) public loaded;
    /// @notice Staged: `executionHash(stepId, post)` of every `PostState` `executeTransaction` produced.
    mapping(bytes32 executionHash => bool) public executed;
    /// @notice Segmented: `machineKey(stepId, keccak256(machine))` of every machine a segment
    ///         left paused.
    mapping(bytes32 machineKey => bool) public paused;
    /// @notice Staged: the post-state root of every step committed (0 = not proven yet).
    mapping(bytes32 stepId => bytes32) public postStateRoot;

    constructor(EVMStep step_, StepTypes.ProofCostLimits memory caps) {
        step = step_;
        maxOpcodes = caps.maxOpcodes;
        maxAccounts = caps.maxAccounts;
        maxSlots = caps.maxSlots;
        maxCodeBytes = caps.maxCodeBytes;
        maxMemoryBytes = caps.maxMemoryBytes;
        maxFrames = caps.maxFrames;
    }

    // ---- one call --------------------------------------------------------------------------

    /// @notice The state root after transaction `rawTx` (which must hash to `claimedTxHash`, the
    ///         transaction hash the dispute commits to) runs in block `ctx` on the state at
    ///         `preRoot`. `nodes` (RLP trie nodes) and `witnesses` (accounts, codes, slots) are the
    ///         witness (`lantau_txWitness`); every value the execution reads is proven from them.
    ///         Reverts with a named error on any bad input; never returns an unproven root.
    function proveTransaction(
        bytes32 preRoot,
        bytes[] calldata nodes,
        WitnessDB.AccountWitness[] calldata witnesses,
        bytes calldata rawTx,
        bytes32 claimedTxHash,
        StepTypes.BlockContext calldata ctx
    ) external view returns (bytes32 postRoot, StepTypes.PostState memory post) {
        _checkClaimed(rawTx, claimedTxHash);
        NodeSet.Set memory set = _nodeSet(preRoot, nodes);
        StepTypes.PreState memory pre = WitnessDB.load(set, preRoot, witnesses);
        post = _execute(pre, rawTx, ctx);
        postRoot = WitnessDB.commit(set, preRoot, post);
    }

    // ---- staged ----------------------------------------------------------------------------

    /// @notice Stage 1: proves the witnessed accounts, slots and codes against `preRoot` and
    ///         records the hash of the resulting `PreState` (returned, and in `WitnessLoaded`).
    function loadWitness(bytes32 preRoot, bytes[] calldata nodes, WitnessDB.AccountWitness[] calldata witnesses)
        external
        returns (StepTypes.PreState memory pre)
    {
        pre = WitnessDB.load(_nodeSet(preRoot, nodes), preRoot, witnesses);
        bytes32 preStateHash = keccak256(abi.encode(pre));
        loaded[preStateHash] = true;
        emit WitnessLoaded(preRoot, preStateHash);
    }

    /// @notice Stage 2: runs the claimed transaction over a `PreState` stage 1 proved and records
    ///         the hash of the `PostState` (returned) for stage 3.
    function executeTransaction(
        StepTypes.PreState calldata pre,
        bytes calldata rawTx,
        bytes32 claimedTxHash,
        StepTypes.BlockContext calldata ctx
    ) external returns (StepTypes.PostState memory post) {
        _checkClaimed(rawTx, claimedTxHash);
        bytes32 preStateHash = keccak256(abi.encode(pre));
        if (!loaded[preStateHash]) revert PreStateNotLoaded(preStateHash);
        post = _execute(pre, rawTx, ctx);
        bytes32 id = stepId(pre.root, claimedTxHash, ctx);
        bytes32 execution = executionHash(id, post);
        executed[execution] = true;
        emit TransactionExecuted(id, execution);
    }

    // ---- segmented execute: stage 2 over several L1 transactions ---------------------------

    /// @notice Stage 2 in segments (docs/fault-proofs.md, "Segmented execution"): as
    ///         `executeTransaction`, but pauses before the instruction that would pass `budget`
    ///         instructions: returns the paused machine (and records its hash) or, for a
    ///         transaction that ends within the budget, its `PostState` (recorded as
    ///         `executeTransaction` records it, for `commitTransaction`). `budget` only decides
    ///         the L1 gas of a segment: every budget gives the same `PostState`.
    function startExecution(
        StepTypes.PreState calldata pre,
        bytes calldata rawTx,
        bytes32 claimedTxHash,
        StepTypes.BlockContext calldata ctx,
        uint256 budget
    ) external returns (bytes memory machine, StepTypes.PostState memory post) {
        _checkClaimed(rawTx, claimedTxHash);
        bytes32 preStateHash = keccak256(abi.encode(pre));
        if (!loaded[preStateHash]) revert PreStateNotLoaded(preStateHash);
        bytes memory result = _stepCall(abi.encodeCall(EVMStep.execute, (pre, rawTx, ctx, caps(), budget)));
        return _recordSegment(stepId(pre.root, claimedTxHash, ctx), result);
    }

    /// @notice The next segment of step `id` from a machine a segment of it left paused.
    function continueExecution(bytes32 id, bytes calldata machine, uint256 budget)
        external
        returns (bytes memory, StepTypes.PostState memory)
    {
        bytes32 machineHash = keccak256(machine);
        if (!paused[machineKey(id, machineHash)]) revert MachineNotRecorded(id, machineHash);
        return _recordSegment(id, _stepCall(abi.encodeCall(EVMStep.resume, (machine, budget))));
    }

    /// @notice The key under which a segment of step `id` records a paused machine.
    function machineKey(bytes32 id, bytes32 machineHash) public pure returns (bytes32) {
        return keccak256(abi.encode(id, machineHash));
    }

    function _stepCall(bytes memory data) internal view returns (bytes memory result) {
        bool ok;
        (ok, result) = address(step).staticcall(data);
        if (!ok) {
            assembly {
                revert(add(result, 0x20), mload(result)) // the step's named error, as a typed call gives it
            }
        }
    }

    function _recordSegment(bytes32 id, bytes memory result)
        internal
        returns (bytes memory machine, StepTypes.PostState memory post)
    {
        if (result.length >= 32 && uint256(bytes32(result)) == STEP_PAUSED) {
            bytes32 machineHash = keccak256(result);
            paused[machineKey(id, machineHash)] = true;
            emit SegmentExecuted(id, machineHash);
            return (result, post);
        }
        post = abi.decode(result, (StepTypes.PostState));
        bytes32 execution = executionHash(id, post);
        executed[execution] = true;
        emit TransactionExecuted(id, execution);
    }

    /// @notice Stage 3: writes a `PostState` stage 2 produced into the tries at `preRoot` and
    ///         records (and returns) the post-state root of the step.
    function commitTransaction(
        bytes32 preRoot,
        bytes32 txHash,
        StepTypes.BlockContext calldata ctx,
        bytes[] calldata nodes,
        StepTypes.PostState calldata post
    ) external returns (bytes32 postRoot) {
        bytes32 id = stepId(preRoot, txHash, ctx);
        bytes32 execution = executionHash(id, post);
        if (!executed[execution]) revert PostStateNotExecuted(execution);
        postRoot = WitnessDB.commit(_nodeSet(preRoot, nodes), preRoot, post);
        postStateRoot[id] = postRoot;
        emit TransactionProven(id, preRoot, txHash, postRoot);
    }

    /// @notice The id of one step: which transaction, in which block context, from which state.
    function stepId(bytes32 preRoot, bytes32 txHash, StepTypes.BlockContext memory ctx) public pure returns (bytes32) {
        return keccak256(abi.encode(preRoot, txHash, keccak256(abi.encode(ctx))));
    }

    /// @notice The key under which stage 2 records a `PostState` of step `id`.
    function executionHash(bytes32 id, StepTypes.PostState memory post) public pure returns (bytes32) {
        return keccak256(abi.encode(id, post));
    }

    // ---- the parts -------------------------------------------------------------------------

    function _checkClaimed(bytes calldata rawTx, bytes32 claimedTxHash) internal pure {
        bytes32 actual = keccak256(rawTx);
        if (actual != claimedTxHash) revert TransactionNotClaimed(claimedTxHash, actual);
    }

    /// @dev The witness's node set, with room for the nodes commit creates; the pre-state root's own
    ///      node must be in it (a state trie is never empty: the L2's genesis has predeploys).
    function _nodeSet(bytes32 preRoot, bytes[] memory nodes) internal pure returns (NodeSet.Set memory set) {
        set = NodeSet.fromNodes(nodes, 64);
        if (!NodeSet.contains(set, preRoot)) revert WitnessForAnotherRoot(preRoot);
    }

    function _execute(StepTypes.PreState memory pre, bytes memory rawTx, StepTypes.BlockContext memory ctx)
        internal
        view
        returns (StepTypes.PostState memory)
    {
        return step.execute(pre, rawTx, ctx, caps(), type(uint256).max);
    }

    /// @notice The rollup's proof-cost caps this proof enforces.
    function caps() public view returns (StepTypes.ProofCostLimits memory) {
        return StepTypes.ProofCostLimits(maxOpcodes, maxAccounts, maxSlots, maxCodeBytes, maxMemoryBytes, maxFrames);
    }
}
