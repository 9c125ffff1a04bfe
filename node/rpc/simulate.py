"""eth_simulateV1 (execution-apis `eth_simulateV1`, semantics of geth's internal/ethapi/simulate.go):
calls run in a chain of simulated blocks on top of a base block, each block seeing the state the
blocks before it left.

    params: [{blockStateCalls: [{blockOverrides?, stateOverrides?, calls?: [call]}],
              validation?: bool, traceTransfers?: false, returnFullTransactions?: false}, block tag]

Per simulated block: state overrides apply first, then the calls run as transactions (nonce
bumped, gas bought, refunds and the L2's fee rules applied at finalisation, logs kept). A block's
defaults follow its parent: number + 1, timestamp + 12 (geth's), the parent's gas limit and fee
recipient; a `number` override past the next one fills the gap with empty blocks, which are
returned too. The base fee is 0 unless overridden, or, with `validation`, the EIP-1559 value of
the parent, so that calls without a gas price run as in eth_call.

A call that runs and fails is reported in its result (status 0x0, `error` {code 3 with the revert
data, or -32015 for an EVM error}); a transaction that could not start stops the whole request
with the spec's code (node/rpc/errors.py): insufficient funds -38014, intrinsic gas -38013, more
gas than the block has left -38015, blocks out of order -38020/-38021, more than
`MAX_SIMULATED_BLOCKS` -38026, and with `validation`: nonce -38010/-38011, fee cap under the base
fee -38012, a sender with code -38024.

Not a real block: the hash commits to the header Lantau fills (state root, gas used, logs
bloom, base fee ...), with the empty trie as transactions and receipts root, and a call's
"transaction hash" is keccak(sender ‖ unsigned transaction) — stand-ins that only chain the
simulated blocks and their logs together. `traceTransfers` (ERC-7528 logs of ETH moves) and
`returnFullTransactions` are refused by name (-32602).

Runs under the EVM deadline (every opcode checks it) and the RPC gas cap (across all calls, as
geth), and stops once the answer would pass the response cap.
"""

from __future__ import annotations

import json

import rlp
from dataclasses import dataclass, replace
from typing import Any, Final, Sequence

from eth.abc import BlockHeaderAPI, StateAPI
from eth.constants import BLANK_ROOT_HASH, ZERO_ADDRESS
from eth.exceptions import Revert
from eth.vm.execution_context import ExecutionContext
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth_bloom import BloomFilter
from eth_hash.auto import keccak

from node.chain import Chain
from node.errors import (
    ExecutionFailed,
    InsufficientFunds,
    IntrinsicGasTooLow,
    InvalidParams,
    LimitExceeded,
    SimulationBlockGasLimitReached,
    SimulationBlockNumberInvalid,
    SimulationBlockTimestampInvalid,
    SimulationFeeCapTooLow,
    SimulationInsufficientFunds,
    SimulationIntrinsicGasTooLow,
    SimulationNonceTooHigh,
    SimulationNonceTooLow,
    SimulationSenderNotEOA,
    SimulationTooLarge,
)
from node.rpc.execution import (
    _install_deadline,
    _message,
    _scratch_state,
    apply_overrides,
    decode_revert_reason,
    raise_for_failure,
    run_once,
)
from node.rpc.format import address as format_address, data, format_header, quantity, word
from node.rpc.params import (
    BlockOverrides,
    CallArgs,
    StateOverrides,
    _items,
    _object,
    _optional,
    parse_block_overrides,
    parse_bool,
    parse_call_args,
    parse_quantity,
    parse_state_overrides,
    parse_uint64,
)

MAX_SIMULATED_BLOCKS: Final = 256  # geth's maxSimulateBlocks
TIMESTAMP_INCREMENT_S: Final = 12  # geth's default step between simulated blocks
VM_ERROR: Final = -32015
REVERTED: Final = 3

