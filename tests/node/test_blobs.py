"""The blob data encoding (OP's version 0 over a blob's first half), versioned hashes and the
half's quotient evidence (node/blobs.py)."""

from __future__ import annotations

import hashlib
import random

import ckzg
import pytest
from hexbytes import HexBytes
from hypothesis import given, settings
from hypothesis import strategies as st

from node.blobs import (
    BLOB_SIZE,
    BLS_MODULUS,
    HALF_SIZE,
    MAX_BLOB_DATA_SIZE,
    ROOT_OF_UNITY,
    BlobEncodingError,
    blob_versioned_hash,
    decode_blob,
    encode_blob,
    half_challenge,
    kzg_commitment,
    kzg_trusted_setup,
    open_half,
    quotient_blob,
)
from node.errors import CodecError


def test_blob_encoding_layout_and_refusals() -> None:
    data = bytes(range(1, 128)) * 3  # 381 bytes, no zero byte
    blob = encode_blob(data)
    assert len(blob) == BLOB_SIZE
    # Round 0: field element 0 = (data[27] & 0x3f) ++ version 0 ++ u24 length ++ data[0:27].
    assert blob[0] == data[27] & 0x3F and blob[1] == 0 and blob[2:5] == (381).to_bytes(3, "big") and blob[5:32] == data[:27]
    # x = data[27], y = data[59]: element 1 = ((y & 0x0f) | (x & 0xc0) >> 2) ++ data[28:59].
    x, y = data[27], data[59]
    assert blob[32] == (y & 0x0F) | ((x & 0xC0) >> 2) and blob[33:64] == data[28:59]
    assert all(blob[i] & 0xC0 == 0 for i in range(0, BLOB_SIZE, 32))
    assert decode_blob(blob) == data
    assert decode_blob(encode_blob(b"")) == b""
    full = bytes((i * 7 + 3) % 256 for i in range(MAX_BLOB_DATA_SIZE))
    assert decode_blob(encode_blob(full)) == full
    with pytest.raises(BlobEncodingError):
        encode_blob(full + b"\x01")
    with pytest.raises(BlobEncodingError, match="top bit"):
        decode_blob(blob[:64] + bytes([0x40]) + blob[65:])
    with pytest.raises(BlobEncodingError, match="after the blob's data"):
        decode_blob(blob[: HALF_SIZE - 1] + b"\x01" + blob[HALF_SIZE:])
    with pytest.raises(BlobEncodingError, match="version"):
        decode_blob(blob[:1] + b"\x01" + blob[2:])


def test_second_round_by_hand() -> None:
    """Round 1 starts at virtual byte 127 = data byte 123 and blob byte 128. With data bytes
    all 0xff from 123 on: c = ff * 127, x = y = z = 0xff, so A = C = 0x3f, B = 0x0f | 0x30 =
    0x3f, D = 0x30 | 0x0f = 0x3f, and every other byte of the round is 0xff."""
    data = bytes(123) + b"\xff" * 127
    blob = encode_blob(data)
    assert blob[128:256] == (b"\x3f" + b"\xff" * 31) * 4
    assert blob[256:] == bytes(BLOB_SIZE - 256)
    assert decode_blob(blob) == data


def test_decoding_refuses_what_no_encoder_writes() -> None:
    blob = encode_blob(b"abc")
    with pytest.raises(BlobEncodingError, match="a blob is 131072 bytes, got 131071"):
        decode_blob(blob[:-1])
    assert MAX_BLOB_DATA_SIZE == 65_020 and HALF_SIZE == BLOB_SIZE // 2
    with pytest.raises(BlobEncodingError, match="announces 65021 bytes"):
        decode_blob(blob[:2] + (MAX_BLOB_DATA_SIZE + 1).to_bytes(3, "big") + blob[5:])
    # The length says 2: the third data byte ("c") is then padding that is not zero.
    with pytest.raises(BlobEncodingError, match="after the blob's data"):
        decode_blob(blob[:2] + (2).to_bytes(3, "big") + blob[5:])
    # A top bit in the last field element of the last round read (the half's).
    with pytest.raises(BlobEncodingError, match="round 511"):
        decode_blob(blob[: HALF_SIZE - 32] + b"\x80" + blob[HALF_SIZE - 31 :])
    assert issubclass(BlobEncodingError, CodecError)  # derivation logs it as a reason, never crashes


