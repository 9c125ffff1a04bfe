// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice A small contract the end-to-end tests deploy on L2 to exercise storage, events,
///         reverts with reasons and custom errors through JSON-RPC. Not a predeploy.
contract Probe {
    uint256 public value;
    mapping(address => uint256) public credits;

    event ValueSet(address indexed by, uint256 indexed newValue, string note);

    error TooLarge(uint256 given, uint256 max);

    function set(uint256 newValue, string calldata note) external {
        require(newValue != 13, "unlucky number");
        if (newValue > 1_000_000) revert TooLarge(newValue, 1_000_000);
        value = newValue;
        credits[msg.sender] += newValue;
        emit ValueSet(msg.sender, newValue, note);
    }

    function burn(uint256 loops) external view returns (uint256 acc) {
        for (uint256 i = 0; i < loops; i++) acc += uint256(keccak256(abi.encode(i, acc)));
    }

    receive() external payable {}
}
