"""RLP of values that are already byte strings (and lists of them), by the compiled encoder.

`rlp.encode` first infers a serializer for every item, in Python (~29 µs for an account's four
fields); the encoder under it (`rlp.codec.encode_raw`: rusty-rlp when installed, else pyrlp's
own) takes byte strings and lists of them as they are (~2.5 µs). The bytes are the same: a
byte string or a list has one RLP encoding. Anything else (an int, a bytearray) is refused with
`rlp.exceptions.EncodingError`, never encoded differently: integers go through `uint` first.
"""

from __future__ import annotations

from typing import Sequence, Union

from rlp.codec import encode_raw

RawItem = Union[bytes, Sequence["RawItem"]]


def encode_items(item: RawItem) -> bytes:
    """`rlp.encode(item)` for a byte string or a (nested) list of byte strings."""
    return encode_raw(item)  # type: ignore[no-any-return]


def uint(value: int) -> bytes:
    """An unsigned integer as RLP serializes it: big-endian, no leading zeros, zero as b""."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big")
