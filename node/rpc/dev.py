"""Developer controls of a devnet, with anvil's names and semantics (and hardhat's aliases).

Served only by `lantau devnet` and by `lantau node --dev-rpc`; a node without the flag answers
"method not found", as geth does.

| method                          | what it does here                                               |
|---------------------------------|-----------------------------------------------------------------|
| evm_mine [timestamp]            | builds a block now (at `timestamp` if given); "0x0"             |
| evm_increaseTime seconds        | moves the sequencer's clock forward; the total offset in seconds |
| evm_setNextBlockTimestamp t     | the next block is stamped `t` (later ones follow from there)    |
| evm_snapshot                    | remembers the head; a snapshot id                               |
| evm_revert id                   | the head goes back to the snapshot's block; true, or false for an unknown id |
| anvil_setBalance addr wei       | state edit (see below)                                          |
| anvil_setCode addr code         | state edit                                                      |
| anvil_setStorageAt addr slot v  | state edit; true                                                |
| anvil_impersonateAccount addr   | eth_sendTransaction may send as `addr` without its key (below)  |
| anvil_stopImpersonatingAccount  | no longer                                                       |
| anvil_autoImpersonateAccount b  | any sender may be impersonated (true) or only the listed (false) |
| eth_sendTransaction tx          | an impersonated send, built into a block at once; the tx hash   |

A rollup's blocks must follow from L1 data alone. A state edit has no transaction behind it and
a reverted head rewrites blocks the batcher may already have posted, so state edits work on a
devnet without an L1 only (`lantau devnet --no-l1`, or `lantau node --dev-rpc` without
`--l1-rpc`): a single sequencer with nothing to diverge from, as anvil is. With an L1 they are
refused with a message saying so; `evm_mine` and snapshots work there too, and `evm_revert`
refuses to go below the safe head (blocks already on L1).

Time travel works with an L1 too, when that L1 is an anvil (`lantau devnet`): a clock moved ahead
of L1 alone would break the sequencer drift rule (an L2 block may be at most
`max_sequencer_drift` seconds ahead of its L1 origin, or a verifier drops the batch), so L1's clock
moves first (`L1Clock`: anvil mines one block stamped at the target time and runs on from there);
the sequencer then builds blocks at the old time until its L1 origin is the block just before
that jump (an origin moves one L1 block per L2 block), and only then does the L2 clock move: the
next L2 block takes the jump block as its origin, within the drift. Every block still follows
from L1 data, so verifiers derive the same chain.

A state edit is applied as a block: the sequencer builds the next block at once on a parent
state with the edit made, so the edit is visible at `latest` when the call returns, as with
anvil (there the head's state changes in place; here the head moves on by one block).

Impersonation is a state edit too, in effect: a transaction no key signed. The pool, its journal
and the batch format carry only signed transactions, and a verifier recovers every sender from
its signature, so an unsigned transaction must never reach a batch. Impersonated sends therefore
work only without an L1 (no batcher, no verifier; refused with a one-line reason when there is
one), and never touch the pool or the journal: `eth_sendTransaction` from an impersonated
address fills in nonce, gas (estimated) and fees as a wallet would, and builds the transaction
into the next block at once (after the pool's transactions, which may hold the sender's earlier
nonces), as anvil's automine does; a refused one (funds, nonce) builds nothing. It is an
`ImpersonatedTransaction`: an EIP-1559 transaction whose sender is given instead of recovered,
with a recognisable fake signature (y_parity 0, r = the sender's address, s = 1; anvil also uses
a fake one). Its hash is keccak of that encoding, as for any transaction, and differs for two
senders sending the same fields because r holds the sender. The block's read records keep the
sender (`node.tx_index`), so receipts and lookups answer as for any transaction, after a restart
too; a re-execution (`debug_trace*` of that block) cannot recover its sender from the stored
encoding, so it takes the senders from those records (`as_built`). From an address neither
impersonated nor auto-impersonated, `eth_sendTransaction` answers geth's "unknown account" (this node holds no keys).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Final, Protocol, Sequence

from eth.abc import BlockHeaderAPI, SignedTransactionAPI, StateAPI
from eth.constants import CREATE_CONTRACT_ADDRESS
from eth.vm.forks.berlin.transactions import AccountAccesses
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth.vm.forks.london.transactions import DynamicFeeTransaction
from eth_typing import Address
from eth_utils import encode_hex, to_checksum_address

from node.chain import BuiltBlock, Chain
from node.errors import DevModeRefused, FeeCapBelowBaseFee, InsufficientFunds, InvalidParams, InvalidTransaction, LantauError, NonceTooLow, UnknownAccount, WrongChainId
from node.l1_info import read_l1_origin
from node.rpc import execution
from node.rpc.context import RpcContext, RpcMethod
from node.rpc.params import (
    CallArgs,
    Param,
    parse_address,
    parse_bool,
    parse_call_args,
    parse_data,
    parse_hex_or_decimal,
    parse_quantity,
    parse_storage_key,
)
from node.vm import LantauTypedTransaction



DYNAMIC_FEE_TX_TYPE: Final = 2
#: The `s` of an impersonated transaction's fake signature (its `r` is the sender's address).
IMPERSONATED_S: Final = 1


class ImpersonatedTransaction(LantauTypedTransaction):
    """An EIP-1559 transaction whose sender is given, not recovered (dev mode without an L1 only;
    see the module docstring). Encoded with the fake signature y_parity 0, r = sender, s = 1."""

    #: Read by `node.vm.LantauState.validate_transaction`: an impersonated sender may hold code
    #: (EIP-3607 is skipped, as anvil skips it for impersonated accounts).
    sender_is_impersonated: Final = True

    def __init__(self, inner: DynamicFeeTransaction, sender: Address) -> None:
        super().__init__(DYNAMIC_FEE_TX_TYPE, inner)
        self._impersonated_sender = sender

    @property
    def sender(self) -> Address:  # type: ignore[override]
        return self._impersonated_sender

    def get_sender(self) -> Address:
        return self._impersonated_sender

    def check_signature_validity(self) -> None:
        """No key signed it: the sender is whom the developer impersonates."""

    def copy(self, **overrides: Any) -> "ImpersonatedTransaction":
        return type(self)(self._inner.copy(**overrides), self._impersonated_sender)


def impersonated_transaction(
    sender: Address, *, chain_id: int, nonce: int, max_priority_fee_per_gas: int, max_fee_per_gas: int, gas: int,
    to: Address | None, value: int, data: bytes, access_list: Any = (),
) -> ImpersonatedTransaction:
    inner = DynamicFeeTransaction(
        chain_id, nonce, max_priority_fee_per_gas, max_fee_per_gas, gas, to if to is not None else CREATE_CONTRACT_ADDRESS,
        value, data, [AccountAccesses(address, list(slots)) for address, slots in access_list],
        0, int.from_bytes(sender, "big"), IMPERSONATED_S,
    )
    return ImpersonatedTransaction(inner, sender)


def as_built(transactions: Sequence[SignedTransactionAPI], senders: Sequence[Address]) -> tuple[SignedTransactionAPI, ...]:
    """A stored block's transactions as they were built, given the senders its read records
    keep (`Chain.block_index`): one carrying the impersonation's fake signature for its recorded
    sender is an `ImpersonatedTransaction` again, since no sender can be recovered from that
    encoding (a re-execution, `debug_trace*`, needs it)."""
    return tuple(
        ImpersonatedTransaction(tx._inner, sender) if _is_impersonated_by(tx, sender) else tx  # type: ignore[attr-defined]
        for tx, sender in zip(transactions, senders, strict=True)
    )


def _is_impersonated_by(tx: SignedTransactionAPI, sender: Address) -> bool:
    return (tx.type_id == DYNAMIC_FEE_TX_TYPE and tx.s == IMPERSONATED_S and tx.y_parity == 0
            and tx.r == int.from_bytes(sender, "big"))


class DevClock:
    """The sequencer's clock in dev mode: the wall clock plus an offset that time travel moves."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self.offset_s = 0

    def __call__(self) -> float:
        return self._wall() + self.offset_s

    def set_next(self, timestamp: int) -> None:
        """Make the clock read `timestamp` now (the next block's stamp)."""
        self.offset_s = timestamp - int(self._wall())


