// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {NodeSet} from "./NodeSet.sol";
import {PatriciaTrie} from "./PatriciaTrie.sol";
import {StepTypes} from "./StepTypes.sol";

/// @title WitnessDB
/// @notice The trie side of the one-step proof (docs/fault-proofs.md, "WitnessDB"): `load` proves
///         the witnessed accounts, slots and codes against the agreed pre-state root and returns
///         them as a flat `StepTypes.PreState`; `commit` writes a `StepTypes.PostState`'s diffs
///         back into the state and storage tries and returns the post-state root. Both read one
///         node set: the state trie's and every storage trie's nodes together, looked up by hash.
///
///         Accounts are RLP [nonce, balance, storageRoot, codeHash] under keccak256(address);
///         slots are RLP(value, big-endian without leading zeros) under keccak256(slot), absent =
///         0. `commit` applies, per storage trie, the slot writes before the slot deletes, and in
///         the state trie the account writes before the account deletes: with deletes last, the
///         nodes a delete needs do not depend on the order of the diffs (see `prover/trie_witness.py`).
library WitnessDB {
    /// @notice What the prover says the transaction reads: an account (by address, strictly
    ///         ascending), its code (empty for an absent account), and the slots of its storage
    ///         (strictly ascending). Values come out of the tries, never from the prover.
    struct AccountWitness {
        address addr;
        bytes code;
        bytes32[] slots;
    }

    /// @notice The same account witnessed twice.
    error DuplicateWitness(address addr);
    /// @notice Accounts not in strictly ascending order of address.
    error UnsortedWitness(address addr);
    /// @notice The same slot witnessed twice for one account.
    error DuplicateSlotWitness(address addr, bytes32 slot);
    /// @notice Slots of an account not in strictly ascending order.
    error UnsortedSlotWitness(address addr, bytes32 slot);
    /// @notice The code given for an account does not hash to its codeHash (for an absent account:
    ///         code was given; `expected` is then 0).
    error WrongCodeHash(address addr, bytes32 expected, bytes32 actual);
    /// @notice The state trie holds, under this address, a value that is not an account's RLP.
    error BadAccount(address addr);
    /// @notice A storage trie holds, under this slot, a value that is not a canonical RLP integer.
    error BadStorageValue(address addr, bytes32 slot);

    /// @notice Where a load in chunks stands (docs/fault-proofs.md, "Load and commit in chunks"):
    ///         `chain` hashes every account and slot loaded so far, in order (`accountLink`,
    ///         `slotLink`); the last account's fields let its slots continue in the next chunk.
    ///         Every progress is itself a loaded `PreState` (`preStateHash`).
    struct LoadProgress {
        bytes32 root; //            the pre-state root every chunk proves against
        bytes32 chain; //           0, then keccak(chain, link) per account and per slot
        uint256 accounts; //        accounts loaded so far
        address lastAddr; //        the last account loaded
        bool lastExists;
        bytes32 lastStorageRoot;
        uint256 lastSlots; //       its slots loaded so far
        bytes32 lastSlot; //        its last slot loaded
    }

    /// @notice Where a commit in chunks stands: the next operation (`account` < n: the writes of
    ///         diff `account`, at `position` 0 = its pre-state storage root, 1..m its slot writes,
    ///         m+1..2m its slot deletes, 2m+1 its account write; n <= `account` < 2n: the delete of
    ///         diff `account - n`, if deleted), and the roots so far. Done when `account` = 2n.
    struct CommitCursor {
        uint256 account;
        uint256 position;
        bytes32 stateRoot;
        bytes32 storageRoot;
    }

    /// @notice A continued account (the last of the previous chunk, its slots going on) came with code.
    error CodeInContinuedWitness(address addr);
    /// @notice The node set does not hold the pre-state root's node: a witness for another state.
    error WitnessForAnotherRoot(bytes32 preRoot);

    // ---- load --------------------------------------------------------------------------------

    /// @notice The witnessed pre-state, every value proven against `preRoot` from `nodes`.
    function load(bytes32 preRoot, bytes[] memory nodes, AccountWitness[] memory witnesses)
        internal
        pure
        returns (StepTypes.PreState memory)
    {
        return load(NodeSet.fromNodes(nodes, 0), preRoot, witnesses);
    }

    /// @notice `load` over a node set already built (so that `commit` can reuse it).
    function load(NodeSet.Set memory set, bytes32 preRoot, AccountWitness[] memory witnesses)
        internal
        pure
        returns (StepTypes.PreState memory pre)
    {
        LoadProgress memory progress;
        progress.root = preRoot;
        (, pre.accounts) = loadChunk(set, progress, witnesses);
        pre.root = preRoot;
    }

    /// @notice One chunk of a load: the accounts and slots of `witnesses` proven against
    ///         `from.root`, continuing `from` (its last account's slots continue if the first
    ///         witness has its address, with no code: that account is then returned with only the
    ///         new slots). Accounts strictly ascend across chunks, and slots within an account.
    function loadChunk(NodeSet.Set memory set, LoadProgress memory from, AccountWitness[] memory witnesses)
        internal
        pure
        returns (LoadProgress memory p, StepTypes.Account[] memory accounts)
    {
        p = from;
        if (p.accounts == 0 && witnesses.length != 0 && !NodeSet.contains(set, p.root)) {
            revert WitnessForAnotherRoot(p.root);
        }
        accounts = new StepTypes.Account[](witnesses.length);
        for (uint256 i = 0; i < witnesses.length; ++i) {
            AccountWitness memory w = witnesses[i];
            StepTypes.Account memory account;
            if (p.accounts != 0 && w.addr == p.lastAddr) {
                if (i != 0) revert DuplicateWitness(w.addr);
                if (w.code.length != 0) revert CodeInContinuedWitness(w.addr);
                (account.addr, account.exists, account.storageRoot) = (w.addr, p.lastExists, p.lastStorageRoot);
            } else {
                if (p.accounts != 0 && w.addr < p.lastAddr) revert UnsortedWitness(w.addr);
                account = _loadAccount(set, p.root, w);
                p.chain = keccak256(abi.encode(p.chain, accountLink(account)));
                (p.accounts, p.lastAddr, p.lastExists, p.lastStorageRoot) =
                    (p.accounts + 1, w.addr, account.exists, account.storageRoot);
                (p.lastSlots, p.lastSlot) = (0, 0);
            }
            account.slots = new StepTypes.Slot[](w.slots.length);
            for (uint256 j = 0; j < w.slots.length; ++j) {
                bytes32 key = w.slots[j];
                if (p.lastSlots != 0) {
                    if (key == p.lastSlot) revert DuplicateSlotWitness(w.addr, key);
                    if (key < p.lastSlot) revert UnsortedSlotWitness(w.addr, key);
                }
                bytes32 value;
                if (account.exists && account.storageRoot != PatriciaTrie.EMPTY_ROOT) {
                    bytes memory raw = PatriciaTrie.secureGet(set, account.storageRoot, abi.encodePacked(key));
                    if (raw.length != 0) value = _decodeStorageValue(w.addr, key, raw);
                }
                account.slots[j] = StepTypes.Slot(key, value);
                p.chain = keccak256(abi.encode(p.chain, key, value));
                (p.lastSlots, p.lastSlot) = (p.lastSlots + 1, key);
            }
            accounts[i] = account;
        }
    }

    /// @notice What the chain of a load binds of an account: every field, its code by hash.
    function accountLink(StepTypes.Account memory a) internal pure returns (bytes32) {
        return keccak256(abi.encode(a.addr, a.exists, a.nonce, a.balance, a.storageRoot, a.codeHash, keccak256(a.code)));
    }

    /// @notice The hash of the `LoadProgress` a load (in one chunk or many) of exactly `pre`
    ///         reaches: the key under which `OneStepProof` records a loaded `PreState`.
    function preStateHash(StepTypes.PreState memory pre) internal pure returns (bytes32) {
        LoadProgress memory p;
        p.root = pre.root;
        for (uint256 i = 0; i < pre.accounts.length; ++i) {
            StepTypes.Account memory a = pre.accounts[i];
            p.chain = keccak256(abi.encode(p.chain, accountLink(a)));
            for (uint256 j = 0; j < a.slots.length; ++j) {
                p.chain = keccak256(abi.encode(p.chain, a.slots[j].key, a.slots[j].value));
            }
            (p.accounts, p.lastAddr, p.lastExists, p.lastStorageRoot) = (i + 1, a.addr, a.exists, a.storageRoot);
            (p.lastSlots, p.lastSlot) = (a.slots.length, a.slots.length == 0 ? bytes32(0) : a.slots[a.slots.length - 1].key);
        }
        return keccak256(abi.encode(p));
    }

    function _loadAccount(NodeSet.Set memory set, bytes32 preRoot, AccountWitness memory w)
        private
        pure
        returns (StepTypes.Account memory account)
    {
        account.addr = w.addr;
        bytes memory encoded = PatriciaTrie.secureGet(set, preRoot, abi.encodePacked(w.addr));
        if (encoded.length != 0) {
            account.exists = true;
            (account.nonce, account.balance, account.storageRoot, account.codeHash) = decodeAccount(w.addr, encoded);
            bytes32 codeHash = keccak256(w.code);
            if (codeHash != account.codeHash) revert WrongCodeHash(w.addr, account.codeHash, codeHash);
            account.code = w.code;
        } else if (w.code.length != 0) {
            revert WrongCodeHash(w.addr, bytes32(0), keccak256(w.code));
        }
    }

    // ---- commit ------------------------------------------------------------------------------

    /// @notice The state root after applying `post`'s account diffs to the state at `preRoot`.
    function commit(bytes32 preRoot, bytes[] memory nodes, StepTypes.PostState memory post)
        internal
        pure
        returns (bytes32)
    {
        return commit(NodeSet.fromNodes(nodes, 0), preRoot, post);
    }

    /// @notice `commit` over a node set already built (e.g. the one `load` used).
    function commit(NodeSet.Set memory set, bytes32 preRoot, StepTypes.PostState memory post)
        internal
        pure
        returns (bytes32 root)
    {
        return commitChunk(set, preRoot, post, CommitCursor(0, 0, preRoot, 0), type(uint256).max).stateRoot;
    }

    /// @notice Up to `maxOps` trie operations of the commit of `post` at `preRoot` from cursor
    ///         `c`. Per diffed account: its pre-state storage root (or the empty root if
    ///         `storageReset`), its slot writes, then its slot deletes (value 0), then its account
    ///         RLP into the state trie; after every write, the `deleted` accounts. With deletes
    ///         last in each trie, the nodes a delete needs do not depend on the order of the diffs.
    function commitChunk(
        NodeSet.Set memory set,
        bytes32 preRoot,
        StepTypes.PostState memory post,
        CommitCursor memory c,
        uint256 maxOps
    ) internal pure returns (CommitCursor memory) {
        StepTypes.AccountDiff[] memory diffs = post.accounts;
        uint256 n = diffs.length;
        if (c.account == 0 && c.position == 0 && n != 0 && !NodeSet.contains(set, preRoot)) {
            revert WitnessForAnotherRoot(preRoot);
        }
        for (uint256 ops = 0; ops < maxOps && c.account < 2 * n;) {
            if (c.account >= n) {
                StepTypes.AccountDiff memory gone = diffs[c.account - n];
                if (gone.deleted) {
                    c.stateRoot = PatriciaTrie.secureRemove(set, c.stateRoot, abi.encodePacked(gone.addr));
                    ++ops;
                }
                ++c.account;
                continue;
            }
            StepTypes.AccountDiff memory d = diffs[c.account];
            uint256 m = d.slots.length;
            if (d.deleted) {
                (c.account, c.position) = (c.account + 1, 0);
                continue;
            }
            if (c.position == 0) {
                c.storageRoot = PatriciaTrie.EMPTY_ROOT;
                if (!d.storageReset) {
                    bytes memory pre = PatriciaTrie.secureGet(set, preRoot, abi.encodePacked(d.addr));
                    if (pre.length != 0) (,, c.storageRoot,) = decodeAccount(d.addr, pre);
                }
                ++ops;
            } else if (c.position <= m) {
                StepTypes.Slot memory s = d.slots[c.position - 1];
                if (s.value != 0) {
                    c.storageRoot = PatriciaTrie.secureUpdate(
                        set, c.storageRoot, abi.encodePacked(s.key), encodeUint(uint256(s.value))
                    );
                    ++ops;
                }
            } else if (c.position <= 2 * m) {
                StepTypes.Slot memory s = d.slots[c.position - m - 1];
                if (s.value == 0) {
                    c.storageRoot = PatriciaTrie.secureRemove(set, c.storageRoot, abi.encodePacked(s.key));
                    ++ops;
                }
            } else {
                c.stateRoot = PatriciaTrie.secureUpdate(
                    set, c.stateRoot, abi.encodePacked(d.addr), encodeAccount(d.nonce, d.balance, c.storageRoot, d.codeHash)
                );
                (c.account, c.position) = (c.account + 1, 0);
                ++ops;
                continue;
            }
            ++c.position;
        }
        return c;
    }

    // ---- account and slot encodings ---------------------------------------------------------

    /// @notice RLP [nonce, balance, storageRoot, codeHash].
    function encodeAccount(uint64 nonce, uint256 balance, bytes32 storageRoot, bytes32 codeHash)
        internal
        pure
        returns (bytes memory)
    {
        bytes memory payload = bytes.concat(
            encodeUint(nonce), encodeUint(balance), bytes1(0xa0), storageRoot, bytes1(0xa0), codeHash
        );
        // payload is 68..107 bytes: a long list header of one length byte
        return bytes.concat(bytes1(0xf8), bytes1(uint8(payload.length)), payload);
    }

    /// @notice RLP of an unsigned integer: big-endian, no leading zeros (0 is the empty string).
    function encodeUint(uint256 value) internal pure returns (bytes memory) {
        if (value == 0) return hex"80";
        if (value < 0x80) return abi.encodePacked(uint8(value));
        uint256 size = 0;
        for (uint256 v = value; v != 0; v >>= 8) {
            size += 1;
        }
        bytes memory out = new bytes(size + 1);
        out[0] = bytes1(uint8(0x80 + size));
        for (uint256 i = 0; i < size; ++i) {
            out[size - i] = bytes1(uint8(value >> (8 * i)));
        }
        return out;
    }

    /// @notice The fields of an account's RLP; reverts `BadAccount(addr)` unless it is exactly a
    ///         canonical list [nonce (<= 8 bytes), balance (<= 32 bytes), 32 bytes, 32 bytes].
    function decodeAccount(address addr, bytes memory encoded)
        internal
        pure
        returns (uint64 nonce, uint256 balance, bytes32 storageRoot, bytes32 codeHash)
    {
        // Canonical form: 0xf8 len, then the four items; every account encoding is 70..109 bytes.
        if (encoded.length < 70 || uint8(encoded[0]) != 0xf8 || uint8(encoded[1]) != encoded.length - 2) {
            revert BadAccount(addr);
        }
        uint256 cursor = 2;
        uint256 value;
        (value, cursor) = _readUint(addr, encoded, cursor, 8);
        nonce = uint64(value);
        (balance, cursor) = _readUint(addr, encoded, cursor, 32);
        if (cursor + 66 != encoded.length || uint8(encoded[cursor]) != 0xa0 || uint8(encoded[cursor + 33]) != 0xa0) {
            revert BadAccount(addr);
        }
        assembly ("memory-safe") {
            let p := add(add(encoded, 32), cursor)
            storageRoot := mload(add(p, 1))
            codeHash := mload(add(p, 34))
        }
    }

    function _readUint(address addr, bytes memory encoded, uint256 cursor, uint256 maxBytes)
        private
        pure
        returns (uint256 value, uint256 next)
    {
        if (cursor >= encoded.length) revert BadAccount(addr);
        uint256 prefix = uint8(encoded[cursor]);
        if (prefix < 0x80) return (prefix, cursor + 1);
        uint256 size = prefix - 0x80;
        next = cursor + 1 + size;
        if (size > maxBytes || next > encoded.length) revert BadAccount(addr);
        if (size > 0 && uint8(encoded[cursor + 1]) == 0) revert BadAccount(addr); // leading zero
        if (size == 1 && uint8(encoded[cursor + 1]) < 0x80) revert BadAccount(addr); // single byte as 0x81 b
        for (uint256 i = cursor + 1; i < next; ++i) {
            value = (value << 8) | uint8(encoded[i]);
        }
    }

    function _decodeStorageValue(address addr, bytes32 slot, bytes memory raw) private pure returns (bytes32) {
        uint256 prefix = uint8(raw[0]);
        if (prefix < 0x80) {
            if (raw.length != 1 || prefix == 0) revert BadStorageValue(addr, slot);
            return bytes32(prefix);
        }
        uint256 size = prefix - 0x80;
        if (size == 0 || size > 32 || raw.length != size + 1 || uint8(raw[1]) == 0) revert BadStorageValue(addr, slot);
        if (size == 1 && uint8(raw[1]) < 0x80) revert BadStorageValue(addr, slot);
        uint256 value = 0;
        for (uint256 i = 1; i <= size; ++i) {
            value = (value << 8) | uint8(raw[i]);
        }
        return bytes32(value);
    }
}
