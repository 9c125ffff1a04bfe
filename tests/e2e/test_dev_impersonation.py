"""Impersonated sends on a real `lantau node --dev-rpc` without an L1, over HTTP (node.rpc.dev):
anvil_impersonateAccount, then eth_sendTransaction with no signature is mined at once, with exact
balances, receipts and lookups (after a restart too); its hash is keccak of the EIP-1559 encoding
with the fake signature (r = sender, s = 1), computed here from the answered fields. Refusals:
not impersonated (any more) is "unknown account", bad parameters are -32602, a node without the
flag answers -32601; nothing moves on a refusal."""

from __future__ import annotations

import rlp
from eth_hash.auto import keccak
from eth_utils import to_canonical_address, to_checksum_address

from tests.e2e.test_dev_rpc import head, result, rpc

WHALE = "0x00000000000000000000000000000000000a11ce"
OTHER = "0x00000000000000000000000000000000000b0b00"
RECIPIENT = "0x00000000000000000000000000000000000c0ffe"
# Runtime 0x60003560005500 (sstore(0, calldataload(0))), returned by its init code.
STORE_INIT_CODE = "0x6660003560005500600052600760" + "19f3"


def fake_signed_hash(tx: dict) -> str:
    """keccak of 0x02 ‖ rlp([chainId, nonce, tip, maxFee, gas, to, value, input, accessList, 0, r, s])."""
    def number(key: str) -> int:
        return int(tx[key], 16)

    fields = [number("chainId"), number("nonce"), number("maxPriorityFeePerGas"), number("maxFeePerGas"), number("gas"),
              to_canonical_address(tx["to"]) if tx["to"] else b"", number("value"), bytes.fromhex(tx["input"][2:]), [],
              0, int(tx["from"], 16), 1]
    return "0x" + keccak(b"\x02" + rlp.encode(fields)).hex()


def test_impersonated_sends_are_mined_and_answer_like_any_transaction(node_factory, tmp_path) -> None:
    data_dir = tmp_path / "dev"
    process = node_factory(data_dir=data_dir, block_time_s=0, extra_args=("--dev-rpc",))
    url = process.rpc_url
    result(url, "anvil_setBalance", WHALE, hex(10**18))
    result(url, "anvil_setBalance", OTHER, hex(10**18))

    # Not impersonated: geth's "unknown account", nothing moves.
    before = head(url)
    error = rpc(url, "eth_sendTransaction", {"from": WHALE, "to": RECIPIENT, "value": "0x1"})["error"]
    assert error["code"] == -32000 and error["message"].startswith("unknown account"), error
    assert head(url)["hash"] == before["hash"]

    assert result(url, "anvil_impersonateAccount", WHALE) is None
    assert result(url, "hardhat_impersonateAccount", OTHER) is None

    # A value transfer: mined at once, exact balances.
    tx_hash = result(url, "eth_sendTransaction", {"from": WHALE, "to": RECIPIENT, "value": hex(12_345)})
    receipt = result(url, "eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x1" and receipt["from"] == WHALE and receipt["transactionHash"] == tx_hash
    assert int(receipt["blockNumber"], 16) == int(before["number"], 16) + 1
    transfer_fee = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    assert int(receipt["gasUsed"], 16) == 21_000
    assert int(result(url, "eth_getBalance", RECIPIENT, "latest"), 16) == 12_345
    assert int(result(url, "eth_getBalance", WHALE, "latest"), 16) == 10**18 - 12_345 - transfer_fee
    tx = result(url, "eth_getTransactionByHash", tx_hash)
    assert tx["from"] == WHALE and tx["hash"] == tx_hash and tx["s"] == "0x1" and int(tx["r"], 16) == int(WHALE, 16)
    assert fake_signed_hash(tx) == tx_hash

    # The same fields from another impersonated sender: another transaction, another hash.
    other_hash = result(url, "eth_sendTransaction", {"from": OTHER, "to": RECIPIENT, "value": hex(12_345)})
    assert other_hash != tx_hash and result(url, "eth_getTransactionByHash", other_hash)["from"] == OTHER
    assert result(url, "eth_getTransactionReceipt", tx_hash)["from"] == WHALE

    # A contract creation and a call to it.
    create_hash = result(url, "eth_sendTransaction", {"from": WHALE, "data": STORE_INIT_CODE})
    created = result(url, "eth_getTransactionReceipt", create_hash)
    contract = created["contractAddress"]
    assert created["status"] == "0x1"
    assert contract == "0x" + keccak(rlp.encode([to_canonical_address(WHALE), 1]))[12:].hex()  # nonce 1
    assert result(url, "eth_getCode", contract, "latest") == "0x60003560005500"
    call_hash = result(url, "eth_sendTransaction", {"from": to_checksum_address(WHALE), "to": contract, "input": "0x" + "00" * 31 + "2a"})
    called = result(url, "eth_getTransactionReceipt", call_hash)
    assert called["status"] == "0x1"
    assert int(result(url, "eth_getStorageAt", contract, "0x0", "latest"), 16) == 42
    fees = sum(int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16) for r in (receipt, created, called))
    assert int(result(url, "eth_getBalance", WHALE, "latest"), 16) == 10**18 - 12_345 - fees
    assert result(url, "eth_getTransactionCount", WHALE, "latest") == "0x3"
    block = result(url, "eth_getBlockByNumber", called["blockNumber"], True)
    assert [t["from"] for t in block["transactions"] if t["hash"] == call_hash] == [WHALE]

    # Refusals: funds, nonce; nothing moves.
    moved = head(url)
    for params, words in [
        ({"from": WHALE, "to": RECIPIENT, "value": hex(10**18)}, "insufficient funds"),
        ({"from": WHALE, "to": RECIPIENT, "nonce": "0x1"}, "nonce too low"),
    ]:
        error = rpc(url, "eth_sendTransaction", params)["error"]
        assert error["code"] == -32000 and words in error["message"], error
    for method, params, words in [
        ("anvil_impersonateAccount", ["0x1234"], "address"),
        ("anvil_stopImpersonatingAccount", [], "missing value"),
        ("anvil_autoImpersonateAccount", ["yes"], "bool"),
        ("eth_sendTransaction", [{"to": RECIPIENT}], '"from"'),
        ("eth_sendTransaction", [{"from": WHALE, "value": "zz"}], "hex"),
    ]:
        error = rpc(url, method, *params)["error"]
        assert error["code"] == -32602 and words in error["message"], (method, error)
    assert head(url)["hash"] == moved["hash"]

    # Stopped: refused again, state intact.
    assert result(url, "anvil_stopImpersonatingAccount", WHALE) is None
    balance = result(url, "eth_getBalance", WHALE, "latest")
    error = rpc(url, "eth_sendTransaction", {"from": WHALE, "to": RECIPIENT, "value": "0x1"})["error"]
    assert error["code"] == -32000 and "unknown account" in error["message"]
    assert head(url)["hash"] == moved["hash"] and result(url, "eth_getBalance", WHALE, "latest") == balance

    # Auto-impersonation: any sender.
    assert result(url, "anvil_autoImpersonateAccount", True) is None
    auto_hash = result(url, "eth_sendTransaction", {"from": WHALE, "to": RECIPIENT, "value": "0x1"})
    assert result(url, "eth_getTransactionReceipt", auto_hash)["status"] == "0x1"
    result(url, "anvil_autoImpersonateAccount", False)
    assert "unknown account" in rpc(url, "eth_sendTransaction", {"from": WHALE, "to": RECIPIENT})["error"]["message"]

    # After a restart the stored blocks still answer with the impersonated senders.
    final = head(url)
    process.stop(timeout_s=20)
    url = node_factory(data_dir=data_dir, block_time_s=0, extra_args=("--dev-rpc",)).rpc_url
    assert head(url)["hash"] == final["hash"]
    assert result(url, "eth_getTransactionReceipt", tx_hash)["from"] == WHALE
    assert result(url, "eth_getTransactionByHash", call_hash)["from"] == WHALE
    assert "unknown account" in rpc(url, "eth_sendTransaction", {"from": WHALE, "to": RECIPIENT})["error"]["message"]


