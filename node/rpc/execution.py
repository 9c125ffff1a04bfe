"""eth_call and eth_estimateGas on py-evm: a transaction-shaped message run on a scratch state.

A call runs on the post-state of a block, in that block's context (number, timestamp, base
fee), through a VM from `Chain.pending_vm` whose writes stay in memory. As geth does for
eth_call, the sender's nonce is not checked and no signature is needed; a call without a gas
price costs nothing, so any account may call; with a price, the sender must afford
`gas * price + value`. State overrides (balance, nonce, code, state, stateDiff) are applied
to the scratch state first, and block overrides (time, gas limit, fee recipient, prevRandao) to
the block context.

Every opcode checks a deadline, so a call stopped at the EVM timeout really stops (its worker
thread ends) instead of running on unseen. The L2's fee rules (base fee to the vault) are not
applied: a call only reports output and gas.

eth_estimateGas is geth's search (eth/gasestimator): one run at the allowance, then an
optimistic try at the gas used (+ refund + call stipend) * 64/63, then bisection until within
1.5% (what geth's RPC accepts).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Callable, Final, Mapping, TypeVar

from eth.abc import BlockHeaderAPI, ComputationAPI, StateAPI
from eth.constants import CREATE_CONTRACT_ADDRESS, GAS_TX, ZERO_ADDRESS
from eth.exceptions import (
    ContractCreationCollision,
    InsufficientStack,
    InvalidInstruction,
    InvalidJumpDestination,
    OutOfBoundsRead,
    OutOfGas,
    Revert,
    StackDepthLimit,
    FullStack,
    WriteProtection,
)
from eth.exceptions import InsufficientFunds as EVMInsufficientFunds
from eth.vm.forks.prague.transactions import PragueTransactionBuilder
from eth.vm.spoof import SpoofTransaction
from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address

from node.chain import Chain
from node.errors import (
    ExecutionFailed,
    ExecutionReverted,
    ExecutionTimeout,
    FloorDataGasTooLow,
    GasRequiredExceedsAllowance,
    InsufficientFunds,
    IntrinsicGasTooLow,
    WrongChainId,
)
from node.rpc.limits import RpcLimits
from node.rpc.params import NO_BLOCK_OVERRIDES, BlockOverrides, CallArgs, StateOverrides
from node.vm import floor_data_gas

ERROR_SELECTOR: Final = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR: Final = bytes.fromhex("4e487b71")  # Panic(uint256)
#: Solidity's panic codes, worded as geth words them.
PANIC_REASONS: Final[Mapping[int, str]] = {
    0x00: "generic panic",
    0x01: "assert(false)",
    0x11: "arithmetic underflow or overflow",
    0x12: "division or modulo by zero",
    0x21: "enum overflow",
    0x22: "invalid encoded storage byte array accessed",
    0x31: "out-of-bounds array access; popping on an empty array",
    0x32: "out-of-bounds access of an array or bytesN",
    0x41: "out of memory",
    0x51: "uninitialized function",
}
CALL_STIPEND: Final = 2_300
ESTIMATE_ERROR_RATIO: Final = 0.015

#: How geth words the EVM errors a call can end in.
_EVM_ERROR_MESSAGES: Final[tuple[tuple[type[Exception], str], ...]] = (
    (OutOfGas, "out of gas"),
    (InvalidJumpDestination, "invalid jump destination"),
    (InvalidInstruction, "invalid opcode"),
    (InsufficientStack, "stack underflow"),
    (FullStack, "stack limit reached 1024"),
    (StackDepthLimit, "max call depth exceeded"),
    (WriteProtection, "write protection"),
    (OutOfBoundsRead, "return data out of bounds"),
    (ContractCreationCollision, "contract address collision"),
    (EVMInsufficientFunds, "insufficient balance for transfer"),
)


# --- revert reasons -------------------------------------------------------------------------


def decode_revert_reason(output: bytes) -> str | None:
    """The reason in revert data: Error(string)'s text, Panic(uint256)'s meaning, or None."""
    if output[:4] == ERROR_SELECTOR:
        try:
            (reason,) = abi_decode(["string"], output[4:])
        except Exception:  # malformed ABI data: no readable reason, the raw data still goes out
            return None
        return str(reason)
    if output[:4] == PANIC_SELECTOR and len(output) == 36:
        code = int.from_bytes(output[4:], "big")
        return PANIC_REASONS.get(code, f"unknown panic code: {code:#x}")
    return None


def format_duration(seconds: float) -> str:
    """Go's time.Duration spelling, as geth's messages use it: 5s, 500ms, 1m30s."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    minutes, rest = divmod(seconds, 60)
    text = f"{rest:g}s"
    return f"{int(minutes)}m{text}" if minutes else text


