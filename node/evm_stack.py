"""py-evm's EVM stack and memory growth, with the conversions and checks of the common case inlined.

py-evm's `Stack` keeps each item as pushed (an int, or the bytes of a PUSH) and converts when
popped, through `to_int`/`to_bytes` (two isinstance checks and a call each) and, for several
items, a generator; its pushes validate through a call each. An ERC-20 transfer pops ~115
integers: those calls are a tenth of its execution. `FastStack` does the same work with a type
check and `int.from_bytes` in line, and falls back to py-evm's own functions for anything
unusual, so every value, error class and message stays py-evm's.

`extend_memory_fast` is `BaseComputation.extend_memory` with the common case first: memory
that already covers `[start, start + size)` costs no gas and does not grow (py-evm's memory
is always a whole number of 32-byte words, so its expansion cost could not rise), and is
left alone without computing the two costs.
"""

from __future__ import annotations

from typing import Tuple, Union

from eth.abc import ComputationAPI
from eth.constants import UINT_256_MAX
from eth.exceptions import FullStack, InsufficientStack
from eth.validation import validate_stack_bytes, validate_stack_int, validate_uint256
from eth.vm.computation import BaseComputation
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