def test_the_second_half_is_not_read() -> None:
    """Whatever a blob's last 2048 elements hold (top bits set, non-zero bytes, elements over the
    modulus), its data is its first half's: derivation never reads them."""
    rng = random.Random(2)
    data = rng.randbytes(MAX_BLOB_DATA_SIZE)
    blob = encode_blob(data)
    assert blob[HALF_SIZE:] == bytes(HALF_SIZE)
    for tail in (b"\xff" * HALF_SIZE, rng.randbytes(HALF_SIZE), encode_blob(b"another")[:HALF_SIZE]):
        assert decode_blob(blob[:HALF_SIZE] + tail) == data


def test_the_quotient_divides_p_minus_the_halfs_interpolant() -> None:
    """For random blobs (random second halves included), q from `quotient_blob` satisfies
    p(x) - h(x) = (x^2048 - 1) q(x), at r (c-kzg's openings, the values L1 checks) and at a
    random point (c-kzg evaluating p and q); h evaluated here by Lagrange over the half's points."""
    rng = random.Random(3)

    def h_at(half: bytes, x: int) -> int:
        total = 0
        for i in range(2048):
            point = pow(ROOT_OF_UNITY, int(format(i, "012b")[::-1], 2), BLS_MODULUS)
            assert pow(point, 2048, BLS_MODULUS) == 1  # the half's points: 2048th roots of unity
            total += int.from_bytes(half[32 * i:32 * i + 32], "big") * point * pow(x - point, BLS_MODULUS - 2, BLS_MODULUS)
        return (pow(x, 2048, BLS_MODULUS) - 1) * pow(2048, BLS_MODULUS - 2, BLS_MODULUS) * total % BLS_MODULUS

    def at(blob: bytes, x: int) -> int:
        return int.from_bytes(bytes(ckzg.compute_kzg_proof(blob, x.to_bytes(32, "big"), kzg_trusted_setup())[1]), "big")

    for case in range(3):
        blob = encode_blob(rng.randbytes(rng.randrange(MAX_BLOB_DATA_SIZE)))
        if case:
            blob = blob[:HALF_SIZE] + b"".join(rng.randrange(BLS_MODULUS).to_bytes(32, "big") for _ in range(2048))
        opening = open_half(blob)
        r = half_challenge(opening.commitment, opening.quotient_commitment, blob[:HALF_SIZE])
        assert (opening.y - h_at(blob[:HALF_SIZE], r)) % BLS_MODULUS == (pow(r, 2048, BLS_MODULUS) - 1) * opening.quotient_y % BLS_MODULUS
        x = rng.randrange(BLS_MODULUS)
        quotient = quotient_blob(blob)
        assert (at(blob, x) - h_at(blob[:HALF_SIZE], x)) % BLS_MODULUS == (pow(x, 2048, BLS_MODULUS) - 1) * at(quotient, x) % BLS_MODULUS
        assert opening.commitment == kzg_commitment(blob) and opening.quotient_commitment == kzg_commitment(quotient)
    with pytest.raises(BlobEncodingError, match="not a valid blob"):
        quotient_blob(b"\xff" * BLOB_SIZE)


@settings(max_examples=40, deadline=None)
@given(st.one_of(
    st.binary(max_size=2_000),
    st.integers(0, MAX_BLOB_DATA_SIZE).map(lambda n: bytes([n % 251 + 1]) * n),
))
def test_every_data_up_to_the_limit_round_trips(data: bytes) -> None:
    blob = encode_blob(data)
    assert len(blob) == BLOB_SIZE and all(blob[i] & 0xC0 == 0 for i in range(0, BLOB_SIZE, 32))
    assert decode_blob(blob) == data


def test_versioned_hash_known_answers() -> None:
    """The zero blob commits to the point at infinity (compressed: 0xc0 ++ 47 zero bytes), so
    its versioned hash is 0x01 ++ sha256(c0 00..00)[1:] = 0x010657f3…4014, the value seen on
    every L1 for an empty blob. Another blob's hash is checked against eth-account's own
    computation (its own KZG setup load and commitment code)."""
    from eth_account.typed_transactions.base import Blob, BlobPooledTransactionData

    assert kzg_commitment(bytes(BLOB_SIZE)) == b"\xc0" + bytes(47)
    zero = blob_versioned_hash(bytes(BLOB_SIZE))
    assert zero == b"\x01" + hashlib.sha256(b"\xc0" + bytes(47)).digest()[1:]
    assert zero.hex() == "010657f37554c781402a22917dee2f75def7ab966d7b770905398eba3c444014"
    blob = encode_blob(b"lantau" * 1_000)
    theirs = BlobPooledTransactionData(blobs=[Blob(data=HexBytes(blob))]).versioned_hashes[0].data
    assert blob_versioned_hash(blob) == bytes(theirs)
    with pytest.raises(BlobEncodingError, match="not a valid blob"):
        blob_versioned_hash(b"\xff" * BLOB_SIZE)  # field elements above the BLS12-381 modulus
