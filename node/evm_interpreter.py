"""The interpreter loop of one Lantau call frame, with the most run instructions in the loop itself.

py-evm runs an instruction as a call of its table entry (`_FastOpcode.__call__`), which calls
`GasMeter.consume_gas` and the instruction's logic, which calls the stack's methods: three to
five Python calls for a PUSH1. `run_frame_inlined` keeps the program counter, the gas left and
the stack's list in local variables and does the instructions that make up ~95 % of what
Lantau's contracts dispatch (PUSH0-PUSH32, DUP1-DUP16, SWAP1-SWAP16, POP, JUMPDEST, JUMP,
JUMPI, MLOAD, MSTORE, STOP, ADD, MUL, SUB, DIV, LT, GT, SLT, SGT, EQ, ISZERO, AND, OR, XOR, NOT,
SHL, SHR; and after py-evm's own logic, which the table must hold (`PY_EVM_LOGIC`): SLOAD,
SHA3, CALLDATALOAD, CALLER, CALLVALUE, CALLDATASIZE, RETURNDATASIZE, GAS) in line, without a
call; every other instruction goes through its table entry as before, with the program counter
and the gas written back to the frame first and read again after. SLOAD goes through the state's
own methods (warmth, the proof-cost counter, the read), as py-evm's does.

Each inlined instruction charges its table entry's gas first (`INLINED_GAS_COSTS`, checked
against the table when the module loads), then does py-evm's checks in py-evm's order and raises
py-evm's errors with py-evm's messages; a frame that ends (halt or error) has its program
counter and gas in the frame as py-evm would leave them. A jump that lands on a JUMPDEST with
gas for it runs that JUMPDEST too (one pass of the loop fewer; it counts as dispatched).

Stack items stay py-evm's mix of ints and bytes (an item is a word whatever its form, and every
reader converts): PUSHes push the int of their bytes, read from one analysis per code
(`node.code_stream.push_values`), MLOAD and CALLDATALOAD the int of the word; items other
instructions push (addresses, hashes) are converted when an inlined instruction pops them.

`run_frame` is the loop for any other table (a tracer's or a deadline's wrapped entries): every
instruction through its entry, in the same order, with the same counts.

Both count, for the proof-cost rule (`node.vm.ProofCostMeter`), every instruction dispatched,
the STOP past the end of the code included, and the frame's memory when it exits.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Union

from eth.abc import ComputationAPI, OpcodeAPI
from eth.constants import UINT_256_MAX
from eth.exceptions import FullStack, Halt, InsufficientStack, InvalidInstruction, InvalidJumpDestination, OutOfGas
from eth.vm import opcode_values as op
from eth.vm.forks.berlin import logic as berlin_logic
from eth.vm.forks.berlin.constants import COLD_SLOAD_COST, WARM_STORAGE_READ_COST
from eth.vm.logic import comparison, context, flow
from eth.vm.logic import sha3 as sha3_logic
from eth_hash.auto import keccak
from eth.vm.logic.invalid import InvalidOpcode
from eth.vm.opcode import _FastOpcode
from eth.vm.stack import to_int

STACK_LIMIT = 1024

# The gas each inlined instruction's table entry charges (Prague's; checked by `check_inlined_table`).
GAS_PUSH = GAS_DUP = GAS_SWAP = GAS_MEMORY_WORD = 3  # PUSH1-32, DUP, SWAP; MLOAD and MSTORE before growth
GAS_PUSH0 = GAS_POP = 2
GAS_JUMPDEST = 1
GAS_JUMP = 8
GAS_JUMPI = 10
GAS_ALU = 3  # ADD SUB LT GT EQ ISZERO AND OR XOR NOT SHL SHR
GAS_MUL_DIV = 5
# The two-operand instructions done in line, and what each charges (0: not inlined).
TWO_OPERAND_GAS: tuple[int, ...] = tuple(
    {op.ADD: GAS_ALU, op.MUL: GAS_MUL_DIV, op.SUB: GAS_ALU, op.DIV: GAS_MUL_DIV, op.LT: GAS_ALU, op.GT: GAS_ALU,
     op.EQ: GAS_ALU, op.AND: GAS_ALU, op.OR: GAS_ALU, op.XOR: GAS_ALU, op.SHL: GAS_ALU, op.SHR: GAS_ALU,
     op.SLT: GAS_ALU, op.SGT: GAS_ALU}.get(code, 0)
    for code in range(0x20)
)
GAS_SHA3 = 30
GAS_SHA3WORD = 6
GAS_CALLDATALOAD = 3
GAS_CONTEXT_READ = 2
CONTEXT_READS = frozenset((op.CALLER, op.CALLVALUE, op.CALLDATASIZE, op.RETURNDATASIZE, op.GAS))
SIGNED_MAX = 2**255 - 1
INLINED_GAS_COSTS: dict[int, int] = {
    **{code: GAS_PUSH for code in range(op.PUSH1, op.PUSH32 + 1)},
    **{code: GAS_DUP for code in range(op.DUP1, op.DUP16 + 1)},
    **{code: GAS_SWAP for code in range(op.SWAP1, op.SWAP16 + 1)},
    op.PUSH0: GAS_PUSH0, op.POP: GAS_POP, op.JUMPDEST: GAS_JUMPDEST, op.JUMP: GAS_JUMP, op.JUMPI: GAS_JUMPI,
    op.MLOAD: GAS_MEMORY_WORD, op.MSTORE: GAS_MEMORY_WORD, op.STOP: 0, op.ISZERO: GAS_ALU, op.NOT: GAS_ALU,
    **{code: cost for code, cost in enumerate(TWO_OPERAND_GAS) if cost},
    op.SLOAD: 0, op.SHA3: GAS_SHA3, op.CALLDATALOAD: GAS_CALLDATALOAD,
    **{code: GAS_CONTEXT_READ for code in CONTEXT_READS},
}
# The instructions done in line after py-evm's own logic: the table must hold that logic.
PY_EVM_LOGIC: dict[int, Callable[..., None]] = {
    op.SLOAD: berlin_logic.sload_eip2929, op.SHA3: sha3_logic.sha3, op.CALLDATALOAD: context.calldataload,
    op.CALLER: context.caller, op.CALLVALUE: context.callvalue, op.CALLDATASIZE: context.calldatasize,
    op.RETURNDATASIZE: context.returndatasize, op.GAS: flow.gas, op.SLT: comparison.slt, op.SGT: comparison.sgt,
}


def check_inlined_table(table: Mapping[int, OpcodeAPI]) -> None:
    """Raise unless every instruction done in line is a plain entry of `table` charging what the
    loop charges (the loop would otherwise charge other gas than the fork's table)."""
    for opcode, cost in INLINED_GAS_COSTS.items():
        entry = table[opcode]
        if type(entry) is not _FastOpcode or entry.gas_cost != cost:
            raise TypeError(f"opcode {opcode:#x} ({entry.mnemonic}) is not a plain entry charging {cost} gas")
        if opcode in PY_EVM_LOGIC and entry.logic_fn is not PY_EVM_LOGIC[opcode]:
            raise TypeError(f"opcode {opcode:#x} ({entry.mnemonic}) is not py-evm's {PY_EVM_LOGIC[opcode].__name__}")


def _out_of_gas(table: Mapping[int, OpcodeAPI], opcode: int, cost: int, gas: int) -> OutOfGas:
    return OutOfGas(f"Out of gas: Needed {cost} - Remaining {gas} - Reason: {table[opcode].mnemonic}")


def _underflow(wanted: int, had: int) -> InsufficientStack:
    if wanted == 1:
        return InsufficientStack("Wanted 1 stack item, had none")
    return InsufficientStack(f"Wanted {wanted} stack items, only had {had}")


def _int(value: Union[int, bytes]) -> int:
    """A stack item that is not an int, as py-evm's `to_int` reads it."""
    return int.from_bytes(value, "big") if value.__class__ is bytes else to_int(value)  # type: ignore[arg-type]


def run_frame_inlined(computation: Any, meter: Any) -> None:
    """Run `computation`'s code until it halts or raises; `meter` counts its instructions and
    memory (see the module doc). `computation` is a LantauComputation with Lantau's own table."""
    table = computation.opcodes
    gas_meter = computation._gas_meter
    code = computation.code
    raw_code = code._raw_code_bytes
    code_length = len(raw_code)
    push_data = code._push_data
    push_values = code._push_values
    stack: list[Union[int, bytes]] = computation._stack.values
    memory_of = computation._memory
    message = computation.msg
    state = computation.state
    calldata: Optional[bytes] = None  # the message's data as bytes, read at the first CALLDATALOAD
    pc: int = code.program_counter
    gas: int = gas_meter.gas_remaining  # -1 while the frame's gas meter holds the gas (an entry runs)
    dispatched = 0
    try:
        while True:
            try:
                opcode = raw_code[pc]
            except IndexError:  # past the end: STOP, the counter left where it is
                dispatched += 1
                break
            dispatched += 1
            if opcode >= 0x60:  # PUSH1 and up
                if opcode <= 0x7F:  # PUSH1-PUSH32
                    if gas < GAS_PUSH:
                        raise _out_of_gas(table, opcode, GAS_PUSH, gas)
                    gas -= GAS_PUSH
                    if len(stack) >= STACK_LIMIT:
                        raise FullStack("Stack limit reached")
                    stack.append(push_values[pc])
                    pc += opcode - 0x5E  # past the PUSH and its data
                    continue
                if opcode <= 0x8F:  # DUP1-DUP16
                    if gas < GAS_DUP:
                        raise _out_of_gas(table, opcode, GAS_DUP, gas)
                    gas -= GAS_DUP
                    depth = len(stack)
                    if depth >= STACK_LIMIT:
                        raise FullStack("Stack limit reached")
                    position = opcode - 0x7F
                    if position > depth:
                        raise InsufficientStack(f"Insufficient stack items for DUP{position}")
                    stack.append(stack[-position])
                    pc += 1
                    continue
                if opcode <= 0x9F:  # SWAP1-SWAP16
                    if gas < GAS_SWAP:
                        raise _out_of_gas(table, opcode, GAS_SWAP, gas)
                    gas -= GAS_SWAP
                    index = 0x8E - opcode  # SWAPn swaps the top with the item n below it
                    try:
                        stack[-1], stack[index] = stack[index], stack[-1]
                    except IndexError:
                        raise InsufficientStack(f"Insufficient stack items for SWAP{opcode - 0x8F}") from None
                    pc += 1
                    continue
            elif opcode < 0x20:  # arithmetic, comparison, bitwise; STOP
                cost = TWO_OPERAND_GAS[opcode]
                if cost:
                    if gas < cost:
                        raise _out_of_gas(table, opcode, cost, gas)
                    gas -= cost
                    if len(stack) < 2:
                        raise _underflow(2, len(stack))
                    left = stack.pop()
                    right = stack[-1]
                    if left.__class__ is not int:
                        left = _int(left)
                    if right.__class__ is not int:
                        right = _int(right)
                    if opcode == 0x16:  # AND
                        stack[-1] = left & right  # type: ignore[operator]
                    elif opcode == 0x01:  # ADD
                        stack[-1] = (left + right) & UINT_256_MAX  # type: ignore[operator]
                    elif opcode == 0x03:  # SUB
                        stack[-1] = (left - right) & UINT_256_MAX  # type: ignore[operator]
                    elif opcode == 0x1B:  # SHL
                        stack[-1] = 0 if left >= 256 else (right << left) & UINT_256_MAX  # type: ignore[operator]
                    elif opcode == 0x14:  # EQ
                        stack[-1] = 1 if left == right else 0
                    elif opcode == 0x11:  # GT
                        stack[-1] = 1 if left > right else 0  # type: ignore[operator]
                    elif opcode == 0x10:  # LT
                        stack[-1] = 1 if left < right else 0  # type: ignore[operator]
                    elif opcode == 0x04:  # DIV
                        stack[-1] = 0 if right == 0 else left // right  # type: ignore[operator]
                    elif opcode == 0x1C:  # SHR
                        stack[-1] = 0 if left >= 256 else right >> left  # type: ignore[operator]
                    elif opcode == 0x02:  # MUL
                        stack[-1] = (left * right) & UINT_256_MAX  # type: ignore[operator]
                    elif opcode == 0x17:  # OR
                        stack[-1] = left | right  # type: ignore[operator]
                    elif opcode == 0x12 or opcode == 0x13:  # SLT, SGT: as two's-complement signed words
                        if left > SIGNED_MAX:  # type: ignore[operator]
                            left -= 1 << 256  # type: ignore[operator]
                        if right > SIGNED_MAX:  # type: ignore[operator]
                            right -= 1 << 256  # type: ignore[operator]
                        if opcode == 0x12:  # SLT
                            stack[-1] = 1 if left < right else 0  # type: ignore[operator]
                        else:
                            stack[-1] = 1 if left > right else 0  # type: ignore[operator]
                    else:  # XOR
                        stack[-1] = left ^ right  # type: ignore[operator]
                    pc += 1
                    continue
                if opcode == 0x15 or opcode == 0x19:  # ISZERO, NOT
                    if gas < GAS_ALU:
                        raise _out_of_gas(table, opcode, GAS_ALU, gas)
                    gas -= GAS_ALU
                    if not stack:
                        raise _underflow(1, 0)
                    value = stack[-1]
                    if value.__class__ is not int:
                        value = _int(value)
                    stack[-1] = (0 if value else 1) if opcode == 0x15 else UINT_256_MAX - value  # type: ignore[operator]
                    pc += 1
                    continue
                if opcode == 0x00:  # STOP
                    pc += 1
                    break
            elif opcode == 0x5F:  # PUSH0
                if gas < GAS_PUSH0:
                    raise _out_of_gas(table, opcode, GAS_PUSH0, gas)
                gas -= GAS_PUSH0
                if len(stack) >= STACK_LIMIT:
                    raise FullStack("Stack limit reached")
                stack.append(0)
                pc += 1
                continue
            elif opcode == 0x5B:  # JUMPDEST
                if gas < GAS_JUMPDEST:
                    raise _out_of_gas(table, opcode, GAS_JUMPDEST, gas)
                gas -= GAS_JUMPDEST
                pc += 1
                continue
            elif opcode == 0x50:  # POP
                if gas < GAS_POP:
                    raise _out_of_gas(table, opcode, GAS_POP, gas)
                gas -= GAS_POP
                if not stack:
                    raise _underflow(1, 0)
                stack.pop()
                pc += 1
                continue
            elif opcode == 0x56 or opcode == 0x57:  # JUMP, JUMPI
                if opcode == 0x56:
                    if gas < GAS_JUMP:
                        raise _out_of_gas(table, opcode, GAS_JUMP, gas)
                    gas -= GAS_JUMP
                    if not stack:
                        raise _underflow(1, 0)
                    destination = stack.pop()
                else:
                    if gas < GAS_JUMPI:
                        raise _out_of_gas(table, opcode, GAS_JUMPI, gas)
                    gas -= GAS_JUMPI
                    if len(stack) < 2:
                        raise _underflow(2, len(stack))
                    destination = stack.pop()
                    condition = stack.pop()
                    if condition.__class__ is not int:
                        condition = _int(condition)
                    if not condition:
                        pc += 1
                        continue
                if destination.__class__ is not int:
                    destination = _int(destination)
                pc = destination  # type: ignore[assignment]
                if pc >= code_length or raw_code[pc] != 0x5B:
                    raise InvalidJumpDestination("Invalid Jump Destination")
                if push_data[pc]:
                    raise InvalidInstruction("Jump resulted in invalid instruction")
                if gas >= GAS_JUMPDEST:  # the JUMPDEST landed on, run here
                    gas -= GAS_JUMPDEST
                    dispatched += 1
                    pc += 1
                continue
            elif opcode == 0x52 or opcode == 0x51:  # MSTORE, MLOAD
                if gas < GAS_MEMORY_WORD:
                    raise _out_of_gas(table, opcode, GAS_MEMORY_WORD, gas)
                gas -= GAS_MEMORY_WORD
                if not stack:
                    raise _underflow(1, 0)
                start = stack.pop()
                if start.__class__ is not int:
                    start = _int(start)
                if opcode == 0x52:  # MSTORE
                    if not stack:
                        raise _underflow(1, 0)
                    value = stack.pop()
                    if value.__class__ is int:
                        word = value.to_bytes(32, "big")  # type: ignore[union-attr]
                    else:
                        word = _int(value).to_bytes(32, "big")
                memory = memory_of._bytes
                if start + 32 > len(memory):  # type: ignore[operator]
                    code.program_counter = pc + 1
                    gas_meter.gas_remaining = gas
                    gas = -1
                    computation.extend_memory(start, 32)  # charges the growth (or raises)
                    gas = gas_meter.gas_remaining
                    memory = memory_of._bytes
                if opcode == 0x52:  # MSTORE
                    memory[start:start + 32] = word  # type: ignore[index]
                else:
                    if len(stack) >= STACK_LIMIT:  # cannot happen: one item was just popped
                        raise FullStack("Stack limit reached")
                    stack.append(int.from_bytes(memory[start:start + 32], "big"))  # type: ignore[index]
                pc += 1
                continue
            elif opcode == 0x54:  # SLOAD: berlin's sload_eip2929 (its entry charges 0 first)
                if not stack:
                    raise _underflow(1, 0)
                slot = stack.pop()
                if slot.__class__ is not int:
                    slot = _int(slot)
                storage_address = message.storage_address
                if state.is_storage_warm(storage_address, slot):
                    cost = WARM_STORAGE_READ_COST
                else:
                    state.mark_storage_warm(storage_address, slot)
                    cost = COLD_SLOAD_COST
                if gas < cost:
                    raise OutOfGas(f"Out of gas: Needed {cost} - Remaining {gas} - Reason: SLOAD")
                gas -= cost
                stack.append(state.get_storage(address=storage_address, slot=slot))
                pc += 1
                continue
            elif opcode == 0x20:  # SHA3: py-evm's sha3
                if gas < GAS_SHA3:
                    raise _out_of_gas(table, opcode, GAS_SHA3, gas)
                gas -= GAS_SHA3
                if len(stack) < 2:
                    raise _underflow(2, len(stack))
                start = stack.pop()
                size = stack.pop()
                if start.__class__ is not int:
                    start = _int(start)
                if size.__class__ is not int:
                    size = _int(size)
                memory = memory_of._bytes
                if size and start + size > len(memory):  # type: ignore[operator]
                    code.program_counter = pc + 1
                    gas_meter.gas_remaining = gas
                    gas = -1
                    computation.extend_memory(start, size)  # charges the growth (or raises)
                    gas = gas_meter.gas_remaining
                    memory = memory_of._bytes
                data = bytes(memory[start:start + size])  # type: ignore[index, operator]
                cost = GAS_SHA3WORD * ((len(data) + 31) // 32)
                if gas < cost:
                    raise OutOfGas(f"Out of gas: Needed {cost} - Remaining {gas} - Reason: SHA3: word gas cost")
                gas -= cost
                stack.append(keccak(data))
                pc += 1
                continue
            elif opcode == 0x35:  # CALLDATALOAD: py-evm's calldataload; the word as an int
                if gas < GAS_CALLDATALOAD:
                    raise _out_of_gas(table, opcode, GAS_CALLDATALOAD, gas)
                gas -= GAS_CALLDATALOAD
                if not stack:
                    raise _underflow(1, 0)
                start = stack.pop()
                if start.__class__ is not int:
                    start = _int(start)
                if calldata is None:
                    calldata = message.data_as_bytes
                stack.append(int.from_bytes(calldata[start:start + 32].ljust(32, b"\x00"), "big"))  # type: ignore[index, operator]
                pc += 1
                continue
            elif opcode in CONTEXT_READS:  # CALLER CALLVALUE CALLDATASIZE RETURNDATASIZE GAS: charge 2, push
                if gas < GAS_CONTEXT_READ:
                    raise _out_of_gas(table, opcode, GAS_CONTEXT_READ, gas)
                gas -= GAS_CONTEXT_READ
                if len(stack) >= STACK_LIMIT:
                    raise FullStack("Stack limit reached")
                if opcode == 0x36:  # CALLDATASIZE
                    stack.append(len(message.data))
                elif opcode == 0x3D:  # RETURNDATASIZE
                    stack.append(len(computation.return_data))
                elif opcode == 0x34:  # CALLVALUE
                    stack.append(message.value)
                elif opcode == 0x33:  # CALLER
                    stack.append(message.sender)
                else:  # GAS: what is left after its own charge
                    stack.append(gas)
                pc += 1
                continue
            # Any other instruction: its table entry, with the frame's counter and gas in place.
            code.program_counter = pc + 1
            gas_meter.gas_remaining = gas
            gas = -1
            run_entry(table, opcode, computation, gas_meter)
            gas = gas_meter.gas_remaining
            pc = code.program_counter
    except Halt:
        pass
    finally:  # an exceptional halt (out of gas, revert, ...) counts too
        if gas >= 0:  # the loop held the counter and the gas: the frame gets them back
            code.program_counter = pc
            gas_meter.gas_remaining = gas
        meter.opcodes += dispatched
        meter.memory_bytes += len(computation._memory)  # memory never shrinks: its largest


def run_entry(table: Mapping[int, OpcodeAPI], opcode: int, computation: ComputationAPI, gas_meter: Any) -> None:
    """One instruction through its entry in `table` (an opcode it lacks is py-evm's InvalidOpcode);
    a plain entry's charge as `_FastOpcode.__call__` makes it, with `GasMeter.consume_gas` in
    line: the same charge and the same error, two calls fewer."""
    try:
        opcode_fn = table[opcode]
    except KeyError:
        opcode_fn = InvalidOpcode(opcode)
    if type(opcode_fn) is _FastOpcode:
        cost = opcode_fn.gas_cost
        if cost > gas_meter.gas_remaining:
            raise OutOfGas(f"Out of gas: Needed {cost} - Remaining {gas_meter.gas_remaining}"
                           f" - Reason: {opcode_fn.mnemonic}")
        gas_meter.gas_remaining -= cost
        opcode_fn.logic_fn(computation)  # type: ignore[attr-defined]
    else:
        opcode_fn(computation=computation)


def run_frame(computation: ComputationAPI, meter: Any) -> None:
    """Run `computation`'s code with every instruction through its table entry (for a table whose
    entries are wrapped: tracing, deadlines)."""
    opcode_lookup = computation.opcodes
    gas_meter = computation._gas_meter  # type: ignore[attr-defined]
    code = computation.code
    raw_code = code._raw_code_bytes  # type: ignore[attr-defined]
    code_length = len(raw_code)
    dispatched = 0
    try:
        while True:
            # CodeStream.__iter__ in line: the byte at the program counter, which moves past it;
            # past the end, STOP (whose Halt ends the loop) with the counter left where it is.
            pc = code.program_counter
            if pc < code_length:
                opcode = raw_code[pc]
                code.program_counter = pc + 1
            else:
                opcode = op.STOP
            dispatched += 1
            try:
                run_entry(opcode_lookup, opcode, computation, gas_meter)
            except Halt:
                break
    finally:
        meter.opcodes += dispatched
        meter.memory_bytes += len(computation._memory)  # type: ignore[attr-defined]
