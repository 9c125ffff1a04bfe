"""A guard for decoding untrusted RLP (transactions from RPC, transactions inside batches).

The RLP decoder recurses once per nesting level, and py-evm raises Python's recursion limit,
so a ~100 KB input of nested empty lists overflows the C stack: a segfault, the node gone.
Check the nesting depth with a flat scan before decoding.
"""

from __future__ import annotations

from typing import Final

#: No valid transaction nests RLP lists deeper than 4 (transaction, access list, entry, keys).
MAX_TRANSACTION_RLP_DEPTH: Final = 16


def rlp_nesting_exceeds(raw: bytes, limit: int) -> bool:
    """Whether the RLP in `raw` (after an EIP-2718 type byte) nests lists deeper than `limit`.

    Checked before decoding because the RLP decoder recurses once per level, and a 100 KB
    transaction of nested empty lists overflows the C stack (a segfault, the node gone)."""
    position = 1 if raw and raw[0] < 0x80 else 0
    list_ends: list[int] = []
    while position < len(raw):
        while list_ends and position >= list_ends[-1]:
            list_ends.pop()
        prefix = raw[position]
        if prefix < 0x80:
            position += 1
        elif prefix < 0xB8:
            position += 1 + prefix - 0x80
        elif prefix < 0xC0:
            size_bytes = prefix - 0xB7
            position += 1 + size_bytes + int.from_bytes(raw[position + 1:position + 1 + size_bytes], "big")
        else:
            if prefix < 0xF8:
                header, length = 1, prefix - 0xC0
            else:
                size_bytes = prefix - 0xF7
                header, length = 1 + size_bytes, int.from_bytes(raw[position + 1:position + 1 + size_bytes], "big")
            list_ends.append(position + header + length)
            if len(list_ends) > limit:
                return True
            position += header
    return False
