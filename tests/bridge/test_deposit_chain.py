"""The portal's per-L1-block deposit hash chain (`depositHashChain`) equals the one Python computes
(`node.deposit_chain.deposit_hash_chain`) from the L2 deposit transactions that derivation's L1
source derives from the same block: an HKD deposit, a call, a creation and a deposit from a
contract (aliased), in one L1 block, with a reverted deposit among them that leaves no trace."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from web3.contract.contract import ContractFunction
from web3.types import Nonce

from bridge.l1_contracts import HKD_UNIT
from bridge.l1_source import RpcL1Source
from node.deposit_chain import EMPTY_DEPOSIT_CHAIN, deposit_hash_chain
from tests.bridge.l1_harness import L1

DEPOSITOR, OTHER, RECIPIENT = 1, 3, 2
L2_GAS = 100_000


def _send_unmined(l1: L1, index: int, call: ContractFunction | None = None, *, to: str | None = None,
                  data: bytes = b"", gas: int = 500_000) -> bytes:
    account = l1.account(index)
    nonce = l1.w3.eth.get_transaction_count(account.address, "pending")
    params: dict[str, Any] = {"from": account.address, "nonce": Nonce(nonce), "gas": gas,
                              "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "chainId": l1.w3.eth.chain_id}
    tx = dict(call.build_transaction(params)) if call is not None else {**params, "to": to, "data": data, "value": 0}  # type: ignore[arg-type]
    tx.pop("from", None)
    return bytes(l1.w3.eth.send_raw_transaction(Account.from_key(l1.keys[index]).sign_transaction(tx).raw_transaction))


def test_portal_deposit_chain_equals_the_one_computed_from_derived_deposits(l1: L1) -> None:
    forwarder = l1.deploy_forwarder(OTHER)
    l1.ok(DEPOSITOR, l1.hkd.functions.approve(l1.portal.address, 10 * HKD_UNIT))
    l1.ok(OTHER, l1.hkd.functions.transfer(forwarder, 2 * HKD_UNIT))
    approve = l1.hkd.functions.approve(l1.portal.address, 2 * HKD_UNIT)
    l1.send_raw(OTHER, forwarder, bytes.fromhex(l1.hkd.address[2:]) + bytes.fromhex(approve._encode_transaction_data()[2:]))
    portal = l1.portal.functions
    initcode = bytes.fromhex("600a600c600039600a6000f3") + b"\x00" * 10
    via_forwarder = bytes.fromhex(l1.portal.address[2:]) + bytes.fromhex(
        portal.depositHKD(l1.address(RECIPIENT), 2 * HKD_UNIT, L2_GAS, b"\x01\x02")._encode_transaction_data()[2:])

    l1.anvil.rpc("evm_setAutomine", [False])
    try:
        hashes = [
            _send_unmined(l1, DEPOSITOR, portal.depositHKD(l1.address(RECIPIENT), 3 * HKD_UNIT, L2_GAS, b"")),
            _send_unmined(l1, DEPOSITOR, portal.depositTransaction(l1.address(RECIPIENT), 5, 60_000, False, b"\xab" * 40)),
            # reverts on L1 (zero amount): no log, no link in the chain
            _send_unmined(l1, DEPOSITOR, portal.depositHKD(l1.address(RECIPIENT), 0, L2_GAS, b"")),
            _send_unmined(l1, DEPOSITOR, portal.depositTransaction("0x" + "00" * 20, 0, 200_000, True, initcode)),
            _send_unmined(l1, OTHER, to=forwarder, data=via_forwarder),
        ]
        l1.anvil.rpc("evm_mine")
    finally:
        l1.anvil.rpc("evm_setAutomine", [True])
    receipts = [l1.w3.eth.wait_for_transaction_receipt(h) for h in hashes]
    assert [r["status"] for r in receipts] == [1, 1, 0, 1, 1]
    number = receipts[0]["blockNumber"]
    assert {r["blockNumber"] for r in receipts} == {number}

    source = RpcL1Source(l1.w3, l1.portal.address)
    block = source.block_by_number(number)
    assert block is not None
    deposits = source.deposits(block)
    assert len(deposits) == 4
    on_l1 = bytes(portal.depositHashChain(number).call())
    assert on_l1 == deposit_hash_chain(deposits) != EMPTY_DEPOSIT_CHAIN
    # Order matters, and so does every deposit: a chain without one, or with two swapped, differs.
    assert deposit_hash_chain(deposits[:3]) != on_l1
    assert deposit_hash_chain([deposits[1], deposits[0], *deposits[2:]]) != on_l1
    # A block without deposits has the empty chain.
    assert bytes(portal.depositHashChain(number - 1).call()) == deposit_hash_chain(source.deposits(source.block_by_number(number - 1))) == EMPTY_DEPOSIT_CHAIN  # type: ignore[arg-type]


def test_measure_deposit_chain_gas(l1: L1) -> None:
    """The accumulator costs a deposit one keccak and one SSTORE (22,100 gas for the first deposit
    of an L1 block, 5,000 after); ResourceMetering deducts the portal's own work from the L1 gas a
    deposit burns for its L2 gas, so a deposit that buys 100,000 L2 gas pays about the same as
    before, while one at the 21,000 minimum pays the accumulator in full."""
    l1.ok(DEPOSITOR, l1.hkd.functions.approve(l1.portal.address, 10 * HKD_UNIT))
    l1.ok(DEPOSITOR, l1.portal.functions.depositHKD(l1.address(RECIPIENT), HKD_UNIT, L2_GAS, b""))  # warm the depositor
    at_100k = l1.ok(DEPOSITOR, l1.portal.functions.depositHKD(l1.address(RECIPIENT), HKD_UNIT, L2_GAS, b""))
    at_min = l1.ok(DEPOSITOR, l1.portal.functions.depositTransaction(l1.address(RECIPIENT), 0, 21_000, False, b""))
    # both deposits were chained into their L1 block's accumulator
    for receipt in (at_100k, at_min):
        assert bytes(l1.portal.functions.depositHashChain(receipt["blockNumber"]).call()) != EMPTY_DEPOSIT_CHAIN
    print(f"\nL1 gas with the deposit chain: depositHKD buying 100,000 L2 gas {at_100k['gasUsed']}, "
          f"depositTransaction at 21,000 L2 gas {at_min['gasUsed']}")
