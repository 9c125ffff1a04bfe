"""debug_trace*: re-execute a transaction (or a call) under a tracer, in geth's output shapes.

Tracing never touches the code path of real blocks: a traced transaction is re-executed on a
scratch VM from `Chain.pending_vm` (writes stay in memory) built with the block's own context
on its parent's state, after replaying the block's earlier transactions through the same
`LantauVM.apply_transaction` that built it (deposits included). Only for the traced
transaction is the state's computation class swapped for a subclass made here, which
observes every opcode and every message (call frame) and changes nothing.

Two tracers, as geth's:

- the struct logger (no `tracer`): `{gas, failed, returnValue, structLogs}`, one entry per
  opcode with `pc, op, gas, gasCost, depth, stack` (+ `memory` with `enableMemory`, `storage`
  at SLOAD/SSTORE unless `disableStorage`, `refund` when non-zero, `error`); `disableStack`
  drops the stack. A CALL/CREATE's `gasCost` includes the gas handed to the callee, as geth's.
- the access-list tracer (eth_createAccessList, as geth's AccessListTracer): the accounts
  and slots a call touches (SLOAD/SSTORE, EXTCODE*/BALANCE/SELFDESTRUCT targets, call
  targets); the sender, the recipient and precompiles are warm anyway and are listed only
  for the slots read or written in them.
- `callTracer`: nested frames `{type, from, to, value, gas, gasUsed, input, output, error,
  revertReason, calls}`; the top frame's `gas` is the transaction's gas limit and `gasUsed`
  what it was charged (after refund), as geth's; `onlyTopCall` drops the inner frames.

Every opcode checks the request's deadline, and the struct logger stops with `LimitExceeded`
once its answer would pass `RpcLimits.max_response_bytes` (geth has no such cap; a loop of a
few million steps would otherwise build gigabytes).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Callable, Final

from eth.abc import BlockHeaderAPI, ComputationAPI, MessageAPI, OpcodeAPI, SignedTransactionAPI, StateAPI, TransactionContextAPI
from eth.exceptions import Revert
from eth.vm.code_stream import CodeStream

from node.chain import Chain
from node.errors import ExecutionTimeout, LimitExceeded
from node.rpc.dev import as_built
from node.rpc.execution import (
    _EVM_ERROR_MESSAGES,
    _check_chain_id,
    _scratch_state,
    apply_overrides,
    decode_revert_reason,
    format_duration,
    run_once,
)
from node.rpc.params import AccessList, CallArgs, StateOverrides, TraceConfig

CALL_TRACER: Final = "callTracer"
_CALL_OPS: Final = frozenset({"CALL", "CALLCODE", "DELEGATECALL", "STATICCALL", "CREATE", "CREATE2"})
_NO_VALUE_OPS: Final = frozenset({"DELEGATECALL", "STATICCALL"})  # geth's callTracer shows no value


def evm_error_message(error: BaseException) -> str:
    """The error of a frame or step as geth words it."""
    if isinstance(error, Revert):
        return "execution reverted"
    for cls, message in _EVM_ERROR_MESSAGES:
        if isinstance(error, cls):
            return message
    return str(error) or type(error).__name__


#: py-evm's names that geth spells otherwise.
_GETH_OPCODE_NAMES: Final = {"SHA3": "KECCAK256"}


def opcode_name(opcode_fn: OpcodeAPI) -> str:
    """An opcode's name as geth writes it (py-evm wraps a few, e.g. SELFDESTRUCT)."""
    mnemonic = getattr(opcode_fn, "mnemonic", None) or getattr(getattr(opcode_fn, "__wrapped__", None), "mnemonic", "INVALID")
    return _GETH_OPCODE_NAMES.get(mnemonic, mnemonic)


def _hex(value: int) -> str:
    return hex(value)