class L1Clock(Protocol):
    def __call__(self, timestamp: int) -> int | None:
        """Make L1 mine a block stamped `timestamp` (its clock runs on from there); that block's
        number, or None if L1 is already that late. Blocking."""
        ...


#: L2 blocks time travel may build to bring the L1 origin up to L1's head before the jump.
MAX_CATCH_UP_BLOCKS: Final = 256


class BlockProducing(Protocol):
    async def produce_block(
        self, *, state_edits: Callable[[StateAPI], None] | None = None, dev_transactions: Sequence[SignedTransactionAPI] = (),
    ) -> BuiltBlock: ...


@dataclass
class DevControls:
    """The state behind the dev methods: the clock, the snapshots, and how to build and announce."""

    chain: Chain
    producer: BlockProducing
    clock: DevClock
    chain_lock: asyncio.Lock
    on_rewound_head: Callable[[BlockHeaderAPI], None]  # evm_revert: the pool follows, takes nothing back
    safe_head: Callable[[], BlockHeaderAPI]
    has_l1: bool
    l1_clock: L1Clock | None = None  # an anvil L1's clock (the composition root wires it)
    snapshots: dict[int, tuple[bytes, int]] = field(default_factory=dict)  # id -> (head hash, clock offset)
    _next_snapshot: int = 1
    impersonated: set[Address] = field(default_factory=set)
    auto_impersonate: bool = False

    def refuse_with_l1(self, method: str, why: str = "its blocks must follow from L1 data, and a verifier could not follow this") -> None:
        if self.has_l1:
            raise DevModeRefused(
                f"{method} is refused on a node with an L1: {why} "
                "(run `lantau devnet --no-l1` for a single-node dev chain)"
            )

    def refuse_impersonation_with_l1(self, method: str) -> None:
        self.refuse_with_l1(method, "an unsigned transaction could never be batched for verifiers, who recover every sender from its signature")

    def may_send_as(self, sender: Address) -> bool:
        return self.auto_impersonate or sender in self.impersonated

    async def send_impersonated(self, tx: ImpersonatedTransaction) -> bytes:
        """Build `tx` into the next block at once (never into the pool or the journal)."""
        self.refuse_impersonation_with_l1("eth_sendTransaction")
        built = await self.producer.produce_block(dev_transactions=(tx,))
        for rejected in built.rejected:
            if rejected.transaction is tx:
                raise InvalidTransaction(f"transaction {encode_hex(tx.hash)} was not included: {rejected.reason}")
        return tx.hash

    async def mine(self, timestamp: int | None = None) -> BuiltBlock:
        if timestamp is not None:
            self.set_next_timestamp(timestamp)
        return await self.producer.produce_block()

    def set_next_timestamp(self, timestamp: int) -> None:
        head = self.chain.head
        if timestamp <= head.timestamp:
            raise InvalidParams(f"timestamp {timestamp} is not after the latest block's timestamp {head.timestamp}")
        self.clock.set_next(timestamp)

    async def travel(self, method: str, timestamp: int, *, or_later: bool = False) -> None:
        """Move the sequencer's clock so the next block is stamped `timestamp`; with an L1, L1's
        clock first and the L1 origin up to it (see the module docstring). The blocks that bring the
        origin up take the next timestamps: if they reach `timestamp`, the next block is stamped
        the one after theirs when `or_later` (evm_increaseTime: time moved at least that far), else
        `set_next_timestamp` refuses (evm_setNextBlockTimestamp: that exact time is gone)."""
        if self.has_l1:
            if self.l1_clock is None:
                self.refuse_with_l1(method)
            try:
                jump = await asyncio.to_thread(self.l1_clock, timestamp)  # type: ignore[arg-type]
            except (LantauError, OSError) as exc:
                raise DevModeRefused(f"{method}: cannot move the L1's clock (is the L1 an anvil?): {exc}") from exc
            if jump is not None:
                await self._origin_up_to(method, jump - 1)
        self.set_next_timestamp(max(timestamp, self.chain.head.timestamp + 1) if or_later else timestamp)

    async def _origin_up_to(self, method: str, l1_number: int) -> None:
        stalled = 0
        for _ in range(MAX_CATCH_UP_BLOCKS):
            before = _origin_number(self.chain)
            if before >= l1_number:
                return
            await self.producer.produce_block()
            stalled = stalled + 1 if _origin_number(self.chain) == before else 0
            if stalled >= 8:
                break
        raise DevModeRefused(
            f"{method}: the L2's L1 origin ({_origin_number(self.chain)}) did not reach L1 block {l1_number} before the "
            "jump (L1 confirmations?); time did not move on L2"
        )

    async def edit(self, method: str, edit: Callable[[StateAPI], None]) -> None:
        self.refuse_with_l1(method)
        await self.producer.produce_block(state_edits=edit)

    def snapshot(self) -> int:
        snapshot_id, self._next_snapshot = self._next_snapshot, self._next_snapshot + 1
        self.snapshots[snapshot_id] = (self.chain.head.hash, self.clock.offset_s)
        return snapshot_id

    async def revert(self, snapshot_id: int) -> bool:
        """Back to the snapshot's head (an unsafe reorg); the snapshot and later ones are used up,
        as anvil's are. False for an unknown id."""
        if snapshot_id not in self.snapshots:
            return False
        block_hash, offset_s = self.snapshots[snapshot_id]
        async with self.chain_lock:
            header = self.chain.header_by_hash(block_hash)  # type: ignore[arg-type]
            safe = self.safe_head()
            if self.has_l1 and header.block_number < safe.block_number:
                raise DevModeRefused(
                    f"cannot revert to block {header.block_number}: blocks up to {safe.block_number} are already on L1 (safe)"
                )
            await asyncio.to_thread(self.chain.rewind_to, header)
            for later in [i for i in self.snapshots if i >= snapshot_id]:
                del self.snapshots[later]
            self.clock.offset_s = offset_s
        self.on_rewound_head(self.chain.head)
        return True


