"""py-evm's EVM stack and memory growth, with the conversions and checks of the common case inlined.

py-evm's `Stack` keeps each item as pushed (an int, or the bytes of a PUSH) and converts when
popped, through `to_int`/`to_bytes` (two isinstance checks and a call each) and, for several
items, a generator; its pushes validate through a call each. An ERC-20 transfer pops ~115
integers: those calls are a tenth of its execution. `FastStack` does the same work with a type
check and `int.from_bytes` in line, and falls back to py-evm's own functions for anything
unusual, so every value, error class and message stays py-evm's.

`inline_opcodes` gives the instructions a contract runs most (PUSH0-PUSH32, DUP1-DUP16,
SWAP1-SWAP16, POP: half of an ERC-20 transfer's and of the RWA mix's; then JUMP, JUMPI, ISZERO,
ADD, SUB, MUL, DIV, AND, OR, XOR, EQ, LT, GT, SHL, SHR, MLOAD, MSTORE: a third of the rest) as
one function each working on the stack's list and the memory's bytearray: py-evm's go through
three to five calls each (`push1` -> `push_XX` -> `CodeStream.read` -> `stack_push_bytes` ->
`push_bytes`; `add` -> `stack_pop_ints` -> `pop_ints` -> ... -> `stack_push_int`). Each does
py-evm's checks in py-evm's order, pushes the same values (a PUSH's bytes as read, zero-padded
past the end of the code, PUSH0's empty bytes; results as ints), raises the same errors with
the same messages, and keeps its table entry's mnemonic and gas cost; memory grows through
`extend_memory` (charged as before) unless it already covers the word.

These entries serve the loop that goes through the table (`node.evm_interpreter.run_frame`:
tracing's and deadlines' wrapped tables); Lantau's own loop (`run_frame_inlined`) does the same
instructions in line, without a call.

`extend_memory_fast` is `BaseComputation.extend_memory` with the common case first: memory
that already covers `[start, start + size)` costs no gas and does not grow (py-evm's memory
is always a whole number of 32-byte words, so its expansion cost could not rise), and is
left alone without computing the two costs.
"""

from __future__ import annotations

from typing import Callable, Mapping, Tuple, Union

from eth.abc import ComputationAPI, OpcodeAPI
from eth.constants import UINT_256_MAX
from eth.exceptions import FullStack, InsufficientStack, InvalidInstruction, InvalidJumpDestination
from eth.validation import validate_stack_bytes, validate_stack_int, validate_uint256
from eth.vm.computation import BaseComputation
from eth.vm.opcode import _FastOpcode
from eth.vm import opcode_values as op
from eth.vm.opcode_values import DUP1, JUMPDEST, POP, PUSH0, SWAP1, STOP
from eth.vm.stack import Stack, to_bytes, to_int

STACK_LIMIT = 1024


class FastStack(Stack):
    __slots__ = ()

    def push_int(self, value: int) -> None:
        values = self.values
        if len(values) >= STACK_LIMIT:
            raise FullStack("Stack limit reached")
        if not 0 <= value <= UINT_256_MAX:
            validate_stack_int(value)
        values.append(value)

    def push_bytes(self, value: bytes) -> None:
        values = self.values
        if len(values) >= STACK_LIMIT:
            raise FullStack("Stack limit reached")
        if len(value) > 32:
            validate_stack_bytes(value)
        values.append(value)

    def pop1_int(self) -> int:
        try:
            value = self.values.pop()
        except IndexError:
            raise InsufficientStack("Wanted 1 stack item, had none") from None
        if value.__class__ is int:
            return value  # type: ignore[return-value]
        if value.__class__ is bytes:
            return int.from_bytes(value, "big")  # type: ignore[arg-type]
        return to_int(value)

    def pop1_bytes(self) -> bytes:
        try:
            value = self.values.pop()
        except IndexError:
            raise InsufficientStack("Wanted 1 stack item, had none") from None
        return value if value.__class__ is bytes else to_bytes(value)  # type: ignore[return-value]

    def _pop_reversed(self, num_items: int) -> list[Union[int, bytes]]:
        values = self.values
        if num_items > len(values):
            raise InsufficientStack(f"Wanted {num_items} stack items, only had {len(values)}")
        popped = values[-num_items:]  # as py-evm's pop_any, num_items == 0 included
        del values[-num_items:]
        popped.reverse()
        return popped

    def pop_any(self, num_items: int) -> Tuple[Union[int, bytes], ...]:
        return tuple(self._pop_reversed(num_items))

    def pop_ints(self, num_items: int) -> Tuple[int, ...]:
        return tuple([
            value if value.__class__ is int
            else int.from_bytes(value, "big") if value.__class__ is bytes  # type: ignore[arg-type]
            else to_int(value)
            for value in self._pop_reversed(num_items)
        ])

    def pop_bytes(self, num_items: int) -> Tuple[bytes, ...]:
        return tuple([value if value.__class__ is bytes else to_bytes(value) for value in self._pop_reversed(num_items)])