# --- params ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimBlockOverrides:
    number: int | None = None
    base_fee_per_gas: int | None = None
    context: BlockOverrides = BlockOverrides()  # time, gasLimit, feeRecipient, prevRandao


@dataclass(frozen=True, slots=True)
class BlockStateCall:
    block: SimBlockOverrides
    state: StateOverrides
    calls: tuple[CallArgs, ...]


@dataclass(frozen=True, slots=True)
class SimulateOptions:
    blocks: tuple[BlockStateCall, ...]
    validation: bool = False


_OPTION_FIELDS: Final = ("blockStateCalls", "validation", "traceTransfers", "returnFullTransactions")
_BLOCK_FIELDS: Final = ("blockOverrides", "stateOverrides", "calls")


def _parse_sim_block_overrides(value: Any) -> SimBlockOverrides:
    obj = dict(_object(value, "block overrides"))
    number = _optional(parse_uint64, obj, "number")
    base_fee = _optional(parse_quantity, obj, "baseFeePerGas")
    obj.pop("number", None)
    obj.pop("baseFeePerGas", None)
    return SimBlockOverrides(number=number, base_fee_per_gas=base_fee, context=parse_block_overrides(obj))


def _parse_block_state_call(value: Any) -> BlockStateCall:
    obj = _object(value, "block state call")
    unknown = sorted(set(obj) - set(_BLOCK_FIELDS))
    if unknown:
        raise InvalidParams(f"unknown field {unknown[0]!r}")
    calls = obj.get("calls") or []
    if not isinstance(calls, list):
        raise InvalidParams("calls: must be an array")
    try:
        parsed_calls = _items(parse_call_args, calls, "calls")
    except InvalidParams as error:
        raise InvalidParams(str(error)) from None
    return BlockStateCall(
        block=_optional(_parse_sim_block_overrides, obj, "blockOverrides") or SimBlockOverrides(),
        state=_optional(parse_state_overrides, obj, "stateOverrides") or {},
        calls=parsed_calls,
    )


def parse_simulate_options(value: Any) -> SimulateOptions:
    obj = _object(value, "simulate options")
    if "blockStateCalls" not in obj or not isinstance(obj["blockStateCalls"], list):
        raise InvalidParams("blockStateCalls: missing or not an array")
    unknown = sorted(set(obj) - set(_OPTION_FIELDS))
    if unknown:
        raise InvalidParams(f"unknown field {unknown[0]!r}")
    for flag in ("traceTransfers", "returnFullTransactions"):
        if _optional(parse_bool, obj, flag):
            raise InvalidParams(f"{flag}: not supported by this node (only false)")
    blocks = _items(_parse_block_state_call, obj["blockStateCalls"], "blockStateCalls")
    if len(blocks) > MAX_SIMULATED_BLOCKS:
        raise SimulationTooLarge(f"too many blocks: {len(blocks)} > {MAX_SIMULATED_BLOCKS}")
    return SimulateOptions(blocks=blocks, validation=bool(_optional(parse_bool, obj, "validation")))


# --- running -----------------------------------------------------------------------------------


def _context(state: StateAPI, header: BlockHeaderAPI) -> ExecutionContext:
    old = state.execution_context
    return ExecutionContext(
        coinbase=header.coinbase, timestamp=header.timestamp, block_number=header.block_number, difficulty=0,
        mix_hash=header.mix_hash, gas_limit=header.gas_limit, prev_hashes=old.prev_hashes, chain_id=old.chain_id,
        base_fee_per_gas=header.base_fee_per_gas, excess_blob_gas=getattr(old, "excess_blob_gas", None),
    )