def test_without_the_flag_impersonation_does_not_exist(node_factory) -> None:
    url = node_factory(block_time_s=0).rpc_url
    before = head(url)
    for method, params in [("anvil_impersonateAccount", [WHALE]), ("hardhat_impersonateAccount", [WHALE]),
                           ("anvil_stopImpersonatingAccount", [WHALE]), ("anvil_autoImpersonateAccount", [True]),
                           ("eth_sendTransaction", [{"from": WHALE, "to": RECIPIENT}])]:
        assert rpc(url, method, *params)["error"]["code"] == -32601, method
    assert head(url)["hash"] == before["hash"]


def test_impersonated_sends_trace_like_any_transaction(node_factory) -> None:
    """debug_trace* replays a block with its recorded senders, so an impersonated transaction
    (fake signature, no recoverable sender) traces as sent: gas equal to its receipt's, the
    SSTORE it ran, the sender's code (EIP-3607 is skipped for it on replay as when built)."""
    url = node_factory(block_time_s=0, extra_args=("--dev-rpc",)).rpc_url
    result(url, "anvil_setBalance", WHALE, hex(10**18))
    assert result(url, "anvil_autoImpersonateAccount", True) is None
    create_hash = result(url, "eth_sendTransaction", {"from": WHALE, "data": STORE_INIT_CODE})
    contract = result(url, "eth_getTransactionReceipt", create_hash)["contractAddress"]
    call_hash = result(url, "eth_sendTransaction", {"from": WHALE, "to": contract, "input": "0x" + "00" * 31 + "2a"})
    called = result(url, "eth_getTransactionReceipt", call_hash)

    traced = result(url, "debug_traceTransaction", call_hash)
    assert traced["failed"] is False and traced["gas"] == int(called["gasUsed"], 16)
    assert [step["op"] for step in traced["structLogs"]] == ["PUSH1", "CALLDATALOAD", "PUSH1", "SSTORE", "STOP"]
    by_block = result(url, "debug_traceBlockByNumber", called["blockNumber"])
    assert [t["txHash"] for t in by_block] == result(url, "eth_getBlockByNumber", called["blockNumber"], False)["transactions"]
    assert by_block[-1]["result"] == traced

    # The contract itself (it holds code) sends, impersonated: traced too.
    result(url, "anvil_setBalance", contract, hex(10**18))
    from_code = result(url, "eth_sendTransaction", {"from": contract, "to": RECIPIENT, "value": "0x7"})
    sent = result(url, "eth_getTransactionReceipt", from_code)
    assert sent["status"] == "0x1" and sent["from"] == contract
    traced = result(url, "debug_traceTransaction", from_code)
    assert traced == {"gas": 21_000, "failed": False, "returnValue": "", "structLogs": []}

    # An unknown hash is still "not found", not an internal error.
    error = rpc(url, "debug_traceTransaction", "0x" + "ab" * 32)["error"]
    assert error["code"] != -32603 and "not found" in error["message"], error