def extend_memory_fast(computation: ComputationAPI, start_position: int, size: int) -> None:
    """`BaseComputation.extend_memory(computation, start_position, size)`, the same charges,
    growth and errors."""
    if start_position.__class__ is int and size.__class__ is int and 0 <= start_position <= UINT_256_MAX \
            and 0 <= size <= UINT_256_MAX:
        if not size or start_position + size <= len(computation._memory):  # type: ignore[attr-defined]
            return
    else:
        validate_uint256(start_position, title="Memory start position")
        validate_uint256(size, title="Memory size")
    BaseComputation.extend_memory(computation, start_position, size)  # type: ignore[arg-type]


# --- stack instructions ------------------------------------------------------------------------

Logic = Callable[[ComputationAPI], None]


def _push(size: int) -> Logic:
    def push(computation: ComputationAPI) -> None:
        code = computation.code
        start = code.program_counter  # type: ignore[attr-defined]
        end = code.program_counter = start + size  # type: ignore[attr-defined]
        raw = code._raw_code_bytes[start:end]  # type: ignore[attr-defined]
        if len(raw) != size:
            raw = raw.ljust(size, b"\x00")
        values = computation._stack.values  # type: ignore[attr-defined]
        if len(values) >= STACK_LIMIT:
            raise FullStack("Stack limit reached")
        values.append(raw)

    return push


def _dup(position: int) -> Logic:
    def dup(computation: ComputationAPI) -> None:
        values = computation._stack.values  # type: ignore[attr-defined]
        if len(values) > STACK_LIMIT - 1:
            raise FullStack("Stack limit reached")
        try:
            values.append(values[-position])
        except IndexError:
            raise InsufficientStack(f"Insufficient stack items for DUP{position}") from None

    return dup


def _swap(position: int) -> Logic:
    index = -position - 1

    def swap(computation: ComputationAPI) -> None:
        values = computation._stack.values  # type: ignore[attr-defined]
        try:
            values[-1], values[index] = values[index], values[-1]
        except IndexError:
            raise InsufficientStack(f"Insufficient stack items for SWAP{position}") from None

    return swap


def _pop(computation: ComputationAPI) -> None:
    try:
        computation._stack.values.pop()  # type: ignore[attr-defined]
    except IndexError:
        raise InsufficientStack("Wanted 1 stack item, had none") from None


def _pop1_int(values: list[Union[int, bytes]]) -> int:
    try:
        value = values.pop()
    except IndexError:
        raise InsufficientStack("Wanted 1 stack item, had none") from None
    if value.__class__ is int:
        return value  # type: ignore[return-value]
    return int.from_bytes(value, "big") if value.__class__ is bytes else to_int(value)  # type: ignore[arg-type]


def _pop2_ints(values: list[Union[int, bytes]]) -> tuple[int, int]:
    """(top, second): py-evm's `stack_pop_ints(2)`."""
    if len(values) < 2:
        raise InsufficientStack(f"Wanted 2 stack items, only had {len(values)}")
    top, second = values.pop(), values.pop()
    if top.__class__ is not int:
        top = int.from_bytes(top, "big") if top.__class__ is bytes else to_int(top)  # type: ignore[arg-type]
    if second.__class__ is not int:
        second = int.from_bytes(second, "big") if second.__class__ is bytes else to_int(second)  # type: ignore[arg-type]
    return top, second  # type: ignore[return-value]


def _binary(result_of: Callable[[int, int], int]) -> Logic:
    """An instruction popping (left = top, right) and pushing `result_of(left, right)`, which is
    always within 0..2**256-1 (py-evm's push would check that; the stack just shrank by one)."""

    def binary(computation: ComputationAPI) -> None:
        values = computation._stack.values  # type: ignore[attr-defined]
        left, right = _pop2_ints(values)
        values.append(result_of(left, right))

    return binary


def _iszero(computation: ComputationAPI) -> None:
    values = computation._stack.values  # type: ignore[attr-defined]
    values.append(1 if _pop1_int(values) == 0 else 0)


