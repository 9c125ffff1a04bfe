"""Parsers of JSON-RPC params, the error-code table, and revert-reason decoding: tables of
inputs with the answers geth gives."""

from __future__ import annotations

import pytest
from eth_abi import encode

from node.errors import (
    AlreadyKnown,
    BatchTooLarge,
    BlockNotFound,
    ExecutionFailed,
    ExecutionReverted,
    ExecutionTimeout,
    FilterNotFound,
    InvalidParams,
    LimitExceeded,
    MethodNotFound,
    NonceTooLow,
    NotificationsUnsupported,
    ParseError,
    RequestBodyTooLarge,
    WrongChainId,
)
from node.rpc.errors import error_code, error_object
from node.rpc.execution import decode_revert_reason, format_duration
from node.rpc.params import (
    BlockId,
    Param,
    bind_params,
    parse_address,
    parse_block_id,
    parse_call_args,
    parse_data,
    parse_filter_criteria,
    parse_quantity,
    parse_state_overrides,
    parse_storage_key,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0x0", 0), ("0x1", 1), ("0xff", 255), ("0XAb", 171), ("0x" + "f" * 64, 2**256 - 1)],
)
def test_quantity(value: str, expected: int) -> None:
    assert parse_quantity(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty hex string"),
        ("12", "hex string without 0x prefix"),
        ("0x", 'hex string "0x"'),
        ("0x01", "hex number with leading zero digits"),
        ("0xg", "invalid hex string"),
        ("0x1" + "0" * 64, "hex number > 256 bits"),
        (12, "cannot unmarshal non-string into quantity, want a 0x-prefixed hex string"),
    ],
)
def test_quantity_errors(value: object, message: str) -> None:
    with pytest.raises(InvalidParams, match=f"^{message.replace('(', '[(]').replace(')', '[)]')}$"):
        parse_quantity(value)


def test_data_and_addresses() -> None:
    assert parse_data("0x") == b"" and parse_data("0x00ff") == b"\x00\xff"
    with pytest.raises(InvalidParams, match="^hex string of odd length$"):
        parse_data("0x123")
    assert parse_address("0x" + "Ab" * 20) == b"\xab" * 20  # any case, no checksum check
    with pytest.raises(InvalidParams, match="^hex string has length 42, want 40 for address$"):
        parse_address("0x" + "ab" * 21)
    assert parse_storage_key("0x0") == 0 and parse_storage_key("0x" + "00" * 31 + "05") == 5


def test_block_ids() -> None:
    block_hash = "0x" + "12" * 32
    assert parse_block_id("latest") == BlockId(tag="latest")
    assert parse_block_id("0x10") == BlockId(number=16)
    assert parse_block_id(block_hash) == BlockId(hash=bytes.fromhex("12" * 32))
    assert parse_block_id({"blockHash": block_hash, "requireCanonical": True}) == BlockId(
        hash=bytes.fromhex("12" * 32), require_canonical=True)
    assert parse_block_id({"blockNumber": "0x2"}) == BlockId(number=2)
    with pytest.raises(InvalidParams, match="choose one or the other"):
        parse_block_id({"blockHash": block_hash, "blockNumber": "0x2"})
    with pytest.raises(InvalidParams, match="^blockHash: hex string has length 4, want 64 for hash$"):
        parse_block_id({"blockHash": "0x1234"})


def test_call_args() -> None:
    args = parse_call_args({"from": "0x" + "01" * 20, "to": "0x" + "02" * 20, "gas": "0x5208",
                            "maxFeePerGas": "0x10", "value": "0x3", "input": "0xabcd",
                            "accessList": [{"address": "0x" + "03" * 20, "storageKeys": ["0x" + "00" * 31 + "07"]}]})
    assert (args.gas, args.value, args.data, args.fee_cap) == (21_000, 3, b"\xab\xcd", 16)
    assert args.max_priority_fee_per_gas == 0  # left out: zero, as geth
    assert args.access_list == ((b"\x03" * 20, (7,)),)
    assert parse_call_args({"data": "0x01", "input": "0x01"}).data == b"\x01"
    with pytest.raises(InvalidParams, match='both "data" and "input" are set and not equal'):
        parse_call_args({"data": "0x01", "input": "0x02"})
    with pytest.raises(InvalidParams, match=r"^maxFeePerGas \(1\) < maxPriorityFeePerGas \(2\)$"):
        parse_call_args({"maxFeePerGas": "0x1", "maxPriorityFeePerGas": "0x2"})
    with pytest.raises(InvalidParams, match="^to: hex string without 0x prefix$"):
        parse_call_args({"to": "02" * 20})


