"""The rollup as L1 records it, for the explorer's rollup page: read-only JSON-RPC methods that a
node with an L1 serves (wired by `node/cli.py`), each answering the newest `limit` items
(default 20, at most 100), newest first.

    lantau_l1Batches(limit)      the batcher's transactions derivation read (`node.explorer.batch_log`):
                                 L1 block, tx hash, calldata or blobs, bytes, frames, and per channel
                                 the L2 blocks and transactions it carried and L1 bytes per L2 tx
    lantau_l1Outputs(limit)      `OutputProposed` on the OutputOracle: index, L2 block, root, L1 block,
                                 tx and time, when it finalizes, whether it has, whether a dispute
                                 deleted it, and the dispute game about it (if any)
    lantau_disputeGames(limit)   the DisputeGameFactory's games: output, root claim, status, claims,
                                 clock left for the side to move, resolution time, the creating tx
    lantau_bridgeDeposits(limit) `TransactionDeposited` on the portal, with the L2 deposit tx and its
                                 stage: "initiated" (on L1, not yet derived), "included" (unsafe L2
                                 block), "safe", "finalized"
    lantau_bridgeWithdrawals(limit)  `MessagePassed` on L2 in the last `WITHDRAWAL_SCAN_BLOCKS` blocks,
                                 with its stage: "waiting for output" (no output covers its block yet),
                                 "provable", "proven" (with `finalizableAt`), "finalizable", "finalized"

Every read goes through `L1Client` and the typed contract clients of `bridge.l1_contract_clients`
(one home for L1 I/O); the L2 side reads the node's own chain. Nothing here sends a transaction.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from bridge.l1_client import L1Client
from bridge.l1_contract_clients import GAME_STATUS, DisputeGameClient, DisputeGameFactoryClient, OutputOracleClient, PortalClient
from bridge.withdrawal import withdrawal_stage, withdrawal_status_of
from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER
from node.deposit_event import TRANSACTION_DEPOSITED_TOPIC, MalformedDepositLog, decode_deposit_log, deposit_transaction
from node.rpc.context import RpcContext, RpcMethod
from node.rpc.filters import LogMatcher, block_log_entries
from node.rpc.params import FilterCriteria, Param, parse_uint64

if TYPE_CHECKING:
    from genesis.rollup_config import RollupConfig
    from node.explorer.batch_log import BatchLog
    from node.service import L2Node

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
WITHDRAWAL_SCAN_BLOCKS = 5_000
OUTPUT_PROPOSED_TOPIC = "0x" + keccak(text="OutputProposed(bytes32,uint256,uint256,uint256)").hex()
GAME_CREATED_TOPIC = "0x" + keccak(text="GameCreated(address,uint256,bytes32,address)").hex()
MESSAGE_PASSED_TOPIC = keccak(text="MessagePassed(uint256,address,address,uint256,uint256,bytes,bytes32)")


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _limit(value: int) -> int:
    return max(1, min(value, MAX_LIMIT))


@dataclass
class RollupL1View:
    l1: L1Client
    rollup: "RollupConfig"
    node: "L2Node"
    batch_log: "BatchLog"

    def _logs(self, address: str, topic: str) -> list[dict[str, Any]]:
        return list(self.l1.rpc("eth_getLogs", [{"address": to_checksum_address(address), "topics": [topic],
                                                  "fromBlock": hex(self.rollup.l1_start_block), "toBlock": "latest"}]))

    def batches(self, limit: int) -> list[dict[str, Any]]:
        rows = self.batch_log.batches(_limit(limit))
        for row in rows:
            tx = self.l1.rpc("eth_getTransactionByBlockHashAndIndex", [row["l1BlockHash"], hex(row["index"])])
            row["l1TxHash"] = tx["hash"] if tx else None
        return rows

    def outputs(self, limit: int) -> list[dict[str, Any]]:
        address = self.rollup.contracts.get("OutputOracle")
        if address is None:
            return []
        oracle = OutputOracleClient(self.l1, address)
        factory = self._factory()
        period, next_index = oracle.finalization_period_s(), oracle.next_output_index()
        rows = []
        for entry in self._logs(address, OUTPUT_PROPOSED_TOPIC)[-_limit(limit):][::-1]:
            root, index, block = entry["topics"][1], int(entry["topics"][2], 16), int(entry["topics"][3], 16)
            (l1_timestamp,) = abi_decode(["uint256"], bytes.fromhex(entry["data"][2:]))
            deleted = index >= next_index or _hex(oracle.l2_output(index).output_root) != root
            game = factory.game_of(index, bytes.fromhex(root[2:])) if factory is not None else None
            rows.append({
                "index": index, "l2BlockNumber": block, "outputRoot": root,
                "l1BlockNumber": int(entry["blockNumber"], 16), "l1TxHash": entry["transactionHash"],
                "l1Timestamp": l1_timestamp, "finalizesAt": l1_timestamp + period,
                "finalized": (not deleted) and oracle.is_output_finalized(index), "deleted": deleted,
                "disputeGame": game,
            })
        return rows

    def _factory(self) -> DisputeGameFactoryClient | None:
        address = self.rollup.contracts.get("DisputeGameFactory")
        return DisputeGameFactoryClient(self.l1, address) if address else None

    def disputes(self, limit: int) -> list[dict[str, Any]] | None:
        """None when this rollup has no dispute game."""
        factory = self._factory()
        if factory is None:
            return None
        created = {to_checksum_address("0x" + e["topics"][1][-40:]): e for e in self._logs(factory.address, GAME_CREATED_TOPIC)}
        count = factory.game_count()
        rows = []
        for i in range(count - 1, max(-1, count - 1 - _limit(limit)), -1):
            game = DisputeGameClient(self.l1, factory.game_at(i))
            info, status, claims = game.info(), game.status(), game.claim_count()
            clock_left = max(0, info.max_clock_duration_s - game.challenger_duration(claims - 1)) if status == 0 else 0
            entry = created.get(game.address)
            rows.append({
                "index": i, "game": game.address, "outputIndex": info.output_index, "l2BlockNumber": info.l2_block_number,
                "rootClaim": _hex(info.root_claim), "status": GAME_STATUS[status], "claims": claims,
                "clockLeftS": clock_left, "resolvedAt": game.resolved_at() or None,
                "creator": to_checksum_address("0x" + entry["data"][-40:]) if entry else None,
                "l1TxHash": entry["transactionHash"] if entry else None,
                "l1BlockNumber": int(entry["blockNumber"], 16) if entry else None,
            })
        return rows

    def _l2_stage(self, block_number: int) -> str:
        if block_number <= self.node.finalized_head().block_number:
            return "finalized"
        if block_number <= self.node.safe_head().block_number:
            return "safe"
        return "included"

    def deposits(self, limit: int) -> list[dict[str, Any]]:
        portal = self.rollup.contracts["LantauPortal"]
        rows = []
        for entry in self._logs(portal, "0x" + TRANSACTION_DEPOSITED_TOPIC.hex())[-_limit(limit):][::-1]:
            try:
                event = decode_deposit_log(entry)
            except MalformedDepositLog as exc:
                rows.append({"l1TxHash": entry["transactionHash"], "error": str(exc)})
                continue
            l2_hash = deposit_transaction(event).hash
            location = self.node.chain.transaction_location(l2_hash)
            rows.append({
                "l1BlockNumber": event.l1_block_number, "l1TxHash": _hex(event.tx_hash), "logIndex": event.log_index,
                "from": to_checksum_address(event.from_address),
                "to": to_checksum_address(event.to_address) if event.to_address else None,
                "mint": hex(event.mint), "value": hex(event.value), "l2TxHash": _hex(l2_hash),
                "l2BlockNumber": location.block_number if location else None,
                "stage": self._l2_stage(location.block_number) if location else "initiated",
            })
        return rows

    def withdrawals(self, limit: int) -> list[dict[str, Any]]:
        chain = self.node.chain
        head = chain.head.block_number
        matcher = LogMatcher.from_criteria(FilterCriteria(addresses=(L2_TO_L1_MESSAGE_PASSER,), topics=((MESSAGE_PASSED_TOPIC,),)))
        found: list[tuple[int, bytes, dict[str, Any]]] = []
        for number in range(head, max(-1, head - WITHDRAWAL_SCAN_BLOCKS), -1):
            header = chain.header_by_number(number)
            if not matcher.may_match_bloom(header.bloom):
                continue
            for log, tx_hash, _, _ in reversed(block_log_entries(chain, header)):
                if matcher.matches(log):
                    value, gas_limit, _, withdrawal_hash = abi_decode(["uint256", "uint256", "bytes", "bytes32"], log.data)
                    found.append((number, tx_hash, {
                        "nonce": log.topics[1], "sender": to_checksum_address(log.topics[2].to_bytes(32, "big")[12:]),
                        "target": to_checksum_address(log.topics[3].to_bytes(32, "big")[12:]),
                        "value": hex(value), "gasLimit": gas_limit, "withdrawalHash": _hex(withdrawal_hash)}))
            if len(found) >= _limit(limit):
                break
        portal = PortalClient(self.l1, self.rollup.contracts["LantauPortal"])
        oracle_address = self.rollup.contracts.get("OutputOracle")
        latest_output = OutputOracleClient(self.l1, oracle_address).latest_block_number() if oracle_address else -1
        now = self.l1.head().timestamp
        rows = []
        for number, tx_hash, fields in found[:_limit(limit)]:
            status = withdrawal_status_of(portal, bytes.fromhex(fields["withdrawalHash"][2:]))
            stage = withdrawal_stage(status, has_output=number <= latest_output, l1_time=now)
            rows.append({**fields, "nonce": hex(fields["nonce"]), "l2BlockNumber": number, "l2TxHash": _hex(tx_hash),
                         "stage": stage, "provenAt": status.proven_at, "outputIndex": status.l2_output_index,
                         "finalizableAt": status.finalizable_at, "latestOutputL2Block": latest_output})
        return rows


def rollup_view_methods(view: RollupL1View) -> dict[str, RpcMethod]:
    """The methods by name, for `L2Node.register_methods`; each reads L1 in a worker thread."""

    def method(name: str, read: Callable[[int], Any]) -> RpcMethod:
        async def handler(ctx: RpcContext, limit: int) -> Any:
            return await asyncio.to_thread(read, limit)

        return RpcMethod(name, handler, (Param("limit", parse_uint64, DEFAULT_LIMIT),))

    return {name: method(name, read) for name, read in (
        ("lantau_l1Batches", view.batches), ("lantau_l1Outputs", view.outputs), ("lantau_disputeGames", view.disputes),
        ("lantau_bridgeDeposits", view.deposits), ("lantau_bridgeWithdrawals", view.withdrawals))}