def _jump_to(computation: ComputationAPI, destination: int) -> None:
    code = computation.code
    code.program_counter = destination  # type: ignore[attr-defined]
    # CodeStream.peek, then AnalyzedCodeStream.is_valid_opcode
    length = code._length_cache  # type: ignore[attr-defined]
    if (code._raw_code_bytes[destination] if destination < length else STOP) != JUMPDEST:  # type: ignore[attr-defined]
        raise InvalidJumpDestination("Invalid Jump Destination")
    if code._push_data[destination]:  # type: ignore[attr-defined]
        raise InvalidInstruction("Jump resulted in invalid instruction")


def _jump(computation: ComputationAPI) -> None:
    _jump_to(computation, _pop1_int(computation._stack.values))  # type: ignore[attr-defined]


def _jumpi(computation: ComputationAPI) -> None:
    destination, condition = _pop2_ints(computation._stack.values)  # type: ignore[attr-defined]
    if condition:
        _jump_to(computation, destination)


def _mload(computation: ComputationAPI) -> None:
    values = computation._stack.values  # type: ignore[attr-defined]
    start = _pop1_int(values)
    memory = computation._memory._bytes  # type: ignore[attr-defined]
    if start + 32 > len(memory):
        computation.extend_memory(start, 32)
        memory = computation._memory._bytes  # type: ignore[attr-defined]
    values.append(bytes(memory[start:start + 32]))


def _mstore(computation: ComputationAPI) -> None:
    values = computation._stack.values  # type: ignore[attr-defined]
    start = _pop1_int(values)
    try:
        value = values.pop()
    except IndexError:
        raise InsufficientStack("Wanted 1 stack item, had none") from None
    if value.__class__ is int:
        word = value.to_bytes(32, "big")  # type: ignore[union-attr]
    else:
        word = (value if value.__class__ is bytes else to_bytes(value)).rjust(32, b"\x00")[-32:]  # type: ignore[union-attr]
    memory = computation._memory._bytes  # type: ignore[attr-defined]
    if start + 32 > len(memory):
        computation.extend_memory(start, 32)
        memory = computation._memory._bytes  # type: ignore[attr-defined]
    memory[start:start + 32] = word


def _shift_left(shift: int, value: int) -> int:
    return 0 if shift >= 256 else (value << shift) & UINT_256_MAX


def _shift_right(shift: int, value: int) -> int:
    return 0 if shift >= 256 else value >> shift


def inline_opcodes(base: Mapping[int, OpcodeAPI]) -> dict[int, OpcodeAPI]:
    """`base`'s entries for the instructions above with the logic above, each keeping its
    entry's mnemonic and gas cost (for a computation whose stack is a `FastStack` and whose code
    is an `AnalyzedCodeStream`)."""
    logic: dict[int, Logic] = {POP: _pop, op.JUMP: _jump, op.JUMPI: _jumpi, op.ISZERO: _iszero,
                               op.MLOAD: _mload, op.MSTORE: _mstore}
    logic.update({PUSH0 + size: _push(size) for size in range(33)})
    logic.update({DUP1 + offset: _dup(offset + 1) for offset in range(16)})
    logic.update({SWAP1 + offset: _swap(offset + 1) for offset in range(16)})
    logic.update({
        op.ADD: _binary(lambda left, right: (left + right) & UINT_256_MAX),
        op.SUB: _binary(lambda left, right: (left - right) & UINT_256_MAX),
        op.MUL: _binary(lambda left, right: (left * right) & UINT_256_MAX),
        op.DIV: _binary(lambda left, right: 0 if right == 0 else (left // right) & UINT_256_MAX),
        op.AND: _binary(lambda left, right: left & right),
        op.OR: _binary(lambda left, right: left | right),
        op.XOR: _binary(lambda left, right: left ^ right),
        op.EQ: _binary(lambda left, right: 1 if left == right else 0),
        op.LT: _binary(lambda left, right: 1 if left < right else 0),
        op.GT: _binary(lambda left, right: 1 if left > right else 0),
        op.SHL: _binary(_shift_left),
        op.SHR: _binary(_shift_right),
    })
    table: dict[int, OpcodeAPI] = {}
    for opcode, function in logic.items():
        entry = base[opcode]
        if type(entry) is not _FastOpcode:
            raise TypeError(f"opcode {opcode:#x} ({entry.mnemonic}) is not a plain py-evm opcode")
        table[opcode] = _FastOpcode(function, entry.mnemonic, entry.gas_cost)
    return table
