// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {DepositLogLib} from "../L1/derive/DepositLogLib.sol";
import {DepositTxLib} from "../L1/derive/DepositTxLib.sol";

/// @notice Exposes `DepositLogLib` for tests/contracts/test_deposit_log_lib.py: receipts of every
///         kind (legacy, typed), several logs per receipt, logs of other contracts and events.
contract DepositLogLibHarness {
    function checkLogIndexes(
        bytes32 receiptsRoot,
        address portal,
        DepositTxLib.UserDeposit[] memory deposits,
        bytes[][] memory receiptProofs
    ) external pure returns (bool) {
        DepositLogLib.checkLogIndexes(receiptsRoot, portal, deposits, receiptProofs);
        return true;
    }
}