# --- the scratch VM -------------------------------------------------------------------------


def _scratch_state(chain: Chain, header: BlockHeaderAPI, block: BlockOverrides = NO_BLOCK_OVERRIDES) -> StateAPI:
    """A state at `header`'s post-state, in `header`'s context (as `block` overrides it),
    writing only to memory."""
    if header.block_number == 0:
        # Genesis has no parent to build its context from: run in block 1's context.
        context = {"timestamp": header.timestamp + 1, "gas_limit": header.gas_limit, "coinbase": header.coinbase}
        parent = header
    else:
        parent = chain.header_by_hash(header.parent_hash)
        context = {
            "state_root": header.state_root,
            "timestamp": header.timestamp,
            "gas_limit": header.gas_limit,
            "coinbase": header.coinbase,
            "mix_hash": header.mix_hash,
            "extra_data": header.extra_data,
            "parent_beacon_block_root": header.parent_beacon_block_root,
        }
    for name, value in (("timestamp", block.time), ("gas_limit", block.gas_limit),
                        ("coinbase", block.fee_recipient), ("mix_hash", block.prev_randao)):
        if value is not None:
            context[name] = value
    return chain.pending_vm(parent, **context).state


def apply_overrides(state: StateAPI, overrides: StateOverrides) -> None:
    for address, account in overrides.items():
        if account.balance is not None:
            state.set_balance(address, account.balance)
        if account.nonce is not None:
            state.set_nonce(address, account.nonce)
        if account.code is not None:
            state.set_code(address, account.code)
        if account.state is not None:
            state.delete_storage(address)
            for slot, value in account.state.items():
                state.set_storage(address, slot, value)
        if account.state_diff is not None:
            for slot, value in account.state_diff.items():
                state.set_storage(address, slot, value)


def _install_deadline(state: StateAPI, deadline: float, timeout_s: float) -> None:
    """Make every opcode of computations on `state` check `deadline` first."""
    base = type(state).computation_class

    def timed(opcode_fn: Callable[..., None]) -> Callable[..., None]:
        def run(computation: ComputationAPI) -> None:
            if time.monotonic() > deadline:
                raise ExecutionTimeout(f"execution aborted (timeout = {format_duration(timeout_s)})")
            opcode_fn(computation=computation)

        return run

    opcodes = {opcode: timed(fn) for opcode, fn in base.opcodes.items()}
    state.computation_class = type(f"Deadline{base.__name__}", (base,), {"opcodes": opcodes})  # type: ignore[misc]


# --- one run --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallOutcome:
    computation: ComputationAPI
    gas_used: int  # what a transaction would be charged: after refund, at least the floor
    gas_refund: int

    @property
    def output(self) -> bytes:
        return self.computation.output


def _message(state: StateAPI, args: CallArgs, gas: int) -> Any:
    sender = args.sender or ZERO_ADDRESS
    if args.gas_price is not None:
        max_fee = max_tip = args.gas_price
    else:
        max_fee, max_tip = args.max_fee_per_gas or 0, args.max_priority_fee_per_gas or 0
    unsigned = PragueTransactionBuilder.new_unsigned_dynamic_fee_transaction(
        chain_id=state.execution_context.chain_id,
        nonce=state.get_nonce(sender),
        max_priority_fee_per_gas=max_tip,
        max_fee_per_gas=max_fee,
        gas=gas,
        to=args.to if args.to is not None else CREATE_CONTRACT_ADDRESS,
        value=args.value,
        data=args.data,
        access_list=args.access_list,
    )
    return SpoofTransaction(unsigned, from_=sender)


