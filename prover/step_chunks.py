"""Stages 1 and 3 of the one-step proof in chunks (docs/fault-proofs.md, "Load and commit in
chunks"): the arguments of `OneStepProof.loadWitnessChunk` and `commitTransactionChunk` for a run
of operations, each with exactly the trie nodes it needs.

A load is a sequence of *items*: per witnessed account (ascending) its account, then each of its
slots (ascending); a chunk is a run of items (a chunk starting inside an account's slots continues
it: `AccountWitness(addr, b"", slots)`). A commit is a sequence of trie operations counted as
`WitnessDB.commitChunk` counts them: per diffed, not deleted account its pre-state storage root,
one per slot (write or delete), its account write; then one per deleted account. The nodes of a
chunk come from replaying its operations with py-trie over the witness's own node set
(`OperationReads`), so the step's witness is all the driver needs.

    load = LoadChunks(call)
    progress = load_start(call.pre_state_root)
    args = load.args(progress, 0, 40)               # items 0..39, then progress = what it returned
    commit = CommitChunks(call, post)
    args = commit.args(commit_start(call.pre_state_root), 0, 25)   # operations 0..24
"""

from __future__ import annotations

from typing import Any

import rlp
from eth.constants import BLANK_ROOT_HASH
from eth.rlp.accounts import Account
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_canonical_address
from eth_utils.abi import get_abi_input_types
from trie import HexaryTrie

from genesis.artifacts import load_artifact
from prover.step_call import ONE_STEP_PROOF, StepCall
from prover.trie_witness import OperationReads, hexary_get

ZERO_WORD = b"\x00" * 32
ZERO_ADDRESS = "0x" + "00" * 20
#: `maxOps` of a chunk that runs to the end of the commit.
ALL_OPERATIONS = 2**256 - 1


def load_start(pre_root: bytes) -> tuple[Any, ...]:
    """`WitnessDB.LoadProgress` before any chunk: nothing loaded from `pre_root`."""
    return (pre_root, ZERO_WORD, 0, ZERO_ADDRESS, False, ZERO_WORD, 0, ZERO_WORD)


def commit_start(pre_root: bytes) -> tuple[Any, ...]:
    """`WitnessDB.CommitCursor` before any chunk: no operation done, the state at `pre_root`."""
    return (0, 0, pre_root, ZERO_WORD)


def progress_hash(progress: Any) -> bytes:
    """The key `OneStepProof.loaded` records a `LoadProgress` under."""
    return keccak(abi_encode([_input_type("loadWitnessChunk", 0)], [tuple(progress)]))


def cursor_hash(cursor: Any) -> bytes:
    """keccak256(abi.encode(cursor)) of a `CommitCursor` (see `OneStepProof.commitKey`)."""
    return keccak(abi_encode([_input_type("commitTransactionChunk", 5)], [tuple(cursor)]))


class LoadChunks:
    """The load of `call`'s witness as items, and the arguments of a chunk of them."""

    def __init__(self, call: StepCall) -> None:
        self.call = call
        self.items: list[tuple[int, int | None]] = []  # (account index, slot index or None: the account)
        self.reads = OperationReads(call.trie_nodes)
        trie = HexaryTrie(self.reads.db, call.pre_state_root)
        for index, (address, _code, slots) in enumerate(call.accounts):
            storage: list[bytes] = []  # the account's storage root, once read
            self.reads.record(lambda a=address, s=storage: s.append(_storage_root(hexary_get(trie, keccak(to_canonical_address(a))))))
            self.items.append((index, None))
            for slot_index, slot in enumerate(slots):
                self.reads.record(lambda k=slot, s=storage: s[0] != BLANK_ROOT_HASH
                                  and hexary_get(HexaryTrie(self.reads.db, s[0]), keccak(k)))
                self.items.append((index, slot_index))

    def __len__(self) -> int:
        return len(self.items)

    def witnesses(self, start: int, stop: int) -> list[tuple[str, bytes, list[bytes]]]:
        """`AccountWitness[]` of items `start..stop-1`."""
        out: list[tuple[str, bytes, list[bytes]]] = []
        for index, slot_index in self.items[start:stop]:
            address, code, slots = self.call.accounts[index]
            if slot_index is None:
                out.append((address, code, []))
            elif not out or out[-1][0] != address:
                out.append((address, b"", [slots[slot_index]]))  # continues the previous chunk's account
            else:
                out[-1][2].append(slots[slot_index])
        return out

    def args(self, progress: Any, start: int, stop: int) -> tuple[Any, ...]:
        """`loadWitnessChunk(from, nodes, witnesses)` for items `start..stop-1` from `progress`."""
        return (progress, self.reads.chunk_nodes(start, stop), self.witnesses(start, stop))


