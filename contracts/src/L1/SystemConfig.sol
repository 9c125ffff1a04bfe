// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ResourceMetering} from "@eth-optimism/contracts-bedrock/src/L1/ResourceMetering.sol";

/// @dev L2 gas a deposit pays per byte of data on top of the base (OP's calldata price). File-level
///      so that the portal compiles it in rather than calling for it on every deposit.
uint64 constant DEPOSIT_DATA_GAS_PER_BYTE = 16;

/// @title SystemConfig
/// @notice Owner-set configuration of a Lantau chain that the node reads from L1: who may post
///         batches and where, the L2 block gas limit, the unsafe block signer, and the limits the
///         LantauPortal enforces on deposits.
/// @dev    Every change emits `ConfigUpdate(version, updateType, data)` shaped like the OP Stack's
///         SystemConfig, so that derivation can follow changes from L1 logs alone. Update types
///         0..3 keep the OP Stack's numbering and data encoding; 4.. are Lantau's own.
///
///         Deposit gas is bounded per L1 block (`maxResourceLimit`), and the L2 gas limit must
///         leave room for it plus the system transaction, so that every deposit the portal
///         accepts fits into the L2 block that must include it. Within that bound it is sold on
///         the OP Stack's EIP-1559-like market (`resourceConfig`, read by the portal's
///         `ResourceMetering`): the price per L2 gas rises by up to 1/8 per L1 block while
///         deposits buy more than the target (a tenth of the limit), and is paid by burning L1 gas.
contract SystemConfig is Ownable {
    /// @notice Kinds of `ConfigUpdate`, and the ABI encoding of each one's `data`.
    enum UpdateType {
        BATCHER, //               0: abi.encode(bytes32 batcherHash)
        GAS_CONFIG, //            1: reserved (OP Stack L1 fee scalars); not emitted yet
        GAS_LIMIT, //             2: abi.encode(uint64 gasLimit)
        UNSAFE_BLOCK_SIGNER, //   3: abi.encode(address signer)
        DEPOSIT_LIMITS, //        4: abi.encode(uint64 minDepositGas, uint64 maxResourceLimit, uint32 maxDepositDataSize)
        BATCH_INBOX //            5: abi.encode(address batchInbox)
    }

    /// @notice Version of the `ConfigUpdate` event's data encoding.
    uint256 public constant VERSION = 0;

    /// @notice Gas set aside in every L2 block for the L1-info system transaction (as OP's).
    uint64 public constant SYSTEM_TX_MAX_GAS = 1_000_000;

    /// @notice Upper bound on the L2 block gas limit (as OP's), so blocks stay provable.
    uint64 public constant MAX_GAS_LIMIT = 200_000_000;

    /// @notice Gas a deposit pays per byte of data on top of `minDepositGas` (calldata price).
    uint64 public constant DEPOSIT_GAS_PER_BYTE = DEPOSIT_DATA_GAS_PER_BYTE;

    /// @notice The deposit gas market's parameters besides `maxResourceLimit`: OP's defaults
    ///         (`Constants.DEFAULT_RESOURCE_CONFIG`). Target = maxResourceLimit / elasticity.
    uint8 public constant ELASTICITY_MULTIPLIER = 10;
    uint8 public constant BASE_FEE_MAX_CHANGE_DENOMINATOR = 8;
    uint32 public constant MINIMUM_BASE_FEE = 1 gwei;
    uint128 public constant MAXIMUM_BASE_FEE = type(uint128).max;

    /// @notice Deposit limits, packed into one slot because the portal reads all three per deposit.
    struct DepositLimits {
        uint64 minDepositGas; //      intrinsic base of an L2 deposit gas limit (21_000)
        uint64 maxResourceLimit; //   total deposit gas all deposits of one L1 block may buy
        uint32 maxDepositDataSize; // bytes of calldata one deposit may carry
    }

    /// @notice Batcher address as a bytes32 (left-padded), as OP's SystemConfig stores it.
    bytes32 public batcherHash;
    /// @notice L2 block gas limit.
    uint64 public gasLimit;
    /// @notice Key that signs unsafe (pre-L1) blocks gossiped by the sequencer.
    address public unsafeBlockSigner;
    /// @notice Address batches are posted to; only the batcher's transactions to it count.
    address public batchInbox;

    DepositLimits private _depositLimits;

    event ConfigUpdate(uint256 indexed version, UpdateType indexed updateType, bytes data);

    /// @notice The L2 gas limit cannot hold the deposit budget plus the system transaction.
    error L2GasLimitTooLow(uint64 gasLimit, uint64 minimum);
    /// @notice The L2 gas limit is above `MAX_GAS_LIMIT`.
    error L2GasLimitTooHigh(uint64 gasLimit, uint64 maximum);
    /// @notice A deposit limit is zero, or the per-block budget cannot fit one largest deposit.
    error InvalidDepositLimits();
    /// @notice The zero address where a real address is needed.
    error ZeroAddress();

    constructor(
        address owner_,
        address batcher_,
        address batchInbox_,
        address unsafeBlockSigner_,
        uint64 gasLimit_,
        DepositLimits memory depositLimits_
    ) Ownable(owner_) {
        _setDepositLimits(depositLimits_);
        _setGasLimit(gasLimit_);
        _setBatcher(batcher_);
        _setBatchInbox(batchInbox_);
        _setUnsafeBlockSigner(unsafeBlockSigner_);
    }

    // --- reads ---------------------------------------------------------------------------

    function batcher() external view returns (address) {
        return address(uint160(uint256(batcherHash)));
    }

    function depositLimits() external view returns (DepositLimits memory) {
        return _depositLimits;
    }

    /// @notice The deposit gas market as OP's `ResourceMetering` reads it (OP's `resourceConfig`).
    function resourceConfig() external view returns (ResourceMetering.ResourceConfig memory) {
        return ResourceMetering.ResourceConfig({
            maxResourceLimit: uint32(_depositLimits.maxResourceLimit),
            elasticityMultiplier: ELASTICITY_MULTIPLIER,
            baseFeeMaxChangeDenominator: BASE_FEE_MAX_CHANGE_DENOMINATOR,
            minimumBaseFee: MINIMUM_BASE_FEE,
            systemTxMaxGas: uint32(SYSTEM_TX_MAX_GAS),
            maximumBaseFee: MAXIMUM_BASE_FEE
        });
    }

    function minDepositGas() external view returns (uint64) {
        return _depositLimits.minDepositGas;
    }

    function maxResourceLimit() external view returns (uint64) {
        return _depositLimits.maxResourceLimit;
    }

    function maxDepositDataSize() external view returns (uint32) {
        return _depositLimits.maxDepositDataSize;
    }

    /// @notice Smallest L2 gas limit a deposit carrying `byteCount` bytes of data may ask for
    ///         (OP's rule `byteCount * 16 + 21000`, with the base configurable).
    function minimumGasLimit(uint64 byteCount) public view returns (uint64) {
        return byteCount * DEPOSIT_GAS_PER_BYTE + _depositLimits.minDepositGas;
    }

    /// @notice Smallest L2 block gas limit the current deposit budget allows.
    function minimumL2GasLimit() public view returns (uint64) {
        return _depositLimits.maxResourceLimit + SYSTEM_TX_MAX_GAS;
    }

    // --- owner writes --------------------------------------------------------------------

    function setBatcher(address batcher_) external onlyOwner {
        _setBatcher(batcher_);
    }

    function setGasLimit(uint64 gasLimit_) external onlyOwner {
        _setGasLimit(gasLimit_);
    }

    function setUnsafeBlockSigner(address signer) external onlyOwner {
        _setUnsafeBlockSigner(signer);
    }

    function setBatchInbox(address batchInbox_) external onlyOwner {
        _setBatchInbox(batchInbox_);
    }

    /// @dev Raising `maxResourceLimit` above what the L2 gas limit holds reverts with
    ///      `L2GasLimitTooLow`: raise the gas limit first.
    function setDepositLimits(DepositLimits calldata limits) external onlyOwner {
        _setDepositLimits(limits);
        if (gasLimit < minimumL2GasLimit()) revert L2GasLimitTooLow(gasLimit, minimumL2GasLimit());
    }

    function _setBatcher(address batcher_) private {
        if (batcher_ == address(0)) revert ZeroAddress();
        batcherHash = bytes32(uint256(uint160(batcher_)));
        emit ConfigUpdate(VERSION, UpdateType.BATCHER, abi.encode(batcherHash));
    }

    function _setGasLimit(uint64 gasLimit_) private {
        if (gasLimit_ < minimumL2GasLimit()) revert L2GasLimitTooLow(gasLimit_, minimumL2GasLimit());
        if (gasLimit_ > MAX_GAS_LIMIT) revert L2GasLimitTooHigh(gasLimit_, MAX_GAS_LIMIT);
        gasLimit = gasLimit_;
        emit ConfigUpdate(VERSION, UpdateType.GAS_LIMIT, abi.encode(gasLimit_));
    }

    function _setUnsafeBlockSigner(address signer) private {
        if (signer == address(0)) revert ZeroAddress();
        unsafeBlockSigner = signer;
        emit ConfigUpdate(VERSION, UpdateType.UNSAFE_BLOCK_SIGNER, abi.encode(signer));
    }

    function _setBatchInbox(address batchInbox_) private {
        if (batchInbox_ == address(0)) revert ZeroAddress();
        batchInbox = batchInbox_;
        emit ConfigUpdate(VERSION, UpdateType.BATCH_INBOX, abi.encode(batchInbox_));
    }

    function _setDepositLimits(DepositLimits memory limits) private {
        // The per-block budget must admit at least one deposit of the largest allowed size, fit
        // OP's uint32 field, and divide by the elasticity (OP's SystemConfig checks the same).
        uint64 largestDepositGas = uint64(limits.maxDepositDataSize) * DEPOSIT_GAS_PER_BYTE + limits.minDepositGas;
        if (
            limits.minDepositGas == 0 || limits.maxDepositDataSize == 0 || limits.maxResourceLimit < largestDepositGas
                || limits.maxResourceLimit > type(uint32).max || limits.maxResourceLimit % ELASTICITY_MULTIPLIER != 0
        ) {
            revert InvalidDepositLimits();
        }
        _depositLimits = limits;
        emit ConfigUpdate(
            VERSION,
            UpdateType.DEPOSIT_LIMITS,
            abi.encode(limits.minDepositGas, limits.maxResourceLimit, limits.maxDepositDataSize)
        );
    }
}