def _data(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _stack_int(value: int | bytes) -> int:
    return value if isinstance(value, int) else int.from_bytes(value, "big")


# --- the tracer -----------------------------------------------------------------------------


class Tracer:
    """Collects struct-logger steps and call frames while one transaction runs."""

    def __init__(self, config: TraceConfig, *, deadline: float, timeout_s: float, max_bytes: int) -> None:
        self.config = config
        self.deadline, self.timeout_s, self.max_bytes = deadline, timeout_s, max_bytes
        self.struct_logs: list[dict[str, Any]] = []
        self._size = 0
        self._frames: list[dict[str, Any]] = []  # the open call frames, outermost first
        self.root: dict[str, Any] | None = None
        self._next_call_type: str | None = None
        self._storage: dict[bytes, dict[str, str]] = {}  # per contract, slots seen so far

    # frames

    def enter(self, message: MessageAPI) -> None:
        call_type = self._next_call_type or ("CREATE" if message.is_create else "CALL")
        self._next_call_type = None
        to = message.storage_address if message.is_create else message.code_address
        frame: dict[str, Any] = {
            "type": call_type,
            "from": "0x" + bytes(message.sender).hex(),
            "to": "0x" + bytes(to).hex(),
            "gas": _hex(message.gas),
            "gasUsed": "0x0",
            "input": _data(message.code if message.is_create else message.data),
        }
        if call_type not in _NO_VALUE_OPS:
            frame["value"] = _hex(message.value)
        if self._frames:
            if not self.config.only_top_call:
                self._frames[-1].setdefault("calls", []).append(frame)
        else:
            self.root = frame
        self._frames.append(frame)

    def exit(self, computation: ComputationAPI | None, error: BaseException | None = None) -> None:
        frame = self._frames.pop()
        if computation is None:  # the message never started (depth, balance)
            frame["gasUsed"] = "0x0"
            frame["error"] = evm_error_message(error) if error is not None else "execution failed"
            return
        frame["gasUsed"] = _hex(computation.msg.gas - computation.get_gas_remaining())
        output = computation.output
        if computation.is_success:
            if output:
                frame["output"] = _data(output)
            return
        frame["error"] = evm_error_message(computation.error)
        if isinstance(computation.error, Revert):
            if output:
                frame["output"] = _data(output)
            reason = decode_revert_reason(output)
            if reason is not None:
                frame["revertReason"] = reason

    # steps

    def check_deadline(self) -> None:
        if time.monotonic() > self.deadline:
            raise ExecutionTimeout(f"execution aborted (timeout = {format_duration(self.timeout_s)})")

    def before_op(self, computation: ComputationAPI, mnemonic: str) -> dict[str, Any] | None:
        self.check_deadline()
        if mnemonic in _CALL_OPS:
            self._next_call_type = mnemonic
        if self.config.tracer is not None:
            return None
        if not len(computation.code):
            return None  # no code ran (py-evm still dispatches a STOP): geth logs no step, as for a plain transfer
        config = self.config
        pc = computation.code.program_counter
        if not (mnemonic == "STOP" and _implicit_stop(computation.code, pc)):
            pc -= 1  # py-evm has moved past the opcode it dispatches
        step: dict[str, Any] = {
            "pc": pc,
            "op": mnemonic,
            "gas": computation.get_gas_remaining(),
            "gasCost": 0,
            "depth": computation.msg.depth + 1,
        }
        stack_values = computation._stack.values  # type: ignore[attr-defined]
        size = 80 + len(mnemonic)
        if not config.disable_stack:
            step["stack"] = [_hex(_stack_int(v)) for v in stack_values]
            size += sum(len(s) + 3 for s in step["stack"])
        if config.enable_memory:
            memory = bytes(computation._memory._bytes)  # type: ignore[attr-defined]
            step["memory"] = [memory[i:i + 32].hex() for i in range(0, len(memory), 32)]
            size += len(memory) * 2 + len(step["memory"]) * 3
        if not config.disable_storage and mnemonic in ("SLOAD", "SSTORE") and stack_values:
            address = bytes(computation.msg.storage_address)
            slots = self._storage.setdefault(address, {})
            key = _stack_int(stack_values[-1])
            if mnemonic == "SLOAD":
                value = computation.state.get_storage(address, key)
            else:
                value = _stack_int(stack_values[-2]) if len(stack_values) > 1 else 0
            slots[key.to_bytes(32, "big").hex()] = value.to_bytes(32, "big").hex()
            step["storage"] = dict(slots)
            size += 140 * len(slots)
        refund = computation.get_gas_refund()
        if refund:
            step["refund"] = refund
        self._size += size
        if self._size > self.max_bytes:
            raise LimitExceeded(f"trace too large: more than {self.max_bytes} bytes of struct logs; "
                                "use the callTracer or disableStack")
        self.struct_logs.append(step)
        return step

    def after_op(self, step: dict[str, Any], computation: ComputationAPI, mnemonic: str, gas_before: int,
                 children_before: int, error: BaseException | None) -> None:
        cost = gas_before - computation.get_gas_remaining()
        children = computation.children
        if mnemonic in _CALL_OPS and len(children) > children_before:
            cost += children[-1].get_gas_remaining()  # geth counts the gas handed over
        step["gasCost"] = cost
        if error is not None:
            step["error"] = evm_error_message(error)


def _implicit_stop(code: CodeStream, pc: int) -> bool:
    """Whether the STOP py-evm dispatches with its counter at `pc` is the implicit one past the
    code's end, which it dispatches without moving the counter: geth logs it at `pc` (the code's
    length, or beyond after a PUSH cut short), not at `pc - 1` as an explicit STOP. At `pc` =
    length the STOP was the last byte only if that byte is a 0x00 opcode, not a PUSH's data."""
    length = len(code)
    return pc > length or (pc == length and not (code[length - 1] == 0 and code.is_valid_opcode(length - 1)))


def tracing_state(state: StateAPI, tracer: Tracer) -> Callable[[], None]:
    """Make `state` run computations under `tracer`; returns the function that undoes it."""
    previous = state.computation_class
    base = type(state).computation_class

    def traced(opcode_fn: OpcodeAPI) -> Callable[..., None]:
        mnemonic = opcode_name(opcode_fn)

        def run(computation: ComputationAPI) -> None:
            step = tracer.before_op(computation, mnemonic)
            if step is None and mnemonic not in _CALL_OPS:
                opcode_fn(computation=computation)
                return
            gas_before = computation.get_gas_remaining()
            children_before = len(computation.children)
            try:
                opcode_fn(computation=computation)
            except Exception as error:
                if step is not None:
                    tracer.after_op(step, computation, mnemonic, gas_before, children_before, error)
                raise
            if step is not None:
                tracer.after_op(step, computation, mnemonic, gas_before, children_before, None)

        return run

    class TracingComputation(base):  # type: ignore[valid-type, misc]
        opcodes = {opcode: traced(fn) for opcode, fn in base.opcodes.items()}

        @classmethod
        def apply_message(cls, state: StateAPI, message: MessageAPI, transaction_context: TransactionContextAPI,
                          parent_computation: ComputationAPI | None = None) -> ComputationAPI:
            if message.is_create:  # from apply_create_message, whose frame is open already
                return super().apply_message(state, message, transaction_context, parent_computation)
            return _framed(lambda: super(TracingComputation, cls).apply_message(
                state, message, transaction_context, parent_computation), message)

        @classmethod
        def apply_create_message(cls, state: StateAPI, message: MessageAPI, transaction_context: TransactionContextAPI,
                                 parent_computation: ComputationAPI | None = None) -> ComputationAPI:
            return _framed(lambda: super(TracingComputation, cls).apply_create_message(
                state, message, transaction_context, parent_computation), message)

    def _framed(run: Callable[[], ComputationAPI], message: MessageAPI) -> ComputationAPI:
        tracer.enter(message)
        try:
            computation = run()
        except (ExecutionTimeout, LimitExceeded):
            raise
        except Exception as error:
            tracer.exit(None, error)
            raise
        tracer.exit(computation)
        return computation

    state.computation_class = TracingComputation  # type: ignore[misc]

    def undo() -> None:
        state.computation_class = previous  # type: ignore[misc]

    return undo


# --- results ----------------------------------------------------------------------------------


def trace_result(tracer: Tracer, computation: ComputationAPI, *, gas_limit: int, gas_used: int) -> dict[str, Any]:
    """The tracer's answer for a transaction that ran with `gas_limit` and was charged `gas_used`."""
    if tracer.config.tracer == CALL_TRACER:
        root = tracer.root
        if root is None:  # a deposit that failed before any message (see node/vm.py)
            root = {"type": "CALL", "from": None, "to": None, "value": "0x0", "input": "0x"}
            if computation.is_error:
                root["error"] = evm_error_message(computation.error)
        root["gas"] = _hex(gas_limit)
        root["gasUsed"] = _hex(gas_used)
        return root
    # geth's ExecutionResult: the return data (or revert data) as unprefixed hex, "" for a
    # failure other than a revert; storage and memory words are unprefixed too.
    output = computation.output
    failed_without_data = computation.is_error and not isinstance(computation.error, Revert)
    return {
        "gas": gas_used,
        "failed": computation.is_error,
        "returnValue": "" if failed_without_data else bytes(output).hex(),
        "structLogs": tracer.struct_logs,
    }


def trace_block(
    chain: Chain,
    header: BlockHeaderAPI,
    config: TraceConfig,
    *,
    only_index: int | None = None,
    deadline: float,
    timeout_s: float,
    max_bytes: int,
) -> list[dict[str, Any]]:
    """Trace the transactions of `header`'s block (or only the one at `only_index`), replaying
    the ones before it untraced: `[{txHash, result}]`, as debug_traceBlock*."""
    if header.block_number == 0:
        return []
    transactions = as_built(chain.transactions(header.hash), chain.block_index(header).senders)
    last = len(transactions) - 1 if only_index is None else only_index
    vm = chain.replay_vm(header)
    running_header = vm.get_header()
    results: list[dict[str, Any]] = []
    budget = max_bytes
    for index, tx in enumerate(transactions[: last + 1]):
        traced = only_index is None or index == only_index
        tracer = Tracer(config, deadline=deadline, timeout_s=timeout_s, max_bytes=budget)
        undo = tracing_state(vm.state, tracer) if traced else _deadline_only(vm.state, tracer)
        try:
            receipt, computation = vm.apply_transaction(running_header, tx)
        finally:
            undo()
        gas_used = receipt.gas_used - running_header.gas_used
        running_header = vm.add_receipt_to_header(running_header, receipt)
        if traced:
            budget -= tracer._size
            results.append({"txHash": _data(tx.hash),
                            "result": trace_result(tracer, computation, gas_limit=tx.gas, gas_used=gas_used)})
    return results


def _deadline_only(state: StateAPI, tracer: Tracer) -> Callable[[], None]:
    """Replayed (untraced) transactions still stop at the deadline."""
    previous = state.computation_class
    base = type(state).computation_class

    def timed(opcode_fn: OpcodeAPI) -> Callable[..., None]:
        def run(computation: ComputationAPI) -> None:
            tracer.check_deadline()
            opcode_fn(computation=computation)

        return run

    state.computation_class = type("DeadlineComputation", (base,), {  # type: ignore[misc]
        "opcodes": {opcode: timed(fn) for opcode, fn in base.opcodes.items()}})

    def undo() -> None:
        state.computation_class = previous  # type: ignore[misc]

    return undo


def trace_call(
    chain: Chain,
    header: BlockHeaderAPI,
    args: CallArgs,
    config: TraceConfig,
    *,
    overrides: StateOverrides,
    gas_cap: int,
    deadline: float,
    timeout_s: float,
    max_bytes: int,
) -> dict[str, Any]:
    """debug_traceCall: `args` run as eth_call runs it (on `header`'s post-state), traced."""
    _check_chain_id(args, chain)
    state = _scratch_state(chain, header)
    apply_overrides(state, overrides)
    tracer = Tracer(config, deadline=deadline, timeout_s=timeout_s, max_bytes=max_bytes)
    tracing_state(state, tracer)
    gas = min(args.gas, gas_cap) if args.gas is not None else gas_cap
    outcome = run_once(state, args, gas)
    return trace_result(tracer, outcome.computation, gas_limit=gas, gas_used=outcome.gas_used)


# --- eth_createAccessList -------------------------------------------------------------------------

#: Precompiles through Prague (0x01-0x11): warm from the start, never worth listing.
_PRECOMPILES: Final = frozenset((i).to_bytes(20, "big") for i in range(1, 0x12))
_ADDRESS_OPS: Final = frozenset({"EXTCODECOPY", "EXTCODEHASH", "EXTCODESIZE", "BALANCE", "SELFDESTRUCT"})
_CALL_TARGET_OPS: Final = frozenset({"CALL", "CALLCODE", "DELEGATECALL", "STATICCALL"})
#: geth iterates until the list is stable; each round can only add what the last one uncovered.
MAX_ACCESS_LIST_ROUNDS: Final = 16


class AccessListTracer(Tracer):
    """Records what a call touches, in first-touch order (geth's AccessListTracer)."""

    def __init__(self, start: AccessList, excluded: frozenset[bytes], **kwargs: Any) -> None:
        super().__init__(TraceConfig(tracer=CALL_TRACER, only_top_call=True), **kwargs)
        self.excluded = excluded
        self.touched: dict[bytes, dict[int, None]] = {}
        for address, slots in start:
            self._add(bytes(address), slots)

    def _add(self, address: bytes, slots: tuple[int, ...] = ()) -> None:
        # As geth: an excluded address is listed only for its slots (a token's own storage,
        # when the token is the recipient, is what a transfer's list is made of).
        if address in self.excluded and not slots:
            return
        entry = self.touched.setdefault(address, {})
        for slot in slots:
            entry.setdefault(slot, None)

    def before_op(self, computation: ComputationAPI, mnemonic: str) -> dict[str, Any] | None:
        stack = computation._stack.values  # type: ignore[attr-defined]
        if mnemonic in ("SLOAD", "SSTORE") and stack:
            self._add(bytes(computation.msg.storage_address), (_stack_int(stack[-1]),))
        elif mnemonic in _ADDRESS_OPS and stack:
            self._add((_stack_int(stack[-1]) % 2**160).to_bytes(20, "big"))
        elif mnemonic in _CALL_TARGET_OPS and len(stack) >= 2:
            self._add((_stack_int(stack[-2]) % 2**160).to_bytes(20, "big"))
        return super().before_op(computation, mnemonic)

    def access_list(self) -> AccessList:
        return tuple((address, tuple(slots)) for address, slots in self.touched.items())  # type: ignore[misc]


def create_access_list(
    chain: Chain,
    header: BlockHeaderAPI,
    args: CallArgs,
    *,
    overrides: StateOverrides,
    gas_cap: int,
    deadline: float,
    timeout_s: float,
) -> dict[str, Any]:
    """eth_createAccessList (execution-apis): `{accessList, gasUsed, error?}` for `args` run as
    eth_call runs it, with the list it needs; re-run with each new list until it is stable,
    as geth does (an access list changes gas, and so can change the path taken)."""
    from eth._utils.address import generate_contract_address
    from eth.constants import ZERO_ADDRESS

    _check_chain_id(args, chain)
    sender = bytes(args.sender or ZERO_ADDRESS)
    gas = min(args.gas, gas_cap) if args.gas is not None else gas_cap
    current = args.access_list
    for _round in range(MAX_ACCESS_LIST_ROUNDS):
        state = _scratch_state(chain, header)
        apply_overrides(state, overrides)
        recipient = bytes(args.to) if args.to is not None else generate_contract_address(sender, state.get_nonce(sender))
        tracer = AccessListTracer(current, _PRECOMPILES | {sender, recipient}, deadline=deadline,
                                  timeout_s=timeout_s, max_bytes=0)
        tracing_state(state, tracer)
        outcome = run_once(state, replace(args, access_list=current), gas)
        found = tracer.access_list()
        if found == current:
            break
        current = found
    result: dict[str, Any] = {
        "accessList": [{"address": _data(address), "storageKeys": [_data(slot.to_bytes(32, "big")) for slot in slots]}
                       for address, slots in current],
        "gasUsed": _hex(outcome.gas_used),
    }
    if outcome.computation.is_error:
        result["error"] = evm_error_message(outcome.computation.error)
    return result
