// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title StepTypes
/// @notice The data that crosses the three parts of the one-step transaction proof
///         (docs/fault-proofs.md, "The step"):
///
///           1. `WitnessDB.load`   verifies every witnessed account and slot against the agreed
///                                 pre-state root (Merkle proofs as a set of trie nodes) and
///                                 returns them as a flat `PreState`;
///           2. `EVMStep.execute`  runs the one transaction over that flat pre-state, with the
///                                 L2's rules, and returns the `PostState` (what changed);
///           3. `WitnessDB.commit` writes the changed leaves back into the tries (insert, update,
///                                 delete) and returns the post-state root.
///
///         The interpreter never sees a proof and the trie code never sees an opcode; a value the
///         interpreter needs that is not in the `PreState` reverts `MissingWitness`, and a
///         witnessed account or slot the execution never touched reverts `ExtraWitness`, so the
///         witness is exactly what the transaction reads.
library StepTypes {
    /// @notice One storage slot as the pre-state holds it (value 0 = absent from the trie).
    struct Slot {
        bytes32 key; //   the slot number (not hashed)
        bytes32 value;
    }

    /// @notice One account as the pre-state holds it. `exists` = false is an account absent from
    ///         the state trie (proven by exclusion); its other fields are then zero / empty.
    ///         `slots` are the slots of its storage the transaction reads or writes, each proven
    ///         against `storageRoot`; `code` hashes to `codeHash`.
    struct Account {
        address addr;
        bool exists;
        uint64 nonce;
        uint256 balance;
        bytes32 storageRoot;
        bytes32 codeHash;
        bytes code;
        Slot[] slots;
    }

    /// @notice Everything the execution may read of the state, verified against `root`.
    struct PreState {
        bytes32 root;
        Account[] accounts;
    }

    /// @notice The block context of the L2 block the transaction is in.
    struct BlockContext {
        uint256 number;
        uint256 timestamp;
        uint256 baseFee;
        address coinbase; //      the SequencerFeeVault on Lantau
        bytes32 prevRandao;
        uint256 gasLimit;
        uint256 chainId;
        uint256 gasUsedBefore; // gas used by the block's earlier transactions
        bytes32[] blockHashes; // BLOCKHASH window: hashes of blocks number-1, number-2, ... (up to 256)
    }

    /// @notice The rollup's proof-cost caps (the rollup config's `proof_cost_limits`, enforced by
    ///         node/vm.py): a transaction whose counts pass one fails like one out of gas.
    ///         Passed to `EVMStep.execute` beside the `BlockContext`.
    struct ProofCostLimits {
        uint256 maxOpcodes; //     instructions dispatched, all frames (the STOP past the end included)
        uint256 maxAccounts; //    distinct addresses accessed (EIP-2929 set + precompiles used)
        uint256 maxSlots; //       distinct (address, slot) accessed
        uint256 maxCodeBytes; //   every distinct code read in full + every creation's init code
        uint256 maxMemoryBytes; // every frame's memory at its largest, summed
        uint256 maxFrames; //      call frames entered (top frame, calls, creations, precompile calls)
    }

    /// @notice An account after the transaction. `deleted` = the account is removed from the
    ///         trie (EIP-6780 self-destruct of an account created in this transaction, or an
    ///         EIP-161 empty touched account). `storageReset` = its storage starts from the empty
    ///         trie before `slots` apply (an account created in this transaction). `slots` are the
    ///         slots whose value changed (value 0 = delete the slot from the storage trie).
    struct AccountDiff {
        address addr;
        bool deleted;
        bool storageReset;
        uint64 nonce;
        uint256 balance;
        bytes32 codeHash;
        Slot[] slots;
    }

    /// @notice What the execution produced: the changed accounts, plus the receipt's fields.
    struct PostState {
        AccountDiff[] accounts;
        bool success;
        uint256 gasUsed; //       the transaction's gas used (after refunds and the calldata floor)
        bytes32 logsHash; //      keccak256 of the RLP list of the transaction's logs
    }
}
