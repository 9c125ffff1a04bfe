// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title MachineState
/// @notice The interpreter's state between two instructions, as segmented execution hands it from
///         one L1 transaction to the next (docs/fault-proofs.md, "Segmented execution"): no memory
///         pointers, every list in a fixed order, so that one machine has one encoding and one
///         commitment. `prover/machine_state.py` mirrors it (the same ABI bytes, the same hash).
library MachineState {
    /// @notice The proof-cost counts so far (node/vm.py's `ProofCosts`, in its field order).
    struct Counts {
        uint256 opcodes;
        uint256 accounts;
        uint256 slots;
        uint256 codeBytes;
        uint256 memoryBytes;
        uint256 frames;
    }

    /// @notice One call frame; `Machine.frames` holds them outermost first, the running one last.
    struct Frame {
        address self; //          storage address (the created address for a creation)
        address caller;
        address codeAddress; //   whose code runs (a creation runs `initCode`)
        uint256 value;
        uint256 pc;
        uint256 gas;
        uint256[] stack; //       bottom first
        bytes memoryBytes; //     the frame's memory, msize bytes
        bytes input;
        bytes returnData; //      of the frame's last call
        bytes initCode; //        a creation's code (empty for a call)
        uint256 flags; //         FRAME_STATIC | FRAME_CREATE
        uint256 depth;
        uint256 journalMark; //   journal length when the frame started (its revert point)
        uint256 outOffset; //     where the caller wants the output
        uint256 outLength;
        uint256 memoryCounted; // of the memory, what the memory cap has counted
    }

    uint256 internal constant FRAME_STATIC = 1;
    uint256 internal constant FRAME_CREATE = 2;

    /// @notice A storage slot of an account: its value before the transaction and now.
    struct Slot {
        bytes32 key;
        bytes32 original;
        bytes32 current;
        uint256 flags; // SLOT_USED | SLOT_WITNESSED
    }

    uint256 internal constant SLOT_USED = 1;
    uint256 internal constant SLOT_WITNESSED = 2;

    /// @notice An account of the witness (or created), before the transaction and now. `code` is
    ///         the current code (a creation's deployed code included), `codeHash` its hash.
    struct Account {
        address addr;
        uint256 flags; //      ACC_* below
        uint256 nonce;
        uint256 balance;
        bytes32 codeHash;
        bytes code;
        Slot[] slots; //       in the order the witness lists them, then as first accessed
        uint256 preNonce;
        uint256 preBalance;
        bytes32 preCodeHash;
        bytes32 storageRoot; // at the pre-state
    }

    uint256 internal constant ACC_EXISTS = 1;
    uint256 internal constant ACC_PRE_EXISTS = 2;
    uint256 internal constant ACC_CREATED = 4;
    uint256 internal constant ACC_DESTRUCTED = 8;
    uint256 internal constant ACC_TOUCHED = 16;
    uint256 internal constant ACC_USED = 32;
    uint256 internal constant ACC_CODE_COUNTED = 64;

    /// @notice An undo record: `kind` says what `index` and `field` name, `old` is the word before.
    ///         JOURNAL_ACCOUNT: account `index`'s field `field` (the Account's field number);
    ///         JOURNAL_SLOT: slot `field` of account `index`'s current value;
    ///         JOURNAL_WARM_ACCOUNT: the warm-address list's length; JOURNAL_WARM_SLOT: warm slot
    ///         `index`'s flag; JOURNAL_REFUND: the refund counter; JOURNAL_LOGS: the logs' count;
    ///         JOURNAL_TRANSIENT: transient slot `index`'s value.
    struct JournalEntry {
        uint256 kind;
        uint256 index;
        uint256 field;
        bytes32 old;
    }

    uint256 internal constant JOURNAL_ACCOUNT = 0;
    uint256 internal constant JOURNAL_SLOT = 1;
    uint256 internal constant JOURNAL_WARM_ACCOUNT = 2;
    uint256 internal constant JOURNAL_WARM_SLOT = 3;
    uint256 internal constant JOURNAL_REFUND = 4;
    uint256 internal constant JOURNAL_LOGS = 5;
    uint256 internal constant JOURNAL_TRANSIENT = 6;

    /// @notice A storage key ever accessed (counted for the slots cap); `warm` is journaled.
    struct WarmSlot {
        address addr;
        bytes32 key;
        bool warm;
    }

    struct TransientSlot {
        address addr;
        bytes32 key;
        bytes32 value;
    }

    /// @notice Everything between two instructions of one transaction's execution.
    struct Machine {
        bytes32 stepId; //          OneStepProof.stepId(preRoot, txHash, ctx)
        bytes32 preStateHash; //    keccak256(abi.encode(PreState)) of the loaded witness
        uint256 segments; //        segments run so far
        Counts counts;
        uint256 refund;
        Frame[] frames; //          outermost first
        Account[] accounts;
        JournalEntry[] journal; //  oldest first
        address[] warmAccounts; //  in warming order (its length is journaled)
        WarmSlot[] warmSlots; //    in first-access order
        TransientSlot[] transientSlots;
        address[] countedAccounts; // every address ever accessed, in first-access order
        bytes[] logs; //            each log's RLP, in execution order
    }

    /// @notice The commitment handed between segments: keccak256 of the machine's ABI encoding.
    function commitment(Machine memory m) internal pure returns (bytes32) {
        return keccak256(abi.encode(m));
    }
}