def _next_header(parent: BlockHeaderAPI, overrides: SimBlockOverrides, number: int, validation: bool) -> BlockHeaderAPI:
    """The next simulated block's header before its calls run (gas used 0, parent's state root)."""
    ctx = overrides.context
    timestamp = ctx.time if ctx.time is not None else parent.timestamp + TIMESTAMP_INCREMENT_S
    if timestamp <= parent.timestamp:
        raise SimulationBlockTimestampInvalid(
            f"block timestamps must be in order: {timestamp} <= {parent.timestamp}")
    if overrides.base_fee_per_gas is not None:
        base_fee = overrides.base_fee_per_gas
    else:
        base_fee = calculate_expected_base_fee_per_gas(parent) if validation else 0
    return parent.copy(
        parent_hash=parent.hash, block_number=number, timestamp=timestamp,
        gas_limit=ctx.gas_limit if ctx.gas_limit is not None else parent.gas_limit,
        coinbase=ctx.fee_recipient if ctx.fee_recipient is not None else parent.coinbase,
        mix_hash=ctx.prev_randao if ctx.prev_randao is not None else parent.mix_hash,
        base_fee_per_gas=base_fee, gas_used=0, bloom=0,
        transaction_root=BLANK_ROOT_HASH, receipt_root=BLANK_ROOT_HASH,
    )


def _validate(state: StateAPI, args: CallArgs, base_fee: int) -> None:
    sender = args.sender or ZERO_ADDRESS
    expected = state.get_nonce(sender)
    if args.nonce is not None and args.nonce < expected:
        raise SimulationNonceTooLow(f"nonce too low: address {sender.hex()}, tx: {args.nonce} state: {expected}")
    if args.nonce is not None and args.nonce > expected:
        raise SimulationNonceTooHigh(f"nonce too high: address {sender.hex()}, tx: {args.nonce} state: {expected}")
    if state.get_code(sender):
        raise SimulationSenderNotEOA(f"sender not an eoa: address {sender.hex()}")
    if args.fee_cap < base_fee:
        raise SimulationFeeCapTooLow(
            f"max fee per gas less than block base fee: address {sender.hex()}, maxFeePerGas: {args.fee_cap}, baseFee: {base_fee}")


def _call_error(computation: Any) -> dict[str, Any]:
    if isinstance(computation.error, Revert):
        output = computation.output
        reason = decode_revert_reason(output)
        message = "execution reverted" + (f": {reason}" if reason else "")
        return {"code": REVERTED, "message": message, "data": data(output)}
    try:
        raise_for_failure(computation)
    except ExecutionFailed as error:
        return {"code": VM_ERROR, "message": str(error)}
    return {"code": VM_ERROR, "message": "execution failed"}  # pragma: no cover - failure always raises


@dataclass
class _Budget:
    gas: int  # the RPC gas cap, spent across all calls
    bytes: int


def _run_call(state: StateAPI, header: BlockHeaderAPI, args: CallArgs, gas_left_in_block: int, budget: _Budget,
              validation: bool) -> tuple[dict[str, Any], int, list[Any], bytes]:
    """One call as a transaction; (result without logs' block fields, gas used, raw logs, tx hash)."""
    if validation:
        _validate(state, args, header.base_fee_per_gas or 0)
    if args.gas is not None and args.gas > gas_left_in_block:
        raise SimulationBlockGasLimitReached(
            f"block gas limit reached: call needs {args.gas}, the block has {gas_left_in_block} left")
    gas = min(args.gas if args.gas is not None else gas_left_in_block, budget.gas)
    sender = args.sender or ZERO_ADDRESS
    tx = _message(state, args, gas)
    tx_hash = keccak(sender + rlp.encode(tx.spoof_target))
    try:
        outcome = run_once(state, args, gas)
    except InsufficientFunds as error:
        raise SimulationInsufficientFunds(str(error)) from None
    except IntrinsicGasTooLow as error:
        raise SimulationIntrinsicGasTooLow(str(error)) from None
    executor = state.get_transaction_executor()
    computation = executor.finalize_computation(tx, outcome.computation)
    budget.gas -= outcome.gas_used
    logs = list(computation.get_log_entries())
    result: dict[str, Any] = {
        "status": "0x1" if computation.is_success else "0x0",
        "returnData": data(computation.output),
        "gasUsed": quantity(outcome.gas_used),
    }
    if not computation.is_success:
        result["error"] = _call_error(computation)
    return result, outcome.gas_used, logs, tx_hash


