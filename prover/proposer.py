"""The proposer: posts the output root of every `submissionInterval`-th L2 block to the L1
`OutputOracle`, with a bond, once that block is **safe** (derived from L1 data; never a block
that is only unsafe).

The oracle itself is the proposer's memory: `nextBlockNumber()` says which block is due, so a
restarted proposer continues without gaps or duplicates. Outputs are read from an L2 node over
JSON-RPC (`lantau_syncStatus`, `lantau_outputAtBlock`), so the proposer can run beside the node
(`lantau devnet`) or anywhere else (`lantau proposer`). A proposal stuck in the L1 mempool is
re-sent with the same nonce and at least +12.5% fees (the replacement rule of geth and anvil).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import TimeExhausted, TransactionNotFound

from genesis.artifacts import load_artifact
from node.errors import LantauError

log = logging.getLogger("lantau.proposer")

FEE_BUMP_NUMERATOR, FEE_BUMP_DENOMINATOR = 1125, 1000  # +12.5%


class ProposerError(LantauError):
    pass


@dataclass(frozen=True, slots=True)
class ProposerConfig:
    oracle_address: str
    proposer_key: str
    poll_interval_s: float = 1.0
    resubmit_after_s: float = 12.0
    max_fee_bumps: int = 5


@dataclass(frozen=True, slots=True)
class ProposalResult:
    l2_block_number: int
    output_root: bytes
    l1_tx_hash: bytes
    l1_gas_used: int


class Proposer:
    def __init__(self, l1: Web3, l2: Web3, config: ProposerConfig) -> None:
        self.l1, self.l2, self.config = l1, l2, config
        self.account: LocalAccount = Account.from_key(config.proposer_key)
        self.oracle = l1.eth.contract(address=Web3.to_checksum_address(config.oracle_address), abi=list(load_artifact("OutputOracle").abi))
        self._stopping = asyncio.Event()
        self.proposals: list[ProposalResult] = []

    # --- reading L2 --------------------------------------------------------------------------

    def _l2_call(self, method: str, params: list[Any]) -> Any:
        reply = self.l2.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in reply:
            raise ProposerError(f"{method}: {reply['error'].get('message')}")
        return reply["result"]

    def safe_l2_number(self) -> int:
        return int(self._l2_call("lantau_syncStatus", [])["safe_l2"]["number"])

    def output_at(self, number: int) -> bytes:
        return bytes.fromhex(self._l2_call("lantau_outputAtBlock", [hex(number)])["outputRoot"][2:])

    # --- one step ------------------------------------------------------------------------------

    def due_block(self) -> int:
        return int(self.oracle.functions.nextBlockNumber().call())

    def step(self) -> ProposalResult | None:
        """Propose the next due output if its block is safe (blocking: run in a thread)."""
        due = self.due_block()
        safe = self.safe_l2_number()
        if safe < due:
            return None
        root = self.output_at(due)
        # Anchor on the parent of L1's head: `blockhash` of the block being executed is zero,
        # so the oracle's anchor check can only see blocks before the current one.
        anchor = self.l1.eth.get_block(max(0, int(self.l1.eth.block_number) - 1))
        call = self.oracle.functions.proposeL2Output(root, due, bytes(anchor["hash"]), int(anchor["number"]))
        bond = int(self.oracle.functions.requiredBond().call())
        receipt = self._send(call, value=bond)
        if receipt["status"] != 1:
            raise ProposerError(f"proposal for L2 block {due} reverted on L1 (tx {receipt['transactionHash'].hex()})")
        result = ProposalResult(due, root, bytes(receipt["transactionHash"]), int(receipt["gasUsed"]))
        self.proposals.append(result)
        log.info("proposed output", extra={"l2_block": due, "output_root": "0x" + root.hex(), "l1_gas": result.l1_gas_used})
        return result

    def _send(self, call: Any, *, value: int) -> Any:
        nonce = self.l1.eth.get_transaction_count(self.account.address, "pending")
        gas = int(call.estimate_gas({"from": self.account.address, "value": value}) * 1.2)
        base_fee = int(self.l1.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        tip = 10**9
        fee_cap = 2 * base_fee + tip
        for attempt in range(self.config.max_fee_bumps + 1):
            tx = call.build_transaction({
                "from": self.account.address, "nonce": nonce, "gas": gas, "value": value,
                "maxFeePerGas": fee_cap, "maxPriorityFeePerGas": tip, "chainId": self.l1.eth.chain_id,
            })
            signed = self.account.sign_transaction(tx)
            try:
                tx_hash = self.l1.eth.send_raw_transaction(signed.raw_transaction)
            except ValueError as exc:  # already known / nonce too low: an earlier attempt landed
                log.info("resend refused: %s", exc)
                tx_hash = signed.hash
            try:
                return self.l1.eth.wait_for_transaction_receipt(tx_hash, timeout=self.config.resubmit_after_s)
            except (TimeExhausted, TransactionNotFound):
                tip = tip * FEE_BUMP_NUMERATOR // FEE_BUMP_DENOMINATOR + 1
                fee_cap = fee_cap * FEE_BUMP_NUMERATOR // FEE_BUMP_DENOMINATOR + 1
                log.warning("proposal stuck: re-sending with higher fees", extra={"attempt": attempt + 1, "max_fee": fee_cap})
        raise ProposerError(f"proposal not mined after {self.config.max_fee_bumps} fee bumps")

    # --- the service --------------------------------------------------------------------------

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                proposed = await asyncio.to_thread(self.step)
            except Exception as exc:  # noqa: BLE001 - an L1 or L2 hiccup must not stop the service
                log.warning("proposer retries after an error: %s", exc, exc_info=not isinstance(exc, (LantauError, OSError)))
                proposed = None
            if proposed is None:
                try:
                    await asyncio.wait_for(self._stopping.wait(), self.config.poll_interval_s)
                except asyncio.TimeoutError:
                    pass

    async def stop(self) -> None:
        self._stopping.set()
