"""Issue 15: an L2 block's deposits decided in one L1 transaction, whatever its L1 origin holds
(a deposit's source hash by its position in the L1 block; the portal's per-block bounds).

A verifier alone (no sequencer, window 6) derives the deposit-only block of an L1 block the test
fills in one go (interval mining paused, the transactions sent, one block mined), and `InputOracle`
on the same anvil decides it with the evidence node's rule gives (`Setup.honest`); the L1 gas of
`checkInputs` and its calldata are printed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import keccak
from web3 import Web3

from bridge.devnet import L1Devnet
from genesis.dev_accounts import dev_accounts
from node.deposit_event import deposit_transaction
from node.vm import LantauTransactionBuilder
from prover.input_evidence import deposit_events
from tests.e2e.test_input_oracle import Setup, verifier_with_oracle
from tests.e2e.test_verifier import wait_until

ACCOUNTS = dev_accounts()
DEPOSITOR, TRANSFERRER, RECIPIENT = ACCOUNTS[8], ACCOUNTS[9], ACCOUNTS[7]
GWEI = 10**9


def rpc(w3: Web3, method: str, params: list[Any]) -> Any:
    reply = w3.provider.make_request(method, params)
    assert "error" not in reply, reply
    return reply["result"]


def one_l1_block(w3: Web3, raws: list[bytes]) -> int:
    """`raws` mined in one L1 block (interval mining paused meanwhile); its number. Every one must
    land there, in the order the fees give (a higher tip first)."""
    rpc(w3, "evm_setIntervalMining", [0])
    try:
        hashes = [w3.eth.send_raw_transaction(raw) for raw in raws]
        rpc(w3, "evm_mine", [])
    finally:
        rpc(w3, "evm_setIntervalMining", [1])
    numbers = {int(w3.eth.get_transaction_receipt(h)["blockNumber"]) for h in hashes}
    assert len(numbers) == 1, f"the transactions landed in blocks {sorted(numbers)}"
    return numbers.pop()


def signed(w3: Web3, sender: Any, nonce: int, tip: int, **tx: Any) -> bytes:
    base = {"maxFeePerGas": 100 * GWEI, "maxPriorityFeePerGas": tip, "nonce": nonce, "chainId": w3.eth.chain_id, **tx}
    return bytes(Account.sign_transaction(base, sender.private_key).raw_transaction)


def deposits(w3: Web3, l1: L1Devnet, count: int, data: bytes, *, tip: int = GWEI) -> list[bytes]:
    """`count` `depositTransaction`s of DEPOSITOR to RECIPIENT carrying `data`, at their least L2 gas."""
    portal = l1.deployment.contract(w3, "LantauPortal")
    gas = 21_000 + 16 * len(data)
    nonce = w3.eth.get_transaction_count(DEPOSITOR.address)
    call = portal.functions.depositTransaction(RECIPIENT.address, 0, gas, False, data)
    tx_data = call._encode_transaction_data()
    l1_gas = 400_000 + 8 * gas  # the portal's work plus the L2 gas it burns (its price rises after a full block)
    return [signed(w3, DEPOSITOR, nonce + i, tip, to=l1.deployment.lantau_portal, data=tx_data, gas=l1_gas)
            for i in range(count)]


def decided(setup: Setup, l1_block: int, deposit_count: int) -> tuple[int, int, int]:
    """The deposit-only L2 block of `l1_block` (its origin's first), decided on L1: (its number,
    checkInputs' L1 gas, its calldata bytes)."""
    def block_of_origin() -> int | None:
        for number in range(setup.l2.eth.block_number, 0, -1):
            origin, sequence = setup.origin_of(number)
            if origin == l1_block and sequence == 0:
                return number
            if origin < l1_block:
                return None
        return None

    wait_until(lambda: block_of_origin() is not None, 180, f"the L2 block of L1 origin {l1_block}")
    number = block_of_origin()
    assert number is not None
    hashes, timestamp, evidence, forced = setup.honest(number)
    assert forced == 1 + deposit_count and len(hashes) == forced
    root, proof = setup.parent_output(number)
    call = setup.oracle.functions.checkInputs(number, root, proof.as_abi(), (hashes, timestamp, setup.found_of(number)), evidence.as_abi())
    size = (len(call._encode_transaction_data()) - 2) // 2  # hex
    assert setup.check(number, hashes, timestamp, evidence) == ("ok", forced)
    return number, setup.gas(number, hashes, timestamp, evidence), size


def test_the_worst_origin_the_portal_allows_is_decided_in_one_l1_transaction(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """One L1 block: 300 HKD transfers, then the most deposits the portal takes (64) carrying the
    most data (16,384 non-zero bytes), then one more deposit, which reverts (`BlockDepositsFull`).
    The verifier derives the block's 64 deposits; `checkInputs` decides node's block in one L1
    transaction, its calldata under half of 128 KiB and its gas under a quarter of 16,777,216. A
    deposit claimed with another source hash (its position moved, or OP's by log index) is refuted
    (`WrongDeposit`). Before issue 15's position rule (log indexes proven from the origin's
    receipts, no per-block bound): one deposit after 300 transfers took 520,036 bytes and 22.65M
    gas; 952 deposits 2,777,412 bytes and ten 120,000-byte deposits 2,420,676 (anvil refused both
    calls whole); by position, before the bound, 952 deposits 279,172 bytes and 13.89M gas."""
    _, _, setup = verifier_with_oracle(node_factory, l1, tmp_path, sequencing_window=6, channel_timeout=4)
    w3 = setup.l1_w3
    portal = l1.deployment.contract(w3, "LantauPortal")
    most, data_bytes = portal.functions.MAX_BLOCK_DEPOSITS().call(), portal.functions.MAX_BLOCK_DEPOSIT_DATA().call()
    nonce = w3.eth.get_transaction_count(TRANSFERRER.address)
    hkd_transfer = l1.deployment.contract(w3, "HKDStablecoin").functions.transfer(RECIPIENT.address, 1)._encode_transaction_data()
    transfers = [signed(w3, TRANSFERRER, nonce + i, 2 * GWEI, to=l1.deployment.hkd_stablecoin, data=hkd_transfer, gas=80_000)
                 for i in range(300)]  # one log each: OP's log index of deposit k would be 300 + k
    sent = deposits(w3, l1, most + 1, b"\x5a" * (data_bytes // most))
    block = one_l1_block(w3, [*transfers, *sent])
    statuses = [int(w3.eth.get_transaction_receipt(keccak(raw))["status"]) for raw in sent]
    assert statuses == [1] * most + [0]
    assert w3.eth.get_transaction_receipt(keccak(sent[0]))["transactionIndex"] == 300

    number, gas, size = decided(setup, block, most)
    print(f"\nthe worst origin: 300 HKD transfers, {most} deposits of {data_bytes:,} bytes in all; "
          f"checkInputs {gas:,} L1 gas, {size:,} bytes of calldata")
    assert size < 128 * 1024 // 2 and gas < 16_777_216 // 4

    hashes, timestamp, evidence, _ = setup.honest(number)
    last = deposit_events(setup.deposit_logs(block))[-1]
    assert (last.position, last.log_index) == (most - 1, 300 + most - 1)
    moved = deposit_transaction(dataclasses.replace(last, position=last.position - 1))
    assert setup.check(number, [*hashes[:most], moved.hash], timestamp, evidence) == ("WrongDeposit", most)
    by_log_index = LantauTransactionBuilder.new_deposit_transaction(
        source_hash=keccak(bytes(32) + keccak(bytes(last.l1_block_hash) + last.log_index.to_bytes(32, "big"))),
        from_=last.from_address, to=last.to_address or b"", mint=last.mint, value=last.value, gas=last.gas_limit, data=last.data,
    )
    assert setup.check(number, [*hashes[:most], by_log_index.hash], timestamp, evidence) == ("WrongDeposit", most)
    assert setup.refutes(number, [*hashes[:most], moved.hash], timestamp, evidence) is True
    assert setup.check(number, hashes, timestamp, evidence) == ("ok", most + 1)
