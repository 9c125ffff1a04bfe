// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {OutputOracle} from "../OutputOracle.sol";
import {BondCurve} from "./BondCurve.sol";
import {IDisputeGameRegistry} from "./IDisputeGameRegistry.sol";
import {OutputDisputeGame} from "./OutputDisputeGame.sol";
import {OutputDisputeGameBase} from "./OutputDisputeGameBase.sol";

/// @title DisputeGameFactory
/// @notice The `OutputOracle`'s challenger: anyone may open an `OutputDisputeGame` about an
///         output that is not final yet (one game per output root, as OP's factory keys games by
///         their root claim; any number of challengers play in it). While a game is open, that
///         output and every later one cannot become final (`blocksFinalization`, which the oracle
///         asks). A game the challengers win makes the factory delete the output and every later
///         one from the oracle; the proposer bonds the oracle forfeits go to the game, for the
///         winner. A game the proposer's side wins changes nothing in the oracle.
/// @dev    Not OP's DisputeGameFactory: no proxy clones, no owner, no game types: a devnet deploys
///         it once with the rules of every game it makes (docs/fault-proofs.md, "The game").
contract DisputeGameFactory is IDisputeGameRegistry {
    struct OpenGame {
        OutputDisputeGame game;
        uint256 outputIndex;
        bytes32 outputRoot;
    }

    error OutputFinal(uint256 index);
    error GameAlreadyExists(address game);
    /// @notice The oracle's outputs are `span` blocks apart; games need 2^splitDepth.
    error UnsupportedSpan(uint256 span, uint256 splitDepth);
    error NotAnOpenGame(address caller);
    error NotOracle(address caller);

    event GameCreated(address indexed game, uint256 indexed outputIndex, bytes32 indexed outputRoot, address creator);
    event GameResolved(address indexed game, uint256 indexed outputIndex, bool challengerWins, uint256 forfeited);
    /// @notice Transactions `first`.. of the block inputs `publisher` publishes in chunks under `id`.
    event BlockInputsChunk(address indexed publisher, bytes32 indexed id, uint256 first, bytes32[] txHashes);

    /// @notice Block inputs published in chunks, per publisher and id: how many hashes, and the
    ///         Merkle frontier of them (the left siblings still open, level by level).
    struct PublishedInputs {
        uint256 count;
        bytes32[32] frontier;
    }
    mapping(address => mapping(bytes32 => PublishedInputs)) internal _published;

    OutputOracle public immutable oracle;
    /// @notice A contract whose code is `OutputDisputeGame`'s creation code (ERC-5202's blueprint
    ///         idea): with the game's code inside, the factory would pass EIP-170's 24 kB.
    address public immutable gameBlueprint;
    /// @notice Output root of the oracle's `startingBlockNumber` (the L2 genesis on a devnet): the
    ///         agreed start of a game about the first output.
    bytes32 public immutable anchorOutputRoot;
    OutputDisputeGameBase.Config internal _config;

    OutputDisputeGame[] public games;
    /// @notice keccak256(abi.encode(outputIndex, outputRoot)) => its game.
    mapping(bytes32 => OutputDisputeGame) public gameOf;
    OpenGame[] internal _open;
    mapping(address => uint256) internal _openSlot; // 1-based position in `_open`

    constructor(
        OutputOracle oracle_,
        address gameBlueprint_,
        bytes32 anchorOutputRoot_,
        OutputDisputeGameBase.Config memory config_
    ) {
        oracle = oracle_;
        gameBlueprint = gameBlueprint_;
        anchorOutputRoot = anchorOutputRoot_;
        _config = config_;
        uint256 span = oracle_.submissionInterval();
        if (span != 1 << config_.splitDepth) revert UnsupportedSpan(span, config_.splitDepth);
    }

    /// @notice Disputes output `outputIndex` by attacking its root with `claim` (the output root
    ///         the creator says the block half-way holds), bonded with `msg.value`.
    function create(uint256 outputIndex, bytes32 claim) external payable returns (OutputDisputeGame game) {
        OutputOracle.Proposal memory disputed = oracle.getL2Output(outputIndex); // OutputNotFound
        if (oracle.isOutputFinalized(outputIndex)) revert OutputFinal(outputIndex);
        bytes32 key = gameKey(outputIndex, disputed.outputRoot);
        if (address(gameOf[key]) != address(0)) revert GameAlreadyExists(address(gameOf[key]));
        OutputDisputeGameBase.Output memory starting = outputIndex == 0
            ? OutputDisputeGameBase.Output(anchorOutputRoot, oracle.startingBlockNumber())
            : _outputAt(outputIndex - 1);
        bytes memory init = abi.encodePacked(
            gameBlueprint.code,
            abi.encode(
                _config,
                outputIndex,
                OutputDisputeGameBase.Output(disputed.outputRoot, disputed.l2BlockNumber),
                starting,
                oracle.proposer(),
                msg.sender,
                claim
            )
        );
        assembly ("memory-safe") {
            game := create(callvalue(), add(init, 0x20), mload(init))
            if iszero(game) {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
        }
        gameOf[key] = game;
        games.push(game);
        _open.push(OpenGame(game, outputIndex, disputed.outputRoot));
        _openSlot[address(game)] = _open.length;
        emit GameCreated(address(game), outputIndex, disputed.outputRoot, msg.sender);
    }

    /// @inheritdoc IDisputeGameRegistry
    function blocksFinalization(uint256 index) external view returns (bool) {
        uint256 count = oracle.nextOutputIndex();
        for (uint256 i = 0; i < _open.length; ++i) {
            OpenGame storage open = _open[i];
            // A game about an output deleted since (by another game) holds nothing back.
            if (open.outputIndex <= index && open.outputIndex < count
                    && oracle.getL2Output(open.outputIndex).outputRoot == open.outputRoot) return true;
        }
        return false;
    }

    /// @notice Called by a game as it resolves. The game still counts as open during the call, so
    ///         its output is not final and the oracle lets it be deleted.
    function gameResolved(bool challengerWins) external {
        uint256 slot = _openSlot[msg.sender];
        if (slot == 0) revert NotAnOpenGame(msg.sender);
        OpenGame memory open = _open[slot - 1];
        uint256 forfeited;
        if (challengerWins && open.outputIndex < oracle.nextOutputIndex()
                && oracle.getL2Output(open.outputIndex).outputRoot == open.outputRoot) {
            uint256 before = address(this).balance;
            oracle.deleteL2Outputs(open.outputIndex);
            forfeited = address(this).balance - before;
        }
        _close(slot);
        emit GameResolved(msg.sender, open.outputIndex, challengerWins, forfeited);
        if (forfeited != 0) open.game.receiveForfeit{value: forfeited}();
    }

    /// @notice The forfeited bonds of deleted outputs (from the oracle only).
    receive() external payable {
        if (msg.sender != address(oracle)) revert NotOracle(msg.sender);
    }

    /// @notice The bond `create`'s first attack (depth 1) needs.
    /// @notice Publish transaction hashes of a block's inputs in chunks, for a block whose list
    ///         does not fit one L1 transaction (32 bytes a hash: ~4,000 fill geth's 128 KiB);
    ///         appended in order under (`msg.sender`, `id`), published whole (`BlockInputsChunk`)
    ///         and kept as a Merkle frontier. A game's `moveToBlockPublished` names them. At most
    ///         2^txDepth - 1 hashes (`TooManyTransactions`).
    function publishInputs(bytes32 id, bytes32[] calldata txHashes) external {
        PublishedInputs storage pending = _published[msg.sender][id];
        uint256 first = pending.count;
        uint256 count = first + txHashes.length;
        uint256 traceLength = 1 << _config.txDepth;
        if (count >= traceLength) revert OutputDisputeGameBase.TooManyTransactions(count, traceLength - 1);
        bytes32[32] memory frontier = pending.frontier;
        for (uint256 k = 0; k < txHashes.length; ++k) {
            bytes32 node = txHashes[k];
            uint256 size = first + k + 1;
            uint256 level = 0;
            while (size & 1 == 0) {
                node = keccak256(abi.encode(frontier[level], node));
                size >>= 1;
                ++level;
            }
            frontier[level] = node;
        }
        pending.frontier = frontier;
        pending.count = count;
        emit BlockInputsChunk(msg.sender, id, first, txHashes);
    }

    /// @notice How many hashes `publisher` published under `id`, and the `inputsHash` a game
    ///         keeps of them with `timestamp`: keccak256(count, Merkle root, timestamp), the root
    ///         over zero leaves up to the next power of two, from the frontier (the deposit
    ///         contract's rule).
    function publishedInputsHash(address publisher, bytes32 id, uint256 timestamp)
        external
        view
        returns (uint256 count, bytes32 hash)
    {
        PublishedInputs storage pending = _published[publisher][id];
        count = pending.count;
        bytes32 root;
        uint256 depth_ = 0;
        while ((1 << depth_) < count) ++depth_;
        if (count > 0 && count == 1 << depth_) {
            root = pending.frontier[depth_]; // a full tree: the frontier's top
        } else {
            bytes32 zero;
            uint256 size = count;
            for (uint256 level = 0; level < depth_; ++level) {
                root = size & 1 == 1 ? keccak256(abi.encode(pending.frontier[level], root)) : keccak256(abi.encode(root, zero));
                zero = keccak256(abi.encode(zero, zero));
                size >>= 1;
            }
        }
        hash = keccak256(abi.encode(count, root, timestamp));
    }

    function createBond() external view returns (uint256) {
        return BondCurve.requiredBond(1, _config.splitDepth + 1 + _config.txDepth, _config.minBond, _config.maxBond);
    }

    function gameKey(uint256 outputIndex, bytes32 outputRoot) public pure returns (bytes32) {
        return keccak256(abi.encode(outputIndex, outputRoot));
    }

    function gameCount() external view returns (uint256) {
        return games.length;
    }

    function openGameCount() external view returns (uint256) {
        return _open.length;
    }

    function config() external view returns (OutputDisputeGameBase.Config memory) {
        return _config;
    }

    function _outputAt(uint256 index) internal view returns (OutputDisputeGameBase.Output memory) {
        OutputOracle.Proposal memory p = oracle.getL2Output(index);
        return OutputDisputeGameBase.Output(p.outputRoot, p.l2BlockNumber);
    }

    function _close(uint256 slot) internal {
        uint256 last = _open.length;
        _openSlot[address(_open[slot - 1].game)] = 0;
        if (slot != last) {
            _open[slot - 1] = _open[last - 1];
            _openSlot[address(_open[slot - 1].game)] = slot;
        }
        _open.pop();
    }
}
