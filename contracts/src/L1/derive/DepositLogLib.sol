// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RLPItem, RLPReader} from "../lib/RLPReader.sol";
import {RLPWriter} from "../lib/RLPWriter.sol";
import {MerkleTrie} from "../lib/MerkleTrie.sol";
import {DepositTxLib} from "./DepositTxLib.sol";

/// @title DepositLogLib
/// @notice The log index of each portal deposit of an L1 block, proven from the block's receipts.
///         A user deposit's source hash is keccak256(0 ‖ keccak256(l1BlockHash ‖ logIndex)) with the
///         `TransactionDeposited` log's index in its L1 block (node/deposit_event.py), which the
///         portal cannot know while it runs; `LantauPortal.depositHashChain` fixes every other field.
///
///         The prover shows the receipts of the L1 block's transactions 0..t (t: the transaction of
///         the last deposit), each by a Merkle proof in the header's `receiptsRoot` under key rlp(i)
///         (an EIP-2718 receipt: type byte, if not legacy, then rlp([status, cumulativeGasUsed,
///         logsBloom, logs])). Counting every log of those receipts in order gives each log's block
///         index; the k-th `TransactionDeposited` log of the portal must carry deposit k's index.
///         The portal writes a chain link and emits its log in one place (`_emitDeposit`), so the
///         k-th log is the k-th link's deposit, whose fields the chain already fixed: the index of
///         a deposit is then L1's, not the refuter's word.
library DepositLogLib {
    bytes32 internal constant TRANSACTION_DEPOSITED = keccak256("TransactionDeposited(address,address,uint256,bytes)");

    /// @notice Deposit `deposit` names log index `shown`; in L1's receipts it is log `proven`.
    error DepositLogIndexNotL1s(uint256 deposit, uint256 shown, uint256 proven);
    /// @notice The receipts shown end before the log of deposit `deposit` (they must reach the last deposit's).
    error DepositReceiptsShort(uint256 deposit);

    /// @notice Reverts unless `deposits` (the portal's deposits of one L1 block, in log order) carry the
    ///         log indexes that L1 block's receipts (root `receiptsRoot`) give their logs.
    function checkLogIndexes(
        bytes32 receiptsRoot,
        address portal,
        DepositTxLib.UserDeposit[] memory deposits,
        bytes[][] memory receiptProofs
    ) internal pure {
        uint256 logIndex;
        uint256 next; // the deposit whose log comes next
        for (uint256 i = 0; i < receiptProofs.length && next < deposits.length; i++) {
            RLPItem[] memory logs = _logs(MerkleTrie.get(RLPWriter.writeUint(i), receiptProofs[i], receiptsRoot));
            for (uint256 j = 0; j < logs.length; j++) {
                if (_isDepositLog(logs[j], portal)) {
                    if (next == deposits.length) return;
                    if (deposits[next].logIndex != logIndex) revert DepositLogIndexNotL1s(next, deposits[next].logIndex, logIndex);
                    next++;
                }
                logIndex++;
            }
        }
        if (next < deposits.length) revert DepositReceiptsShort(next);
    }

    /// @dev The logs of an EIP-2718 receipt.
    function _logs(bytes memory receipt) private pure returns (RLPItem[] memory) {
        // A typed receipt starts with its type (< 0x7f); a legacy one with the list header (>= 0xc0).
        uint256 offset = receipt.length > 0 && uint8(receipt[0]) < 0xc0 ? 1 : 0;
        RLPItem[] memory fields = RLPReader.itemAt(receipt, offset).readList();
        return fields[3].readList();
    }

    function _isDepositLog(RLPItem log, address portal) private pure returns (bool) {
        RLPItem[] memory parts = log.readList();
        if (address(bytes20(parts[0].readBytes())) != portal) return false;
        RLPItem[] memory topics = parts[1].readList();
        return topics.length == 4 && bytes32(topics[0].readBytes()) == TRANSACTION_DEPOSITED;
    }
}
