// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {HKDStablecoin} from "./HKDStablecoin.sol";
import {SystemConfig, DEPOSIT_DATA_GAS_PER_BYTE} from "./SystemConfig.sol";

/// @title LantauPortal
/// @notice The L1 entry (and, later, exit) of Lantau. It holds the L1 HKD that backs the L2's
///         native HKD, and turns each deposit into a `TransactionDeposited` log from which the
///         L2 derives a deposit transaction (type 0x7E), exactly as the OP Stack's OptimismPortal.
/// @dev    Log layout (OP Stack version 0):
///           topics: [keccak256("TransactionDeposited(address,address,uint256,bytes)"),
///                    from (aliased when the sender is a contract), to, version = 0]
///           opaqueData = abi.encodePacked(uint256 mint, uint256 value, uint64 gasLimit,
///                                         bool isCreation, bytes data)   (73 + data.length bytes)
///         `mint` is L2 native wei credited to `from` before the L2 call; `value` is wei sent
///         with the call. L1 HKD has 6 decimals and L2 HKD 18: a deposit of `amount` units mints
///         exactly `amount * 10**12` wei. The way back (withdrawals) refuses amounts that do not
///         scale back exactly (`toL1Amount`).
///
///         Every deposit's L2 gas limit is bounded below (intrinsic gas of its data) and above,
///         and all deposits of one L1 block together buy at most `maxResourceLimit` gas, so that
///         each accepted deposit fits the L2 block that must include it.
contract LantauPortal {
    using SafeERC20 for IERC20;

    /// @notice Version of the `TransactionDeposited` opaqueData encoding.
    uint256 public constant DEPOSIT_VERSION = 0;
    /// @notice Decimals of L1 HKD; L2 native HKD has 18.
    uint8 public constant L1_DECIMALS = 6;
    /// @notice L2 wei per L1 unit: 10**(18 - 6).
    uint256 public constant DECIMAL_SCALE = 1e12;
    /// @notice Added (mod 2**160) to a contract sender's address, as OP's AddressAliasHelper.
    uint160 public constant ALIAS_OFFSET = uint160(0x1111000000000000000000000000000000001111);

    HKDStablecoin public immutable hkd;
    SystemConfig public immutable systemConfig;

    /// @notice What every deposit reads (and mostly writes), packed into one storage slot: one
    ///         cold read and one write per deposit instead of four.
    struct DepositState {
        uint64 budgetL1Block; //   L1 block whose deposits `budgetGasUsed` counts
        uint64 budgetGasUsed; //   L2 gas bought by the deposits of that block
        uint120 totalDeposited; // sum of all L1 HKD deposited, 6-decimal units
        bool guardianPaused; //    set by the guardian; the token's own pause also counts
    }

    /// @notice May pause and unpause the portal, and hand the role on.
    address public guardian;
    DepositState private _deposits;

    // Withdrawals (a later change adds them here, after the state above): storage for proven and
    // finalized withdrawals, `proveWithdrawalTransaction`, `finalizeWithdrawalTransaction`, which
    // release HKD with `toL1Amount` and lower the backing.

    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);
    event PortalPaused(address indexed by);
    event PortalUnpaused(address indexed by);
    event GuardianChanged(address indexed previousGuardian, address indexed newGuardian);

    /// @notice The deposit's L2 gas limit is below what its data costs: `minimum` = 16/byte + base.
    error GasLimitTooLow(uint64 given, uint64 minimum);
    /// @notice The deposit's L2 gas limit is above what any L1 block's deposits may buy.
    error GasLimitTooHigh(uint64 given, uint64 maximum);
    /// @notice Deposits in this L1 block already bought most of the budget; retry next block.
    error DepositGasBudgetExceeded(uint64 requested, uint64 remaining);
    /// @notice The deposit's data is longer than `SystemConfig.maxDepositDataSize`.
    error DataTooLarge(uint256 size, uint256 max);
    /// @notice The portal (guardian) or the HKD token (issuer) is paused.
    error Paused();
    /// @notice The HKD issuer froze this depositor.
    error AccountFrozen(address account);
    /// @notice A deposit of zero HKD.
    error ZeroAmount();
    /// @notice A creation with a target, or a call (or HKD deposit) to the zero address.
    error BadTarget();
    /// @notice An L2 amount that is not a whole number of L1 units (10**12 wei).
    error AmountNotRepresentable(uint256 amount);
    /// @notice Only the guardian may do this.
    error NotGuardian(address caller);
    /// @notice The token does not have the 6 decimals this portal scales by.
    error UnsupportedDecimals(uint8 decimals);

    constructor(HKDStablecoin hkd_, SystemConfig systemConfig_, address guardian_) {
        if (hkd_.decimals() != L1_DECIMALS) revert UnsupportedDecimals(hkd_.decimals());
        hkd = hkd_;
        systemConfig = systemConfig_;
        guardian = guardian_;
        emit GuardianChanged(address(0), guardian_);
    }

    // --- deposits ------------------------------------------------------------------------

    /// @notice Locks `amount` L1 HKD (6 decimals; approve first) and mints `amount * 10**12` wei
    ///         of native HKD to the sender on L2, which are then sent to `to` with `data`.
    function depositHKD(address to, uint256 amount, uint64 gasLimit, bytes calldata data) external {
        _depositHKD(to, amount, gasLimit, data);
    }

    /// @notice `depositHKD` with an EIP-2612 permit instead of a prior approval.
    /// @dev    A failing permit is ignored so that a permit copied from the mempool and used first
    ///         by someone else cannot block the deposit; `transferFrom` still needs the allowance.
    function depositHKDWithPermit(
        address to,
        uint256 amount,
        uint64 gasLimit,
        bytes calldata data,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        try hkd.permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _depositHKD(to, amount, gasLimit, data);
    }

    /// @notice An L2 call (or creation) from the sender with no HKD minted: `value` wei comes out
    ///         of the sender's existing L2 balance.
    function depositTransaction(address to, uint256 value, uint64 gasLimit, bool isCreation, bytes calldata data)
        external
    {
        _checkDepositor();
        if (isCreation ? to != address(0) : to == address(0)) revert BadTarget();
        _deposits = _meterDepositGas(gasLimit, data.length);
        _emitDeposit(to, 0, value, gasLimit, isCreation, data);
    }

    function _depositHKD(address to, uint256 amount, uint64 gasLimit, bytes calldata data) private {
        _checkDepositor();
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert BadTarget();
        DepositState memory state = _meterDepositGas(gasLimit, data.length);
        state.totalDeposited = SafeCast.toUint120(state.totalDeposited + amount);
        _deposits = state;
        IERC20(address(hkd)).safeTransferFrom(msg.sender, address(this), amount);
        uint256 mint = amount * DECIMAL_SCALE;
        _emitDeposit(to, mint, mint, gasLimit, false, data);
    }

    /// @dev Checked before any token moves, so the revert names the cause.
    function _checkDepositor() private view {
        if (isPaused()) revert Paused();
        if (hkd.isFrozen(msg.sender)) revert AccountFrozen(msg.sender);
    }

    /// @dev Checks the data size and gas limit, and returns the deposit state with this deposit's
    ///      gas counted against its L1 block's budget; the caller stores it.
    function _meterDepositGas(uint64 gasLimit, uint256 dataLength) private view returns (DepositState memory state) {
        SystemConfig.DepositLimits memory limits = systemConfig.depositLimits();
        if (dataLength > limits.maxDepositDataSize) revert DataTooLarge(dataLength, limits.maxDepositDataSize);
        uint64 minimum = uint64(dataLength) * DEPOSIT_DATA_GAS_PER_BYTE + limits.minDepositGas;
        if (gasLimit < minimum) revert GasLimitTooLow(gasLimit, minimum);
        if (gasLimit > limits.maxResourceLimit) revert GasLimitTooHigh(gasLimit, limits.maxResourceLimit);

        state = _deposits;
        uint64 used = state.budgetL1Block == block.number ? state.budgetGasUsed : 0;
        // `used` can exceed the limit only if the owner lowered it within this block.
        uint64 remaining = used < limits.maxResourceLimit ? limits.maxResourceLimit - used : 0;
        if (gasLimit > remaining) revert DepositGasBudgetExceeded(gasLimit, remaining);
        state.budgetL1Block = uint64(block.number);
        state.budgetGasUsed = used + gasLimit;
    }

    function _emitDeposit(address to, uint256 mint, uint256 value, uint64 gasLimit, bool isCreation, bytes calldata data)
        private
    {
        bytes memory opaqueData = abi.encodePacked(mint, value, gasLimit, isCreation, data);
        emit TransactionDeposited(l2Sender(msg.sender, tx.origin), to, DEPOSIT_VERSION, opaqueData);
    }

    // --- reads ---------------------------------------------------------------------------

    /// @notice Sum of all L1 HKD deposited, in 6-decimal units. The portal's HKD balance backs it.
    function totalDeposited() external view returns (uint256) {
        return _deposits.totalDeposited;
    }

    /// @notice Set by the guardian; `isPaused` also counts the token's own pause.
    function guardianPaused() external view returns (bool) {
        return _deposits.guardianPaused;
    }

    /// @notice L2 gas bought so far by deposits in L1 block `l1Block`.
    function depositBudget() external view returns (uint64 l1Block, uint64 gasUsed) {
        return (_deposits.budgetL1Block, _deposits.budgetGasUsed);
    }

    // --- rules, exposed for clients and tests ---------------------------------------------

    /// @notice The L2 `from` of a deposit sent by `sender` in a transaction signed by `origin`.
    /// @dev    As OP's `EOA.isSenderEOA`: an EOA (the transaction's signer, or an EIP-7702
    ///         delegated EOA called by another) keeps its address, since its key controls it on L2
    ///         too; any other caller is a contract and is aliased, so that an L1 contract cannot
    ///         act as an L2 account of the same address that someone else may own.
    function l2Sender(address sender, address origin) public view returns (address) {
        if (sender == origin || _isDelegatedEOA(sender)) return sender;
        return l1ToL2Alias(sender);
    }

    function l1ToL2Alias(address l1Address) public pure returns (address) {
        unchecked {
            return address(uint160(l1Address) + ALIAS_OFFSET);
        }
    }

    /// @notice L2 wei for `l1Amount` units of L1 HKD; always exact.
    function toL2Amount(uint256 l1Amount) public pure returns (uint256) {
        return l1Amount * DECIMAL_SCALE;
    }

    /// @notice L1 HKD units for `l2Amount` wei; refuses dust below 10**12 wei that cannot scale back.
    function toL1Amount(uint256 l2Amount) public pure returns (uint256) {
        if (l2Amount % DECIMAL_SCALE != 0) revert AmountNotRepresentable(l2Amount);
        return l2Amount / DECIMAL_SCALE;
    }

    /// @notice True while the guardian or the HKD issuer has paused.
    function isPaused() public view returns (bool) {
        return _deposits.guardianPaused || hkd.paused();
    }

    function _isDelegatedEOA(address account) private view returns (bool) {
        // EIP-7702 delegation designator: 0xef0100 ++ 20-byte delegate address.
        return account.code.length == 23 && bytes3(account.code) == 0xef0100;
    }

    // --- guardian ------------------------------------------------------------------------

    modifier onlyGuardian() {
        if (msg.sender != guardian) revert NotGuardian(msg.sender);
        _;
    }

    function pause() external onlyGuardian {
        _deposits.guardianPaused = true;
        emit PortalPaused(msg.sender);
    }

    function unpause() external onlyGuardian {
        _deposits.guardianPaused = false;
        emit PortalUnpaused(msg.sender);
    }

    function setGuardian(address newGuardian) external onlyGuardian {
        emit GuardianChanged(guardian, newGuardian);
        guardian = newGuardian;
    }
}
