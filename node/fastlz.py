"""FastLZ level 1 (LZ77): the channel compression a Solidity contract can decode on L1.

The stream is a sequence of instructions, each told by the top 3 bits `t` of its first byte `c`::

    t == 0       literal run:  c ++ (c + 1 literal bytes)                 c in 0..31
    t in 1..6    short match:  c ++ d_lo          length t + 2,           distance (c & 0x1f) << 8 | d_lo, plus 1
    t == 7       long match:   c ++ n ++ d_lo     length n + 9 (9..264),  distance as above

A match copies `length` bytes starting `distance` bytes back in the output (1..8192; it may
overlap what it writes, which repeats the last `distance` bytes). There is no header and no end
marker: the stream is all of its bytes. This is FastLZ level 1 as ariya/FastLZ and Solady's
`LibZip.flzCompress` write it (<https://github.com/ariya/FastLZ>, MIT); `compress` is a port of
Solady's and gives its bytes exactly (tests/contracts/test_fastlz.py checks this on L1).

Reading is checked, where FastLZ's own decoder and Solady's are not: a literal run or a match
that reads past the end of the stream (`FastLZTruncated`), a match reaching before the start of
the output (`FastLZBadBackReference`) and output beyond the caller's limit (`FastLZTooLarge`: a
3-byte match writes 264 bytes, so a stream can decompress ~88 times larger) are named errors.
The L1 decoder (contracts/src/L1/lib/FastLZ.sol) refuses the same streams with the same names.
"""

from __future__ import annotations

from node.errors import CorruptChannel, ChannelTooLarge

MAX_DISTANCE = 8192
MAX_MATCH = 264
_HASH_MASK = 0x1FFF


class FastLZTruncated(CorruptChannel):
    def __init__(self, position: int) -> None:
        super().__init__(f"FastLZ stream ends inside the instruction at byte {position}")
        self.position = position


class FastLZBadBackReference(CorruptChannel):
    def __init__(self, position: int, distance: int, produced: int) -> None:
        super().__init__(f"FastLZ match at byte {position} reaches {distance} bytes back, only {produced} written")
        self.position, self.distance, self.produced = position, distance, produced


class FastLZTooLarge(ChannelTooLarge):
    pass


def compress(data: bytes) -> bytes:
    """FastLZ level 1, as Solady's `LibZip.flzCompress` (byte for byte)."""
    n = len(data)
    out = bytearray()
    table = [0] * (_HASH_MASK + 1)  # position of the last 3-byte sequence with this hash
    limit = n - 13

    def u24(i: int) -> int:
        # Solidity reads past the end as zeros (a fresh word) and never compares those bytes.
        return int.from_bytes(data[i:i + 3].ljust(3, b"\x00"), "little")

    def hash_of(v: int) -> int:
        return ((2654435769 * v) >> 19) & _HASH_MASK

    def literals(start: int, end: int) -> None:
        while end - start >= 32:
            out.append(31)
            out.extend(data[start:start + 32])
            start += 32
        if end > start:
            out.append(end - start - 1)
            out.extend(data[start:end])

    anchor = 0
    ip = 2
    while ip < limit:
        while True:  # find a match: a 3-byte sequence seen within MAX_DISTANCE
            seq = u24(ip)
            h = hash_of(seq)
            ref = table[h]
            table[h] = ip
            distance = ip - ref
            if ip >= limit:
                break
            ip += 1
            if distance < MAX_DISTANCE and seq == u24(ref):
                break
        if ip >= limit:
            break
        ip -= 1
        if ip > anchor:
            literals(anchor, ip)
        # length beyond the first 3 bytes, plus 1 on a mismatch (FastLZ's flz_cmp)
        bound = n - 7 - ip
        extra = 0
        p, q = ref + 3, ip + 3
        while extra < bound:
            if data[p + extra] != data[q + extra]:
                extra += 1
                break
            extra += 1
        d = distance - 1
        length = extra
        while length >= 263:  # encodes 262 + 2 = 264 bytes
            out += bytes((224 + (d >> 8), 253, d & 0xFF))
            length -= 262
        if length >= 7:
            out += bytes((224 + (d >> 8), length - 7, d & 0xFF))
        else:
            out += bytes(((length << 5) + (d >> 8), d & 0xFF))
        ip += extra
        table[hash_of(u24(ip))] = ip
        ip += 1
        table[hash_of(u24(ip))] = ip
        ip += 1
        anchor = ip
    literals(anchor, n)
    return bytes(out)


def decompress(stream: bytes, max_size: int, *, into: bytearray | None = None) -> bytes:
    """The bytes `stream` encodes; a named `CorruptChannel` error if any instruction is malformed
    and `FastLZTooLarge` past `max_size` output bytes (checked before anything is written).
    `into`, if given, receives the output as it is written, so a caller keeps what came out before
    an error (the staged L1 reader's windows: prover/channel_stages.py)."""
    out = bytearray() if into is None else into
    pos, end = 0, len(stream)
    while pos < end:
        c = stream[pos]
        t = c >> 5
        if t == 0:
            run = c + 1
            if pos + 1 + run > end:
                raise FastLZTruncated(pos)
            if len(out) + run > max_size:
                raise FastLZTooLarge(max_size)
            out += stream[pos + 1:pos + 1 + run]
            pos += 1 + run
            continue
        if t == 7:
            if pos + 3 > end:
                raise FastLZTruncated(pos)
            length, distance, size = stream[pos + 1] + 9, ((c & 0x1F) << 8 | stream[pos + 2]) + 1, 3
        else:
            if pos + 2 > end:
                raise FastLZTruncated(pos)
            length, distance, size = t + 2, ((c & 0x1F) << 8 | stream[pos + 1]) + 1, 2
        if distance > len(out):
            raise FastLZBadBackReference(pos, distance, len(out))
        if len(out) + length > max_size:
            raise FastLZTooLarge(max_size)
        start = len(out) - distance
        if distance >= length:
            out += out[start:start + length]
        else:  # overlapping: the last `distance` bytes repeat
            chunk = out[start:]
            out += (chunk * (length // distance + 1))[:length]
        pos += size
    return bytes(out)
