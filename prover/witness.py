"""Witnesses for the one-step transaction proof (docs/fault-proofs.md, "Witness").

For L2 block n and transaction i, `transaction_witness` re-executes the block from its parent
state on a scratch VM (`Chain.replay_vm`: the block's own context, writes kept in memory), off
the hot path: block production never computes the state root between transactions, so this
replay does, after each of the transactions before i (`make_state_root`), and persists that
state into the scratch DB. Transaction i then runs on a *fresh* state at that root, whose caches
are empty, so py-evm's own access tracking (the `MetaWitness` that `AccountDB.persist` returns:
every account, code and storage slot read through the state) is exactly what transaction i
reads or writes: sender, recipient, accounts behind BALANCE/EXTCODE*/CALL, precompiles paid or
touched, created and self-destructed accounts, the coinbase and the BaseFeeVault paid by the fee.

The witnessed values are the pre-state's, read from the state trie at the pre-state root. The
trie nodes proving them come from `prover.trie_witness.state_witness` (the trie side's, when
present), keyed by the same account -> slots map.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, TypeVar

import rlp
from eth.abc import BlockHeaderAPI
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA3
from eth.rlp.accounts import Account
from eth_abi import encode as abi_encode
from eth_typing import Address, Hash32
from eth_utils import keccak, to_checksum_address
from trie import HexaryTrie

from node.chain import Chain
from node.errors import BlockNotFound
from node.vm import LantauState, LantauVM, ProofCosts
from prover.errors import WitnessError

if TYPE_CHECKING:
    from node.rpc.context import RpcMethod

#: StepTypes.sol's structs as eth_abi types (the order of their fields).
SLOT_ABI = "(bytes32,bytes32)"
ACCOUNT_ABI = f"(address,bool,uint64,uint256,bytes32,bytes32,bytes,{SLOT_ABI}[])"
PRE_STATE_ABI = f"(bytes32,{ACCOUNT_ABI}[])"
BLOCK_CONTEXT_ABI = "(uint256,uint256,uint256,address,bytes32,uint256,uint256,uint256,bytes32[])"
BLOCKHASH_WINDOW = 256
T = TypeVar("T")



# --- the witness ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlotWitness:
    key: int
    value: int  # in the pre-state (0: absent from the storage trie)


@dataclass(frozen=True, slots=True)
class AccountWitness:
    """StepTypes.Account: one account as the pre-state holds it, with the slots the transaction
    reads or writes. `code_read` says whether the transaction read the code (executed it, or
    EXTCODESIZE/EXTCODECOPY); `code` is given in full either way, as StepTypes requires that it
    hash to `code_hash`."""

    address: Address
    exists: bool
    nonce: int
    balance: int
    storage_root: Hash32
    code_hash: Hash32
    code: bytes
    code_read: bool
    slots: tuple[SlotWitness, ...]

    def abi_tuple(self) -> tuple[Any, ...]:
        slots = [(s.key.to_bytes(32, "big"), s.value.to_bytes(32, "big")) for s in self.slots]
        return (to_checksum_address(self.address), self.exists, self.nonce, self.balance, self.storage_root,
                self.code_hash, self.code, slots)


@dataclass(frozen=True, slots=True)
class BlockContext:
    """StepTypes.BlockContext of the block the transaction is in."""

    number: int
    timestamp: int
    base_fee: int
    coinbase: Address  # the SequencerFeeVault
    prev_randao: Hash32
    gas_limit: int
    chain_id: int
    gas_used_before: int  # by the block's transactions before this one
    # of blocks number-1, number-2, ...: as deep as the transaction's BLOCKHASH reads, at least two
    # (the parent header gives both), at most min(number, 256) (`BlockFinishLeaf.blockContext`)
    block_hashes: tuple[Hash32, ...]

    def abi_tuple(self) -> tuple[Any, ...]:
        return (self.number, self.timestamp, self.base_fee, to_checksum_address(self.coinbase), self.prev_randao,
                self.gas_limit, self.chain_id, self.gas_used_before, list(self.block_hashes))


@dataclass(frozen=True, slots=True)
class TransactionWitness:
    """Everything the one-step proof of transaction `index` of block `block_number` needs, and
    what it must reproduce (`post_state_root`, `success`, `gas_used`, `logs_hash`)."""

    block_number: int
    block_hash: Hash32
    index: int
    transaction: bytes  # the raw transaction (EIP-2718 encoding), as in the block body
    context: BlockContext
    pre_state_root: Hash32
    accounts: tuple[AccountWitness, ...]  # sorted by address; their slots by key
    post_state_root: Hash32
    success: bool
    gas_used: int  # this transaction's
    logs_hash: Hash32  # keccak256 of the RLP list of its logs
    proof_costs: ProofCosts
    # Trie nodes (RLP) proving every account and slot against pre_state_root, from
    # prover.trie_witness.state_witness; None until the trie side provides it.
    trie_nodes: tuple[bytes, ...] | None = None
    intermediate_roots: tuple[Hash32, ...] = field(default=())  # after each transaction 0..index
    # The headers (RLP) the game derives the context from (`BlockFinishLeaf.Ancestry`): the
    # parent's, then those of blocks number-2, number-3, ... as deep as the window needs.
    ancestry_headers: tuple[bytes, ...] = field(default=())

    def touched(self) -> dict[Address, tuple[int, ...]]:
        """The account -> slots map: what the trie side proves."""
        return {a.address: tuple(s.key for s in a.slots) for a in self.accounts}

    def pre_state_abi(self) -> bytes:
        """ABI encoding of StepTypes.PreState (the flat pre-state WitnessDB.load returns)."""
        return abi_encode([PRE_STATE_ABI], [(self.pre_state_root, [a.abi_tuple() for a in self.accounts])])

    def context_abi(self) -> bytes:
        """ABI encoding of StepTypes.BlockContext."""
        return abi_encode([BLOCK_CONTEXT_ABI], [self.context.abi_tuple()])

    def to_json(self) -> dict[str, Any]:
        """As JSON-RPC writes values: camelCase keys, byte strings as 0x-hex data, integers as
        0x-hex quantities; plus the ABI encodings `preStateAbi` and `contextAbi`."""
        raw = asdict(self)
        raw["pre_state_abi"] = self.pre_state_abi()
        raw["context_abi"] = self.context_abi()
        return _jsonable(raw)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, dict):
        return {_camel(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    raise TypeError(f"not JSON-ready: {value!r}")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# --- re-execution ---------------------------------------------------------------------------


def _replay(chain: Chain, header: BlockHeaderAPI, after_each: Callable[[LantauVM], T]) -> list[T]:
    """Re-execute `header`'s block on a scratch VM; `after_each(vm)` after every transaction."""
    vm = chain.replay_vm(header)
    running = vm.get_header()
    results: list[T] = []
    for tx in chain.transactions(header.hash):
        receipt, _ = vm.apply_transaction(running, tx)
        running = vm.add_receipt_to_header(running, receipt)
        results.append(after_each(vm))
    return results


