// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title L2ToL1MessagePasser
/// @notice L2 predeploy at 0x4200000000000000000000000000000000000016 where withdrawals start, as
///         the OP Stack's. `initiateWithdrawal` records the hash of the withdrawal in
///         `sentMessages`; the L1 portal later proves that record with a Merkle proof of this
///         contract's storage against an output root, and releases the HKD on L1.
/// @dev    Predeploy-safe: no constructor, no immutables; storage starts empty (nonce 0).
///
///         Storage layout (the L1 proof depends on it; a test asserts it from the compiler's
///         storage layout):
///           slot 0  sentMessages     mapping(bytes32 => bool): the record of withdrawal `h` is
///                                    at keccak256(abi.encode(h, uint256(0))) and holds 1
///           slot 1  msgNonce         uint240, the number of withdrawals initiated so far
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

    /// @notice Withdrawal hashes initiated on this chain (slot 0).
    mapping(bytes32 withdrawalHash => bool sent) public sentMessages;

    /// @dev Unversioned count of withdrawals initiated so far (slot 1).
    uint240 internal msgNonce;

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

    function _initiateWithdrawal(address target, uint256 gasLimit, bytes memory data) internal {
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
