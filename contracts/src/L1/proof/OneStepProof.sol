// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EVMStep} from "./EVMStep.sol";
import {PackedMachine} from "./PackedMachine.sol";
import {StepTypes} from "./StepTypes.sol";
import {WitnessChunks} from "./WitnessChunks.sol";
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
///         - stages 1 and 3 in chunks, for a witness too large for one L1 transaction
///           (docs/fault-proofs.md, "Load and commit in chunks"): `loadWitnessChunk` goes on from
///           a recorded `LoadProgress` (a hash chain over the accounts and slots loaded so far:
///           every progress is a loaded `PreState`), `commitTransactionChunk` from a recorded
///           `CommitCursor` (the roots after the operations so far), up to `maxOps` trie
///           operations. The trie code lives in `WitnessChunks`, which this contract creates.
///
///         The proof-cost caps are the rollup's (its config's `proof_cost_limits`), fixed at
///         deployment, never an input a prover chooses.
contract OneStepProof {
    /// @notice `keccak256(rawTx)` is not the transaction the dispute claims.
    error TransactionNotClaimed(bytes32 claimed, bytes32 actual);
    /// @notice Staged: this `PreState` was not proven by `loadWitness`.
    error PreStateNotLoaded(bytes32 preStateHash);
    /// @notice Staged: this `PostState` was not produced by `executeTransaction` from that pre-state
    ///         root, transaction and context.
    error PostStateNotExecuted(bytes32 executionHash);
    /// @notice Segmented: this machine was not left paused by a segment of step `stepId`.
    error MachineNotRecorded(bytes32 stepId, bytes32 machineHash);
    /// @notice Chunked load: no chunk reached this `LoadProgress` (out of order, or another load).
    error LoadNotRecorded(bytes32 progressHash);
    /// @notice Chunked commit: no chunk of the commit of this execution reached this cursor (out of
    ///         order, or a cursor of another step).
    error CommitNotRecorded(bytes32 executionHash, bytes32 cursorHash);
    /// @notice `commitTransaction` ran out of `maxOps` before the commit was done.
    error CommitNotDone(bytes32 executionHash);

    /// @notice Staged: a `PreState` proven against `preRoot` (its hash is the key of `loaded`).
    event WitnessLoaded(bytes32 indexed preRoot, bytes32 preStateHash);
    /// @notice Staged: the transaction executed over a loaded `PreState`.
    event TransactionExecuted(bytes32 indexed stepId, bytes32 executionHash);
    /// @notice Chunked commit: a chunk of the commit of `executionHash` reached this cursor.
    event CommitChunkDone(bytes32 indexed executionHash, bytes32 cursorHash);
    /// @notice Segmented: a segment of step `stepId` ended paused, in the machine of this hash.
    event SegmentExecuted(bytes32 indexed stepId, bytes32 machineHash);
    /// @notice `publishData`: the data contract holding data of this hash is at `store`.
    event DataPublished(address indexed store, bytes32 dataHash);
    /// @notice The step's result: `stepId` = `stepId(preRoot, txHash, ctx)`.
    event TransactionProven(bytes32 indexed stepId, bytes32 indexed preRoot, bytes32 indexed txHash, bytes32 postRoot);

    /// @dev `EVMStep`'s first word of a paused machine (an ABI-encoded PostState starts with 0x20).
    uint256 internal constant STEP_PAUSED = 0x5041555345440000000000000000000000000000000000000000000000000000;

    EVMStep public immutable step;
    /// @notice The trie side, load and commit (created with this contract).
    WitnessChunks public immutable witnessChunks;
    uint256 public immutable maxOpcodes;
    uint256 public immutable maxAccounts;
    uint256 public immutable maxSlots;
    uint256 public immutable maxCodeBytes;
    uint256 public immutable maxMemoryBytes;
    uint256 public immutable maxFrames;

    /// @notice Staged: `keccak256(abi.encode(progress))` of every `LoadProgress` a load chunk reached;
    ///         for a whole `PreState`, `WitnessDB.preStateHash(pre)`.
    mapping(bytes32 progressHash => bool) public loaded;
    /// @notice Staged: `executionHash(stepId, post)` of every `PostState` `executeTransaction` produced.
    mapping(bytes32 executionHash => bool) public executed;
    /// @notice Segmented: `machineKey(stepId, keccak256(machine))` of every machine a segment
    ///         left paused.
    mapping(bytes32 machineKey => bool) public paused;
    /// @notice Chunked commit: `commitKey(executionHash, cursor)` of every cursor a commit chunk reached.
    mapping(bytes32 commitKey => bool) public committing;
    /// @notice Staged: the post-state root of every step committed (0 = not proven yet).
    mapping(bytes32 stepId => bytes32) public postStateRoot;

    constructor(EVMStep step_, StepTypes.ProofCostLimits memory caps) {
        step = step_;
        witnessChunks = new WitnessChunks();
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
        (, StepTypes.PreState memory pre) = _loadChunk(_loadStart(preRoot), nodes, witnesses);
        post = _execute(pre, rawTx, ctx);
        postRoot = _commitAll(preRoot, nodes, post);
    }

    function _commitAll(bytes32 preRoot, bytes[] calldata nodes, StepTypes.PostState memory post)
        internal
        view
        returns (bytes32)
    {
        return witnessChunks.commitChunk(preRoot, nodes, post, _commitStart(preRoot), type(uint256).max).stateRoot;
    }

    // ---- staged ----------------------------------------------------------------------------

    /// @notice Stage 1: proves the witnessed accounts, slots and codes against `preRoot` and
    ///         records the hash of the resulting `PreState` (returned, and in `WitnessLoaded`).
    function loadWitness(bytes32 preRoot, bytes[] calldata nodes, WitnessDB.AccountWitness[] calldata witnesses)
        external
        returns (StepTypes.PreState memory pre)
    {
        WitnessDB.LoadProgress memory to;
        (to, pre) = _loadChunk(_loadStart(preRoot), nodes, witnesses);
        _recordLoad(to);
    }

    /// @notice Stage 1 in chunks: proves `witnesses` against `from.root`, going on from `from`
    ///         (the start, `LoadProgress(root, 0...)`, or a progress a chunk reached), records the
    ///         progress reached and returns it with the accounts loaded (a continued account, the
    ///         last of `from` with more slots, comes back with only its new slots). The `PreState`
    ///         of every account loaded so far is loaded: `executeTransaction` takes it.
    function loadWitnessChunk(
        WitnessDB.LoadProgress calldata from,
        bytes[] calldata nodes,
        WitnessDB.AccountWitness[] calldata witnesses
    ) external returns (WitnessDB.LoadProgress memory to, StepTypes.Account[] memory accounts) {
        bytes32 fromHash = keccak256(abi.encode(from));
        if (fromHash != keccak256(abi.encode(_loadStart(from.root))) && !loaded[fromHash]) {
            revert LoadNotRecorded(fromHash);
        }
        StepTypes.PreState memory pre;
        (to, pre) = _loadChunk(from, nodes, witnesses);
        accounts = pre.accounts;
        _recordLoad(to);
    }

    function _loadChunk(
        WitnessDB.LoadProgress memory from,
        bytes[] calldata nodes,
        WitnessDB.AccountWitness[] calldata witnesses
    ) internal view returns (WitnessDB.LoadProgress memory to, StepTypes.PreState memory pre) {
        (to, pre.accounts) = witnessChunks.loadChunk(from, nodes, witnesses);
        pre.root = from.root;
    }

    function _recordLoad(WitnessDB.LoadProgress memory to) internal {
        bytes32 progressHash = keccak256(abi.encode(to));
        loaded[progressHash] = true;
        emit WitnessLoaded(to.root, progressHash);
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
        _checkLoaded(pre);
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
    ///         the L1 gas of a segment: every budget gives the same `PostState`. The `PreState`
    ///         comes packed as a machine does (`PackedMachine`, over `abi.encode(pre)`): it carries
    ///         every witnessed code, so it is the largest calldata of a batch workload's step.
    function startExecution(
        bytes calldata packedPreState,
        bytes calldata rawTx,
        bytes32 claimedTxHash,
        StepTypes.BlockContext calldata ctx,
        uint256 budget
    ) external returns (bytes memory machine, StepTypes.PostState memory post) {
        _checkClaimed(rawTx, claimedTxHash);
        StepTypes.PreState memory pre = abi.decode(PackedMachine.unpack(packedPreState), (StepTypes.PreState));
        _checkLoaded(pre);
        bytes memory result = _stepCall(abi.encodeCall(EVMStep.execute, (pre, rawTx, ctx, caps(), budget)));
        return _recordSegment(stepId(pre.root, claimedTxHash, ctx), result);
    }

    /// @notice The next segment of step `id` from a machine a segment of it left paused, sent
    ///         packed (`PackedMachine`: zero bytes left out, codes copied from data contracts
    ///         `publishData` created), so that its calldata stays under geth's 128 KiB transaction
    ///         size. Only the hash of the unpacked machine counts: it must be a recorded one.
    function continueExecution(bytes32 id, bytes calldata packedMachine, uint256 budget)
        external
        returns (bytes memory, StepTypes.PostState memory)
    {
        (bytes memory resumeCall, bytes32 machineHash) =
            PackedMachine.unpackedCall(EVMStep.resume.selector, packedMachine, budget);
        if (!paused[machineKey(id, machineHash)]) revert MachineNotRecorded(id, machineHash);
        return _recordSegment(id, _stepCall(resumeCall));
    }

    /// @notice Publishes `data` (at most 24,575 bytes) as a data contract a packed machine copies
    ///         words from (`PackedMachine.publish`: its address depends only on `data`; publishing
    ///         again creates nothing). Anyone may publish anything: a packed machine is checked by
    ///         the hash of what it unpacks to.
    function publishData(bytes calldata data) external returns (address store) {
        store = PackedMachine.publish(data);
        emit DataPublished(store, keccak256(data));
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
        WitnessDB.CommitCursor memory to =
            commitTransactionChunk(preRoot, txHash, ctx, nodes, post, _commitStart(preRoot), type(uint256).max);
        postRoot = to.stateRoot;
    }

    /// @notice Stage 3 in chunks: up to `maxOps` trie operations of the commit of a `PostState`
    ///         stage 2 produced, from `from` (the start, `CommitCursor(0, 0, preRoot, 0)`, or a
    ///         cursor a chunk of this commit reached); records the cursor reached, or, when the
    ///         commit is done, the post-state root (`TransactionProven`). Returns the cursor.
    function commitTransactionChunk(
        bytes32 preRoot,
        bytes32 txHash,
        StepTypes.BlockContext calldata ctx,
        bytes[] calldata nodes,
        StepTypes.PostState calldata post,
        WitnessDB.CommitCursor memory from,
        uint256 maxOps
    ) public returns (WitnessDB.CommitCursor memory to) {
        bytes32 id = stepId(preRoot, txHash, ctx);
        bytes32 execution = executionHash(id, post);
        if (!executed[execution]) revert PostStateNotExecuted(execution);
        bytes32 fromHash = keccak256(abi.encode(from));
        if (fromHash != keccak256(abi.encode(_commitStart(preRoot))) && !committing[commitKey(execution, fromHash)]) {
            revert CommitNotRecorded(execution, fromHash);
        }
        to = witnessChunks.commitChunk(preRoot, nodes, post, from, maxOps);
        if (to.account == 2 * post.accounts.length) {
            postStateRoot[id] = to.stateRoot;
            emit TransactionProven(id, preRoot, txHash, to.stateRoot);
        } else if (maxOps == type(uint256).max) {
            revert CommitNotDone(execution); // unreachable: an unbounded chunk always finishes
        } else {
            bytes32 toHash = keccak256(abi.encode(to));
            committing[commitKey(execution, toHash)] = true;
            emit CommitChunkDone(execution, toHash);
        }
    }

    /// @notice The key under which a commit chunk of `executionHash` records the cursor it reached.
    function commitKey(bytes32 execution, bytes32 cursorHash) public pure returns (bytes32) {
        return keccak256(abi.encode(execution, cursorHash));
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

    function _checkLoaded(StepTypes.PreState memory pre) internal view {
        bytes32 preStateHash = WitnessDB.preStateHash(pre);
        if (!loaded[preStateHash]) revert PreStateNotLoaded(preStateHash);
    }

    function _loadStart(bytes32 preRoot) internal pure returns (WitnessDB.LoadProgress memory start) {
        start.root = preRoot;
    }

    function _commitStart(bytes32 preRoot) internal pure returns (WitnessDB.CommitCursor memory) {
        return WitnessDB.CommitCursor(0, 0, preRoot, 0);
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
