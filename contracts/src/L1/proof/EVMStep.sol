// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PatriciaTrie} from "./PatriciaTrie.sol";
import {StepTypes} from "./StepTypes.sol";
import {EVMTx} from "./EVMTx.sol";
import {EVMPrecompiles} from "./EVMPrecompiles.sol";

/// @title EVMStep
/// @notice The interpreter of the one-step transaction proof (docs/fault-proofs.md, "The
///         interpreter"): runs one L2 transaction (legacy, 0x01, 0x02 or a 0x7E deposit) over a flat,
///         already verified `PreState` with Prague's rules and Lantau's (deposits, fee vaults), and
///         returns what changed. State lives in memory: every mutable word is written through a
///         journal (a linked list of (address, old word)), so a reverting frame undoes exactly its
///         own writes; frames are an explicit linked list, not Solidity recursion, so call depth is
///         bounded by the EVM's 1024, not by the L1 stack.
///         Transaction decoding and validation live in `EVMTx` and the precompile prices in
///         `EVMPrecompiles` (separate deployed contracts) to keep each under L1's code size limit.
contract EVMStep {
    error MissingWitness(address account);
    error MissingSlotWitness(address account, bytes32 slot);
    error ExtraWitness(address account);
    error ExtraSlotWitness(address account, bytes32 slot);
    error DuplicateWitness(address account, bytes32 slot);
    error MissingBlockHash(uint256 number);
    error Unsupported(string what);
    error InvalidTransaction(string reason);

    address public immutable txLib;
    address public immutable precompileLib;

    address internal constant BASE_FEE_VAULT = 0x4200000000000000000000000000000000000019;
    bytes32 internal constant EMPTY_CODE_HASH = 0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470;

    // stack inputs (0xff = undefined opcode), stack outputs and constant gas, per opcode
    bytes internal constant STACK_IN =
        hex"000202020202020203030202ffffffff0202020202010202020102020202ffff02ffffffffffffffffffffffffffffff000100000001000300030001040003010100000000000000000100ffffffffff0101020201020102000000000102030000000000000000000000000000000000000000000000000000000000000000000102030405060708090a0b0c0d0e0f1002030405060708090a0b0c0d0e0f10110203040506ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff030707020604ffffffff06ffff02ff01";
    bytes internal constant STACK_OUT =
        hex"000101010101010101010101000000000101010101010101010101010101000001000000000000000000000000000000010101010101010001000101000100010101010101010101010101000000000000010000010000000101010001000001010101010101010101010101010101010101010101010101010101010101010102030405060708090a0b0c0d0e0f101102030405060708090a0b0c0d0e0f1011000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001010100010100000000010000000000";
    bytes internal constant STATIC_GAS =
        hex"000305030505050508080a0500000000030303030303030303030303030300001e0000000000000000000000000000000200020202030203020302000002030014020202020202050203020000000000020303030000080a020202016464030203030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

    /// @notice An account of the in-memory state. Field order is the memory layout (one word
    ///         each): the `F_*` offsets below name them for journaled writes.
    struct Acc {
        address addr;
        uint256 exists;
        uint256 nonce;
        uint256 balance;
        bytes32 codeHash;
        bytes code;
        uint256 created; //     created in this transaction (EIP-6780)
        uint256 destructed; //  SELFDESTRUCT registered it for deletion
        uint256 touched; //     EIP-161 touched
        uint256 used; //        read by the execution (witness accounting; never journaled)
        uint256 slots; //       head of the slot list: [next, key, orig, cur, used, witnessed]
        uint256 preExists;
        uint256 preNonce;
        uint256 preBalance;
        bytes32 preCodeHash;
        bytes32 storageRoot;
        uint256 codeCounted; // its code counted for the code-bytes cap (never journaled)
        bytes jd; //           its code's jump-destination map once analysed (a cache)
    }

    uint256 internal constant F_EXISTS = 0x20;
    uint256 internal constant F_NONCE = 0x40;
    uint256 internal constant F_BALANCE = 0x60;
    uint256 internal constant F_CODEHASH = 0x80;
    uint256 internal constant F_CODE = 0xa0;
    uint256 internal constant F_CREATED = 0xc0;
    uint256 internal constant F_DESTRUCTED = 0xe0;
    uint256 internal constant F_TOUCHED = 0x100;

    /// @notice Transaction-wide state. `journal`, `refund`, `warmA`, `logs`
    ///         are journaled words (the lists are linked lists whose head is the word).
    struct Env {
        Acc[] accts;
        uint256 journal; //  0x20 head: [prev, ptr, old]
        uint256 refund; //   0x40
        uint256 tstore; //   0x60 the transient-storage buckets (see `_tslot`)
        uint256 warmA; //    0x80 head: [next, addr]
        uint256 warmS; //    0xa0 the accessed slots' buckets (see `_warmSlot`)
        uint256 logs; //     0xc0 head: [next, rlp bytes]
        address origin;
        uint256 gasPrice;
        StepTypes.BlockContext ctx;
        EVMPrecompiles pre;
        bytes stackIn; //    the opcode tables, copied to memory once (a constant `bytes` is
        bytes stackOut; //   copied again at every read)
        bytes staticGas;
        StepTypes.ProofCostLimits caps;
        uint256 ops; //       proof-cost counts, never journaled (work in reverted frames counts)
        uint256 nAccounts;
        uint256 nSlots;
        uint256 codeBytes;
        uint256 memBytes;
        uint256 frames;
        uint256 countedA; //  every address ever accessed: [next, addr]
        uint256 capHit; //    a count passed its cap: the transaction fails as out of gas
        // segmented execution (docs/fault-proofs.md, "Segmented execution")
        uint256 stopAt; //    pause before the instruction that would make `ops` pass this
        EVMTx.Tx tx; //       the transaction, for the finish after a resume
        uint256 snap; //      the journal after the gas purchase and the nonce bump
        uint256 frame; //     the running frame when paused
    }

    uint256 internal constant E_REFUND = 0x40;
    uint256 internal constant E_WARMA = 0x80;
    uint256 internal constant E_LOGS = 0xc0;

    /// @notice One call frame. Field order is the memory layout.
    struct Frame {
        uint256 parent; //    0x000 pointer to the caller's frame (0 = top)
        address self; //      0x020 current target (storage address)
        address caller; //    0x040
        uint256 value; //     0x060
        bytes code; //        0x080
        bytes input; //       0x0a0
        uint256 pc; //        0x0c0
        uint256 gas; //       0x0e0
        uint256 stack; //     0x100 pointer to the word area
        uint256 sp; //        0x120 number of items
        uint256 stackCap; //  0x140
        uint256 mem; //       0x160 pointer to the byte area
        uint256 msize; //     0x180 bytes, a multiple of 32
        uint256 memCap; //    0x1a0
        bytes ret; //         0x1c0 return data of the last call
        uint256 isStatic; //  0x1e0
        uint256 depth; //     0x200
        uint256 snap; //      0x220 journal head when the frame started
        uint256 isCreate; //  0x240
        uint256 outOff; //    0x260 where the caller wants the output
        uint256 outLen; //    0x280
        bytes jumpdests; //   0x2a0 one byte per code byte, 1 = valid JUMPDEST
        uint256 memCounted; // 0x2c0 of msize, what the memory cap has counted
        uint256 inBuf; //     0x2e0 reused for the input of each call this frame makes: [len, bytes]
        uint256 inCap; //     0x300
        uint256 outBuf; //    0x320 reused for the output of each precompile this frame calls
        uint256 outCap; //    0x340
    }

    uint256 internal constant F_INBUF = 0x2e0;
    uint256 internal constant F_OUTBUF = 0x320;

    /// @dev A length past this always runs out of gas (memory alone would cost > 2^64 gas); checked
    ///      first so that the gas arithmetic cannot overflow.
    uint256 internal constant MAX_LEN = 0xffffffffff;

    uint256 internal constant HALT_NONE = 0;
    uint256 internal constant HALT_OK = 1;
    uint256 internal constant HALT_REVERT = 2;
    uint256 internal constant HALT_ERROR = 3;
    uint256 internal constant SPAWN = 4;
    uint256 internal constant HALT_CAP = 5; // a proof-cost cap passed: unwind every frame
    uint256 internal constant HALT_PAUSE = 6; // the segment's instruction budget is spent

    /// @notice First word of what `start` / `resume` return for a paused execution (an ABI-encoded
    ///         `PostState` starts with 0x20): [PAUSED, Env pointer, memory from 0x80 on].
    uint256 internal constant PAUSED = 0x5041555345440000000000000000000000000000000000000000000000000000;

    constructor(address txLib_, address precompileLib_) {
        txLib = txLib_;
        precompileLib = precompileLib_;
    }

    // ------------------------------------------------------------------------------------
    // entry point
    // ------------------------------------------------------------------------------------

    /// @notice Executes `rawTx` over `pre` in block `ctx`; see StepTypes. Segmented execution
    ///         (docs/fault-proofs.md): paused before the instruction that would pass `budget`
    ///         instructions, it returns (raw, not ABI-encoded) [PAUSED, Env pointer, memory from
    ///         0x80], the machine `resume` continues from; `type(uint256).max` = never paused.
    function execute(
        StepTypes.PreState memory pre,
        bytes memory rawTx,
        StepTypes.BlockContext memory ctx,
        StepTypes.ProofCostLimits memory caps,
        uint256 budget
    )
        external
        view
        returns (StepTypes.PostState memory)
    {
        return _execute(pre, rawTx, ctx, caps, budget);
    }

    /// @notice Runs a paused machine (what `start` or `resume` returned) for at most `budget` more
    ///         instructions: its PostState, or the next paused machine. The machine's memory is
    ///         copied back to the addresses it had, so every pointer in it is valid again.
    function resume(bytes calldata machine, uint256 budget) external view returns (StepTypes.PostState memory post) {
        // the machine's memory image back at 0x80, where it was: every pointer in it is valid
        Env memory e;
        assembly {
            let len := sub(machine.length, 0x40)
            calldatacopy(0x80, add(machine.offset, 0x40), len)
            mstore(0x40, add(0x80, len))
            e := calldataload(add(machine.offset, 0x20))
        }
        e.stopAt = e.ops + budget;
        Frame memory f;
        uint256 fp = e.frame;
        assembly {
            f := fp
        }
        (bool ok, uint256 gasLeft) = _run(e, f);
        post = _newPost();
        _finishTx(e, e.tx, post, ok, gasLeft);
        _diff(e, post);
        post.logsHash = _logsHash(e);
    }

    function _newPost() private pure returns (StepTypes.PostState memory post) {}

    /// @dev Ends the call here, returning the paused machine (never returns to the caller),
    ///      compacted by MachineCompaction (EVMTx's fallback) to what the Env reaches.
    function _pause(Env memory e, Frame memory f) private view {
        e.frame = _framePtr(f);
        address compactor = txLib;
        assembly {
            let end := mload(0x40)
            mstore(0x40, PAUSED)
            mstore(0x60, e)
            let ok := staticcall(gas(), compactor, 0x40, sub(end, 0x40), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    function _execute(
        StepTypes.PreState memory pre,
        bytes memory rawTx,
        StepTypes.BlockContext memory ctx,
        StepTypes.ProofCostLimits memory caps,
        uint256 stopAt
    ) private view returns (StepTypes.PostState memory post) {
        EVMTx.Tx memory t = EVMTx(txLib).decode(rawTx, ctx.chainId);
        Env memory e;
        e.stopAt = stopAt;
        e.tx = t;
        e.ctx = ctx;
        e.caps = caps;
        e.pre = EVMPrecompiles(precompileLib);
        e.accts = _load(pre);
        e.stackIn = STACK_IN;
        e.stackOut = STACK_OUT;
        e.staticGas = STATIC_GAS;
        if (t.isDeposit) {
            _deposit(e, t, post);
        } else {
            _validate(e, t);
            _transact(e, t, post);
        }
        _diff(e, post);
        post.logsHash = _logsHash(e);
    }

    // ------------------------------------------------------------------------------------
    // state: accounts, slots, journal
    // ------------------------------------------------------------------------------------

    function _load(StepTypes.PreState memory pre) private pure returns (Acc[] memory accts) {
        uint256 n = pre.accounts.length;
        accts = new Acc[](n);
        for (uint256 i = 0; i < n; i++) {
            StepTypes.Account memory w = pre.accounts[i];
            for (uint256 j = 0; j < i; j++) {
                if (accts[j].addr == w.addr) revert DuplicateWitness(w.addr, bytes32(0));
            }
            Acc memory a = accts[i];
            a.addr = w.addr;
            a.exists = w.exists ? 1 : 0;
            a.preExists = a.exists;
            a.nonce = w.nonce;
            a.preNonce = w.nonce;
            a.balance = w.balance;
            a.preBalance = w.balance;
            a.codeHash = w.exists ? w.codeHash : bytes32(0);
            a.preCodeHash = a.codeHash;
            a.code = w.code;
            a.storageRoot = w.exists ? w.storageRoot : PatriciaTrie.EMPTY_ROOT;
            uint256 head = 0;
            for (uint256 k = 0; k < w.slots.length; k++) {
                bytes32 key = w.slots[k].key;
                for (uint256 p = head; p != 0; p = _w(p, 0)) {
                    if (bytes32(_w(p, 1)) == key) revert DuplicateWitness(w.addr, key);
                }
                head = _node6(head, uint256(key), uint256(w.slots[k].value), uint256(w.slots[k].value), 0, 1);
            }
            a.slots = head;
        }
    }

    /// @dev The account at `addr`, marked used; reverts MissingWitness if the witness lacks it.
    function _acc(Env memory e, address addr) private pure returns (Acc memory a) {
        Acc[] memory accts = e.accts;
        for (uint256 i = 0; i < accts.length; i++) {
            if (accts[i].addr == addr) {
                a = accts[i];
                a.used = 1;
                return a;
            }
        }
        revert MissingWitness(addr);
    }

    /// @dev The slot node of `key` in `a`; an account whose storage is empty at the start of the
    ///      transaction (empty root, absent, or created here) gets an unwitnessed zero slot.
    function _slot(Acc memory a, bytes32 key) private pure returns (uint256 p) {
        for (p = a.slots; p != 0; p = _w(p, 0)) {
            if (bytes32(_w(p, 1)) == key) {
                _sw(p, 4, 1);
                return p;
            }
        }
        if (a.storageRoot != PatriciaTrie.EMPTY_ROOT && a.created == 0) revert MissingSlotWitness(a.addr, key);
        p = _node6(a.slots, uint256(key), 0, 0, 1, 0);
        a.slots = p;
    }

    function _node6(uint256 a0, uint256 a1, uint256 a2, uint256 a3, uint256 a4, uint256 a5)
        private
        pure
        returns (uint256 p)
    {
        assembly {
            p := mload(0x40)
            mstore(0x40, add(p, 0xc0))
            mstore(p, a0)
            mstore(add(p, 0x20), a1)
            mstore(add(p, 0x40), a2)
            mstore(add(p, 0x60), a3)
            mstore(add(p, 0x80), a4)
            mstore(add(p, 0xa0), a5)
        }
    }

    function _w(uint256 p, uint256 i) private pure returns (uint256 v) {
        assembly {
            v := mload(add(p, shl(5, i)))
        }
    }

    function _sw(uint256 p, uint256 i, uint256 v) private pure {
        assembly {
            mstore(add(p, shl(5, i)), v)
        }
    }

    function _ptr(Acc memory a) private pure returns (uint256 p) {
        assembly {
            p := a
        }
    }

    function _eptr(Env memory e) private pure returns (uint256 p) {
        assembly {
            p := e
        }
    }

    /// @dev Journaled write of the word at `ptr`.
    function _set(Env memory e, uint256 ptr, uint256 v) private pure {
        uint256 old;
        assembly {
            old := mload(ptr)
        }
        if (old == v) return;
        e.journal = _node3(e.journal, ptr, old);
        assembly {
            mstore(ptr, v)
        }
    }

    function _node3(uint256 a0, uint256 a1, uint256 a2) private pure returns (uint256 p) {
        assembly {
            p := mload(0x40)
            mstore(0x40, add(p, 0x60))
            mstore(p, a0)
            mstore(add(p, 0x20), a1)
            mstore(add(p, 0x40), a2)
        }
    }

    function _revertTo(Env memory e, uint256 snap) private pure {
        uint256 p = e.journal;
        while (p != snap) {
            assembly {
                mstore(mload(add(p, 0x20)), mload(add(p, 0x40)))
                p := mload(p)
            }
        }
        e.journal = snap;
    }

    function _setBalance(Env memory e, Acc memory a, uint256 v) private pure {
        _set(e, _ptr(a) + F_BALANCE, v);
        _set(e, _ptr(a) + F_EXISTS, 1);
        _set(e, _ptr(a) + F_TOUCHED, 1);
    }

    function _setNonce(Env memory e, Acc memory a, uint256 v) private pure {
        _set(e, _ptr(a) + F_NONCE, v);
        _set(e, _ptr(a) + F_EXISTS, 1);
    }

    function _isEmpty(Acc memory a) private pure returns (bool) {
        return a.nonce == 0 && a.balance == 0 && a.code.length == 0;
    }

    function _alive(Acc memory a) private pure returns (bool) {
        return a.exists == 1 && !_isEmpty(a);
    }

    function _warmAccount(Env memory e, address addr) private pure returns (bool wasWarm) {
        for (uint256 p = e.warmA; p != 0; p = _w(p, 0)) {
            if (address(uint160(_w(p, 1))) == addr) return true;
        }
        _countAccount(e, addr);
        if (uint160(addr) >= 1 && uint160(addr) <= 0x11) return true; // precompiles are always warm
        _set(e, _eptr(e) + E_WARMA, _node3(e.warmA, uint160(addr), 0));
        return false;
    }

    // The proof-cost counts, as node/vm.py's ProofCostMeter: an address from its first EIP-2929
    // access (a precompile on its first), a slot likewise, a code once per address when read in
    // full, init code at each creation, a frame's memory when it exits.

    function _countAccount(Env memory e, address addr) private pure {
        for (uint256 p = e.countedA; p != 0; p = _w(p, 0)) {
            if (address(uint160(_w(p, 1))) == addr) return;
        }
        e.countedA = _node3(e.countedA, uint160(addr), 0);
        if (++e.nAccounts > e.caps.maxAccounts) e.capHit = 1;
    }

    /// @dev A frame entered (node/vm.py counts each `apply_computation`): the top frame, a call or
    ///      creation once past its depth, balance and collision checks, a precompile call too.
    function _countFrame(Env memory e) private pure {
        if (++e.frames > e.caps.maxFrames) e.capHit = 1;
    }

    /// @dev Adds the frame's memory growth to the memory count. node/vm.py adds a frame's size
    ///      when it exits; the sum is the same, but counting growth as it happens lets the step
    ///      stop before live frames hold more memory than the cap allows.
    function _countMem(Env memory e, Frame memory f) private pure {
        e.memBytes += f.msize - f.memCounted;
        f.memCounted = f.msize;
        if (e.memBytes > e.caps.maxMemoryBytes) e.capHit = 1;
    }

    /// @dev `a`'s code, read in full (py-evm's state.get_code): counted once per address.
    function _code(Env memory e, Acc memory a) private pure returns (bytes memory) {
        if (a.codeCounted == 0 && a.code.length != 0) {
            a.codeCounted = 1;
            _countBytes(e, a.code.length);
        }
        return a.code;
    }

    function _countBytes(Env memory e, uint256 n) private pure {
        e.codeBytes += n;
        if (e.codeBytes > e.caps.maxCodeBytes) e.capHit = 1;
    }

    /// @dev Marks (addr, key) warm: (was it warm, its node [next, addr, key, warm, slot node]).
    ///      Nodes hang from 256 buckets and are never unlinked: a node is a slot ever accessed
    ///      (counted for the slots cap when created), its `warm` word is journaled (a revert makes
    ///      the slot cold again), and it keeps the account's slot node once found, so a warm
    ///      SLOAD or SSTORE costs no list walk however many slots are warm.
    function _warmSlot(Env memory e, address addr, bytes32 key) private pure returns (bool, uint256 p) {
        uint256 table = e.warmS;
        if (table == 0) {
            assembly {
                table := mload(0x40)
                mstore(0x40, add(table, 0x2000))
                calldatacopy(table, calldatasize(), 0x2000)
            }
            e.warmS = table;
        }
        uint256 bucket;
        assembly {
            mstore(0, addr)
            mstore(0x20, key)
            bucket := add(table, shl(5, and(keccak256(0, 0x40), 0xff)))
        }
        for (p = _w(bucket, 0); p != 0; p = _w(p, 0)) {
            if (address(uint160(_w(p, 1))) == addr && bytes32(_w(p, 2)) == key) break;
        }
        if (p == 0) {
            p = _node6(_w(bucket, 0), uint160(addr), uint256(key), 0, 0, 0);
            _sw(bucket, 0, p);
            if (++e.nSlots > e.caps.maxSlots) e.capHit = 1;
        }
        if (_w(p, 3) == 1) return (true, p);
        _set(e, p + 0x60, 1);
        return (false, p);
    }

    /// @dev The account's slot node behind warm-slot node `w` of the frame's storage.
    function _slotOf(Env memory e, Frame memory f, uint256 w) private pure returns (uint256 p) {
        p = _w(w, 4);
        if (p == 0) {
            p = _slot(_acc(e, f.self), bytes32(_w(w, 2)));
            _sw(w, 4, p);
        }
    }

    function _transfer(Env memory e, Acc memory from, Acc memory to, uint256 value) private pure {
        _setBalance(e, from, from.balance - value);
        _setBalance(e, to, to.balance + value);
    }

    // ------------------------------------------------------------------------------------
    // transaction
    // ------------------------------------------------------------------------------------

    function _invalid(string memory reason) private pure {
        revert InvalidTransaction(reason);
    }

    /// @dev A user transaction's checks before it runs, in EVMTx: those of the transaction and
    ///      the block first, then, the sender read, those of its account (py-evm reads nothing
    ///      before the first ones, so neither does the step).
    function _validate(Env memory e, EVMTx.Tx memory t) private view {
        EVMTx lib = EVMTx(txLib);
        lib.checkBlock(t.gasLimit, t.intrinsicGas, t.isCreate, t.data.length, t.maxFee, e.ctx.gasLimit - e.ctx.gasUsedBefore, e.ctx.baseFee);
        Acc memory s = _acc(e, t.from);
        lib.checkSender(t.nonce, t.gasLimit, t.maxFee, t.maxPriority, t.value, e.ctx.baseFee, s.nonce, s.balance, s.code.length);
    }

    function _transact(Env memory e, EVMTx.Tx memory t, StepTypes.PostState memory post) private view {
        uint256 price = t.maxFee;
        if (t.maxPriority != type(uint256).max) {
            uint256 tipped = e.ctx.baseFee + t.maxPriority;
            if (tipped < price) price = tipped;
        }
        e.gasPrice = price;
        e.origin = t.from;
        Acc memory s = _acc(e, t.from);
        _setBalance(e, s, s.balance - t.gasLimit * price);
        (bool ok, uint256 gasLeft) = _start(e, t);
        _finishTx(e, t, post, ok, gasLeft);
    }

    /// @dev What follows the message (after a resume too): the gas settlement, then the fees.
    function _finishTx(Env memory e, EVMTx.Tx memory t, StepTypes.PostState memory post, bool ok, uint256 gasLeft)
        private
        view
    {
        _settleGas(e, t, post, ok, gasLeft);
        if (t.isDeposit) {
            Acc memory dcb = _acc(e, e.ctx.coinbase);
            _setBalance(e, dcb, dcb.balance);
            _finalizeDeletions(e);
            return;
        }
        uint256 price = e.gasPrice;
        Acc memory s = _acc(e, t.from);
        uint256 used = post.gasUsed;
        if (used <= t.gasLimit) {
            _setBalance(e, s, s.balance + (t.gasLimit - used) * price);
        } else {
            // the EIP-7623 floor above the gas limit: py-evm charges the rest after execution,
            // and refuses the transaction (ValidationError) if the balance cannot pay it
            uint256 extra = (used - t.gasLimit) * price;
            if (s.balance < extra) _invalid("balance below the EIP-7623 floor charge");
            _setBalance(e, s, s.balance - extra);
        }
        Acc memory cb = _acc(e, e.ctx.coinbase);
        _setBalance(e, cb, cb.balance + used * (price - e.ctx.baseFee));
        _finalizeDeletions(e);
        if (e.ctx.baseFee != 0) {
            Acc memory vault = _acc(e, BASE_FEE_VAULT);
            _setBalance(e, vault, vault.balance + used * e.ctx.baseFee);
        }
    }

    /// @dev Nonce bump, warm set, the message: (success, gas left).
    function _start(Env memory e, EVMTx.Tx memory t) private view returns (bool, uint256) {
        Acc memory s = _acc(e, t.from);
        uint256 senderNonce = s.nonce;
        _setNonce(e, s, senderNonce + 1);
        e.snap = e.journal;
        _warmTx(e, t);
        return _message(e, t, t.gasLimit - t.intrinsicGas, senderNonce);
    }

    /// @dev Refunds and the calldata floor: sets post.success and post.gasUsed.
    function _settleGas(Env memory e, EVMTx.Tx memory t, StepTypes.PostState memory post, bool ok, uint256 gasLeft)
        private
        pure
    {
        if (e.capHit != 0) {
            // past a proof-cost cap: every change after the gas purchase and the nonce bump is
            // undone (refunds and logs are journaled too) and all gas is used, as node/vm.py does
            _revertTo(e, e.snap);
            ok = false;
            gasLeft = 0;
        }
        uint256 used = t.gasLimit - gasLeft;
        uint256 refund = e.refund;
        if (refund > used / 5) refund = used / 5;
        used -= refund;
        if (used < t.floorGas) used = t.floorGas;
        post.success = ok;
        post.gasUsed = used;
    }

    /// @dev Lantau's deposit (0x7E): mint first (kept whatever happens), no signature, fee or
    ///      nonce check; one that cannot start fails with status 0 and uses its gas limit (or the
    ///      block's gas left) — node/vm.py's `deposit_failure` in its order.
    function _deposit(Env memory e, EVMTx.Tx memory t, StepTypes.PostState memory post) private view {
        e.origin = t.from;
        Acc memory s = _acc(e, t.from);
        if (t.mint != 0) _setBalance(e, s, s.balance + t.mint);
        uint256 blockGasLeft = e.ctx.gasLimit - e.ctx.gasUsedBefore;
        if (
            t.gasLimit > blockGasLeft || t.gasLimit < t.intrinsicGas || t.gasLimit < t.floorGas || t.value > s.balance
                || (t.isCreate && t.data.length > 49152)
        ) {
            _setNonce(e, s, s.nonce + 1);
            post.success = false;
            post.gasUsed = t.gasLimit < blockGasLeft ? t.gasLimit : blockGasLeft;
            _clearTouched(e);
            return;
        }
        _setBalance(e, s, s.balance); // py-evm buys gas at price 0: the sender is touched
        (bool ok, uint256 gasLeft) = _start(e, t);
        _finishTx(e, t, post, ok, gasLeft);
    }

    function _clearTouched(Env memory e) private pure {
        for (uint256 i = 0; i < e.accts.length; i++) {
            e.accts[i].touched = 0;
        }
    }

    function _warmTx(Env memory e, EVMTx.Tx memory t) private pure {
        _warmAccount(e, t.from);
        _warmAccount(e, e.ctx.coinbase);
        if (!t.isCreate) _warmAccount(e, t.to);
        bytes memory al = t.accessList; // packed: [20-byte address, 2-byte key count, keys...]
        uint256 off = 0;
        while (off < al.length) {
            address a;
            uint256 count;
            assembly {
                let w := mload(add(add(al, 0x20), off))
                a := shr(96, w)
                count := and(shr(80, w), 0xffff)
            }
            _warmAccount(e, a);
            off += 22;
            for (uint256 k = 0; k < count; k++) {
                bytes32 key;
                assembly {
                    key := mload(add(add(al, 0x20), off))
                }
                _warmSlot(e, a, key);
                off += 32;
            }
        }
    }

    /// @dev The transaction's message: returns success and the gas left.
    function _message(Env memory e, EVMTx.Tx memory t, uint256 gas, uint256 senderNonce)
        private
        view
        returns (bool, uint256)
    {
        Frame memory f;
        if (t.isCreate) {
            address created = EVMTx(txLib).createAddress(t.from, senderNonce);
            _warmAccount(e, created);
            Acc memory c = _acc(e, created);
            if (_collides(c)) return (false, 0);
            _countBytes(e, t.data.length);
            f = _frame(t.data, gas, _jumpdests(t.data));
            f.caller = t.from;
            f.self = created;
            f.value = t.value;
            f.isCreate = 1;
            _enter(e, f, t.value);
        } else {
            Acc memory target = _acc(e, t.to);
            if (_isPrecompile(t.to)) {
                _countFrame(e);
                uint256 snap = e.journal;
                if (t.value != 0) _transfer(e, _acc(e, t.from), target, t.value);
                _set(e, _ptr(target) + F_TOUCHED, 1);
                (bool pok, uint256 pgas,) = _precompile(e, t.to, t.data, gas);
                if (!pok) _revertTo(e, snap);
                return (pok, pgas);
            }
            _checkDelegation(_code(e, target));
            f = _frame(target.code, gas, _jdOf(target));
            f.caller = t.from;
            f.self = t.to;
            f.value = t.value;
            f.input = t.data;
            _enter(e, f, t.value);
        }
        return _run(e, f);
    }

    function _collides(Acc memory c) private pure returns (bool) {
        return c.nonce != 0 || c.code.length != 0 || (c.storageRoot != PatriciaTrie.EMPTY_ROOT && c.storageRoot != 0);
    }

    function _checkDelegation(bytes memory code) private pure {
        if (code.length == 23 && code[0] == 0xef && code[1] == 0x01 && code[2] == 0x00) {
            revert Unsupported("EIP-7702 code");
        }
    }

    function _isPrecompile(address a) private pure returns (bool) {
        return uint160(a) >= 1 && uint160(a) <= 0x11;
    }

    /// @dev Runs precompile `a` with `gas`: (success, gas left, output). Prices are the L2's
    ///      (Prague), computed by EVMPrecompiles; the result comes from L1's own precompile.
    function _precompile(Env memory e, address a, bytes memory input, uint256 gas)
        private
        view
        returns (bool, uint256, bytes memory)
    {
        (bool supported, uint256 cost) = e.pre.gasCost(uint160(a), input);
        if (!supported) revert Unsupported("precompile");
        if (cost > gas) return (false, 0, "");
        (bool ok, bytes memory out) = a.staticcall(input); // MODEXP too: node/precompiles.py is the EIPs'

        if (!ok) return (false, 0, "");
        return (true, gas - cost, out);
    }

    /// @dev Deletes accounts SELFDESTRUCT registered (EIP-6780: only those created here) and
    ///      empty accounts touched (EIP-161), as py-evm's finalize_computation.
    function _finalizeDeletions(Env memory e) private pure {
        for (uint256 i = 0; i < e.accts.length; i++) {
            Acc memory a = e.accts[i];
            if (a.destructed == 1 || (a.touched == 1 && a.exists == 1 && _isEmpty(a))) {
                a.exists = 0;
                a.nonce = 0;
                a.balance = 0;
                a.code = "";
                a.codeHash = 0;
                a.created = 1; // storage gone
                for (uint256 p = a.slots; p != 0; p = _w(p, 0)) {
                    _sw(p, 3, 0);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------
    // post state
    // ------------------------------------------------------------------------------------

    function _diff(Env memory e, StepTypes.PostState memory post) private pure {
        uint256 n = e.accts.length;
        StepTypes.AccountDiff[] memory diffs = new StepTypes.AccountDiff[](n);
        uint256 count = 0;
        for (uint256 i = 0; i < n; i++) {
            Acc memory a = e.accts[i];
            // Past a cap the step stops early and reads a prefix of what py-evm, running on, reads
            // (its witness): the unread rest is proven but unused, so it is not refused then.
            bool exact = e.capHit == 0;
            if (exact && a.used == 0) revert ExtraWitness(a.addr);
            uint256 changedSlots = 0;
            for (uint256 p = a.slots; p != 0; p = _w(p, 0)) {
                if (exact && _w(p, 5) == 1 && _w(p, 4) == 0) revert ExtraSlotWitness(a.addr, bytes32(_w(p, 1)));
                if (a.exists == 1 && (a.created == 1 ? _w(p, 3) != 0 : _w(p, 3) != _w(p, 2))) changedSlots++;
            }
            bool changed;
            StepTypes.AccountDiff memory d = diffs[count];
            if (a.exists == 0) {
                changed = a.preExists == 1;
            } else {
                changed = a.preExists == 0 || a.created == 1 || a.nonce != a.preNonce || a.balance != a.preBalance
                    || a.codeHash != a.preCodeHash || changedSlots != 0;
            }
            if (!changed) continue;
            d.addr = a.addr;
            d.deleted = a.exists == 0;
            if (a.exists == 1) {
                d.storageReset = a.created == 1;
                d.nonce = uint64(a.nonce);
                d.balance = a.balance;
                d.codeHash = a.codeHash == 0 ? EMPTY_CODE_HASH : a.codeHash;
                d.slots = new StepTypes.Slot[](changedSlots);
                uint256 k = 0;
                for (uint256 p = a.slots; p != 0; p = _w(p, 0)) {
                    if (a.created == 1 ? _w(p, 3) != 0 : _w(p, 3) != _w(p, 2)) {
                        d.slots[k++] = StepTypes.Slot(bytes32(_w(p, 1)), bytes32(_w(p, 3)));
                    }
                }
            }
            count++;
        }
        assembly {
            mstore(diffs, count)
        }
        post.accounts = diffs;
    }

    /// @dev keccak256(rlp(logs)), logs in execution order (the list is newest-first).
    function _logsHash(Env memory e) private pure returns (bytes32) {
        uint256 total = 0;
        uint256 n = 0;
        for (uint256 p = e.logs; p != 0; p = _w(p, 0)) {
            total += _w(_w(p, 1), 0);
            n++;
        }
        bytes memory body = new bytes(total);
        uint256 end = total;
        for (uint256 p = e.logs; p != 0; p = _w(p, 0)) {
            uint256 item = _w(p, 1);
            uint256 len = _w(item, 0);
            end -= len;
            assembly {
                mcopy(add(add(body, 0x20), end), add(item, 0x20), len)
            }
        }
        return keccak256(abi.encodePacked(_rlpListHeader(total), body));
    }

    function _rlpListHeader(uint256 len) private pure returns (bytes memory) {
        if (len < 56) return abi.encodePacked(uint8(0xc0 + len));
        return _longHeader(0xf7, len);
    }

    function _longHeader(uint256 base, uint256 len) private pure returns (bytes memory h) {
        uint256 l = 0;
        for (uint256 v = len; v != 0; v >>= 8) l++;
        h = abi.encodePacked(uint8(base + l));
        for (uint256 i = l; i > 0; i--) h = abi.encodePacked(h, uint8(len >> (8 * (i - 1))));
    }

    // ------------------------------------------------------------------------------------
    // frames
    // ------------------------------------------------------------------------------------

    /// @dev A frame of `code` with `gas`; the caller fills in the rest, then calls `_enter`.
    function _frame(bytes memory code, uint256 gas, bytes memory jumpdests) private pure returns (Frame memory f) {
        f.code = code;
        f.gas = gas;
        uint256 stack;
        assembly {
            stack := mload(0x40)
            mstore(0x40, add(stack, 0x200))
        }
        f.stack = stack;
        f.stackCap = 16; // grows by doubling: a frame's memory is never reused, so start small
        f.jumpdests = jumpdests;
    }

    /// @dev `a`'s jump-destination map, analysed once per code (a contract called 50 times in a
    ///      DvP batch is analysed once, not 50 times).
    function _jdOf(Acc memory a) private pure returns (bytes memory) {
        if (a.jd.length != a.code.length) a.jd = _jumpdests(a.code);
        return a.jd;
    }

    /// @dev process_message's start: snapshot, the new account of a creation, the value transfer.
    function _enter(Env memory e, Frame memory f, uint256 transfer) private pure {
        _countFrame(e);
        f.snap = e.journal;
        Acc memory target = _acc(e, f.self);
        if (f.isCreate == 1) {
            // the address's storage is empty here: a non-empty one collides
            _set(e, _ptr(target) + F_CREATED, 1);
            _setNonce(e, target, 1);
        }
        _set(e, _ptr(target) + F_TOUCHED, 1);
        if (transfer != 0) _transfer(e, _acc(e, f.caller), target, transfer);
    }

    function _jumpdests(bytes memory code) private pure returns (bytes memory jd) {
        uint256 n = code.length;
        jd = new bytes(n);
        assembly {
            let c := add(code, 0x20)
            let j := add(jd, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let op := byte(0, mload(add(c, i)))
                if eq(op, 0x5b) { mstore8(add(j, i), 1) }
                if and(gt(op, 0x5f), lt(op, 0x80)) { i := add(i, sub(op, 0x5f)) }
            }
        }
    }

    /// @dev Runs frames until the top one halts: (success, gas left).
    function _run(Env memory e, Frame memory f) private view returns (bool, uint256) {
        while (true) {
            // frames travel as pointers: a `Frame memory` return value would allocate a zeroed
            // frame at every call of the function, ~5 kB of L1 memory per EVM call
            (uint256 halt, uint256 child, bytes memory out) = _exec(e, f);
            if (halt == HALT_CAP) return (false, 0);
            if (halt == HALT_PAUSE) _pause(e, f);
            if (halt == SPAWN) {
                assembly {
                    f := child
                }
                continue;
            }
            if (halt == HALT_NONE) continue; // a system operation that stays in the frame
            _countMem(e, f); // memory never shrinks: the frame's largest
            if (halt == HALT_OK && f.isCreate == 1) {
                uint256 deposit = out.length * 200;
                if ((out.length != 0 && out[0] == 0xef) || out.length > 24576 || deposit > f.gas) {
                    halt = HALT_ERROR;
                } else {
                    f.gas -= deposit;
                    Acc memory c = _acc(e, f.self);
                    _set(e, _ptr(c) + F_CODE, _bytesPtr(out));
                    _set(e, _ptr(c) + F_CODEHASH, uint256(keccak256(out)));
                    c.jd = ""; // analysed afresh at its first call
                    out = "";
                }
            }
            if (halt == HALT_ERROR) {
                f.gas = 0;
                out = "";
            }
            if (halt != HALT_OK) _revertTo(e, f.snap);
            if (f.parent == 0) return (halt == HALT_OK, f.gas);
            Frame memory p = f; // re-pointed below: no allocation
            uint256 pp = f.parent;
            assembly {
                p := pp
            }
            p.gas += f.gas;
            p.ret = out;
            if (f.isCreate == 1) {
                _push(p, halt == HALT_OK ? uint160(f.self) : 0);
            } else {
                _push(p, halt == HALT_OK ? 1 : 0);
                uint256 len = out.length < f.outLen ? out.length : f.outLen;
                uint256 dst = p.mem + f.outOff;
                assembly {
                    mcopy(dst, add(out, 0x20), len)
                }
            }
            f = p;
        }
        return (false, 0);
    }

    function _bytesPtr(bytes memory b) private pure returns (uint256 p) {
        assembly {
            p := b
        }
    }

    // ------------------------------------------------------------------------------------
    // stack, memory, gas
    // ------------------------------------------------------------------------------------

    function _pop(Frame memory f) private pure returns (uint256 v) {
        assembly {
            let sp := sub(mload(add(f, 0x120)), 1)
            mstore(add(f, 0x120), sp)
            v := mload(add(mload(add(f, 0x100)), shl(5, sp)))
        }
    }

    function _push(Frame memory f, uint256 v) private pure {
        assembly {
            let sp := mload(add(f, 0x120))
            let cap := mload(add(f, 0x140))
            if eq(sp, cap) {
                let n := mload(0x40)
                mstore(0x40, add(n, shl(6, cap)))
                mcopy(n, mload(add(f, 0x100)), shl(5, cap))
                mstore(add(f, 0x100), n)
                mstore(add(f, 0x140), shl(1, cap))
            }
            mstore(add(mload(add(f, 0x100)), shl(5, sp)), v)
            mstore(add(f, 0x120), add(sp, 1))
        }
    }

    /// @dev Pointer to the stack item `i` from the top (0 = top).
    function _peekPtr(Frame memory f, uint256 i) private pure returns (uint256 p) {
        assembly {
            p := add(mload(add(f, 0x100)), shl(5, sub(sub(mload(add(f, 0x120)), 1), i)))
        }
    }

    function _use(Frame memory f, uint256 g) private pure returns (bool) {
        if (g > f.gas) return false;
        f.gas -= g;
        return true;
    }

    /// @dev Memory expansion cost of touching [off, off+len) (0 if len is 0), or max on overflow.
    function _memCost(Frame memory f, uint256 off, uint256 len) private pure returns (uint256) {
        if (len == 0) return 0;
        if (off > 0xffffffffff || len > 0xffffffffff) return type(uint256).max;
        uint256 words = (off + len + 31) / 32;
        uint256 old = f.msize / 32;
        if (words <= old) return 0;
        return (3 * words + words * words / 512) - (3 * old + old * old / 512);
    }

    /// @dev Grows the frame's memory to cover [off, off+len) (its cost already charged).
    function _memGrow(Frame memory f, uint256 off, uint256 len) private pure {
        if (len == 0) return;
        uint256 size = ((off + len + 31) / 32) * 32;
        if (size <= f.msize) return;
        if (size > f.memCap) {
            uint256 cap = f.memCap * 2;
            if (cap < size) cap = size;
            uint256 n;
            uint256 old = f.mem;
            uint256 oldSize = f.msize;
            assembly {
                n := mload(0x40)
                mstore(0x40, add(n, cap))
                mcopy(n, old, oldSize)
                calldatacopy(add(n, oldSize), calldatasize(), sub(cap, oldSize))
            }
            f.mem = n;
            f.memCap = cap;
        }
        f.msize = size;
    }

    /// @dev Charges the expansion for [off, off+len) and grows memory (py-evm's extend_memory);
    ///      false = out of gas, memory unchanged.
    function _ext(Env memory e, Frame memory f, uint256 off, uint256 len) private pure returns (bool) {
        return _useMem(e, f, 0, off, len);
    }

    /// @dev Charges `g` plus the expansion for [off, off+len) and grows memory; false = out of gas.
    function _useMem(Env memory e, Frame memory f, uint256 g, uint256 off, uint256 len) private pure returns (bool) {
        uint256 c = _memCost(f, off, len);
        if (c == type(uint256).max || c + g > f.gas) return false;
        f.gas -= c + g;
        if (c != 0 && e.memBytes + ((off + len + 31) / 32) * 32 - f.memCounted > e.caps.maxMemoryBytes) {
            // this growth passes the memory cap: the transaction fails at the cap (so the frame's
            // failure here changes nothing), before the step allocates or copies that memory
            e.capHit = 1;
            return false;
        }
        _memGrow(f, off, len);
        return true;
    }

    function _copyOut(Frame memory f, uint256 dst, bytes memory src, uint256 srcOff, uint256 len) private pure {
        // copies src[srcOff:srcOff+len] into memory at dst, zero-padding past src's end
        if (len == 0) return;
        uint256 d = f.mem + dst;
        uint256 avail = srcOff < src.length ? src.length - srcOff : 0;
        uint256 n = avail < len ? avail : len;
        assembly {
            mcopy(d, add(add(src, 0x20), srcOff), n)
            calldatacopy(add(d, n), calldatasize(), sub(len, n))
        }
    }

    /// @dev `len` bytes at `src` as a `bytes` in the frame's reusable buffer `which` (F_INBUF,
    ///      F_OUTBUF). A call's input lives only as long as the callee (the caller waits) and a
    ///      precompile's output only until the frame's next call, so one buffer per frame serves
    ///      them all: a loop of calls with large inputs costs no L1 memory per call.
    function _reuse(Frame memory f, uint256 which, uint256 src, uint256 len) private pure returns (bytes memory b) {
        if (len == 0) return b;
        uint256 slot = _framePtr(f) + which;
        uint256 buf = _w(slot, 0);
        uint256 cap = _w(slot, 1);
        if (cap < len) {
            cap = len > 2 * cap ? len : 2 * cap;
            assembly {
                buf := mload(0x40)
                mstore(0x40, add(buf, add(0x20, and(add(cap, 31), not(31)))))
            }
            _sw(slot, 0, buf);
            _sw(slot, 1, cap);
        }
        assembly {
            mstore(buf, len)
            mcopy(add(buf, 0x20), src, len)
            b := buf
        }
    }

    function _memSlice(Frame memory f, uint256 off, uint256 len) private pure returns (bytes memory b) {
        b = new bytes(len);
        if (len == 0) return b;
        uint256 s = f.mem + off;
        assembly {
            mcopy(add(b, 0x20), s, len)
        }
    }

    // ------------------------------------------------------------------------------------
    // the interpreter loop
    // ------------------------------------------------------------------------------------

    /// @dev Executes `f` until it halts (HALT_*, output) or starts a child frame (SPAWN, child).
    function _exec(Env memory e, Frame memory f) private view returns (uint256, uint256, bytes memory) {
        bytes memory code = f.code;
        while (true) {
            uint256 pc = f.pc;
            // every dispatch counts, a failing one and the STOP past the end of the code included
            if (f.msize != f.memCounted) _countMem(e, f);
            if (e.ops >= e.stopAt) return (HALT_PAUSE, 0, "");
            if (++e.ops > e.caps.maxOpcodes || e.capHit != 0) {
                e.capHit = 1;
                return (HALT_CAP, 0, "");
            }
            if (pc >= code.length) return (HALT_OK, 0, "");
            uint256 op = uint8(code[pc]);
            if (!_admit(e, f, op)) return (HALT_ERROR, 0, "");
            f.pc = pc + 1;
            if (op >= 0x60 && op < 0x80) {
                uint256 n = op - 0x5f;
                uint256 v;
                uint256 pcv = pc;
                assembly {
                    v := shr(sub(256, shl(3, n)), mload(add(add(code, 0x21), pcv)))
                }
                if (pc + 1 + n > code.length) {
                    uint256 missing = pc + 1 + n - code.length;
                    v = missing >= 32 ? 0 : (v >> (8 * missing)) << (8 * missing);
                }
                _push(f, v);
                f.pc = pc + 1 + n;
                continue;
            }
            if (op >= 0x80 && op < 0x90) {
                _push(f, _w(_peekPtr(f, op - 0x80), 0));
                continue;
            }
            if (op >= 0x90 && op < 0xa0) {
                uint256 a = _peekPtr(f, 0);
                uint256 b = _peekPtr(f, op - 0x8f);
                assembly {
                    let t := mload(a)
                    mstore(a, mload(b))
                    mstore(b, t)
                }
                continue;
            }
            uint256 halt;
            if (op < 0x20) {
                halt = _arith(f, op);
            } else if (op < 0x50) {
                halt = _env(e, f, op);
            } else if (op < 0x60) {
                halt = _flow(e, f, op);
            } else if (op < 0xf0) {
                halt = _log(e, f, op);
            } else {
                return _system(e, f, op); // HALT_NONE goes back to the loop in `_run`
            }
            if (halt != HALT_NONE) return (halt, 0, "");
        }
        return (HALT_ERROR, 0, "");
    }

    /// @dev Defined opcode, stack bounds and the constant gas; false = exceptional halt.
    function _admit(Env memory e, Frame memory f, uint256 op) private pure returns (bool) {
        bytes memory tin = e.stackIn;
        bytes memory tout = e.stackOut;
        bytes memory tgas = e.staticGas;
        uint256 sin;
        uint256 sout;
        uint256 g;
        assembly {
            sin := byte(0, mload(add(add(tin, 0x20), op)))
            sout := byte(0, mload(add(add(tout, 0x20), op)))
            g := byte(0, mload(add(add(tgas, 0x20), op)))
        }
        if (sin == 0xff || f.sp < sin || f.sp - sin + sout > 1024) return false;
        return _use(f, g);
    }

    function _arith(Frame memory f, uint256 op) private pure returns (uint256) {
        if (op == 0x00) return HALT_OK;
        if (op == 0x15) {
            uint256 p = _peekPtr(f, 0);
            _sw(p, 0, _w(p, 0) == 0 ? 1 : 0);
            return HALT_NONE;
        }
        if (op == 0x19) {
            uint256 p = _peekPtr(f, 0);
            _sw(p, 0, ~_w(p, 0));
            return HALT_NONE;
        }
        uint256 a = _pop(f);
        uint256 b = _pop(f);
        uint256 r;
        unchecked {
            if (op == 0x01) r = a + b;
            else if (op == 0x02) r = a * b;
            else if (op == 0x03) r = a - b;
            else if (op == 0x04) r = b == 0 ? 0 : a / b;
            else if (op == 0x05) {
                assembly {
                    r := sdiv(a, b)
                }
            } else if (op == 0x06) r = b == 0 ? 0 : a % b;
            else if (op == 0x07) {
                assembly {
                    r := smod(a, b)
                }
            } else if (op == 0x08) {
                uint256 n = _pop(f);
                r = n == 0 ? 0 : addmod(a, b, n);
            } else if (op == 0x09) {
                uint256 n = _pop(f);
                r = n == 0 ? 0 : mulmod(a, b, n);
            } else if (op == 0x0a) {
                uint256 bytesLen = 0;
                for (uint256 v = b; v != 0; v >>= 8) bytesLen++;
                if (!_use(f, 50 * bytesLen)) return HALT_ERROR;
                assembly {
                    r := exp(a, b)
                }
            } else if (op == 0x0b) {
                assembly {
                    r := signextend(a, b)
                }
            } else if (op == 0x10) r = a < b ? 1 : 0;
            else if (op == 0x11) r = a > b ? 1 : 0;
            else if (op == 0x12) r = int256(a) < int256(b) ? 1 : 0;
            else if (op == 0x13) r = int256(a) > int256(b) ? 1 : 0;
            else if (op == 0x14) r = a == b ? 1 : 0;
            else if (op == 0x16) r = a & b;
            else if (op == 0x17) r = a | b;
            else if (op == 0x18) r = a ^ b;
            else if (op == 0x1a) {
                assembly {
                    r := byte(a, b)
                }
            } else if (op == 0x1b) {
                assembly {
                    r := shl(a, b)
                }
            } else if (op == 0x1c) {
                assembly {
                    r := shr(a, b)
                }
            } else if (op == 0x1d) {
                assembly {
                    r := sar(a, b)
                }
            }
        }
        _push(f, r);
        return HALT_NONE;
    }

    function _accessCost(Env memory e, address a) private pure returns (uint256) {
        return _warmAccount(e, a) ? 100 : 2600;
    }

    function _env(Env memory e, Frame memory f, uint256 op) private pure returns (uint256) {
        if (op == 0x20) {
            uint256 off = _pop(f);
            uint256 len = _pop(f);
            if (len > MAX_LEN || !_ext(e, f, off, len) || !_use(f, 6 * ((len + 31) / 32))) return HALT_ERROR;
            bytes32 h;
            uint256 s = f.mem + off;
            assembly {
                h := keccak256(s, len)
            }
            _push(f, uint256(h));
            return HALT_NONE;
        }
        if (op == 0x30) _push(f, uint160(f.self));
        else if (op == 0x31 || op == 0x3b || op == 0x3f) {
            address a = address(uint160(_pop(f)));
            if (!_use(f, _accessCost(e, a))) return HALT_ERROR;
            Acc memory acc = _acc(e, a);
            if (op == 0x31) _push(f, acc.balance);
            else if (op == 0x3b) _push(f, _code(e, acc).length);
            else _push(f, (acc.exists == 0 || _isEmpty(acc)) ? 0 : uint256(acc.codeHash == 0 ? EMPTY_CODE_HASH : acc.codeHash));
        } else if (op == 0x32) _push(f, uint160(e.origin));
        else if (op == 0x33) _push(f, uint160(f.caller));
        else if (op == 0x34) _push(f, f.value);
        else if (op == 0x35) {
            uint256 off = _pop(f);
            bytes memory inp = f.input;
            uint256 v = 0;
            if (off < inp.length) {
                assembly {
                    v := mload(add(add(inp, 0x20), off))
                }
                uint256 avail = inp.length - off;
                if (avail < 32) v = (v >> (8 * (32 - avail))) << (8 * (32 - avail));
            }
            _push(f, v);
        } else if (op == 0x36) _push(f, f.input.length);
        else if (op == 0x37 || op == 0x39 || op == 0x3e) {
            uint256 dst = _pop(f);
            uint256 src = _pop(f);
            uint256 len = _pop(f);
            bytes memory from = op == 0x37 ? f.input : (op == 0x39 ? f.code : f.ret);
            if (len > MAX_LEN) return HALT_ERROR;
            if (op == 0x3e && (src > type(uint128).max || src + len > from.length)) return HALT_ERROR;
            if (!_ext(e, f, dst, len) || !_use(f, 3 * ((len + 31) / 32))) return HALT_ERROR;
            _copyOut(f, dst, from, src > type(uint128).max ? type(uint128).max : src, len);
        } else if (op == 0x38) _push(f, f.code.length);
        else if (op == 0x3a) _push(f, e.gasPrice);
        else if (op == 0x3c) {
            address a = address(uint160(_pop(f)));
            uint256 dst = _pop(f);
            uint256 src = _pop(f);
            uint256 len = _pop(f);
            // py-evm's order (what it reads and counts): memory, the code, the words, the access
            if (len > MAX_LEN || !_ext(e, f, dst, len)) return HALT_ERROR;
            bytes memory xcode = _code(e, _acc(e, a));
            if (!_use(f, 3 * ((len + 31) / 32)) || !_use(f, _accessCost(e, a))) return HALT_ERROR;
            _copyOut(f, dst, xcode, src > type(uint128).max ? type(uint128).max : src, len);
        } else if (op == 0x3d) _push(f, f.ret.length);
        else if (op == 0x40) {
            uint256 n = _pop(f);
            uint256 num = e.ctx.number;
            if (n >= num || num - n > 256) {
                _push(f, 0);
            } else {
                uint256 idx = num - 1 - n;
                if (idx >= e.ctx.blockHashes.length) revert MissingBlockHash(n);
                _push(f, uint256(e.ctx.blockHashes[idx]));
            }
        } else if (op == 0x41) _push(f, uint160(e.ctx.coinbase));
        else if (op == 0x42) _push(f, e.ctx.timestamp);
        else if (op == 0x43) _push(f, e.ctx.number);
        else if (op == 0x44) _push(f, uint256(e.ctx.prevRandao));
        else if (op == 0x45) _push(f, e.ctx.gasLimit);
        else if (op == 0x46) _push(f, e.ctx.chainId);
        else if (op == 0x47) _push(f, _acc(e, f.self).balance);
        else if (op == 0x48) _push(f, e.ctx.baseFee);
        else if (op == 0x49) {
            _pop(f);
            _push(f, 0); // the L2 carries no blobs
        } else if (op == 0x4a) _push(f, 1); // excess blob gas is always 0 on the L2: MIN_BLOB_BASE_FEE
        return HALT_NONE;
    }

    function _flow(Env memory e, Frame memory f, uint256 op) private pure returns (uint256) {
        if (op == 0x50) {
            _pop(f);
        } else if (op == 0x51) {
            uint256 off = _pop(f);
            if (!_useMem(e, f, 0, off, 32)) return HALT_ERROR;
            _push(f, _w(f.mem + off, 0));
        } else if (op == 0x52) {
            uint256 off = _pop(f);
            uint256 v = _pop(f);
            if (!_useMem(e, f, 0, off, 32)) return HALT_ERROR;
            _sw(f.mem + off, 0, v);
        } else if (op == 0x53) {
            uint256 off = _pop(f);
            uint256 v = _pop(f);
            if (!_useMem(e, f, 0, off, 1)) return HALT_ERROR;
            uint256 p = f.mem + off;
            assembly {
                mstore8(p, v)
            }
        } else if (op == 0x54) {
            (bool warm, uint256 w) = _warmSlot(e, f.self, bytes32(_pop(f)));
            if (!_use(f, warm ? 100 : 2100)) return HALT_ERROR;
            _push(f, _w(_slotOf(e, f, w), 3));
        } else if (op == 0x55) {
            return _sstore(e, f);
        } else if (op == 0x56 || op == 0x57) {
            uint256 dest = _pop(f);
            uint256 cond = op == 0x57 ? _pop(f) : 1;
            if (cond != 0) {
                if (dest >= f.jumpdests.length || f.jumpdests[dest] == 0) return HALT_ERROR;
                f.pc = dest;
            }
        } else if (op == 0x58) _push(f, f.pc - 1);
        else if (op == 0x59) _push(f, f.msize);
        else if (op == 0x5a) _push(f, f.gas);
        else if (op == 0x5c) {
            _push(f, _w(_tslot(e, f.self, bytes32(_pop(f)), false), 3));
        } else if (op == 0x5d) {
            if (f.isStatic == 1) return HALT_ERROR;
            bytes32 key = bytes32(_pop(f));
            uint256 v = _pop(f);
            _set(e, _tslot(e, f.self, key, true) + 0x60, v);
        } else if (op == 0x5e) {
            uint256 dst = _pop(f);
            uint256 src = _pop(f);
            uint256 len = _pop(f);
            uint256 hi = dst > src ? dst : src;
            if (len > MAX_LEN || !_ext(e, f, hi, len) || !_use(f, 3 * ((len + 31) / 32))) return HALT_ERROR;
            if (len != 0) {
                uint256 m = f.mem;
                assembly {
                    mcopy(add(m, dst), add(m, src), len)
                }
            }
        } else if (op == 0x5f) _push(f, 0);
        return HALT_NONE;
    }

    /// @dev The transient slot node [next, addr, key, value]; created (journaled) if `create`.
    ///      Nodes hang from 1,024 buckets (allocated at the first TSTORE): the opcode cap allows
    ///      ~83,000 distinct keys, which one list would make quadratic in L1 gas.
    function _tslot(Env memory e, address a, bytes32 key, bool create) private pure returns (uint256 p) {
        uint256 table = e.tstore;
        uint256 bucket;
        assembly {
            mstore(0, a)
            mstore(0x20, key)
            bucket := add(table, shl(5, and(keccak256(0, 0x40), 0x3ff)))
        }
        if (table != 0) {
            for (p = _w(bucket, 0); p != 0; p = _w(p, 0)) {
                if (address(uint160(_w(p, 1))) == a && bytes32(_w(p, 2)) == key) return p;
            }
        }
        if (!create) return _node6(0, 0, 0, 0, 0, 0);
        if (table == 0) {
            assembly {
                table := mload(0x40)
                mstore(0x40, add(table, 0x8000))
                calldatacopy(table, calldatasize(), 0x8000)
            }
            e.tstore = table;
            bucket += table; // the offset computed above, now in the table
        }
        // linked without a journal entry: a node whose value is 0 reads as an absent key, and the
        // value itself is journaled, so a revert leaves an equivalent table
        p = _node3(_w(bucket, 0), uint160(a), uint256(key));
        assembly {
            mstore(add(p, 0x60), 0) // the fourth word: the value
            mstore(0x40, add(p, 0x80))
            mstore(bucket, p)
        }
    }

    /// @dev SSTORE: EIP-2200/2929/3529 gas and refunds.
    function _sstore(Env memory e, Frame memory f) private pure returns (uint256) {
        bytes32 key = bytes32(_pop(f));
        uint256 v = _pop(f);
        if (f.isStatic == 1 || f.gas <= 2300) return HALT_ERROR;
        (bool warm, uint256 w) = _warmSlot(e, f.self, key);
        uint256 cost = warm ? 0 : 2100;
        uint256 p = _slotOf(e, f, w);
        uint256 orig = _w(p, 2);
        uint256 cur = _w(p, 3);
        if (orig == cur && cur != v) cost += orig == 0 ? 20000 : 2900;
        else cost += 100;
        if (!_use(f, cost)) return HALT_ERROR;
        if (cur != v) {
            int256 r = 0;
            if (orig != 0 && cur != 0 && v == 0) r += 4800;
            if (orig != 0 && cur == 0) r -= 4800;
            if (orig == v) r += orig == 0 ? int256(19900) : int256(2800);
            if (r != 0) _set(e, _eptr(e) + E_REFUND, uint256(int256(e.refund) + r));
            _set(e, p + 0x60, v);
        }
        return HALT_NONE;
    }

    function _log(Env memory e, Frame memory f, uint256 op) private view returns (uint256) {
        if (op < 0xa0 || op > 0xa4) return HALT_ERROR;
        uint256 topics = op - 0xa0;
        uint256 off = _pop(f);
        uint256 len = _pop(f);
        if (f.isStatic == 1 || len > MAX_LEN || !_use(f, 375 + 375 * topics + 8 * len) || !_ext(e, f, off, len)) {
            return HALT_ERROR;
        }
        bytes memory ts;
        for (uint256 i = 0; i < topics; i++) {
            ts = abi.encodePacked(ts, bytes32(_pop(f)));
        }
        bytes memory item = EVMTx(txLib).logItem(f.self, ts, _memSlice(f, off, len));
        _set(e, _eptr(e) + E_LOGS, _node3(e.logs, _bytesPtr(item), 0));
        return HALT_NONE;
    }

    // ------------------------------------------------------------------------------------
    // system operations: CREATE, CALL family, RETURN, REVERT, SELFDESTRUCT
    // ------------------------------------------------------------------------------------

    function _system(Env memory e, Frame memory f, uint256 op) private view returns (uint256, uint256, bytes memory) {
        if (op == 0xf3 || op == 0xfd) {
            uint256 off = _pop(f);
            uint256 len = _pop(f);
            if (!_useMem(e, f, 0, off, len)) return (HALT_ERROR, 0, "");
            return (op == 0xf3 ? HALT_OK : HALT_REVERT, 0, _memSlice(f, off, len));
        }
        if (op == 0xf0 || op == 0xf5) return _create(e, f, op);
        if (op == 0xf1 || op == 0xf2 || op == 0xf4 || op == 0xfa) return _call(e, f, op);
        if (op == 0xff) return (_selfdestruct(e, f), 0, "");
        return (HALT_ERROR, 0, "");
    }

    function _selfdestruct(Env memory e, Frame memory f) private pure returns (uint256) {
        address b = address(uint160(_pop(f)));
        // py-evm's order (what it reads decides the witness): static, 5000, cold, then the read
        if (f.isStatic == 1 || !_use(f, 5000)) return HALT_ERROR;
        if (!_warmAccount(e, b) && !_use(f, 2600)) return HALT_ERROR;
        Acc memory ben = _acc(e, b);
        Acc memory me = _acc(e, f.self);
        if (!_alive(ben) && me.balance != 0 && !_use(f, 25000)) return HALT_ERROR;
        uint256 bal = me.balance;
        _setBalance(e, me, 0);
        _setBalance(e, ben, ben.balance + bal);
        if (me.created == 1) {
            _setBalance(e, me, 0);
            _set(e, _ptr(me) + F_DESTRUCTED, 1);
        }
        return HALT_OK;
    }

    function _create(Env memory e, Frame memory f, uint256 op) private view returns (uint256, uint256, bytes memory) {
        (bool ok, uint256 value, bytes memory init, address addr) = _createArgs(e, f, op);
        if (!ok) {
            return (HALT_ERROR, 0, "");
        }
        return _createAt(e, f, value, init, addr);
    }

    function _createArgs(Env memory e, Frame memory f, uint256 op)
        private
        view
        returns (bool, uint256 value, bytes memory init, address addr)
    {
        value = _pop(f);
        uint256 off = _pop(f);
        uint256 len = _pop(f);
        bytes32 salt = op == 0xf5 ? bytes32(_pop(f)) : bytes32(0);
        if (len > 0xffffffff) return (false, 0, init, addr);
        if (!_use(f, 32000 + (op == 0xf5 ? 8 : 2) * ((len + 31) / 32)) || !_ext(e, f, off, len)) {
            return (false, 0, init, addr);
        }
        init = _memSlice(f, off, len);
        addr = _newAddress(e, f, op, salt, init);
        return (true, value, init, addr);
    }

    function _newAddress(Env memory e, Frame memory f, uint256 op, bytes32 salt, bytes memory init)
        private
        view
        returns (address)
    {
        if (op == 0xf5) {
            return address(uint160(uint256(keccak256(abi.encodePacked(uint8(0xff), f.self, salt, keccak256(init))))));
        }
        return EVMTx(txLib).createAddress(f.self, _acc(e, f.self).nonce);
    }

    /// @dev generic_create: the 63/64 gas, the checks that push 0, collision, the child frame.
    function _createAt(Env memory e, Frame memory f, uint256 value, bytes memory init, address addr)
        private
        pure
        returns (uint256, uint256, bytes memory)
    {
        uint256 childGas = f.gas - f.gas / 64;
        f.gas -= childGas;
        if (f.isStatic == 1) return (HALT_ERROR, 0, "");
        f.ret = "";
        Acc memory me = _acc(e, f.self);
        if (me.balance < value || me.nonce == type(uint64).max || f.depth + 1 > 1024) {
            f.gas += childGas;
            _push(f, 0);
            return (HALT_NONE, 0, "");
        }
        _warmAccount(e, addr);
        Acc memory c = _acc(e, addr);
        _setNonce(e, me, me.nonce + 1);
        if (_collides(c)) {
            _push(f, 0);
            return (HALT_NONE, 0, "");
        }
        if (init.length > 49152) return (HALT_ERROR, 0, ""); // EIP-3860, checked where py-evm does
        _countBytes(e, init.length);
        Frame memory child = _frame(init, childGas, _jumpdests(init));
        child.caller = f.self;
        child.self = addr;
        child.value = value;
        child.isCreate = 1;
        child.parent = _framePtr(f);
        child.depth = f.depth + 1;
        _enter(e, child, value);
        return (SPAWN, _framePtr(child), "");
    }

    function _framePtr(Frame memory f) private pure returns (uint256 p) {
        assembly {
            p := f
        }
    }

    struct CallArgs {
        uint256 op;
        uint256 gas;
        address to;
        uint256 value;
        uint256 inOff;
        uint256 inLen;
        uint256 outOff;
        uint256 outLen;
        uint256 childGas;
    }

    function _call(Env memory e, Frame memory f, uint256 op) private view returns (uint256, uint256, bytes memory) {
        CallArgs memory c;
        c.op = op;
        c.gas = _pop(f);
        c.to = address(uint160(_pop(f)));
        c.value = (op == 0xf1 || op == 0xf2) ? _pop(f) : 0;
        c.inOff = _pop(f);
        c.inLen = _pop(f);
        c.outOff = _pop(f);
        c.outLen = _pop(f);
        // EIP-214: only CALL may not carry value in a static frame (CALLCODE may), checked on the pops
        if (op == 0xf1 && f.isStatic == 1 && c.value != 0) return (HALT_ERROR, 0, "");
        if (!_callGas(e, f, c)) return (HALT_ERROR, 0, "");
        f.ret = "";
        Acc memory me = _acc(e, f.self);
        if (me.balance < c.value || f.depth + 1 > 1024) {
            f.gas += c.childGas;
            _push(f, 0);
            return (HALT_NONE, 0, "");
        }
        if (_isPrecompile(c.to)) {
            _callPrecompile(e, f, c);
            return (HALT_NONE, 0, "");
        }
        Acc memory callee = _acc(e, c.to); // read and counted in _callGas
        _checkDelegation(callee.code);
        Frame memory child = _frame(callee.code, c.childGas, _jdOf(callee));
        child.caller = op == 0xf4 ? f.caller : f.self;
        child.self = (op == 0xf1 || op == 0xfa) ? c.to : f.self;
        child.value = op == 0xf4 ? f.value : c.value; // DELEGATECALL: no transfer, CALLVALUE is the caller's
        child.input = _reuse(f, F_INBUF, f.mem + c.inOff, c.inLen);
        child.parent = _framePtr(f);
        child.depth = f.depth + 1;
        child.isStatic = (op == 0xfa || f.isStatic == 1) ? 1 : 0;
        _enter(e, child, op == 0xf4 ? 0 : c.value);
        child.outOff = c.outOff;
        child.outLen = c.outLen;
        return (SPAWN, _framePtr(child), "");
    }

    /// @dev Charges the CALL's gas (access, new account, value, memory, the 63/64 cap) and sets
    ///      `c.childGas` (with the stipend); false = out of gas.
    function _callGas(Env memory e, Frame memory f, CallArgs memory c) private pure returns (bool) {
        // py-evm's order (what it reads and counts): input memory, output memory (each grown once
        // paid), the access (warm), the callee's code, then the value and new-account gas
        if (!_ext(e, f, c.inOff, c.inLen) || !_ext(e, f, c.outOff, c.outLen)) return false;
        if (!_use(f, _accessCost(e, c.to))) return false;
        Acc memory target = _acc(e, c.to);
        _code(e, target);
        uint256 extra = 0;
        if (c.op == 0xf1 && c.value != 0 && !_alive(target)) extra += 25000;
        if (c.value != 0) extra += 9000;
        if (f.gas < extra) return false;
        uint256 avail = f.gas - extra;
        uint256 gas = c.gas;
        if (gas > avail - avail / 64) gas = avail - avail / 64;
        f.gas -= gas + extra;
        c.childGas = gas + (c.value == 0 ? 0 : 2300);
        return true;
    }

    function _callPrecompile(Env memory e, Frame memory f, CallArgs memory c) private view {
        _countFrame(e);
        uint256 snap = e.journal;
        address self = (c.op == 0xf1 || c.op == 0xfa) ? c.to : f.self;
        Acc memory dst = _acc(e, self);
        _set(e, _ptr(dst) + F_TOUCHED, 1);
        if (c.op != 0xf4 && c.value != 0) _transfer(e, _acc(e, f.self), dst, c.value);
        bytes memory input = _reuse(f, F_INBUF, f.mem + c.inOff, c.inLen);
        uint256 mark;
        assembly {
            mark := mload(0x40)
        }
        (bool ok, uint256 left, bytes memory out) = _precompile(e, c.to, input, c.childGas);
        assembly {
            mstore(0x40, mark) // the call's temporaries (its output's copy too) are dropped
        }
        if (!ok) _revertTo(e, snap);
        f.gas += left;
        out = _reuse(f, F_OUTBUF, _bytesPtr(out) + 0x20, out.length); // moves down: memmove-safe
        f.ret = out;
        _push(f, ok ? 1 : 0);
        _copyOut(f, c.outOff, out, 0, out.length < c.outLen ? out.length : c.outLen);
    }
}