def merge_accounts(loaded: list[Any], chunk_accounts: list[Any]) -> list[Any]:
    """`PreState.accounts` after a chunk: `loaded` and the chunk's accounts, a continued account's
    new slots appended to its own."""
    merged = [list(a) for a in loaded]
    for account in chunk_accounts:
        account = list(account)
        if merged and merged[-1][0] == account[0]:
            merged[-1][7] = [*merged[-1][7], *account[7]]
        else:
            merged.append(account)
    return merged


class CommitChunks:
    """The commit of `post` (a `PostState` as web3 returns it) as trie operations, replayed over
    `call`'s witness, and the arguments of a chunk of them."""

    def __init__(self, call: StepCall, post: Any) -> None:
        self.call, self.post = call, post
        self.reads = OperationReads(call.trie_nodes)
        db = self.reads.db
        pre_state = HexaryTrie(db, call.pre_state_root)
        state = HexaryTrie(db, call.pre_state_root)
        diffs = post[0]
        for address, deleted, storage_reset, nonce, balance, code_hash, slots in diffs:
            if deleted:
                continue
            storage = HexaryTrie(db, BLANK_ROOT_HASH)
            key = keccak(to_canonical_address(address))
            self.reads.record(lambda r=storage_reset, k=key, t=storage: r or t.__setattr__(
                "root_hash", _storage_root(hexary_get(pre_state, k))))
            for slot, value in [s for s in slots if int.from_bytes(s[1], "big")] + [s for s in slots if not int.from_bytes(s[1], "big")]:
                number = int.from_bytes(value, "big")
                self.reads.record(lambda t=storage, k=keccak(slot), v=number: t.set(k, rlp.encode(v)) if v else t.delete(k))
            self.reads.record(lambda k=key, t=storage, n=nonce, b=balance, c=code_hash:
                              state.set(k, rlp.encode(Account(n, b, t.root_hash, c))))
        for address, deleted, *_ in diffs:
            if deleted:
                self.reads.record(lambda k=keccak(to_canonical_address(address)): state.delete(k))
        self.post_state_root = state.root_hash

    def __len__(self) -> int:
        return len(self.reads.operations)

    def args(self, cursor: Any, start: int, stop: int) -> tuple[Any, ...]:
        """`commitTransactionChunk(preRoot, txHash, ctx, nodes, post, from, maxOps)` for operations
        `start..stop-1` from `cursor` (to the end of the commit if `stop` is the last)."""
        max_ops = ALL_OPERATIONS if stop >= len(self) else stop - start
        return (self.call.pre_state_root, self.call.transaction_hash, self.call.context,
                self.reads.chunk_nodes(start, stop), self.post, cursor, max_ops)


def _storage_root(encoded_account: bytes) -> bytes:
    return BLANK_ROOT_HASH if not encoded_account else rlp.decode(encoded_account, sedes=Account).storage_root


def _input_type(function: str, index: int) -> str:
    (entry,) = [e for e in load_artifact(ONE_STEP_PROOF).abi if e.get("type") == "function" and e["name"] == function]
    return get_abi_input_types(entry)[index]
