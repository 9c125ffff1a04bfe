"""Issue 9, finding 1, end to end: deposits the L1 portal accepts but the L2 cannot execute
(a real anvil, real `lantau node` processes). Each is included with status 0, its mint and the
sender's nonce bump applied; the sequencer goes on producing past it, and a verifier deriving
from L1 alone gets past the hostile L1 blocks to the same block hashes.

Should the portal come to refuse a shape on L1 (creation gas, init-code size, calldata floor),
that shape is asserted refused with a named portal error instead; `value` above the sender's
L2 balance cannot be judged on L1 and always reaches the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3
from web3.exceptions import ContractLogicError

from bridge.deposit_client import deposit_info_from_receipt, wait_for_l2_receipt
from bridge.devnet import L1Devnet
from bridge.l1_client import L1Client, decode_revert
from bridge.l1_contract_clients import candidate_of
from bridge.tx_manager import TxManager
from genesis.dev_accounts import dev_accounts
from tests.e2e.test_verifier import sequencer_safe_at, verifier_reaches, wait_until, write_rollup

ACCOUNTS = dev_accounts()
ATTACKER, BATCHER, CAROL = ACCOUNTS[5], ACCOUNTS[1], ACCOUNTS[2]
ZERO = "0x" + "00" * 20
SCALE = 10**12
MAX_INITCODE_SIZE = 49_152


@dataclass(frozen=True)
class Shape:
    name: str
    call: str  # "depositTransaction" or "depositHKD"
    args: tuple
    gas: int  # the deposit's L2 gas limit
    mint: int = 0
    refusable: bool = True  # may a stricter portal refuse it on L1?


def hostile_shapes(l2_balance: int) -> list[Shape]:
    big_init_code = b"\x00" * (MAX_INITCODE_SIZE + 1)
    big_gas = 21_000 + 16 * len(big_init_code) + 53_000
    floor_data = b"\x01" * 1_000
    return [
        Shape("value above the L2 balance", "depositTransaction", (CAROL.address, l2_balance + 1, 100_000, False, b""), 100_000, refusable=False),
        Shape("creation with 21,000 gas", "depositTransaction", (ZERO, 0, 21_000, True, b""), 21_000),
        Shape("creation with 49,153 bytes of init code", "depositTransaction", (ZERO, 0, big_gas, True, big_init_code), big_gas),
        # depositHKD mints: a failing one still credits the sender, and moves no value.
        Shape("HKD deposit below the calldata floor", "depositHKD", (CAROL.address, 3_000_000, 37_000, floor_data), 37_000, mint=3_000_000 * SCALE),
    ]


def test_hostile_deposits_neither_stop_the_sequencer_nor_a_verifier(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    rollup = write_rollup(l1, tmp_path)
    l1_args = ("--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup))
    sequencer = node_factory(data_dir=tmp_path / "sequencer", block_time_s=0.5, extra_args=(*l1_args, "--batcher-key", BATCHER.private_key))
    l2 = Web3(Web3.HTTPProvider(sequencer.rpc_url))
    l1_w3 = Web3(Web3.HTTPProvider(l1.anvil.rpc_url))
    wait_until(lambda: l2.eth.block_number >= 3, 60, "the first L2 blocks")

    attacker_balance = l2.eth.get_balance(ATTACKER.address)
    attacker_nonce = l2.eth.get_transaction_count(ATTACKER.address)
    carol_balance = l2.eth.get_balance(CAROL.address)
    portal = l1.deployment.contract(l1_w3, "LantauPortal")
    hkd = l1.deployment.contract(l1_w3, "HKDStablecoin")
    funder = TxManager(L1Client(l1_w3), ACCOUNTS[0].private_key)
    assert funder.send(candidate_of(hkd.functions.transfer(ATTACKER.address, 3_000_000)))["status"] == 1  # fund the attacker
    sender = TxManager(L1Client(l1_w3), ATTACKER.private_key)
    assert sender.send(candidate_of(hkd.functions.approve(l1.deployment.lantau_portal, 3_000_000)))["status"] == 1

    sent: list[tuple[Shape, bytes]] = []
    for shape in hostile_shapes(attacker_balance):
        call = getattr(portal.functions, shape.call)(*shape.args)
        try:
            call.estimate_gas({"from": ATTACKER.address})
        except ContractLogicError as exc:  # a portal that refuses the shape on L1
            reason = decode_revert(bytes.fromhex(str(exc.data).removeprefix("0x"))) if isinstance(exc.data, str) else None
            assert shape.refusable, f"{shape.name}: refused on L1 ({exc}), but L1 cannot know L2 balances"
            assert reason is not None, f"{shape.name}: refused without a named portal error: {exc}"
            print(f"\n{shape.name}: refused by the portal with {reason.name}{reason.args}")
            continue
        receipt = sender.send(candidate_of(call))
        assert receipt["status"] == 1, f"{shape.name}: the L1 deposit itself reverted"
        sent.append((shape, deposit_info_from_receipt(l1_w3, receipt).l2_tx_hash))
    assert sent[0][0].name == "value above the L2 balance"

    minted = 0
    last_block = 0
    for index, (shape, l2_tx_hash) in enumerate(sent):
        receipt = wait_for_l2_receipt(l2, l2_tx_hash, timeout_s=90)
        block = l2.eth.get_block(receipt["blockNumber"], full_transactions=True)
        position = receipt["transactionIndex"]
        previous = l2.eth.get_transaction_receipt(block["transactions"][position - 1]["hash"])["cumulativeGasUsed"] if position else 0
        assert receipt["status"] == 0, shape.name
        assert receipt["gasUsed"] == receipt["cumulativeGasUsed"] - previous == shape.gas, shape.name
        assert receipt["logs"] == [], shape.name
        assert int(receipt["depositNonce"], 16) == attacker_nonce + index, shape.name
        assert receipt.get("contractAddress") in (None, ZERO) or l2.eth.get_code(receipt["contractAddress"]) == b"", shape.name
        minted += shape.mint
        last_block = max(last_block, receipt["blockNumber"])
    assert l2.eth.get_transaction_count(ATTACKER.address) == attacker_nonce + len(sent)
    assert l2.eth.get_balance(ATTACKER.address) == attacker_balance + minted  # the mint stayed, no value moved
    assert l2.eth.get_balance(CAROL.address) == carol_balance

    # The sequencer goes on well past the hostile blocks, and its own derivation agrees.
    target = last_block + 20
    wait_until(lambda: l2.eth.block_number >= target, 90, f"sequencer block {target}")
    sequencer_safe_at(sequencer, l2, target, 180)

    # A verifier from L1 alone derives past the hostile L1 blocks to the same hashes.
    verifier, v2 = verifier_reaches(node_factory, l1_args, l2, tmp_path / "verifier", target, 240)
    for shape, l2_tx_hash in sent:
        assert v2.eth.get_transaction_receipt(l2_tx_hash)["status"] == 0, shape.name
    assert sequencer.process.poll() is None and verifier.process.poll() is None
