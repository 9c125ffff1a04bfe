// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title L1Block
/// @notice L2 predeploy at 0x4200000000000000000000000000000000000015 holding the attributes of
///         the L2 block's L1 origin. Written by the first deposit of every L2 block (the L1-info
///         system deposit, sent by the depositor account 0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001),
///         as in the OP Stack. Contracts on L2 read L1 state from here.
contract L1Block {
    /// @notice The account allowed to write: the L1-info depositor.
    address public constant DEPOSITOR_ACCOUNT = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;

    uint64 public number;
    uint64 public timestamp;
    uint256 public basefee;
    bytes32 public hash;
    /// @notice Position of this L2 block within its L1 origin's epoch (0 for the first).
    uint64 public sequenceNumber;

    error OnlyDepositor(address caller);

    event L1BlockValuesSet(uint64 indexed number, bytes32 hash, uint64 sequenceNumber);

    function setL1BlockValues(uint64 _number, uint64 _timestamp, uint256 _basefee, bytes32 _hash, uint64 _sequenceNumber)
        external
    {
        if (msg.sender != DEPOSITOR_ACCOUNT) revert OnlyDepositor(msg.sender);
        number = _number;
        timestamp = _timestamp;
        basefee = _basefee;
        hash = _hash;
        sequenceNumber = _sequenceNumber;
        emit L1BlockValuesSet(_number, _hash, _sequenceNumber);
    }
}
