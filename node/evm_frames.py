"""A call frame's set-up without py-evm's per-frame checks and look-ups that cannot fail here.

py-evm builds each child frame's `Message` through thirteen validations (the gas, value and
depth are integers in range, the addresses 20 bytes, the data bytes) of values the calling
instruction has just made so (popped 256-bit words, `force_bytes_to_address`, memory read as
bytes); `child_message` sets the same fields directly. A computation's stack proxies
(`stack_pop_ints`, `stack_push_int`, ...) are `cached_property`s whose first read in every frame
checks `asyncio.iscoroutinefunction` (~5 us each); `bind_stack_proxies` binds them when the frame
is made. Tests: tests/node/test_evm_interpreter.py (every frame kind against py-evm's own set-up
at every gas limit; a frame's attributes equal py-evm's).
"""

from __future__ import annotations

from typing import Any, Optional

from eth.abc import MessageAPI, StackAPI
from eth.vm.message import Message
from eth_typing import Address

STACK_PROXIES = ("pop_ints", "pop_bytes", "pop_any", "pop1_int", "pop1_bytes", "pop1_any", "push_int", "push_bytes")


def bind_stack_proxies(computation: Any, stack: StackAPI) -> None:
    """`computation.stack_<name>` = `stack.<name>` for each proxy, as the cached property would."""
    attributes = computation.__dict__
    for name in STACK_PROXIES:
        attributes["stack_" + name] = getattr(stack, name)


def child_message(
    parent: MessageAPI,
    gas: int,
    to: Address,
    value: int,
    data: bytes,
    code: bytes,
    *,
    sender: Optional[Address] = None,
    create_address: Optional[Address] = None,
    code_address: Optional[Address] = None,
    should_transfer_value: bool = True,
    is_static: bool = False,
    is_delegation: bool = False,
) -> Message:
    """`BaseComputation.prepare_child_message(gas, to, value, data, code, ...)` of a frame running
    `parent`: the same Message, its fields set without re-validating them."""
    message = Message.__new__(Message)
    message.gas = gas
    message.to = to
    message.sender = parent.storage_address if sender is None else sender
    message.value = value
    message.data = data
    message.depth = parent.depth + 1
    message.code = code
    message._storage_address = create_address  # type: ignore[attr-defined]
    message._code_address = code_address  # type: ignore[attr-defined]
    message.should_transfer_value = should_transfer_value
    message.is_static = is_static
    message._is_delegation = is_delegation  # type: ignore[attr-defined]
    message.refund = 0
    return message
