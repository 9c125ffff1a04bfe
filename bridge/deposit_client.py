"""Client side of a deposit: approve + `LantauPortal.depositHKD` on L1, then follow it to L2.

The L2 transaction of a deposit is known before it lands: its hash is the hash of the 0x7E
transaction built from the L1 log (source hash = f(L1 block hash, the log's position among the
block's portal deposits), read with the block's portal logs), so status is a plain
`eth_getTransactionReceipt` on L2.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from web3 import Web3

from bridge.l1_client import L1CallReverted, L1Client
from bridge.l1_contract_clients import HkdTokenClient, PortalClient
from bridge.l1_contracts import L1Deployment
from bridge.tx_manager import TxManager
from node.errors import LantauError
from node.deposit_event import TRANSACTION_DEPOSITED_TOPIC, decode_deposit_log, deposit_transaction, positioned

DEFAULT_DEPOSIT_GAS = 100_000


class DepositError(LantauError):
    pass


@dataclass(frozen=True, slots=True)
class DepositReceiptInfo:
    l1_tx_hash: bytes
    l1_block_number: int
    l2_tx_hash: bytes
    mint_wei: int
    l1_gas_used: int


def deposit_hkd(w3: Web3, deployment: L1Deployment, private_key: str, *, to: str, amount_units: int,
                gas_limit: int = DEFAULT_DEPOSIT_GAS, data: bytes = b"") -> DepositReceiptInfo:
    l1 = L1Client(w3)
    txmgr = TxManager(l1, private_key)
    _ok("approve the portal", lambda: HkdTokenClient(l1, deployment.hkd_stablecoin).approve(txmgr, deployment.lantau_portal, amount_units))
    receipt = _ok("depositHKD", lambda: PortalClient(l1, deployment.lantau_portal).deposit_hkd(txmgr, to, amount_units, gas_limit, data))
    return deposit_info_from_receipt(w3, receipt)


def _ok(step: str, send: Callable[[], dict]) -> dict:
    try:
        receipt = send()
    except L1CallReverted as exc:  # the estimate reverted: nothing was sent
        raise DepositError(f"{step} reverted: {exc.revert or exc.detail}") from exc
    if receipt["status"] != 1:
        raise DepositError(f"{step}: transaction {bytes(receipt['transactionHash']).hex()} reverted")
    return receipt


def deposit_info_from_receipt(w3: Web3, receipt: dict) -> DepositReceiptInfo:
    """The deposit an L1 receipt made (its first portal log), its position read from its L1
    block's portal deposits on `w3`."""
    for entry in receipt["logs"]:
        if entry["topics"] and bytes(entry["topics"][0]) == TRANSACTION_DEPOSITED_TOPIC:
            block_logs = w3.eth.get_logs({"blockHash": entry["blockHash"], "address": entry["address"], "topics": [TRANSACTION_DEPOSITED_TOPIC]})
            position = next(p for p, e in positioned(block_logs) if int(e["logIndex"]) == int(entry["logIndex"]))
            event = decode_deposit_log(entry, position)
            l2_tx = deposit_transaction(event)
            return DepositReceiptInfo(bytes(receipt["transactionHash"]), int(receipt["blockNumber"]), l2_tx.hash, event.mint, int(receipt["gasUsed"]))
    raise DepositError(f"L1 transaction {bytes(receipt['transactionHash']).hex()} made no deposit")


def wait_for_l2_receipt(l2: Web3, l2_tx_hash: bytes, *, timeout_s: float = 120.0,
                        on_tick: Callable[[int], None] | None = None) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            receipt = l2.eth.get_transaction_receipt(l2_tx_hash)
            if receipt is not None:
                return dict(receipt)
        except Exception:  # web3 raises TransactionNotFound while it is pending
            pass
        if on_tick is not None:
            on_tick(int(l2.eth.block_number))
        if time.monotonic() > deadline:
            raise DepositError(f"deposit not on L2 after {timeout_s:.0f} s (L2 tx {l2_tx_hash.hex()})")
        time.sleep(0.25)
