// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The contract the JSON-RPC unit tests (tests/node/rpc) deploy on an in-process L2:
///         a constructor argument, storage, events, reverts with a reason, a division by zero
///         (panic), many storage writes and a loop that burns all gas. Not a predeploy.
contract RpcProbe {
    uint256 public value;
    mapping(address => uint256) public credits;

    event ValueSet(address indexed sender, uint256 indexed value, bytes32 tag);
    event Ping(uint256 n);

    constructor(uint256 initial) {
        value = initial;
    }

    function set(uint256 v, bytes32 tag) external {
        value = v;
        credits[msg.sender] += v;
        emit ValueSet(msg.sender, v, tag);
    }

    function ping(uint256 n) external {
        emit Ping(n);
    }

    function fail(string calldata reason) external pure {
        revert(reason);
    }

    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }

    function fill(uint256 rounds) external {
        for (uint256 i = 0; i < rounds; i++) {
            credits[address(uint160(i + 1))] = i + 1;
        }
    }

    function spin() external view returns (uint256 acc) {
        while (gasleft() > 1000) {
            acc++;
        }
    }
}
