"""Decoding of `TransactionDeposited` logs and the user-deposit source hash, without a node:
the source hash by position computed independently (eth-abi, Lantau's domain 256) and never OP's
by log index (known answers from other implementations), positions counted over a block's logs
given in any order, logs encoded independently with eth-abi, and every way a log can be
malformed."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from node.deposit_event import (
    TRANSACTION_DEPOSITED_TOPIC,
    MalformedDepositLog,
    UnknownDepositVersion,
    decode_block_deposits,
    decode_deposit_log,
    deposit_source_hash,
    deposit_transaction,
    positioned,
)

FROM = bytes.fromhex("f39fd6e51aad88f6f4ce6ab8827279cfffb92266")
TO = bytes.fromhex("70997970c51812dc3a010c7d01b50e0d17dc79c8")
BLOCK_HASH = bytes.fromhex("9ba3933dc6ce43c145349770a39c30f9b647f17668f004bd2e05c80a2e7262f7")
TX_HASH = bytes(range(32))


# OP's source hash by log index (domain 0), known answers: viem's test of getSourceHash, and the
# OP Stack's Hashing.t.sol test_hashDepositSource. Lantau's by position must never give them.
OP_BY_LOG_INDEX = [
    (BLOCK_HASH, 196, "d0868c8764d81f1749edb7dec4a550966963540d9fe50aefce8cdb38ea7b2213"),
    (bytes.fromhex("d25df7858efc1778118fb133ac561b138845361626dfb976699c5287ed0f4959"), 1,
     "f923fb07134d7d287cb52c770cc619e17e82606c21a875c92f4c63b65280a5cc"),
]


@pytest.mark.parametrize(("block_hash", "number", "op_hash"), OP_BY_LOG_INDEX)
def test_source_hash_is_by_position_in_lantaus_domain(block_hash: bytes, number: int, op_hash: str) -> None:
    """keccak256(uint256(256) ‖ keccak256(l1BlockHash ‖ uint256(position))), encoded here by eth-abi;
    OP's hash of the same block and number (a log index there) is another."""
    inner = keccak(abi_encode(["bytes32", "uint256"], [block_hash, number]))
    assert deposit_source_hash(block_hash, number) == keccak(abi_encode(["uint256", "bytes32"], [256, inner]))
    assert deposit_source_hash(block_hash, number).hex() != op_hash
    assert keccak(abi_encode(["uint256", "bytes32"], [0, inner])).hex() == op_hash  # the vector is OP's rule


def test_source_hash_rejects_a_short_block_hash() -> None:
    with pytest.raises(ValueError):
        deposit_source_hash(b"\x00" * 31, 0)


def opaque(mint: int, value: int, gas: int, is_creation: bool, data: bytes) -> bytes:
    return mint.to_bytes(32, "big") + value.to_bytes(32, "big") + gas.to_bytes(8, "big") + bytes([is_creation]) + data


def raw_log(opaque_data: bytes, *, to: bytes = TO, version: int = 0, **overrides: Any) -> dict[str, Any]:
    """A log as raw JSON-RPC returns it: 0x-hex strings everywhere; data encoded by eth-abi."""
    log: dict[str, Any] = {
        "address": "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0",
        "topics": [
            "0x" + TRANSACTION_DEPOSITED_TOPIC.hex(),
            "0x" + FROM.rjust(32, b"\x00").hex(),
            "0x" + to.rjust(32, b"\x00").hex(),
            "0x" + version.to_bytes(32, "big").hex(),
        ],
        "data": "0x" + abi_encode(["bytes"], [opaque_data]).hex(),
        "blockHash": "0x" + BLOCK_HASH.hex(),
        "blockNumber": "0x2a",
        "logIndex": "0xc4",
        "transactionHash": "0x" + TX_HASH.hex(),
        "removed": False,
    }
    log.update(overrides)
    return log


def test_decodes_a_raw_json_rpc_log() -> None:
    event = decode_deposit_log(raw_log(opaque(5 * 10**18, 4 * 10**18, 100_000, False, b"\xde\xad\xbe\xef")), 3)
    assert (event.from_address, event.to_address) == (FROM, TO)
    assert (event.mint, event.value, event.gas_limit, event.is_creation) == (5 * 10**18, 4 * 10**18, 100_000, False)
    assert event.data == b"\xde\xad\xbe\xef"
    assert (event.l1_block_hash, event.l1_block_number, event.log_index) == (BLOCK_HASH, 42, 196)
    assert (event.tx_hash, event.version, event.position) == (TX_HASH, 0, 3)
    assert event.source_hash == deposit_source_hash(BLOCK_HASH, 3)  # its position, not its log index 196