def _origin_number(chain: Chain) -> int:
    origin = read_l1_origin(chain.state_at(chain.head))
    return origin.number if origin is not None else -1


# --- the methods ---------------------------------------------------------------------------------


def _parse_seconds(value: Any) -> int:
    seconds = parse_hex_or_decimal(value)
    if seconds < 0:
        raise InvalidParams("time can only move forward")
    return seconds


def _parse_mine_options(value: Any) -> int | None:
    """anvil's evm_mine parameter: a timestamp, or {"timestamp": t}."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"timestamp"})
        if unknown:
            raise InvalidParams(f"mine options: {unknown[0]!r} is not supported")
        return None if value.get("timestamp") is None else parse_hex_or_decimal(value["timestamp"])
    return parse_hex_or_decimal(value)


def _parse_word(value: Any) -> int:
    """A storage value: 0x-hex of up to 32 bytes."""
    return parse_storage_key(value)


def _parse_send_args(value: Any) -> CallArgs:
    """eth_sendTransaction's transaction: eth_call's fields, "from" required; a fee field left
    out is filled in (`_fill_transaction`), not zero as for a call."""
    args = parse_call_args(value)
    if args.sender is None:
        raise InvalidParams('transaction: "from" is required')
    return dataclasses.replace(
        args,
        max_fee_per_gas=args.max_fee_per_gas if value.get("maxFeePerGas") is not None else None,
        max_priority_fee_per_gas=args.max_priority_fee_per_gas if value.get("maxPriorityFeePerGas") is not None else None,
    )


async def _fill_transaction(ctx: RpcContext, chain: Chain, args: CallArgs) -> ImpersonatedTransaction:
    """The transaction a wallet would send for `args`: the pending nonce, the estimated gas, the
    suggested tip and a max fee of twice the next base fee plus the tip (geth's defaults); a
    `gasPrice` is both max fee and tip. Refused here, before any block is built, if the sender
    cannot afford it or the nonce is not the next one."""
    sender = args.sender
    assert sender is not None
    if args.chain_id is not None and args.chain_id != chain.chain_id:
        raise WrongChainId(args.chain_id, chain.chain_id)
    head = chain.head
    state = chain.state_at(head)
    base_fee = calculate_expected_base_fee_per_gas(head)
    if args.gas_price is not None:
        tip = max_fee = args.gas_price
    else:
        tip = args.max_priority_fee_per_gas
        if tip is None:
            tip = await ctx.runner.run(ctx.gas_oracle.suggest_tip, chain)
        max_fee = args.max_fee_per_gas if args.max_fee_per_gas is not None else 2 * base_fee + tip
        if tip > max_fee:
            raise InvalidParams(f"maxFeePerGas ({max_fee}) < maxPriorityFeePerGas ({tip})")
    if max_fee < base_fee:
        raise FeeCapBelowBaseFee(to_checksum_address(sender), max_fee, base_fee)
    pending_nonce = ctx.backend.txpool.pending_nonce(sender, state)
    nonce = args.nonce if args.nonce is not None else pending_nonce
    if nonce < state.get_nonce(sender):
        raise NonceTooLow(to_checksum_address(sender), nonce, state.get_nonce(sender))
    if nonce > pending_nonce:
        raise InvalidTransaction(f"nonce too high: next nonce for {to_checksum_address(sender)} is {pending_nonce}, got {nonce}")
    gas = args.gas
    if gas is None:
        gas = await ctx.runner.run_evm(execution.estimate_gas, chain, head, args, overrides={}, gas_cap=ctx.limits.gas_cap)
    balance = state.get_balance(sender)
    if balance < gas * max_fee + args.value:
        raise InsufficientFunds(to_checksum_address(sender), balance, gas * max_fee + args.value)
    return impersonated_transaction(
        sender, chain_id=chain.chain_id, nonce=nonce, max_priority_fee_per_gas=tip, max_fee_per_gas=max_fee, gas=gas,
        to=args.to, value=args.value, data=args.data, access_list=args.access_list,
    )


def dev_methods(controls: DevControls) -> dict[str, RpcMethod]:
    """The dev methods by name, with hardhat's aliases, for `L2Node.register_methods`."""

    async def evm_mine(ctx: RpcContext, timestamp: int | None) -> str:
        await controls.mine(timestamp)
        return "0x0"

    async def evm_increase_time(ctx: RpcContext, seconds: int) -> str:
        if controls.has_l1:
            target = max(int(controls.clock()), controls.chain.head.timestamp) + seconds
            await controls.travel("evm_increaseTime", max(target, controls.chain.head.timestamp + 1), or_later=True)
        else:
            controls.clock.offset_s += seconds
        return hex(controls.clock.offset_s)

    async def evm_set_next_block_timestamp(ctx: RpcContext, timestamp: int) -> None:
        if timestamp <= controls.chain.head.timestamp:
            controls.set_next_timestamp(timestamp)  # refused with the reason
        await controls.travel("evm_setNextBlockTimestamp", timestamp)

    def evm_snapshot(ctx: RpcContext) -> str:
        return hex(controls.snapshot())

    async def evm_revert(ctx: RpcContext, snapshot_id: int) -> bool:
        return await controls.revert(snapshot_id)

    async def set_balance(ctx: RpcContext, address: Address, balance_wei: int) -> None:
        await controls.edit("anvil_setBalance", lambda state: state.set_balance(address, balance_wei))

    async def set_code(ctx: RpcContext, address: Address, code: bytes) -> None:
        await controls.edit("anvil_setCode", lambda state: state.set_code(address, code))

    async def set_storage_at(ctx: RpcContext, address: Address, slot: int, value: int) -> bool:
        await controls.edit("anvil_setStorageAt", lambda state: state.set_storage(address, slot, value))
        return True

    def impersonate(ctx: RpcContext, address: Address) -> None:
        controls.refuse_impersonation_with_l1("anvil_impersonateAccount")
        controls.impersonated.add(address)

    def stop_impersonating(ctx: RpcContext, address: Address) -> None:
        controls.refuse_impersonation_with_l1("anvil_stopImpersonatingAccount")
        controls.impersonated.discard(address)

    def auto_impersonate(ctx: RpcContext, enabled: bool) -> None:
        controls.refuse_impersonation_with_l1("anvil_autoImpersonateAccount")
        controls.auto_impersonate = enabled

    async def send_transaction(ctx: RpcContext, args: CallArgs) -> str:
        controls.refuse_impersonation_with_l1("eth_sendTransaction")
        assert args.sender is not None  # _parse_send_args requires it
        if not controls.may_send_as(args.sender):
            raise UnknownAccount(args.sender)
        tx = await _fill_transaction(ctx, controls.chain, args)
        return encode_hex(await controls.send_impersonated(tx))

    address = Param("address", parse_address)
    methods = {
        "evm_mine": RpcMethod("evm_mine", evm_mine, (Param("timestamp", _parse_mine_options, None),)),
        "evm_increaseTime": RpcMethod("evm_increaseTime", evm_increase_time, (Param("seconds", _parse_seconds),)),
        "evm_setNextBlockTimestamp": RpcMethod(
            "evm_setNextBlockTimestamp", evm_set_next_block_timestamp, (Param("timestamp", parse_hex_or_decimal),)
        ),
        "evm_snapshot": RpcMethod("evm_snapshot", evm_snapshot),
        "evm_revert": RpcMethod("evm_revert", evm_revert, (Param("id", parse_quantity),)),
        "anvil_setBalance": RpcMethod("anvil_setBalance", set_balance, (address, Param("balance", parse_quantity))),
        "anvil_setCode": RpcMethod("anvil_setCode", set_code, (address, Param("code", parse_data))),
        "anvil_setStorageAt": RpcMethod(
            "anvil_setStorageAt", set_storage_at, (address, Param("slot", parse_storage_key), Param("value", _parse_word))
        ),
        "anvil_impersonateAccount": RpcMethod("anvil_impersonateAccount", impersonate, (address,)),
        "anvil_stopImpersonatingAccount": RpcMethod("anvil_stopImpersonatingAccount", stop_impersonating, (address,)),
        "anvil_autoImpersonateAccount": RpcMethod("anvil_autoImpersonateAccount", auto_impersonate, (Param("enabled", parse_bool),)),
        "eth_sendTransaction": RpcMethod("eth_sendTransaction", send_transaction, (Param("transaction", _parse_send_args),)),
    }
    for name in ("setBalance", "setCode", "setStorageAt", "impersonateAccount", "stopImpersonatingAccount"):
        methods[f"hardhat_{name}"] = methods[f"anvil_{name}"]
    methods["anvil_mine"] = methods["evm_mine"]
    return methods


DEV_METHOD_NAMES: Final = (
    "evm_mine", "evm_increaseTime", "evm_setNextBlockTimestamp", "evm_snapshot", "evm_revert",
    "anvil_setBalance", "anvil_setCode", "anvil_setStorageAt",
    "anvil_impersonateAccount", "anvil_stopImpersonatingAccount", "anvil_autoImpersonateAccount", "eth_sendTransaction",
)