def test_state_overrides() -> None:
    slot = "0x" + "00" * 31 + "01"
    overrides = parse_state_overrides({"0x" + "01" * 20: {"balance": "0x10", "nonce": "0x2", "code": "0x60",
                                                          "stateDiff": {slot: "0x" + "00" * 31 + "09"}}})
    account = overrides[b"\x01" * 20]
    assert (account.balance, account.nonce, account.code, account.state, dict(account.state_diff or {})) == (
        16, 2, b"\x60", None, {1: 9})


def test_filter_criteria() -> None:
    topic = "0x" + "aa" * 32
    criteria = parse_filter_criteria({"fromBlock": "0x1", "toBlock": "latest", "address": ["0x" + "01" * 20],
                                      "topics": [topic, None, [topic, None], [topic]]})
    assert criteria.from_block == BlockId(number=1) and criteria.to_block == BlockId(tag="latest")
    assert criteria.topics == ((bytes.fromhex("aa" * 32),), None, None, (bytes.fromhex("aa" * 32),))
    with pytest.raises(InvalidParams, match="exceed max topics"):
        parse_filter_criteria({"topics": [None] * 5})


def test_bind_params() -> None:
    spec = (Param("a", parse_quantity), Param("b", parse_quantity, 7))
    assert bind_params(["0x1"], spec) == [1, 7]
    assert bind_params(["0x1", None], spec) == [1, 7]
    with pytest.raises(InvalidParams, match="^invalid argument 1: hex string without 0x prefix$"):
        bind_params(["0x1", "2"], spec)
    with pytest.raises(InvalidParams, match="^missing value for required argument 0$"):
        bind_params(None, spec)
    with pytest.raises(InvalidParams, match="^too many arguments, want at most 2$"):
        bind_params(["0x1", "0x2", "0x3"], spec)
    with pytest.raises(InvalidParams, match="^non-array args$"):
        bind_params({"a": "0x1"}, spec)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ParseError("x"), -32700),
        (BatchTooLarge(1001, 1000), -32600),
        (RequestBodyTooLarge(10, 5), -32600),
        (MethodNotFound("foo_bar"), -32601),
        (NotificationsUnsupported(), -32601),
        (InvalidParams("x"), -32602),
        (LimitExceeded("x"), -32005),
        (ExecutionReverted("r", b"\x01"), 3),
        (ExecutionTimeout("x"), -32000),
        (ExecutionFailed("out of gas"), -32000),
        (NonceTooLow("0xabc", 0, 1), -32000),
        (WrongChainId(1, 4852), -32000),
        (AlreadyKnown("0x12"), -32000),
        (BlockNotFound("header not found"), -32000),
        (FilterNotFound(), -32000),
        (KeyError("a bug"), -32603),
    ],
)
def test_error_code_table(error: Exception, code: int) -> None:
    assert error_code(error) == code


def test_error_objects() -> None:
    assert error_object(ExecutionReverted("nope", b"\x08\xc3")) == {
        "code": 3, "message": "execution reverted: nope", "data": "0x08c3"}
    assert error_object(ValueError("secret internals")) == {"code": -32603, "message": "internal error"}


def test_revert_reasons() -> None:
    assert decode_revert_reason(bytes.fromhex("08c379a0") + encode(["string"], ["not KYC'd"])) == "not KYC'd"
    assert decode_revert_reason(bytes.fromhex("4e487b71") + (0x11).to_bytes(32, "big")) == "arithmetic underflow or overflow"
    assert decode_revert_reason(bytes.fromhex("4e487b71") + (0x99).to_bytes(32, "big")) == "unknown panic code: 0x99"
    assert decode_revert_reason(bytes.fromhex("08c379a0") + b"\x00" * 5) is None  # malformed
    assert decode_revert_reason(bytes.fromhex("deadbeef")) is None  # a custom error: data only
    assert decode_revert_reason(b"") is None


def test_durations_as_go_prints_them() -> None:
    assert [format_duration(s) for s in (5, 0.5, 1.5, 90)] == ["5s", "500ms", "1.5s", "1m30s"]