def test_positions_count_every_portal_log_of_the_block_in_log_order() -> None:
    """Given in any order (as a page of logs may come), each log's position is its place in log
    order: the link the portal's chain appended for it. A malformed one keeps its place."""
    logs = [raw_log(opaque(i, 0, 21_000, False, b""), logIndex=hex(index)) for i, index in enumerate((40, 7, 12))]
    assert [(position, entry["logIndex"]) for position, entry in positioned(logs)] == [(0, "0x7"), (1, "0xc"), (2, "0x28")]
    events = decode_block_deposits(logs)
    assert [(e.position, e.log_index, e.mint) for e in events] == [(0, 7, 1), (1, 12, 2), (2, 40, 0)]
    assert len({e.source_hash for e in events}) == 3
    logs[1] = raw_log(GOOD, logIndex="0x7", version=1)
    with pytest.raises(UnknownDepositVersion):
        decode_block_deposits(logs)
    assert [position for position, _ in positioned(logs)] == [0, 1, 2]


def test_creation_has_no_target() -> None:
    event = decode_deposit_log(raw_log(opaque(0, 0, 300_000, True, b"\x60\x00"), to=b"\x00" * 20), 0)
    assert event.is_creation and event.to_address is None and event.data == b"\x60\x00"


def test_data_of_every_padding_length_decodes() -> None:
    for length in range(0, 70):
        data = bytes(range(length))
        assert decode_deposit_log(raw_log(opaque(1, 1, 21_000, False, data)), 0).data == data


def test_decoded_event_is_frozen() -> None:
    event = decode_deposit_log(raw_log(opaque(1, 1, 21_000, False, b"")), 0)
    with pytest.raises(AttributeError):
        event.mint = 2  # type: ignore[misc]


def _data_hex(raw: bytes) -> str:
    return "0x" + raw.hex()


GOOD = opaque(1, 1, 21_000, False, b"\x01\x02")
GOOD_DATA = abi_encode(["bytes"], [GOOD])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"topics": raw_log(GOOD)["topics"][:3]}, "expected 4 topics"),
        ({"topics": ["0x" + "00" * 32] + raw_log(GOOD)["topics"][1:]}, "not a TransactionDeposited"),
        ({"topics": raw_log(GOOD)["topics"][:1] + ["0x" + "01" * 32] + raw_log(GOOD)["topics"][2:]}, "not an address"),
        ({"data": _data_hex(GOOD_DATA[:63])}, "at least 64|>= 64"),
        ({"data": _data_hex(GOOD_DATA + b"\x00")}, "multiple of 32"),
        ({"data": _data_hex((64).to_bytes(32, "big") + GOOD_DATA[32:])}, "offset must be 32"),
        ({"data": _data_hex(GOOD_DATA[:32] + (200).to_bytes(32, "big") + GOOD_DATA[64:])}, "length 200"),
        ({"data": _data_hex(GOOD_DATA + b"\x00" * 32)}, "does not match"),
        ({"data": _data_hex(GOOD_DATA[:-1] + b"\x01")}, "padding is not zero"),
        ({"data": _data_hex(abi_encode(["bytes"], [GOOD[:72]]))}, "needs at least 73"),
        ({"data": _data_hex(abi_encode(["bytes"], [GOOD[:72] + b"\x02"]))}, "must be 0 or 1"),
        ({"blockHash": None}, "pending"),
        ({"transactionHash": "0x1234"}, "32 bytes"),
        ({"logIndex": "seven"}, "logIndex"),
    ],
)
def test_malformed_logs_are_refused_with_a_reason(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(MalformedDepositLog, match=message):
        decode_deposit_log(raw_log(GOOD, **overrides), 0)


def test_unknown_version_is_its_own_error() -> None:
    with pytest.raises(UnknownDepositVersion) as info:
        decode_deposit_log(raw_log(GOOD, version=1), 0)
    assert info.value.version == 1


@pytest.mark.parametrize("is_creation", [False, True], ids=["call", "creation"])
def test_deposit_transaction_carries_every_field_of_the_log(is_creation: bool) -> None:
    """The one log -> 0x7E mapping (derivation and the deposit client both use it): every field
    in place, a creation sent to the empty address, and the type byte 0x7E first."""
    event = decode_deposit_log(raw_log(opaque(10**18, 5, 100_000, is_creation, b"\x60\x00")), 0)
    tx = deposit_transaction(event)
    assert tx.encode()[0] == 0x7E and tx.source_hash == event.source_hash and not tx.is_system_tx
    assert (tx.sender, tx.mint, tx.value, tx.gas, tx.data) == (FROM, 10**18, 5, 100_000, b"\x60\x00")
    assert tx.to == (b"" if is_creation else TO)