def block_proof_costs(chain: Chain, header: BlockHeaderAPI) -> list[ProofCosts]:
    """What each transaction of `header`'s block uses of the proof-cost caps, in block order."""
    return _replay(chain, header, lambda vm: _state(vm).proof_meter.counts())


def intermediate_state_roots(chain: Chain, header: BlockHeaderAPI) -> list[Hash32]:
    """The state root after each transaction of `header`'s block (the last one is the block's)."""
    return _replay(chain, header, lambda vm: Hash32(vm.state.make_state_root()))


def transaction_witness(chain: Chain, block_number: int, index: int, *, with_trie_nodes: bool = True) -> TransactionWitness:
    """The witness of transaction `index` of canonical block `block_number` (see the module doc)."""
    try:
        header = chain.header_by_number(block_number)
    except BlockNotFound as exc:
        raise WitnessError(f"no canonical block {block_number}") from exc
    raw_txs = chain.raw_transactions(header.hash)
    if not 0 <= index < len(raw_txs):
        raise WitnessError(f"block {block_number} has {len(raw_txs)} transactions, no index {index}")
    txs = chain.transactions(header.hash)

    vm = chain.replay_vm(header)
    running = vm.get_header()
    roots: list[Hash32] = []
    for tx in txs[:index]:
        receipt, _ = vm.apply_transaction(running, tx)
        running = vm.add_receipt_to_header(running, receipt)
        roots.append(Hash32(vm.state.make_state_root()))
    vm.state.persist()  # the pre-state's trie nodes, into the scratch DB
    pre_root = Hash32(vm.state.state_root)

    # Transaction i on a fresh state at the pre-state root: empty caches, so every read shows.
    fresh = type(vm)(header=running.copy(state_root=pre_root), chaindb=vm.chaindb, chain_context=vm.chain_context,
                     consensus_context=vm.consensus_context)
    state = _state(fresh)
    state.persist()  # resets the access trackers (state set-up reads nothing of the transaction's)
    depths = _record_blockhash_depths(state)
    gas_before = running.gas_used
    receipt, computation = fresh.apply_transaction(running, txs[index])
    costs = state.proof_meter.counts()
    meta = state.persist()
    post_root = Hash32(state.state_root)
    roots.append(post_root)

    db = vm.chaindb.db
    slots_of = {address: tuple(sorted(meta.get_slots_queried(address))) for address in meta.accounts_queried}
    accounts = tuple(
        _account_witness(db, pre_root, address, slots_of[address], address in meta.account_bytecodes_queried)
        for address in sorted(meta.accounts_queried)
    )
    touched = {a.address: slots_of[a.address] for a in accounts}
    nodes = _trie_nodes(db, pre_root, touched, post_root) if with_trie_nodes else None
    window = blockhash_window(block_number, max(depths, default=0))
    return TransactionWitness(
        block_number=block_number,
        block_hash=Hash32(header.hash),
        index=index,
        transaction=raw_txs[index],
        context=block_context(chain, header, gas_used_before=gas_before, window=window),
        pre_state_root=pre_root,
        accounts=accounts,
        post_state_root=post_root,
        success=computation.is_success,
        gas_used=receipt.gas_used - gas_before,
        logs_hash=Hash32(keccak(rlp.encode(receipt.logs))),
        proof_costs=costs,
        trie_nodes=nodes,
        intermediate_roots=tuple(roots),
        ancestry_headers=ancestry_headers(chain, header, window),
    )


