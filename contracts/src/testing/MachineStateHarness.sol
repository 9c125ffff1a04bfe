// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MachineState} from "../L1/proof/MachineState.sol";

/// @title MachineStateHarness
/// @notice Test access to `MachineState` (tests/contracts/test_machine_state.py): the ABI encoding
///         and the commitment of a machine, to check `prover/machine_state.py` against.
contract MachineStateHarness {
    function encode(MachineState.Machine memory m) external pure returns (bytes memory) {
        return abi.encode(m);
    }

    function commitment(MachineState.Machine memory m) external pure returns (bytes32) {
        return MachineState.commitment(m);
    }
}
