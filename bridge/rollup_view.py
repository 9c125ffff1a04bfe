"""The rollup as L1 records it, for the explorer's rollup page: read-only JSON-RPC methods that a
node with an L1 serves (wired by `node/cli.py`). Each answers a page, newest first:

    {"items": [...], "next": cursor or null}

`limit` (default 20) must be 1 to 100; `before` (optional) is the `next` of the previous page and
lists only older items. A list's cursor is its items' sequence number: the position of the L1 log
counted from the rollup's start (outputs, deposits), the game's index in the factory (disputes),
the order derivation read the batcher transaction in (batches), the L2 block number
(withdrawals: `beforeBlock`). A cursor outside the list, or a limit out of range, is refused
with -32602 naming the parameter; nothing here changes state.

    lantau_l1Batches(limit, before)      the batcher's transactions derivation read (`node.explorer.batch_log`):
                                 L1 block, tx hash, calldata or blobs, bytes, frames, and per channel
                                 the L2 blocks and transactions it carried and L1 bytes per L2 tx
    lantau_l1Outputs(limit, before)      `OutputProposed` on the OutputOracle: index, L2 block, root, L1 block,
                                 tx and time, when it finalizes, whether it has, whether a dispute
                                 deleted it, and the dispute game about it (if any)
    lantau_disputeGames(limit, before)   the DisputeGameFactory's games: output, root claim, status, claims,
                                 clock left for the side to move, resolution time, the creating tx
                                 (null, not a page, when the rollup has no dispute game)
    lantau_bridgeDeposits(limit, before) `TransactionDeposited` on the portal, with the L2 deposit tx and its
                                 stage: "initiated" (on L1, not yet derived), "included" (unsafe L2
                                 block), "safe", "finalized"
    lantau_bridgeWithdrawals(limit, beforeBlock)  `MessagePassed` on L2, with its stage: "waiting for output" (no output covers its block yet),
                                 "provable", "proven" (with `finalizableAt`), "finalizable", "finalized". One page scans at most `WITHDRAWAL_SCAN_BLOCKS`
                                 L2 blocks below `beforeBlock` (the head without it) and says which in
                                 `scannedBlocks` {"from", "to", "bound"}; it ends at a block boundary, so
                                 it holds all of its last block's withdrawals (it may pass `limit`)

Every read goes through `L1Client` and the typed contract clients of `bridge.l1_contract_clients`
(one home for L1 I/O); event logs are read once, then only L1's new blocks, and a page holds only its
own logs in memory bounded by `bridge.l1_log_cache` (right after an L1 reorg too); the L2 side reads the node's own chain. Nothing here sends a
transaction.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeVar

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from bridge.l1_client import L1Client
from bridge.l1_contract_clients import GAME_STATUS, DisputeGameClient, DisputeGameFactoryClient, OutputOracleClient, PortalClient
from bridge.l1_log_cache import L1LogCache
from bridge.withdrawal import withdrawal_stage, withdrawal_status_of
from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER
from node.deposit_event import TRANSACTION_DEPOSITED_TOPIC, MalformedDepositLog, decode_deposit_log, deposit_transaction, positioned
from node.errors import InvalidParams
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


T = TypeVar("T")


def page(items: list[Any], next_cursor: int | None) -> dict[str, Any]:
    return {"items": items, "next": next_cursor}


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidParams(f"invalid argument 0: limit must be 1 to {MAX_LIMIT}, got {limit}")
    return limit


def check_cursor(name: str, before: int | None, end: int) -> int:
    """`before` (the `next` of a previous page) for a list whose cursors run up to `end`; None is
    the newest page."""
    if before is None:
        return end
    if not 1 <= before <= end:
        raise InvalidParams(f"invalid argument 1: {name} must be 1 to {end} (the `next` of a previous page), got {before}"
                            if end else f"invalid argument 1: {name} given, but the list is empty")
    return before


def named_uint64(name: str) -> Callable[[Any], int]:
    """parse_uint64 whose refusal names the parameter ("invalid argument 1: before: …")."""
    def parse(value: Any) -> int:
        try:
            return parse_uint64(value)
        except InvalidParams as error:
            raise InvalidParams(f"{name}: {error}") from None
    return parse


def newest_positions(total: int, limit: int, before: int | None) -> range:
    """Of a list of `total` items (oldest first; an item's cursor is its position), the positions
    of the `limit` newest below `before`."""
    end = check_cursor("before", before, total)
    return range(max(0, end - check_limit(limit)), end)


def newest_page(items: Sequence[T], limit: int, before: int | None) -> tuple[list[T], int | None]:
    """Of `items`, the `limit` newest below `before`, newest first, and the cursor of the next
    page (None: no older ones)."""
    positions = newest_positions(len(items), limit, before)
    return list(items[positions.start:positions.stop])[::-1], positions.start or None


@dataclass
class RollupL1View:
    l1: L1Client
    rollup: "RollupConfig"
    node: "L2Node"
    batch_log: "BatchLog"
    log_cache: L1LogCache = field(init=False)

    def __post_init__(self) -> None:
        self.log_cache = L1LogCache(self.l1, from_block=self.rollup.l1_start_block)

    def _newest_logs(self, address: str, topic: str, limit: int, before: int | None) -> tuple[list[dict[str, Any]], int | None]:
        """`newest_page` of the event's logs, reading only the page's from the log cache."""
        positions, logs = self.log_cache.read(address, topic, lambda total: newest_positions(total, limit, before))
        return logs[::-1], positions.start or None

    def batches(self, limit: int, before: int | None = None) -> dict[str, Any]:
        end = check_cursor("before", before, self.batch_log.recorded_count())
        rows, next_cursor = self.batch_log.batches(check_limit(limit), before=end)
        for row in rows:
            tx = self.l1.rpc("eth_getTransactionByBlockHashAndIndex", [row["l1BlockHash"], hex(row["index"])])
            row["l1TxHash"] = tx["hash"] if tx else None
        return page(rows, next_cursor)

    def outputs(self, limit: int, before: int | None = None) -> dict[str, Any]:
        address = self.rollup.contracts.get("OutputOracle")
        if address is None:
            return page(*newest_page([], limit, before))
        entries, next_cursor = self._newest_logs(address, OUTPUT_PROPOSED_TOPIC, limit, before)
        oracle = OutputOracleClient(self.l1, address)
        factory = self._factory()
        period, next_index = oracle.finalization_period_s(), oracle.next_output_index()
        rows = []
        for entry in entries:
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
        return page(rows, next_cursor)

    def _factory(self) -> DisputeGameFactoryClient | None:
        address = self.rollup.contracts.get("DisputeGameFactory")
        return DisputeGameFactoryClient(self.l1, address) if address else None

    def disputes(self, limit: int, before: int | None = None) -> dict[str, Any] | None:
        """None when this rollup has no dispute game."""
        factory = self._factory()
        if factory is None:
            return None
        count = factory.game_count()
        end = check_cursor("before", before, count)
        start = max(0, end - check_limit(limit))
        # Game i's GameCreated is log i - (games created before the rollup's start) since the start.
        _, logs = self.log_cache.read(factory.address, GAME_CREATED_TOPIC,
                                      lambda total: range(max(0, start - max(0, count - total)), max(0, end - max(0, count - total))))
        created = {to_checksum_address("0x" + e["topics"][1][-40:]): e for e in logs}
        rows = []
        for i in range(end - 1, start - 1, -1):
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
        return page(rows, start or None)

    def _l2_stage(self, block_number: int) -> str:
        if block_number <= self.node.finalized_head().block_number:
            return "finalized"
        if block_number <= self.node.safe_head().block_number:
            return "safe"
        return "included"

    def deposits(self, limit: int, before: int | None = None) -> dict[str, Any]:
        portal = self.rollup.contracts["LantauPortal"]
        entries, next_cursor = self._newest_logs(portal, "0x" + TRANSACTION_DEPOSITED_TOPIC.hex(), limit, before)
        rows: list[dict[str, Any]] = []
        positions: dict[str, dict[int, int]] = {}  # by L1 block hash: log index -> position
        for entry in entries:
            block_hash = entry["blockHash"]
            if block_hash not in positions:
                positions[block_hash] = self._deposit_positions(portal, block_hash)
            try:
                event = decode_deposit_log(entry, positions[block_hash][int(entry["logIndex"], 16)])
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
        return page(rows, next_cursor)

    def _deposit_positions(self, portal: str, block_hash: str) -> dict[int, int]:
        """Each portal deposit log of L1 block `block_hash` (by log index): its position among
        them, which its source hash names (`node.deposit_event.positioned`)."""
        logs = self.l1.rpc("eth_getLogs", [{"blockHash": block_hash, "address": portal, "topics": ["0x" + TRANSACTION_DEPOSITED_TOPIC.hex()]}])
        return {int(entry["logIndex"], 16): position for position, entry in positioned(logs)}

    def withdrawals(self, limit: int, before_block: int | None = None) -> dict[str, Any]:
        chain = self.node.chain
        end = check_cursor("beforeBlock", before_block, chain.head.block_number + 1)
        check_limit(limit)
        matcher = LogMatcher.from_criteria(FilterCriteria(addresses=(L2_TO_L1_MESSAGE_PASSER,), topics=((MESSAGE_PASSED_TOPIC,),)))
        found: list[tuple[int, bytes, dict[str, Any]]] = []
        lowest = end
        for number in range(end - 1, max(-1, end - 1 - WITHDRAWAL_SCAN_BLOCKS), -1):
            lowest = number
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
            if len(found) >= limit:
                break  # a page ends at a block boundary: the next one starts below `lowest`
        portal = PortalClient(self.l1, self.rollup.contracts["LantauPortal"])
        oracle_address = self.rollup.contracts.get("OutputOracle")
        latest_output = OutputOracleClient(self.l1, oracle_address).latest_block_number() if oracle_address else -1
        now = self.l1.head().timestamp
        rows = []
        for number, tx_hash, fields in found:
            status = withdrawal_status_of(portal, bytes.fromhex(fields["withdrawalHash"][2:]))
            stage = withdrawal_stage(status, has_output=number <= latest_output, l1_time=now)
            rows.append({**fields, "nonce": hex(fields["nonce"]), "l2BlockNumber": number, "l2TxHash": _hex(tx_hash),
                         "stage": stage, "provenAt": status.proven_at, "outputIndex": status.l2_output_index,
                         "finalizableAt": status.finalizable_at, "latestOutputL2Block": latest_output})
        return {**page(rows, lowest or None),
                "scannedBlocks": {"from": lowest, "to": end - 1, "bound": WITHDRAWAL_SCAN_BLOCKS}}


def rollup_view_methods(view: RollupL1View) -> dict[str, RpcMethod]:
    """The methods by name, for `L2Node.register_methods`; each reads L1 in a worker thread."""

    def method(name: str, read: Callable[[int, int | None], Any], cursor: str) -> RpcMethod:
        async def handler(ctx: RpcContext, limit: int, before: int | None) -> Any:
            return await asyncio.to_thread(read, check_limit(limit), before)

        return RpcMethod(name, handler, (Param("limit", named_uint64("limit"), DEFAULT_LIMIT), Param(cursor, named_uint64(cursor), None)))

    return {name: method(name, read, cursor) for name, read, cursor in (
        ("lantau_l1Batches", view.batches, "before"), ("lantau_l1Outputs", view.outputs, "before"),
        ("lantau_disputeGames", view.disputes, "before"), ("lantau_bridgeDeposits", view.deposits, "before"),
        ("lantau_bridgeWithdrawals", view.withdrawals, "beforeBlock"))}