def blockhash_window(number: int, deepest_read: int) -> int:
    """How many block hashes the context of a transaction of block `number` holds when its
    BLOCKHASH reads reach `deepest_read` blocks back (0: none): at least the two the parent header
    gives, at most min(number, 256) (`BlockFinishLeaf.blockContext`)."""
    return min(number, BLOCKHASH_WINDOW, max(2, deepest_read))


def ancestry_headers(chain: Chain, header: BlockHeaderAPI, window: int) -> tuple[bytes, ...]:
    """The parent's header (RLP), then those of blocks number-2, ... that a window of `window`
    hashes needs (hash k is the parentHash of the header of block number-k)."""
    if header.block_number == 0:
        return ()
    headers = [chain.header_by_hash(Hash32(header.parent_hash))]
    while len(headers) < max(1, window - 1):
        headers.append(chain.header_by_hash(Hash32(headers[-1].parent_hash)))
    return tuple(rlp.encode(h) for h in headers)


def _record_blockhash_depths(state: LantauState) -> list[int]:
    """The depths (1 = the parent) of the BLOCKHASH reads `state` serves from now on, in the
    window: py-evm answers the opcode with `state.get_ancestor_hash`."""
    depths: list[int] = []
    ancestor_hash = state.get_ancestor_hash

    def recording(block_number: int) -> Hash32:
        depth = state.block_number - block_number
        if 1 <= depth <= BLOCKHASH_WINDOW:
            depths.append(depth)
        return ancestor_hash(block_number)

    state.get_ancestor_hash = recording  # type: ignore[method-assign]
    return depths


