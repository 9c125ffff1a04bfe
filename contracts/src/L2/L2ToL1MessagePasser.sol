// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title L2ToL1MessagePasser
/// @notice L2 predeploy at 0x4200000000000000000000000000000000000016 where withdrawals start, as
///         the OP Stack's. `initiateWithdrawal` records the hash of the withdrawal in
///         `sentMessages`; the L1 portal later proves that record with a Merkle proof of this
///         contract's storage against an output root, and releases the HKD on L1.
/// @dev    Predeploy-safe: no constructor, no immutables. The genesis writes what the passer
///         must know of L1 into slots 2-4 (`genesis.predeploys.passer_predeploy_storage`, from
///         the L1 address book); the rest of storage starts empty (nonce 0).
///
///         Storage layout (the L1 proof depends on slots 0 and 1; a test asserts it from the
///         compiler's storage layout):
///           slot 0  sentMessages     mapping(bytes32 => bool): the record of withdrawal `h` is
///                                    at keccak256(abi.encode(h, uint256(0))) and holds 1
///           slot 1  msgNonce         uint240, the number of withdrawals initiated so far
///           slot 2  l1Portal         the LantauPortal on L1 (set by the genesis)
///           slot 3  l1HkdToken       the HKDStablecoin on L1 (set by the genesis)
///           slot 4  maxGasLimit      the largest withdrawal gas limit an L1 block can pay for
///                                    (set by the genesis from the L1 block gas limit)
///
///         A withdrawal the L1 portal would refuse forever is refused here, before its HKD is
///         burned, with the portal's own error names (the portal keeps its checks as a second
///         guard): an amount that is not a whole number of L1 units (`AmountNotRepresentable`), a
///         target that is the portal, the HKD token or address 0 (`BadTarget`), and a gas limit
///         that no L1 block can pay for (`WithdrawalGasLimitTooHigh`). A passer whose genesis did
///         not set `maxGasLimit` refuses every withdrawal rather than accept unpayable ones.
///
///         withdrawalHash = keccak256(abi.encode(nonce, sender, target, value, gasLimit, data)),
///         OP's `Hashing.hashWithdrawal`, where `nonce` is the versioned `messageNonce()`.
///
///         The native HKD a withdrawal carries is burned in two steps, OP's shape: it stays in
///         this contract (so `initiateWithdrawal` costs no extra call), and anyone may call `burn()`,
///         which destroys the whole balance by sending it to a fresh `Burner` that self-destructs
///         to itself in its constructor. Since EIP-6780 (Cancun), SELFDESTRUCT in the transaction
///         that created the account deletes it, and with itself as beneficiary the ether is gone,
///         so the L2's native supply falls by exactly the amount the L1 portal will release.
contract L2ToL1MessagePasser {
    /// @notice Version carried in the top two bytes of `messageNonce()`.
    uint16 public constant MESSAGE_VERSION = 0;

    /// @notice Gas limit on L1 of a withdrawal made by a bare transfer to this contract.
    uint256 public constant RECEIVE_DEFAULT_GAS_LIMIT = 100_000;

    /// @notice L2 wei per L1 HKD unit: the L1 token has 6 decimals, L2 native HKD 18 (the
    ///         portal's `DECIMAL_SCALE`). Only whole multiples can be paid out on L1.
    uint256 public constant DECIMAL_SCALE = 1e12;

    /// @notice L1 gas reserved per byte of a withdrawal's `data`: an L1 transaction carries it
    ///         as calldata, at most 40 gas a byte (EIP-7623's floor price).
    uint256 public constant L1_GAS_PER_DATA_BYTE = 40;

    /// @notice Withdrawal hashes initiated on this chain (slot 0).
    mapping(bytes32 withdrawalHash => bool sent) public sentMessages;

    /// @dev Unversioned count of withdrawals initiated so far (slot 1).
    uint240 internal msgNonce;

    /// @notice The L1 portal that pays withdrawals out (slot 2): never a withdrawal's target.
    address public l1Portal;

    /// @notice The HKD token on L1 (slot 3): never a withdrawal's target, since a call from the
    ///         portal to it could move the HKD that backs the L2.
    address public l1HkdToken;

    /// @notice The largest `gasLimit + data.length * L1_GAS_PER_DATA_BYTE` a withdrawal may ask
    ///         for (slot 4): what is left of an L1 block's gas once the portal's finalization
    ///         has reserved its own work and the 1/64 that EIP-150 withholds from a call.
    uint256 public maxGasLimit;

    /// @notice An amount that is not a whole number of L1 units (10**12 wei): the L1 token
    ///         cannot carry it. Same error as the portal's.
    error AmountNotRepresentable(uint256 amount);
    /// @notice The target is the L1 portal, the L1 HKD token or address 0. Same as the portal's.
    error BadTarget();
    /// @notice No L1 block can pay for this withdrawal's call: `gasLimit` with its data's share
    ///         may be at most `maximum`.
    error WithdrawalGasLimitTooHigh(uint256 gasLimit, uint256 maximum);

    /// @notice A withdrawal was initiated; `withdrawalHash` is what the L1 portal proves.
    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );

    /// @notice `amount` wei of native HKD held for withdrawals was destroyed.
    event WithdrawerBalanceBurnt(uint256 indexed amount);

    /// @notice A bare transfer withdraws the HKD sent to the sender's own address on L1.
    receive() external payable {
        _initiateWithdrawal(msg.sender, RECEIVE_DEFAULT_GAS_LIMIT, "");
    }

    /// @notice Starts a withdrawal of `msg.value` native HKD (and a call with `data`) to `target`
    ///         on L1, executed there with `gasLimit` gas once proven and finalized.
    function initiateWithdrawal(address target, uint256 gasLimit, bytes calldata data) external payable {
        _initiateWithdrawal(target, gasLimit, data);
    }

    /// @notice Destroys all native HKD held for initiated withdrawals. Anyone may call it.
    function burn() external {
        uint256 amount = address(this).balance;
        new Burner{value: amount}();
        emit WithdrawerBalanceBurnt(amount);
    }

    /// @notice The nonce the next withdrawal gets: `MESSAGE_VERSION` in the top 16 bits, the
    ///         count of withdrawals so far in the low 240 (OP's `Encoding.encodeVersionedNonce`).
    function messageNonce() public view returns (uint256) {
        return (uint256(MESSAGE_VERSION) << 240) | uint256(msgNonce);
    }

    /// @notice The hash a withdrawal is recorded under (OP's `Hashing.hashWithdrawal`).
    function hashWithdrawal(
        uint256 nonce,
        address sender,
        address target,
        uint256 value,
        uint256 gasLimit,
        bytes memory data
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(nonce, sender, target, value, gasLimit, data));
    }

    /// @notice Reverts with the reason the L1 portal would never pay this withdrawal, if any.
    function checkWithdrawal(address target, uint256 value, uint256 gasLimit, uint256 dataLength) public view {
        if (value % DECIMAL_SCALE != 0) revert AmountNotRepresentable(value);
        if (target == address(0) || target == l1Portal || target == l1HkdToken) revert BadTarget();
        uint256 maximum = maxGasLimit;
        // Checked without overflow: gasLimit and dataLength come from calldata and can be huge.
        uint256 dataGas = dataLength * L1_GAS_PER_DATA_BYTE;
        if (dataGas > maximum || gasLimit > maximum - dataGas) {
            revert WithdrawalGasLimitTooHigh(gasLimit, dataGas > maximum ? 0 : maximum - dataGas);
        }
    }

    function _initiateWithdrawal(address target, uint256 gasLimit, bytes memory data) internal {
        checkWithdrawal(target, msg.value, gasLimit, data.length);
        uint256 nonce = messageNonce();
        bytes32 withdrawalHash = hashWithdrawal(nonce, msg.sender, target, msg.value, gasLimit, data);
        sentMessages[withdrawalHash] = true;
        emit MessagePassed(nonce, msg.sender, target, msg.value, gasLimit, data, withdrawalHash);
        unchecked {
            ++msgNonce;
        }
    }
}

/// @title Burner
/// @notice Destroys the ether it is created with: SELFDESTRUCT to itself in its own creation
///         transaction deletes the account with its balance (EIP-6780), as OP's `Burner`.
contract Burner {
    constructor() payable {
        assembly {
            selfdestruct(address())
        }
    }
}
