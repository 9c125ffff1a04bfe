// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {NodeSet} from "../proof/NodeSet.sol";
import {OneStepProof} from "../proof/OneStepProof.sol";
import {PatriciaTrie} from "../proof/PatriciaTrie.sol";
import {StepTypes} from "../proof/StepTypes.sol";
import {WitnessDB} from "../proof/WitnessDB.sol";
import {RLPItem, RLPReader} from "../lib/RLPReader.sol";
import {RLPWriter} from "../lib/RLPWriter.sol";

/// @title BlockAccumulator
/// @notice What a block's trace claims commit to below the split (docs/fault-proofs.md, "Binding
///         the four fields to execution"): after transaction k, `Acc` = (state root, cumulative gas
///         used, root of the transactions trie of transactions 0..k, root of their receipts trie,
///         the OR of their logs blooms), and the claim is `keccak256(abi.encode(acc))`. `step`
///         proves one transaction's effect on all of it: `OneStepProof` re-executes the transaction
///         from `acc.stateRoot`, this contract builds its receipt as the node does (node/chain.py,
///         node/deposit_tx.py: typed receipts, a deposit's depositNonce and depositReceiptVersion 1)
///         and inserts `rlp(k) -> rawTx` and `rlp(k) -> receipt` into the two tries from their
///         witnesses (the path of `rlp(k)` in each pre trie). So the finish leaf reads the header's
///         transactionsRoot, receiptsRoot, logsBloom and gasUsed from the agreed final `Acc`.
///         Its own contract, beside `BlockFinishLeaf`, so the game stays under EIP-170.
contract BlockAccumulator {
    /// @notice The block's execution after transaction k (see above).
    struct Acc {
        bytes32 stateRoot;
        uint256 cumulativeGasUsed;
        bytes32 transactionsRoot;
        bytes32 receiptsRoot;
        bytes32[8] logsBloom; // 256 bytes, as in the header
    }

    /// @notice One transaction's witness (`lantau_txWitness`, prover/step_call.py); its context
    ///         is the game's (`BlockFinishLeaf.blockContext`), never the stepper's.
    struct TxProof {
        bytes[] nodes;
        WitnessDB.AccountWitness[] witnesses;
        bytes rawTx;
    }

    /// @notice What the stepper shows to grow the two tries and the bloom by transaction k.
    struct Tries {
        bytes[] txNodes; //      the path of rlp(k) in the transactions trie of the pre `Acc`
        bytes[] receiptNodes; // the path of rlp(k) in its receipts trie
        bytes logs; //           the RLP list of the transaction's logs (hashing to its `logsHash`)
        StepTypes.PostState stagedPost; // a step proven beforehand (empty `nodes`): its `PostState`
    }

    /// @notice The logs shown are not the ones the execution produced.
    error LogsMismatch(bytes32 expected, bytes32 actual);
    /// @notice A deposit's sender has no account after the deposit (its nonce gives the receipt's).
    error DepositSenderMissing(address sender);
    /// @notice A step with an empty witness (proven beforehand), but OneStepProof has no post-state
    ///         root for that step.
    error TransactionNotProven(bytes32 stepId);
    /// @notice A step proven beforehand, shown with a `PostState` its execution did not produce.
    error PostStateNotExecuted(bytes32 stepId);
    /// @notice `keccak256(rawTx)` is not the transaction the dispute claims.
    error TransactionNotClaimed(bytes32 claimed, bytes32 actual);

    uint8 internal constant DEPOSIT_TX_TYPE = 0x7e;
    uint256 internal constant DEPOSIT_RECEIPT_VERSION = 1;
    uint256 internal constant WITNESS_EXTRA_NODES = 16;

    /// @notice The hash of the `Acc` before transaction 0 of a block whose parent's state root is
    ///         `stateRoot`: no gas, both tries empty, an empty bloom.
    function initialHash(bytes32 stateRoot) external pure returns (bytes32) {
        bytes32[8] memory bloom;
        return keccak256(abi.encode(Acc(stateRoot, 0, PatriciaTrie.EMPTY_ROOT, PatriciaTrie.EMPTY_ROOT, bloom)));
    }

    /// @notice keccak256(abi.encode(acc)): the claim at a trace index below the split.
    function hashOf(Acc calldata acc) external pure returns (bytes32) {
        return keccak256(abi.encode(acc));
    }

    /// @notice The hash of `Acc` after transaction k (`txHash`, the subgame's) runs on `pre` in
    ///         the context `ctx` (the game's).
    function step(
        OneStepProof oneStepProof,
        Acc calldata pre,
        uint256 k,
        bytes32 txHash,
        TxProof calldata proof,
        StepTypes.BlockContext calldata ctx,
        Tries calldata tries
    ) external view returns (bytes32) {
        (bytes32 postRoot, StepTypes.PostState memory post) = _execute(oneStepProof, pre.stateRoot, txHash, proof, ctx, tries);
        bytes32 logsHash = keccak256(tries.logs);
        if (logsHash != post.logsHash) revert LogsMismatch(post.logsHash, logsHash);
        Acc memory acc;
        acc.stateRoot = postRoot;
        acc.cumulativeGasUsed = pre.cumulativeGasUsed + post.gasUsed;
        bytes memory txBloom = logsBloom(tries.logs);
        bytes32[8] memory bloomWords = abi.decode(txBloom, (bytes32[8]));
        for (uint256 i = 0; i < 8; ++i) {
            acc.logsBloom[i] = pre.logsBloom[i] | bloomWords[i];
        }
        bytes memory key = RLPWriter.writeUint(k);
        acc.transactionsRoot = _insert(pre.transactionsRoot, tries.txNodes, key, proof.rawTx);
        bytes memory receipt = _receipt(proof.rawTx, post, acc.cumulativeGasUsed, txBloom, tries.logs);
        acc.receiptsRoot = _insert(pre.receiptsRoot, tries.receiptNodes, key, receipt);
        return keccak256(abi.encode(acc));
    }

    /// @dev Transaction k re-executed in one call, or (no trie nodes) the step OneStepProof recorded,
    ///      proven beforehand in stages and segments by anyone (a transaction too long for one L1
    ///      transaction): its post-state root and the `PostState` shown, which it must have executed.
    function _execute(
        OneStepProof oneStepProof,
        bytes32 preRoot,
        bytes32 txHash,
        TxProof calldata proof,
        StepTypes.BlockContext calldata ctx,
        Tries calldata tries
    ) private view returns (bytes32 postRoot, StepTypes.PostState memory post) {
        if (proof.nodes.length != 0) {
            return oneStepProof.proveTransaction(preRoot, proof.nodes, proof.witnesses, proof.rawTx, txHash, ctx);
        }
        bytes32 actual = keccak256(proof.rawTx);
        if (actual != txHash) revert TransactionNotClaimed(txHash, actual);
        bytes32 id = oneStepProof.stepId(preRoot, txHash, ctx);
        postRoot = oneStepProof.postStateRoot(id);
        if (postRoot == 0) revert TransactionNotProven(id);
        post = tries.stagedPost;
        if (!oneStepProof.executed(oneStepProof.executionHash(id, post))) revert PostStateNotExecuted(id);
    }

    /// @notice The 2048-bit bloom of an RLP list of logs ([address, [topics], data] each), the
    ///         Yellow Paper's M3:2048 over each address and topic.
    function logsBloom(bytes memory logs) public pure returns (bytes memory bloom) {
        bloom = new bytes(256);
        RLPItem[] memory items = RLPReader.readList(RLPReader.toRLPItem(logs));
        for (uint256 i = 0; i < items.length; ++i) {
            RLPItem[] memory log_ = RLPReader.readList(items[i]);
            _addToBloom(bloom, RLPReader.readBytes(log_[0]));
            RLPItem[] memory topics = RLPReader.readList(log_[1]);
            for (uint256 j = 0; j < topics.length; ++j) {
                _addToBloom(bloom, RLPReader.readBytes(topics[j]));
            }
        }
    }

    /// @dev Receipt k as the node encodes it: [type byte ‖] rlp([status, cumulativeGasUsed, bloom,
    ///      logs]) (a legacy transaction has no type byte); a deposit's adds depositNonce (the
    ///      sender's nonce before it: its nonce after, less one) and depositReceiptVersion.
    function _receipt(bytes calldata rawTx, StepTypes.PostState memory post, uint256 cumulative, bytes memory bloom, bytes calldata logs)
        private
        pure
        returns (bytes memory)
    {
        bytes memory payload = bytes.concat(
            RLPWriter.writeUint(post.success ? 1 : 0), RLPWriter.writeUint(cumulative), RLPWriter.writeBytes(bloom), logs
        );
        uint8 txType = uint8(rawTx[0]);
        if (txType == DEPOSIT_TX_TYPE) {
            payload = bytes.concat(
                payload, RLPWriter.writeUint(_depositNonce(rawTx, post)), RLPWriter.writeUint(DEPOSIT_RECEIPT_VERSION)
            );
        }
        bytes memory encoded = RLPWriter.writeList(payload);
        return txType < 0x80 ? bytes.concat(bytes1(txType), encoded) : encoded;
    }

    function _depositNonce(bytes calldata rawTx, StepTypes.PostState memory post) private pure returns (uint256) {
        RLPItem[] memory fields = RLPReader.readList(RLPReader.toRLPItem(rawTx[1:]));
        address sender = address(bytes20(RLPReader.readBytes(fields[1])));
        for (uint256 i = 0; i < post.accounts.length; ++i) {
            if (post.accounts[i].addr == sender) return uint256(post.accounts[i].nonce) - 1;
        }
        revert DepositSenderMissing(sender);
    }

    function _insert(bytes32 root, bytes[] calldata nodes, bytes memory key, bytes memory value)
        private
        pure
        returns (bytes32)
    {
        NodeSet.Set memory set = NodeSet.fromNodes(nodes, WITNESS_EXTRA_NODES);
        return PatriciaTrie.update(set, root, key, value);
    }

    function _addToBloom(bytes memory bloom, bytes memory value) private pure {
        bytes32 h = keccak256(value);
        for (uint256 i = 0; i < 6; i += 2) {
            uint256 bit = ((uint256(uint8(h[i])) << 8) | uint256(uint8(h[i + 1]))) & 2047;
            uint256 at = 255 - bit / 8;
            bloom[at] = bloom[at] | bytes1(uint8(1 << (bit % 8)));
        }
    }
}