def block_context(chain: Chain, header: BlockHeaderAPI, *, gas_used_before: int, window: int) -> BlockContext:
    """The context of a transaction of `header`'s block with `window` block hashes (`blockhash_window`)."""
    hashes: list[Hash32] = []
    parent_hash = header.parent_hash
    for _ in range(window):
        hashes.append(Hash32(parent_hash))
        parent_hash = chain.header_by_hash(Hash32(parent_hash)).parent_hash
    return BlockContext(
        number=header.block_number, timestamp=header.timestamp, base_fee=header.base_fee_per_gas,
        coinbase=header.coinbase, prev_randao=Hash32(header.mix_hash), gas_limit=header.gas_limit,
        chain_id=chain.chain_id, gas_used_before=gas_used_before, block_hashes=tuple(hashes),
    )


def _state(vm: LantauVM) -> LantauState:
    return vm.state  # type: ignore[return-value]


def _account_witness(db: Any, state_root: Hash32, address: Address, slots: Sequence[int], code_read: bool) -> AccountWitness:
    """The account and its slots as the state trie at `state_root` holds them."""
    encoded = HexaryTrie(db, state_root).get(keccak(address))
    if not encoded:
        return AccountWitness(address, False, 0, 0, BLANK_ROOT_HASH, EMPTY_SHA3, b"", code_read,
                              tuple(SlotWitness(slot, 0) for slot in slots))
    account = rlp.decode(encoded, sedes=Account)
    storage = HexaryTrie(db, account.storage_root)
    values = []
    for slot in slots:
        raw = storage.get(keccak(slot.to_bytes(32, "big")))
        values.append(SlotWitness(slot, rlp.decode(raw, sedes=rlp.sedes.big_endian_int) if raw else 0))
    code = b"" if account.code_hash == EMPTY_SHA3 else db[account.code_hash]
    return AccountWitness(address, True, account.nonce, account.balance, Hash32(account.storage_root),
                          Hash32(account.code_hash), code, code_read, tuple(values))


def _trie_nodes(db: Any, pre_root: Hash32, touched: Mapping[Address, Sequence[int]], post_root: Hash32) -> tuple[bytes, ...] | None:
    """The node set proving `touched` against `pre_root` and letting `WitnessDB.commit` write the
    diffs that lead to `post_root` (its nodes are in `db` too), by the trie side's
    `prover.trie_witness.state_witness`; None while that module has not landed."""
    try:
        from prover.trie_witness import state_witness  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return tuple(state_witness(db, pre_root, touched, post_root).nodes)


# --- JSON-RPC ---------------------------------------------------------------------------------


def witness_rpc_methods(chain: Chain) -> dict[str, "RpcMethod"]:
    """`lantau_txWitness(blockNumber, index)`: the witness of a canonical block's transaction, as
    `TransactionWitness.to_json` (re-executed in a worker thread, so the node keeps serving)."""
    from node.errors import InvalidParams
    from node.rpc.context import RpcContext, RpcMethod
    from node.rpc.params import Param, parse_uint64

    async def lantau_tx_witness(ctx: RpcContext, block_number: int, index: int) -> dict[str, Any]:
        try:
            witness = await asyncio.to_thread(transaction_witness, chain, block_number, index)
        except WitnessError as exc:
            raise InvalidParams(str(exc)) from exc
        return witness.to_json()

    params = (Param("blockNumber", parse_uint64), Param("index", parse_uint64))
    return {"lantau_txWitness": RpcMethod("lantau_txWitness", lantau_tx_witness, params)}