def _check_affordable(state: StateAPI, args: CallArgs, gas: int) -> None:
    sender = args.sender or ZERO_ADDRESS
    cost = gas * args.fee_cap + args.value
    balance = state.get_balance(sender)
    if cost > balance:
        raise InsufficientFunds(to_checksum_address(sender), balance, cost)


def run_once(state: StateAPI, args: CallArgs, gas: int) -> CallOutcome:
    """Execute `args` with `gas` on `state` (changing it); raise for a message that cannot
    start (intrinsic gas, funds), return the computation otherwise (success or not)."""
    tx = _message(state, args, gas)
    intrinsic = tx.intrinsic_gas
    if gas < intrinsic:
        raise IntrinsicGasTooLow(gas, intrinsic)
    floor = floor_data_gas(args.data)
    if gas < floor:
        raise FloorDataGasTooLow(gas, floor)
    _check_affordable(state, args, gas)
    executor = state.get_transaction_executor()
    message = executor.build_evm_message(tx)
    computation = executor.build_computation(message, tx)
    gas_spent = gas - computation.get_gas_remaining()
    refund = executor.calculate_gas_refund(computation, gas_spent) if computation.is_success else 0
    return CallOutcome(computation, max(gas_spent - refund, floor), refund)


def raise_for_failure(computation: ComputationAPI) -> None:
    if computation.is_success:
        return
    error = computation.error
    if isinstance(error, Revert):
        output = computation.output
        raise ExecutionReverted(decode_revert_reason(output), output)
    for cls, message in _EVM_ERROR_MESSAGES:
        if isinstance(error, cls):
            raise ExecutionFailed(message)
    raise ExecutionFailed(f"execution failed: {type(error).__name__}: {error}")


def _check_chain_id(args: CallArgs, chain: Chain) -> None:
    if args.chain_id is not None and args.chain_id != chain.chain_id:
        raise WrongChainId(args.chain_id, chain.chain_id)


def call(
    chain: Chain,
    header: BlockHeaderAPI,
    args: CallArgs,
    *,
    overrides: StateOverrides,
    block_overrides: BlockOverrides = NO_BLOCK_OVERRIDES,
    gas_cap: int,
    deadline: float,
    timeout_s: float,
) -> bytes:
    """eth_call: the output of `args` run on `header`'s post-state. Blocking: run it in a
    worker thread."""
    _check_chain_id(args, chain)
    state = _scratch_state(chain, header, block_overrides)
    apply_overrides(state, overrides)
    _install_deadline(state, deadline, timeout_s)
    gas = min(args.gas, gas_cap) if args.gas is not None else gas_cap
    outcome = run_once(state, args, gas)
    raise_for_failure(outcome.computation)
    return outcome.output