def simulate(
    chain: Chain,
    base: BlockHeaderAPI,
    options: SimulateOptions,
    *,
    gas_cap: int,
    max_bytes: int,
    deadline: float,
    timeout_s: float,
) -> list[dict[str, Any]]:
    """eth_simulateV1 on top of `base`. Blocking: run it in a worker thread."""
    state = _scratch_state(chain, base)
    _install_deadline(state, deadline, timeout_s)
    budget = _Budget(gas=gas_cap, bytes=max_bytes)
    parent = base
    blocks: list[dict[str, Any]] = []
    for index, block_call in enumerate(options.blocks):
        number = block_call.block.number if block_call.block.number is not None else parent.block_number + 1
        if number <= parent.block_number:
            raise SimulationBlockNumberInvalid(
                f"block numbers must be in order: {number} <= {parent.block_number}")
        if len(blocks) + (number - parent.block_number) > MAX_SIMULATED_BLOCKS:
            raise SimulationTooLarge(f"too many blocks: more than {MAX_SIMULATED_BLOCKS} with the gaps filled")
        while parent.block_number + 1 < number:  # gap: empty blocks, as geth fills them
            parent = _seal(state, _next_header(parent, replace(block_call.block, context=BlockOverrides()), parent.block_number + 1,
                                               options.validation), [], blocks, budget)
        header = _next_header(parent, block_call.block, number, options.validation)
        state.execution_context = _context(state, header)  # type: ignore[misc]
        apply_overrides(state, block_call.state)
        calls: list[tuple[dict[str, Any], list[Any], bytes]] = []
        gas_used = 0
        for args in block_call.calls:
            result, used, logs, tx_hash = _run_call(state, header, args, header.gas_limit - gas_used, budget,
                                                    options.validation)
            gas_used += used
            calls.append((result, logs, tx_hash))
        parent = _seal(state, header.copy(gas_used=gas_used), calls, blocks, budget)
    return blocks


def _seal(state: StateAPI, header: BlockHeaderAPI, calls: Sequence[tuple[dict[str, Any], list[Any], bytes]],
          blocks: list[dict[str, Any]], budget: _Budget) -> BlockHeaderAPI:
    """Close a simulated block: state root, bloom, hash; its JSON appended to `blocks`."""
    state.execution_context = _context(state, header)  # type: ignore[misc]
    bloom = BloomFilter()
    for _, logs, _ in calls:
        for address, topics, _payload in logs:
            bloom.add(address)
            for topic in topics:
                bloom.add(topic.to_bytes(32, "big"))
    sealed = header.copy(state_root=state.make_state_root(), bloom=int(bloom))
    block = format_header(sealed)
    block.update({"transactions": [data(tx_hash) for _, _, tx_hash in calls], "uncles": [], "calls": []})
    if getattr(sealed, "withdrawals_root", None) is not None:
        block["withdrawals"] = []
    log_index = 0
    for tx_index, (result, logs, tx_hash) in enumerate(calls):
        result["logs"] = []
        for address, topics, payload in logs:
            result["logs"].append({
                "address": format_address(address), "topics": [word(t) for t in topics], "data": data(payload),
                "blockNumber": quantity(sealed.block_number), "blockHash": data(sealed.hash),
                "blockTimestamp": quantity(sealed.timestamp), "transactionHash": data(tx_hash),
                "transactionIndex": quantity(tx_index), "logIndex": quantity(log_index), "removed": False,
            })
            log_index += 1
        block["calls"].append(result)
    budget.bytes -= len(json.dumps(block))
    if budget.bytes < 0:
        raise LimitExceeded("simulation result too large: more than the response cap; simulate fewer calls")
    blocks.append(block)
    return sealed


