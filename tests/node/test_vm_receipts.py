"""`LantauVM.validate_receipt` (the bloom check on the int) against py-evm's own: the bits of a
value as eth-bloom sets them, and the same receipts accepted and refused."""

from __future__ import annotations

import pytest
from eth.rlp.logs import Log
from eth.rlp.receipts import Receipt
from eth.vm.forks.prague import PragueVM
from eth_bloom import BloomFilter
from eth_utils import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from node.vm import LantauVM, bloom_bits

ADDRESSES = st.binary(min_size=20, max_size=20)
TOPICS = st.integers(0, 2**256 - 1)
LOGS = st.lists(st.tuples(ADDRESSES, st.lists(TOPICS, max_size=4)), max_size=4)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=6))
def test_bloom_bits_are_eth_blooms(values: list[bytes]) -> None:
    bloom = BloomFilter()
    mask = 0
    for value in values:
        bloom.add(value)
        mask |= bloom_bits(value)
    assert mask == int(bloom)


def _receipt(logs: list[tuple[bytes, list[int]]], bloom: int) -> Receipt:
    return Receipt(state_root=b"\x01", gas_used=21_000, bloom=bloom,
                   logs=[Log(address, topics, b"") for address, topics in logs])


def _full_bloom(logs: list[tuple[bytes, list[int]]]) -> int:
    bloom = BloomFilter()
    for address, topics in logs:
        bloom.add(address)
        for topic in topics:
            bloom.add(topic.to_bytes(32, "big"))
    return int(bloom)


@settings(max_examples=200, deadline=None)
@given(LOGS, st.data())
def test_validate_receipt_accepts_and_refuses_as_py_evm(logs: list[tuple[bytes, list[int]]], data: st.DataObject) -> None:
    """The receipt's own bloom passes both; with one bit of it cleared, both refuse exactly when
    py-evm does (a value's bit gone), with a ValidationError."""
    bloom = _full_bloom(logs)
    LantauVM.validate_receipt(_receipt(logs, bloom))
    PragueVM.validate_receipt(_receipt(logs, bloom))
    if not bloom:
        return
    bits = [bit for bit in range(2048) if bloom >> bit & 1]
    cleared = bloom & ~(1 << data.draw(st.sampled_from(bits)))
    outcomes = []
    for vm in (LantauVM, PragueVM):
        try:
            vm.validate_receipt(_receipt(logs, cleared))
            outcomes.append("accepted")
        except ValidationError:
            outcomes.append("refused")
    assert outcomes[0] == outcomes[1] == "refused"


def test_a_topic_missing_from_the_bloom_is_named() -> None:
    logs = [(b"\x11" * 20, [7])]
    bloom = BloomFilter()
    bloom.add(b"\x11" * 20)
    with pytest.raises(ValidationError, match="log entry at position 0"):
        LantauVM.validate_receipt(_receipt(logs, int(bloom)))