def estimate_gas(
    chain: Chain,
    header: BlockHeaderAPI,
    args: CallArgs,
    *,
    overrides: StateOverrides,
    block_overrides: BlockOverrides = NO_BLOCK_OVERRIDES,
    gas_cap: int,
    deadline: float,
    timeout_s: float,
) -> int:
    """eth_estimateGas: the least gas (within 1.5%) with which `args` succeeds."""
    _check_chain_id(args, chain)
    state = _scratch_state(chain, header, block_overrides)
    apply_overrides(state, overrides)
    _install_deadline(state, deadline, timeout_s)

    block_gas_limit = block_overrides.gas_limit if block_overrides.gas_limit is not None else header.gas_limit
    hi = args.gas if args.gas is not None and args.gas >= GAS_TX else block_gas_limit
    if args.fee_cap:
        sender = args.sender or ZERO_ADDRESS
        balance = state.get_balance(sender)
        if args.value > balance:
            raise InsufficientFunds(to_checksum_address(sender), balance, args.value)
        hi = min(hi, (balance - args.value) // args.fee_cap)
    hi = min(hi, gas_cap)

    def attempt(gas: int) -> CallOutcome:
        snapshot = state.snapshot()
        try:
            return run_once(state, args, gas)
        finally:
            state.revert(snapshot)

    # A plain transfer costs exactly the base fee of a transaction, as geth answers.
    if args.to is not None and not args.data and not state.get_code(args.to) and hi >= GAS_TX:
        if _succeeds(attempt, GAS_TX):
            return GAS_TX

    outcome = attempt(hi)
    if not outcome.computation.is_success:
        if isinstance(outcome.computation.error, Revert):
            raise_for_failure(outcome.computation)
        raise GasRequiredExceedsAllowance(hi)
    floor = floor_data_gas(args.data)
    lo = max(outcome.gas_used - 1, floor - 1)

    optimistic = (outcome.gas_used + outcome.gas_refund + CALL_STIPEND) * 64 // 63
    if lo < optimistic < hi:
        if _succeeds(attempt, optimistic):
            hi = optimistic
        else:
            lo = optimistic
    while lo + 1 < hi:
        if (hi - lo) / hi < ESTIMATE_ERROR_RATIO:
            break
        mid = (hi + lo) // 2
        if mid > lo * 2:
            # Most transactions need little more than they use: probe low first.
            mid = lo * 2
        if _succeeds(attempt, mid):
            hi = mid
        else:
            lo = mid
    return hi


def _succeeds(attempt: Callable[[int], CallOutcome], gas: int) -> bool:
    try:
        return attempt(gas).computation.is_success
    except (IntrinsicGasTooLow, InsufficientFunds):
        return False


# --- running off the event loop -------------------------------------------------------------

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a job in an execution slot must give up. Long reads (a log scan, a proof of many
    keys, fee history) call `check()` between steps, so a stopped request really stops."""

    at: float  # time.monotonic()
    timeout_s: float

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise ExecutionTimeout(f"request timed out (timeout = {format_duration(self.timeout_s)})")


class ExecutionRunner:
    """Runs CPU-heavy work (calls, estimates, log scans, proofs) in worker threads, at most
    `limits.max_concurrent_executions` at once, so the event loop keeps answering.

    Every job has a deadline, counted from when the request asks for a slot: EVM runs get
    `limits.evm_timeout_s`, reads `limits.read_timeout_s`. The job checks it itself (every
    opcode, every block scanned, every key proven) and ends by raising `ExecutionTimeout`;
    the wait here answers the request with that error a little later at the latest, and a
    slot stays taken until its thread has really ended, so abandoned work never piles up
    beyond the slots."""

    #: How long past its deadline a job may take to notice it before the request is answered.
    GRACE_S: Final = 1.0

    def __init__(self, limits: RpcLimits) -> None:
        self._limits = limits
        self._slots = asyncio.Semaphore(limits.max_concurrent_executions)

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run `fn(*args, deadline=Deadline, **kwargs)` under the read timeout."""
        timeout_s = self._limits.read_timeout_s
        return await self._in_slot(timeout_s, lambda at: fn(*args, deadline=Deadline(at, timeout_s), **kwargs))

    async def run_evm(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run `fn(*args, deadline=…, timeout_s=…, **kwargs)` under the EVM timeout. The
        deadline stops the EVM itself; the wait below only backs it up."""
        timeout_s = self._limits.evm_timeout_s
        return await self._in_slot(timeout_s, lambda at: fn(*args, deadline=at, timeout_s=timeout_s, **kwargs))

    async def _in_slot(self, timeout_s: float, job: Callable[[float], T]) -> T:
        deadline = time.monotonic() + timeout_s
        timeout_error = ExecutionTimeout(f"request timed out (timeout = {format_duration(timeout_s)})")
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout_s)
        except TimeoutError:
            raise timeout_error from None
        try:
            work = asyncio.ensure_future(asyncio.to_thread(job, deadline))
        except BaseException:
            self._slots.release()
            raise
        work.add_done_callback(self._finished)
        try:
            return await asyncio.wait_for(asyncio.shield(work), max(0.0, deadline - time.monotonic()) + self.GRACE_S)
        except TimeoutError:
            raise timeout_error from None

    def _finished(self, work: "asyncio.Future[Any]") -> None:
        self._slots.release()
        if not work.cancelled():
            work.exception()  # retrieved: an abandoned job's error is not "never retrieved"
