"""The CLIs' shared input and output rules (node/cli_common.py), by table."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from eth_account import Account
from web3.exceptions import Web3RPCError

from bridge.l1_contracts import L1Revert
from genesis.dev_accounts import dev_accounts
from node.cli_common import BadAddress, error_line, parse_address, send_with_pending_nonce, show, show_time

GOOD = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # dev account 1, EIP-55 (ethers' getAddress agrees)


@pytest.mark.parametrize("text", [GOOD, GOOD.lower(), "0x" + GOOD[2:].upper(), f"  {GOOD} "])
def test_checksummed_lowercase_and_uppercase_addresses_are_taken(text: str) -> None:
    assert parse_address(text) == GOOD


@pytest.mark.parametrize(
    "text, message",
    [
        ("0x70997970c51812dc3a010c7d01b50e0d17dc79C8", "has a wrong EIP-55 checksum"),  # one letter's case off
        ("0x70997970C51812DC3A010C7D01B50E0D17DC79c8", "has a wrong EIP-55 checksum"),
        ("0x1234", "is not an address"),
        ("70997970C51812dc3A010C7d01b50e0d17dc79C8", "is not an address"),  # no 0x
        (GOOD + "00", "is not an address"),
        ("dev10", "is not an address"),
        ("0x70997970C51812dc3A010C7d01b50e0d17dc79CZ", "is not an address"),
    ],
)
def test_bad_addresses_are_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(BadAddress, match=message) as refused:
        parse_address(text, what="--to")
    assert str(refused.value).startswith("--to: ") and "\n" not in str(refused.value)


def test_dev_accounts_by_index() -> None:
    assert [parse_address(f"dev{i}") for i in range(10)] == [a.address for a in dev_accounts()]


def test_bytes_show_as_hex_and_times_as_dates() -> None:
    """Was: `AlreadyFinalized(b'\\x8d…')` and `finalizable at L1 time 1733318400`."""
    withdrawal_hash = bytes.fromhex("8d" + "00" * 30 + "ff")
    assert str(L1Revert("AlreadyFinalized", (withdrawal_hash,), b"\0" * 4)) == f"AlreadyFinalized(0x8d{'00' * 30}ff)"
    assert show((b"\x01\x02", 3, [b""])) == "(0x0102, 3, (0x))"
    assert show_time(1733318400) == "2024-12-04 13:20:00 UTC"


def test_error_lines_say_what_to_do() -> None:
    refused = Web3RPCError("x", rpc_response={"jsonrpc": "2.0", "id": 1, "error": {"code": -32003, "message": "Insufficient funds for gas * price + value"}})
    assert error_line(refused) == "the node refused: Insufficient funds for gas * price + value: fund the sending key, or give another --key"
    down = requests.exceptions.ConnectionError("Max retries exceeded\nwith url: /", request=requests.Request("POST", "http://127.0.0.1:9/").prepare())
    assert error_line(down) == "cannot reach http://127.0.0.1:9/: is the devnet running (`make devnet`)? Else check --devnet/--l1-rpc/--l2-rpc"
    assert error_line(ValueError(b"\xff\x00")) == "ValueError: 0xff00"


class _RacingNode:
    """A node whose pool has a transaction of another writer at each nonce the first `races` times."""

    def __init__(self, races: int, message: str) -> None:
        self.pending, self.races, self.message, self.sent = 7, races, message, []
        self.eth = self

    def get_transaction_count(self, address: str, block: str) -> int:
        assert block == "pending"
        return self.pending

    def send_raw_transaction(self, raw: bytes) -> bytes:
        if self.races:
            self.races -= 1
            self.pending += 1  # the other writer's transaction took the nonce
            raise Web3RPCError("x", rpc_response={"error": {"code": -32000, "message": self.message}})
        self.sent.append(raw)
        return b"\x11" * 32


@pytest.mark.parametrize("message", ["nonce too low: next nonce 8, tx nonce 7", "replacement transaction underpriced"])
def test_a_nonce_race_is_signed_again_with_the_pools_pending_nonce(message: str) -> None:
    account = Account.from_key(dev_accounts()[0].private_key)
    node = _RacingNode(races=2, message=message)
    tx: dict[str, Any] = {"to": GOOD, "value": 1, "gas": 21_000, "maxFeePerGas": 10**9, "maxPriorityFeePerGas": 1, "chainId": 4852, "type": 2}
    assert send_with_pending_nonce(node, account, tx) == b"\x11" * 32
    assert len(node.sent) == 1
    assert Account.recover_transaction(node.sent[0]) == account.address
    from eth_account.typed_transactions import TypedTransaction

    assert TypedTransaction.from_bytes(node.sent[0]).as_dict()["nonce"] == 9


def test_other_refusals_are_not_retried() -> None:
    account = Account.from_key(dev_accounts()[0].private_key)
    node = _RacingNode(races=1, message="insufficient funds for gas * price + value")
    with pytest.raises(Web3RPCError):
        send_with_pending_nonce(node, account, {"to": GOOD, "value": 1, "gas": 21_000, "gasPrice": 1, "chainId": 4852})
    assert node.sent == []


def test_a_refusal_wrapped_in_a_lantau_error_gets_the_hint_too() -> None:
    from node.errors import LantauError

    assert error_line(LantauError("L1 refused the transaction: Insufficient funds for gas * price + value")) == (
        "L1 refused the transaction: Insufficient funds for gas * price + value: fund the sending key, or give another --key"
    )
    assert error_line(LantauError("no asset 'X'")) == "no asset 'X'"
