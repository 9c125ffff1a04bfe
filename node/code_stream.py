"""Which positions of contract code are instructions, and what each PUSH pushes, worked out once
per code, not per call.

`JUMP`/`JUMPI` must land on a `JUMPDEST` that is an instruction, not a byte of `PUSH` data.
py-evm's `CodeStream` decides that for each jump by looking back up to 32 bytes for a `PUSH`
that covers the target, recursively, and remembers the answer only for that one call frame:
an ERC-20 `transfer` repeats ~20 such walks in every transaction. `AnalyzedCodeStream` reads
a map of the code's push data instead, made by one pass over the code and kept per code (LRU).
A position is an instruction exactly when no `PUSHn` that is itself an instruction has it
among its n data bytes: the same answer as py-evm's walk (tests/node/test_code_stream.py).

The same pass reads the value of every PUSH0-PUSH32 that is an instruction, as an int (its
data bytes zero-padded past the end of the code, as py-evm reads them), for the interpreter's
PUSH (`node.evm_interpreter`): a PUSH there is one index, not a slice and a conversion.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from eth.vm.code_stream import CodeStream
from eth.vm.opcode_values import PUSH0, PUSH1, PUSH32

CODE_ANALYSES_KEPT = 1024
# A push-value table holds a reference per code byte (~8 bytes each): fewer kept than maps.
PUSH_VALUE_TABLES_KEPT = 256


@lru_cache(maxsize=CODE_ANALYSES_KEPT)
def push_data_map(code: bytes) -> bytes:
    """One byte per position of `code`: 1 where it is PUSH data, 0 where it is an instruction."""
    data = bytearray(len(code))
    position = 0
    length = len(code)
    while position < length:
        opcode = code[position]
        if PUSH1 <= opcode <= PUSH32:
            size = opcode - PUSH1 + 1
            end = min(position + 1 + size, length)
            data[position + 1:end] = b"\x01" * (end - position - 1)
            position += 1 + size
        else:
            position += 1
    return bytes(data)


@lru_cache(maxsize=PUSH_VALUE_TABLES_KEPT)
def push_values(code: bytes) -> tuple[Optional[int], ...]:
    """One entry per position of `code`: at a PUSH0-PUSH32 that is an instruction, the int it
    pushes; elsewhere None."""
    values: list[Optional[int]] = [None] * len(code)
    position = 0
    length = len(code)
    while position < length:
        opcode = code[position]
        if PUSH0 <= opcode <= PUSH32:
            size = opcode - PUSH0
            data = code[position + 1:position + 1 + size]
            values[position] = int.from_bytes(data, "big") << (8 * (size - len(data)))
            position += 1 + size
        else:
            position += 1
    return tuple(values)


class AnalyzedCodeStream(CodeStream):
    __slots__ = ("_push_data", "_push_values")

    def __init__(self, code_bytes: bytes) -> None:
        super().__init__(code_bytes)
        code = bytes(code_bytes)
        self._push_data = push_data_map(code)
        self._push_values = push_values(code)

    def is_valid_opcode(self, position: int) -> bool:
        return position < self._length_cache and not self._push_data[position]
