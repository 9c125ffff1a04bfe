"""The packed machine's encoder (prover/packed_machine.py) against byte layouts worked out by hand
from the layout in its docstring (the decoder, PackedMachine.sol, is checked on anvil by
tests/contracts/test_one_step_proof_segmented.py: a segment continues only from the hash of what it
unpacks)."""

from __future__ import annotations

from prover.packed_machine import MAX_DATA_BYTES, DataStore, data_pieces, dense_run_pieces, pack_machine

POINTER = (0x1A40).to_bytes(32, "big")  # a right-aligned word: token 2, then 1a 40
LEFT = b"\xab\xcd" + bytes(30)  # a left-aligned word: token 0x22, shift 30, then ab cd
MIDDLE = bytes(10) + b"\x01" + bytes(21)  # one byte in the middle: token 0x21, shift 21, 01


def test_words_pack_to_their_significant_bytes() -> None:
    machine = POINTER + LEFT + MIDDLE + bytes(32) + bytes(32 * 5) + b"\x07"
    assert pack_machine(machine) == (
        len(machine).to_bytes(4, "big")
        + b"\x02\x1a\x40" + b"\x22\x1e\xab\xcd" + b"\x21\x15\x01"
        + b"\x40\x00\x06"  # six zero words in one run
        + b"\x21\x1f\x07"  # the last word, zero-padded: 07 then 31 zeros
    )
    assert pack_machine(bytes(64)) == (64).to_bytes(4, "big") + b"\x00\x00"  # two zero words: no run


def test_a_run_inside_published_data_is_copied() -> None:
    data = bytes(range(1, 256)) * 2  # 510 bytes
    machine = POINTER + b"\xee" * 5 + data + b"\xee" * 3  # the data from byte 37 to 547
    store = DataStore("0x" + "11" * 20, data)
    packed = pack_machine(machine, (store,))
    # whole words inside the data: words 2..16 (bytes 64..543), from data byte 27 = code byte 28
    copy = b"\x41" + b"\x11" * 20 + (28).to_bytes(3, "big") + (15).to_bytes(2, "big")
    assert copy in packed
    assert packed.index(copy) == 4 + 3 + 33  # after the length, the pointer and word 1 (32 bytes + token)
    assert len(packed) < len(pack_machine(machine)) - 400


def test_data_pieces_fit_one_contract_each() -> None:
    big = bytes([1]) * (MAX_DATA_BYTES + 10)
    assert data_pieces([b"\x02" * 100, big, big], 1024) == [big[:MAX_DATA_BYTES], big[MAX_DATA_BYTES:]]


def test_dense_runs_are_cut_into_pieces_from_their_first_word() -> None:
    """A run of 1,000 words with no zero byte between pointers gives a piece of 767 words (24,544 B:
    what one data contract holds) from its first word, then the other 233; a run of 63 words is too
    short; a run a code's data contract covers is left to it; and the pieces of a run moved
    elsewhere in a later machine are the same ones."""
    dense = b"".join(bytes([1 + i % 255]) * 32 for i in range(1_000))
    short = b"\xaa" * 32 * 63
    code = b"\xcc" * 32 * 100
    machine = POINTER * 3 + dense + POINTER + short + POINTER + code + POINTER
    pieces = dense_run_pieces(machine, (DataStore("0x" + "22" * 20, code),))
    assert pieces == [dense[:767 * 32], dense[767 * 32:]]
    assert dense_run_pieces(POINTER * 7 + dense + MIDDLE) == pieces  # moved by 4 words: the same pieces
    assert dense_run_pieces(machine, max_piece_bytes=10_000)[0] == dense[:312 * 32]  # under a smaller limit
    stores = tuple(DataStore("0x" + f"{i + 1:02x}" * 20, piece) for i, piece in enumerate(pieces))
    packed = pack_machine(machine, stores)
    assert len(packed) < 700 + len(short) + len(code)  # the dense run is two copy tokens
    assert packed.count(b"\x41" + bytes.fromhex("01" * 20)) == 1 and packed.count(b"\x41" + bytes.fromhex("02" * 20)) == 1
