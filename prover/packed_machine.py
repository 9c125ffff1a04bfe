"""A paused `EVMStep` machine packed for `OneStepProof.continueExecution` (docs/fault-proofs.md,
"Segmented execution", "Packed machines"): the machine's 32-byte words with their zero bytes left
out, and runs of words found in data contracts on L1 (`OneStepProof.publishData`) copied from
there, so the calldata of a segment stays under geth's 128 KiB transaction size.

Layout (the decoder is `contracts/src/L1/proof/PackedMachine.sol`; the machine is its words
machine[32i : 32i + 32], the last one zero-padded):

    uint32 length                    the machine's length in bytes
    then tokens, one or more words each, in order:
    t = 0..32                        one word: the next t bytes, right-aligned (t = 0: zero)
    t = 0x20 + n (n = 1..31), s      one word: the next n bytes shifted left by s bytes (n + s <= 32)
    t = 0x40, uint16 c               c zero words
    t = 0x41, address, uint24 o,     c words copied from the code of `address` from byte o
      uint16 c                       (EXTCODECOPY)

Any packing that unpacks to the recorded machine is accepted (the contract checks the unpacked
machine's hash), so this encoder only has to be right, not canonical. What a data contract holds
is the driver's choice: the witnessed codes (`data_pieces`), and, for a machine still too large
with them, its dense runs (`dense_run_pieces`: memory, return data, calldata, any long run of
words with few zero bytes), content-addressed so a run a later machine still holds is published
once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from eth_utils import to_canonical_address

#: Bytes of data one data contract holds (EIP-170's 24,576 of code, less the STOP before it).
MAX_DATA_BYTES = 24_575
#: A data contract's code is STOP, then the data: data byte k is code byte k + 1.
DATA_CODE_OFFSET = 1
#: Shortest run of words worth copying from a data contract (a copy token is 26 bytes).
MIN_COPY_WORDS = 4
#: A word with at least this many non-zero bytes is "dense": leaving its zero bytes out saves
#: little, so long runs of them are what a data contract is for (pointers and counters, the
#: rest of a machine, have at most a few non-zero bytes).
DENSE_WORD_BYTES = 16
#: Shortest run of dense words published as data (publishing is ~32k gas a contract).
MIN_DENSE_RUN_WORDS = 64
_RUN = 0x40
_COPY = 0x41
_MAX_COUNT = 0xFFFF


@dataclass(frozen=True, slots=True)
class DataStore:
    """A data contract `OneStepProof.publishData(data)` created at `address`."""

    address: str
    data: bytes


def data_pieces(blobs: Iterable[bytes], min_bytes: int) -> list[bytes]:
    """The distinct pieces, at most `MAX_DATA_BYTES` each, that publishing `blobs` (those of at
    least `min_bytes`) takes, in order."""
    pieces: list[bytes] = []
    for blob in blobs:
        if len(blob) < min_bytes:
            continue
        for start in range(0, len(blob), MAX_DATA_BYTES):
            piece = blob[start:start + MAX_DATA_BYTES]
            if piece not in pieces:
                pieces.append(piece)
    return pieces


def dense_run_pieces(machine: bytes, stores: Sequence[DataStore] = (), max_piece_bytes: int = MAX_DATA_BYTES) -> list[bytes]:
    """The distinct pieces (whole words, at most `max_piece_bytes` and `MAX_DATA_BYTES` each) of `machine`'s runs of at
    least `MIN_DENSE_RUN_WORDS` dense words that `stores` do not cover already, each run cut
    into pieces from its first word, so a run unchanged (or only grown at its end) in a later
    machine, wherever it moved, gives the same pieces again."""
    words = (len(machine) + 31) // 32
    padded = machine + bytes(words * 32 - len(machine))
    covered: set[int] = set()
    for first, (_, _, count) in _copies(padded, stores).items():
        covered.update(range(first, first + count))
    piece_words = min(MAX_DATA_BYTES, max_piece_bytes) // 32
    pieces: list[bytes] = []
    i = 0
    while i < words:
        run = 0
        while i + run < words and i + run not in covered and \
                32 - padded[32 * (i + run):32 * (i + run + 1)].count(0) >= DENSE_WORD_BYTES:
            run += 1
        if run >= MIN_DENSE_RUN_WORDS:
            for start in range(i, i + run, piece_words):
                stop = min(i + run, start + piece_words)
                piece = padded[32 * start:32 * stop]
                if stop - start >= MIN_COPY_WORDS and piece not in pieces:
                    pieces.append(piece)
        i += max(run, 1)
    return pieces


def pack_machine(machine: bytes, stores: Sequence[DataStore] = ()) -> bytes:
    """The packed form of `machine`, copying from `stores` every run of at least
    `MIN_COPY_WORDS` whole words that lies inside one of their data."""
    words = (len(machine) + 31) // 32
    padded = machine + bytes(words * 32 - len(machine))
    copies = _copies(padded, stores)
    out = bytearray(len(machine).to_bytes(4, "big"))
    i = 0
    while i < words:
        if i in copies:
            address, offset, count = copies[i]
            out += bytes([_COPY]) + address + offset.to_bytes(3, "big") + count.to_bytes(2, "big")
            i += count
            continue
        word = padded[32 * i:32 * i + 32]
        if not any(word):
            run = 1
            while i + run < words and run < _MAX_COUNT and i + run not in copies and not any(padded[32 * (i + run):32 * (i + run) + 32]):
                run += 1
            out += bytes([_RUN]) + run.to_bytes(2, "big") if run > 2 else bytes(run)
            i += run
            continue
        stripped = word.lstrip(b"\x00")
        value = stripped.rstrip(b"\x00")
        shift = len(stripped) - len(value)
        out += bytes([len(value)]) + value if shift == 0 else bytes([0x20 + len(value), shift]) + value
        i += 1
    return bytes(out)


def _copies(padded: bytes, stores: Sequence[DataStore]) -> dict[int, tuple[bytes, int, int]]:
    """word index -> (store address, code offset, words) for the runs of whole words found in a
    store's data (each word in at most one run)."""
    copies: dict[int, tuple[bytes, int, int]] = {}
    taken: set[int] = set()
    for store in stores:
        address = to_canonical_address(store.address)
        position = padded.find(store.data)
        while position >= 0 and store.data:
            first = -(-position // 32)
            stop = (position + len(store.data)) // 32
            run = range(first, min(stop, first + _MAX_COUNT))
            if len(run) >= MIN_COPY_WORDS and not taken.intersection(run):
                copies[first] = (address, DATA_CODE_OFFSET + 32 * first - position, len(run))
                taken.update(run)
            position = padded.find(store.data, position + 1)
    return copies
