// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {HKDStablecoin} from "./HKDStablecoin.sol";
import {SystemConfig, DEPOSIT_DATA_GAS_PER_BYTE} from "./SystemConfig.sol";
import {OutputOracle} from "./OutputOracle.sol";
import {OutputRootLib} from "./lib/OutputRootLib.sol";
import {SecureMerkleTrie} from "./lib/SecureMerkleTrie.sol";
import {SafeCall} from "@eth-optimism/contracts-bedrock/src/libraries/SafeCall.sol";
import {ResourceMetering} from "@eth-optimism/contracts-bedrock/src/L1/ResourceMetering.sol";

/// @title LantauPortal
/// @notice The L1 entry and exit of Lantau. It holds the L1 HKD that backs the L2's native HKD,
///         turns each deposit into a `TransactionDeposited` log from which the L2 derives a
///         deposit transaction (type 0x7E), and releases HKD for withdrawals proven against the
///         `OutputOracle`, exactly as the OP Stack's OptimismPortal (the L2OutputOracle version).
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
///         each accepted deposit fits the L2 block that must include it (else OP's `OutOfGas`).
///         The L2 gas is bought on OP's `ResourceMetering` market, used as is: `gasLimit` times
///         a deposit base fee that moves like EIP-1559's with the gas deposits bought per L1
///         block (`params()`), paid by burning that many wei / max(L1 base fee, 1 gwei) of L1 gas.
///         Without a price, one deposit of 20M gas for ~48,000 L1 gas made every other deposit of
///         its L1 block revert; now it burns ~20M L1 gas, and more each block it is repeated.
///         ResourceMetering is OP's upgradeable base: here its initializer runs in the constructor
///         (the portal is not behind a proxy) and its storage gap is simply unused.
///
///         Withdrawals, in two steps as OP's:
///           1. `proveWithdrawalTransaction`: the withdrawal's record in `L2ToL1MessagePasser`
///              (slot keccak256(withdrawalHash ‖ 0) holds 1) is proven with a storage proof against
///              the passer's storage root, and that root against an output root of the oracle.
///              The proof starts the withdrawal's own challenge period.
///           2. `finalizeWithdrawalTransaction`: once more than `finalizationPeriodSeconds` have
///              passed since the proof, and the output it was proven against is still the one at
///              its index and final in the oracle, the withdrawal pays out, once:
///              `value / 10**12` HKD units go to `target`, then `target` is called with `data`
///              and `gasLimit` gas if `data` is not empty. A failing call still finalizes the
///              withdrawal (it reports `success = false`); the HKD stays with `target`.
///         There is no native ETH on this bridge: `value` is L2 native HKD wei and must be a whole
///         number of L1 units. `L2ToL1MessagePasser` already refuses, on L2, every withdrawal
///         this portal would refuse (dust, a target that is the portal, the token or 0, a gas
///         limit no L1 block fits), so nothing is burned that L1 will not pay; the same checks
///         here, at proof time, are the second guard.
contract LantauPortal is ResourceMetering {
    using SafeERC20 for IERC20;

    /// @notice Version of the `TransactionDeposited` opaqueData encoding.
    uint256 public constant DEPOSIT_VERSION = 0;
    /// @notice Decimals of L1 HKD; L2 native HKD has 18.
    uint8 public constant L1_DECIMALS = 6;
    /// @notice L2 wei per L1 unit: 10**(18 - 6).
    uint256 public constant DECIMAL_SCALE = 1e12;
    /// @notice Added (mod 2**160) to a contract sender's address, as OP's AddressAliasHelper.
    uint160 public constant ALIAS_OFFSET = uint160(0x1111000000000000000000000000000000001111);
    /// @notice `withdrawalSender()` outside of a withdrawal's call (OP's `DEFAULT_L2_SENDER`).
    address public constant DEFAULT_L2_SENDER = 0x000000000000000000000000000000000000dEaD;
    /// @notice Gas kept for the portal's own work around a withdrawal's call (OP's `SafeCall`).
    uint256 public constant CALL_GAS_BUFFER = 40_000;
    /// @notice Intrinsic gas a creation pays on L2 on top of a call's (EIP-2: 53,000 - 21,000).
    uint64 public constant CREATION_GAS = 32_000;
    /// @notice Intrinsic gas per 32-byte word of init code (EIP-3860).
    uint64 public constant INITCODE_WORD_GAS = 2;
    /// @notice Largest init code the L2 executes (EIP-3860: 2 * 24,576 bytes).
    uint256 public constant MAX_INITCODE_SIZE = 49_152;
    /// @notice Most deposits one L1 block may hold, and most bytes of `data` all of them together
    ///         (issue 15): `InputOracle` shows every deposit of an L2 block's L1 origin in the one
    ///         L1 transaction that decides the block, so the worst origin must fit one with room
    ///         for the rest of the evidence (a batch). Measured on anvil (tests/e2e/test_deposit_bounds.py):
    ///         64 deposits carrying 16,384 bytes in all, after 300 other transactions, are decided
    ///         by `checkInputs` in 39,812 bytes of calldata and 1,316,402 gas (of 128 KiB and
    ///         16,777,216); unbounded, 952 deposits (the 20M market's most) took 279,172 bytes and
    ///         13.9M gas, ten 120,000-byte deposits 1.2 MB.
    ///         A deposit past either bound reverts (`BlockDepositsFull`, `BlockDepositDataFull`):
    ///         the next L1 block takes it. docs/batches.md, "Deposits".
    uint256 public constant MAX_BLOCK_DEPOSITS = 64;
    uint256 public constant MAX_BLOCK_DEPOSIT_DATA = 16_384;

    HKDStablecoin public immutable hkd;
    SystemConfig public immutable systemConfig;
    /// @notice Where the output roots that withdrawals are proven against are posted.
    OutputOracle public immutable oracle;
    /// @notice Seconds a proof must age before its withdrawal pays out: the oracle's period.
    uint256 public immutable finalizationPeriodSeconds;

    /// @notice A withdrawal as `L2ToL1MessagePasser` records it (OP's `Types.WithdrawalTransaction`).
    ///         `value` is in L2 wei (18 decimals); `nonce` is the passer's versioned nonce.
    struct WithdrawalTransaction {
        uint256 nonce;
        address sender;
        address target;
        uint256 value;
        uint256 gasLimit;
        bytes data;
    }

    /// @notice When, and against which output, a withdrawal was proven. Two storage slots.
    struct ProvenWithdrawal {
        bytes32 outputRoot;
        uint128 timestamp; //     L1 time of the proof; 0 = never proven
        uint128 l2OutputIndex;
    }

    /// @notice What every deposit reads (and mostly writes), packed into one storage slot. The
    ///         deposit gas bought per L1 block is counted in `params()` (ResourceMetering).
    struct DepositState {
        uint120 totalDeposited; // sum of all L1 HKD deposited, 6-decimal units
        bool guardianPaused; //    set by the guardian; the token's own pause also counts
        uint64 blockNumber; //     the L1 block the two counts below are of
        uint16 blockDeposits; //   deposits in it so far (at most MAX_BLOCK_DEPOSITS)
        uint32 blockDataBytes; //  bytes of `data` they carry (at most MAX_BLOCK_DEPOSIT_DATA)
    }

    /// @notice May pause and unpause the portal, and hand the role on.
    address public guardian;
    DepositState private _deposits;

    /// @notice Proofs of withdrawals, by withdrawal hash.
    mapping(bytes32 withdrawalHash => ProvenWithdrawal) public provenWithdrawals;
    /// @notice Withdrawals that paid out (finalized), by withdrawal hash.
    mapping(bytes32 withdrawalHash => bool) public finalizedWithdrawals;
    /// @notice Sum of all L1 HKD released by withdrawals, 6-decimal units.
    uint256 public totalWithdrawn;
    /// @notice Per L1 block, the hash chain of its deposits in the order they were made:
    ///         c_0 = 0, c_i = keccak256(c_{i-1} ‖ keccak256(from ‖ to ‖ opaqueData_i)), with `from`
    ///         and `to` as the log's topics (20 bytes each; `to` is 0 for a creation) and
    ///         `opaqueData` as the log's (mint ‖ value ‖ gasLimit ‖ isCreation ‖ data). 0 for a
    ///         block without deposits. It fixes every field of the L2 deposit transaction (0x7E),
    ///         its source hash too: that names the L1 block's hash and the deposit's position i - 1
    ///         (from 0) among the block's deposits (node/deposit_tx.py; issue 15: not OP's log
    ///         index, which L1 could only prove from the block's receipts). The Python twin is
    ///         `node.deposit_chain.deposit_hash_chain`.
    mapping(uint256 l1BlockNumber => bytes32) public depositHashChain;
    /// @notice The L2 sender of the withdrawal whose call is running (so that its target can tell
    ///         who sent it), `DEFAULT_L2_SENDER` otherwise. OP's `l2Sender`.
    address public withdrawalSender;

    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);
    event PortalPaused(address indexed by);
    event PortalUnpaused(address indexed by);
    event GuardianChanged(address indexed previousGuardian, address indexed newGuardian);
    /// @notice `withdrawalHash` was proven; it may be finalized after the challenge period.
    event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);
    /// @notice `withdrawalHash` paid out; `success` is the result of its call (true without one).
    event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);

    /// @notice The deposit's L2 gas limit is below its L2 intrinsic gas: `minimum` = base (21,000)
    ///         + 16/byte of data, + 32,000 + 2 per 32-byte word of init code for a creation.
    error GasLimitTooLow(uint64 given, uint64 minimum);
    /// @notice A creation's init code is longer than the L2 executes (EIP-3860).
    error InitCodeTooLarge(uint256 size, uint256 max);
    /// @notice The deposit's L2 gas limit is above what any L1 block's deposits may buy.
    error GasLimitTooHigh(uint64 given, uint64 maximum);
    /// @notice The deposit's data is longer than `SystemConfig.maxDepositDataSize`.
    error DataTooLarge(uint256 size, uint256 max);
    /// @notice This L1 block already holds `MAX_BLOCK_DEPOSITS` deposits.
    error BlockDepositsFull(uint256 max);
    /// @notice The deposit's `size` bytes of data on the `used` this L1 block's deposits carry exceed `max`.
    error BlockDepositDataFull(uint256 used, uint256 size, uint256 max);
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
    /// @notice The oracle has no output at `index` (never proposed, or deleted).
    error OutputNotFound(uint256 index);
    /// @notice The output root proof does not hash to the output root posted at that index.
    error InvalidOutputRootProof();
    /// @notice The storage proof is valid but the passer's slot does not hold 1 (`true`).
    ///         A forged or malformed proof reverts with `MerkleTrie`'s / `RLPReader`'s own error,
    ///         and a proof that shows the withdrawal was never sent with `KeyNotFound`.
    error InvalidWithdrawalProof();
    /// @notice Already proven against output `l2OutputIndex`, which is still valid: a second proof
    ///         would restart the challenge period, so it is refused.
    error WithdrawalAlreadyProven(bytes32 withdrawalHash, uint256 l2OutputIndex);
    /// @notice The withdrawal has no proof yet.
    error WithdrawalNotProven(bytes32 withdrawalHash);
    /// @notice The output the withdrawal was proven against was deleted or replaced since: prove
    ///         it again against a valid output.
    error OutputInvalidated(uint256 l2OutputIndex);
    /// @notice The proof is too young: the withdrawal may be finalized from L1 time `finalizableAt`.
    error ProofNotOldEnough(uint256 provenAt, uint256 finalizableAt);
    /// @notice The output the withdrawal was proven against is not final yet in the oracle.
    error OutputNotFinalized(uint256 index);
    /// @notice The withdrawal already paid out.
    error AlreadyFinalized(bytes32 withdrawalHash);
    /// @notice Not enough gas left to give the withdrawal's call its `gasLimit`.
    error InsufficientGas(uint256 available, uint256 required);
    /// @notice A withdrawal's call tried to finalize another withdrawal.
    error WithdrawalInProgress();

    constructor(HKDStablecoin hkd_, SystemConfig systemConfig_, OutputOracle oracle_, address guardian_)
        initializer
    {
        if (hkd_.decimals() != L1_DECIMALS) revert UnsupportedDecimals(hkd_.decimals());
        hkd = hkd_;
        systemConfig = systemConfig_;
        oracle = oracle_;
        finalizationPeriodSeconds = oracle_.finalizationPeriodSeconds();
        guardian = guardian_;
        withdrawalSender = DEFAULT_L2_SENDER;
        emit GuardianChanged(address(0), guardian_);
        __ResourceMetering_init();
    }

    /// @dev ResourceMetering's market parameters, from the SystemConfig (as OP's portal).
    function _resourceConfig() internal view override returns (ResourceMetering.ResourceConfig memory) {
        return systemConfig.resourceConfig();
    }

    // --- deposits ------------------------------------------------------------------------

    /// @notice Locks `amount` L1 HKD (6 decimals; approve first) and mints `amount * 10**12` wei
    ///         of native HKD to the sender on L2, which are then sent to `to` with `data`.
    function depositHKD(address to, uint256 amount, uint64 gasLimit, bytes calldata data) external metered(gasLimit) {
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
    ) external metered(gasLimit) {
        try hkd.permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _depositHKD(to, amount, gasLimit, data);
    }

    /// @notice An L2 call (or creation) from the sender with no HKD minted: `value` wei comes out
    ///         of the sender's existing L2 balance.
    function depositTransaction(address to, uint256 value, uint64 gasLimit, bool isCreation, bytes calldata data)
        external
        metered(gasLimit)
    {
        _checkDepositor();
        if (isCreation ? to != address(0) : to == address(0)) revert BadTarget();
        _deposits = _checkDepositGas(gasLimit, data.length, isCreation);
        _emitDeposit(to, 0, value, gasLimit, isCreation, data);
    }

    function _depositHKD(address to, uint256 amount, uint64 gasLimit, bytes calldata data) private {
        _checkDepositor();
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert BadTarget();
        DepositState memory state = _checkDepositGas(gasLimit, data.length, false);
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

    /// @dev Checks the data size and gas limit and counts the deposit in its L1 block (at most
    ///      `MAX_BLOCK_DEPOSITS`, `MAX_BLOCK_DEPOSIT_DATA` bytes of data), and returns the deposit
    ///      state for the caller to update and store (the `metered` modifier then buys the gas). The L2 turns a
    ///      deposit that fails its intrinsic checks into a failed (status 0) transaction; these
    ///      checks, the L2's own (EIP-2 creation gas, EIP-3860 init code size and word gas, and
    ///      calldata at a conservative 16 gas per byte, zero bytes included), refuse it here first,
    ///      where it costs the sender nothing but the reverted L1 transaction.
    function _checkDepositGas(uint64 gasLimit, uint256 dataLength, bool isCreation)
        private
        view
        returns (DepositState memory state)
    {
        SystemConfig.DepositLimits memory limits = systemConfig.depositLimits();
        if (dataLength > limits.maxDepositDataSize) revert DataTooLarge(dataLength, limits.maxDepositDataSize);
        if (isCreation && dataLength > MAX_INITCODE_SIZE) revert InitCodeTooLarge(dataLength, MAX_INITCODE_SIZE);
        uint64 minimum = uint64(dataLength) * DEPOSIT_DATA_GAS_PER_BYTE + limits.minDepositGas;
        if (isCreation) minimum += CREATION_GAS + INITCODE_WORD_GAS * uint64((dataLength + 31) / 32);
        if (gasLimit < minimum) revert GasLimitTooLow(gasLimit, minimum);
        if (gasLimit > limits.maxResourceLimit) revert GasLimitTooHigh(gasLimit, limits.maxResourceLimit);
        state = _deposits;
        if (state.blockNumber != block.number) {
            (state.blockNumber, state.blockDeposits, state.blockDataBytes) = (uint64(block.number), 0, 0);
        }
        if (state.blockDeposits >= MAX_BLOCK_DEPOSITS) revert BlockDepositsFull(MAX_BLOCK_DEPOSITS);
        if (state.blockDataBytes + dataLength > MAX_BLOCK_DEPOSIT_DATA) {
            revert BlockDepositDataFull(state.blockDataBytes, dataLength, MAX_BLOCK_DEPOSIT_DATA);
        }
        state.blockDeposits += 1;
        state.blockDataBytes += uint32(dataLength);
    }

    function _emitDeposit(address to, uint256 mint, uint256 value, uint64 gasLimit, bool isCreation, bytes calldata data)
        private
    {
        bytes memory opaqueData = abi.encodePacked(mint, value, gasLimit, isCreation, data);
        address from = l2Sender(msg.sender, tx.origin);
        bytes32 leaf = keccak256(abi.encodePacked(from, to, opaqueData));
        depositHashChain[block.number] = keccak256(abi.encodePacked(depositHashChain[block.number], leaf));
        emit TransactionDeposited(from, to, DEPOSIT_VERSION, opaqueData);
    }

    // --- withdrawals ---------------------------------------------------------------------

    /// @notice Proves that withdrawal `wtx` was initiated on L2, against output `l2OutputIndex`:
    ///         `outputRootProof` is the preimage of that output's root, and `withdrawalProof` the
    ///         storage proof (RLP trie nodes from the passer's storage root; embedded nodes may be
    ///         listed or left out, as `eth_getProof` does) of the withdrawal's `sentMessages` slot.
    ///         Anyone may prove any withdrawal. Starts the withdrawal's challenge period.
    /// @dev    A withdrawal proven against a still-valid output cannot be proven again, so nobody
    ///         can restart another's challenge period; once its output is deleted or replaced, a
    ///         new proof (against a valid output) is the only way on, and restarts the period.
    function proveWithdrawalTransaction(
        WithdrawalTransaction calldata wtx,
        uint256 l2OutputIndex,
        OutputRootLib.OutputRootProof calldata outputRootProof,
        bytes[] calldata withdrawalProof
    ) external {
        if (isPaused()) revert Paused();
        _checkWithdrawal(wtx);
        if (l2OutputIndex >= oracle.nextOutputIndex()) revert OutputNotFound(l2OutputIndex);
        bytes32 outputRoot = oracle.getL2Output(l2OutputIndex).outputRoot;
        if (OutputRootLib.hashOutputRootProof(outputRootProof) != outputRoot) revert InvalidOutputRootProof();

        bytes32 withdrawalHash = hashWithdrawal(wtx);
        if (finalizedWithdrawals[withdrawalHash]) revert AlreadyFinalized(withdrawalHash);
        ProvenWithdrawal memory proven = provenWithdrawals[withdrawalHash];
        if (proven.timestamp != 0 && !_isInvalidated(proven)) {
            revert WithdrawalAlreadyProven(withdrawalHash, proven.l2OutputIndex);
        }

        bytes32 storageKey = OutputRootLib.withdrawalStorageKey(withdrawalHash);
        // Reverts with the trie's own error on a forged or malformed proof, and `KeyNotFound`
        // when the proof shows the slot empty (a withdrawal that was never sent).
        bool holdsOne = SecureMerkleTrie.verifyInclusion(
            abi.encode(storageKey), hex"01", withdrawalProof, outputRootProof.messagePasserStorageRoot
        );
        if (!holdsOne) revert InvalidWithdrawalProof();

        provenWithdrawals[withdrawalHash] =
            ProvenWithdrawal(outputRoot, uint128(block.timestamp), uint128(l2OutputIndex));
        emit WithdrawalProven(withdrawalHash, wtx.sender, wtx.target);
    }

    /// @notice Pays out proven withdrawal `wtx`, once: `wtx.value / 10**12` HKD units to
    ///         `wtx.target`, then, if `wtx.data` is not empty, a call to `wtx.target` with it and
    ///         `wtx.gasLimit` gas, during which `withdrawalSender()` is `wtx.sender`. Anyone may
    ///         finalize any withdrawal.
    /// @dev    Needs, as OP's: a proof older than `finalizationPeriodSeconds`, against an output
    ///         that is still the one at its index and final in the oracle. A reverting HKD
    ///         transfer (token paused, target frozen) reverts the whole finalization, which can be
    ///         retried later; a failing call does not, as OP's (gas is ensured up front).
    function finalizeWithdrawalTransaction(WithdrawalTransaction calldata wtx) external {
        if (isPaused()) revert Paused();
        if (withdrawalSender != DEFAULT_L2_SENDER) revert WithdrawalInProgress();
        bytes32 withdrawalHash = hashWithdrawal(wtx);
        if (finalizedWithdrawals[withdrawalHash]) revert AlreadyFinalized(withdrawalHash);
        ProvenWithdrawal memory proven = provenWithdrawals[withdrawalHash];
        if (proven.timestamp == 0) revert WithdrawalNotProven(withdrawalHash);
        if (_isInvalidated(proven)) revert OutputInvalidated(proven.l2OutputIndex);
        uint256 finalizableAt = uint256(proven.timestamp) + finalizationPeriodSeconds + 1;
        if (block.timestamp < finalizableAt) revert ProofNotOldEnough(proven.timestamp, finalizableAt);
        if (!oracle.isOutputFinalized(proven.l2OutputIndex)) revert OutputNotFinalized(proven.l2OutputIndex);
        uint256 l1Amount = toL1Amount(wtx.value); // refused at proof time already; kept as a guard

        finalizedWithdrawals[withdrawalHash] = true;
        bool success = true;
        if (l1Amount != 0) {
            totalWithdrawn += l1Amount;
            IERC20(address(hkd)).safeTransfer(wtx.target, l1Amount);
        }
        if (wtx.data.length != 0) {
            withdrawalSender = wtx.sender;
            success = _callWithMinGas(wtx.target, wtx.gasLimit, wtx.data);
            withdrawalSender = DEFAULT_L2_SENDER;
        }
        emit WithdrawalFinalized(withdrawalHash, success);
    }

    /// @notice The hash `L2ToL1MessagePasser` records `wtx` under (OP's `Hashing.hashWithdrawal`).
    function hashWithdrawal(WithdrawalTransaction calldata wtx) public pure returns (bytes32) {
        return OutputRootLib.withdrawalHash(wtx.nonce, wtx.sender, wtx.target, wtx.value, wtx.gasLimit, wtx.data);
    }

    /// @dev Refusals that no proof can cure, checked first so a user learns them before waiting.
    ///      The portal and the token are never called on a withdrawal's behalf: a call from the
    ///      portal to the token would move the HKD that backs the L2. HKD cannot go to address 0.
    function _checkWithdrawal(WithdrawalTransaction calldata wtx) private view {
        address target = wtx.target;
        if (target == address(this) || target == address(hkd) || target == address(0)) revert BadTarget();
        toL1Amount(wtx.value);
    }

    /// @dev The output a proof was made against is gone (deleted) or another one took its index.
    function _isInvalidated(ProvenWithdrawal memory proven) private view returns (bool) {
        uint256 index = proven.l2OutputIndex;
        return index >= oracle.nextOutputIndex() || oracle.getL2Output(index).outputRoot != proven.outputRoot;
    }

    /// @dev Calls `target` with at least `gasLimit` gas or reverts with `InsufficientGas`, as OP's
    ///      `SafeCall.callWithMinGas` (whose `hasMinGas` and `call` this uses): without the check,
    ///      a finalizer could pass too little gas to make the call fail and burn the withdrawal.
    ///      The check runs after `data` is copied to memory, so the copy and the memory expansion
    ///      (tens of thousands of gas for ~100 KB) are already paid; then, by EIP-150, the call
    ///      gets 63/64 of what is left, which `hasMinGas` ensures is at least `gasLimit` (with
    ///      40,000 kept for the CALL itself). Return data is not copied.
    function _callWithMinGas(address target, uint256 gasLimit, bytes calldata data) private returns (bool success) {
        bytes memory payload = data;
        if (!SafeCall.hasMinGas(gasLimit, 0)) revert InsufficientGas(gasleft(), (gasLimit * 64) / 63 + CALL_GAS_BUFFER);
        success = SafeCall.call(target, gasleft(), 0, payload);
    }

    // --- reads ---------------------------------------------------------------------------

    /// @notice Sum of all L1 HKD deposited, in 6-decimal units; never lowered. The portal's HKD
    ///         balance is its opening backing (a devnet's genesis supply) + `totalDeposited()` -
    ///         `totalWithdrawn()`, and backs the L2's native HKD one for one.
    function totalDeposited() external view returns (uint256) {
        return _deposits.totalDeposited;
    }

    /// @notice Set by the guardian; `isPaused` also counts the token's own pause.
    function guardianPaused() external view returns (bool) {
        return _deposits.guardianPaused;
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
