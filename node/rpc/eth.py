"""The standard JSON-RPC methods: web3_*, net_*, eth_*, txpool_* and geth's debug_trace*.

Each method is registered in `METHODS` with the spec of its positional params, and raises
the node's named errors (`node.errors`); `node/rpc/errors.py` turns those into codes. Block
tags: "latest" and "pending" are the head (Lantau builds no pending block), "earliest" is
genesis, "safe" and "finalized" come from the backend's heads. A state read at a block the
node does not have fails with "header not found"; a block or transaction lookup that finds
nothing answers null, as in geth.

CPU-heavy work (calls, estimates, log scans, proofs, fee history) runs in worker threads
through the context's `ExecutionRunner`; cheap reads run on the event loop.
"""

from __future__ import annotations

from typing import Any, Callable, Final, TypeVar

from eth.abc import BlockHeaderAPI, SignedTransactionAPI
from eth._utils.calculations import fake_exponential
from eth.vm.forks.cancun.constants import MIN_BLOB_BASE_FEE
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth.vm.forks.prague.constants import BLOB_BASE_FEE_UPDATE_FRACTION_PRAGUE, MAX_BLOB_GAS_PER_BLOCK
from eth.vm.forks.prague.headers import calc_excess_blob_gas_prague
from eth_hash.auto import keccak
from eth_typing import Address, Hash32
from eth_utils import to_checksum_address

from node.chain import Chain
from node.deposit_tx import is_deposit
from node.errors import (
    BlockNotFound,
    FilterNotFound,
    InvalidParams,
    NotificationsUnsupported,
    SubscriptionNotFound,
    TransactionDecodeError,
)
from node.rpc import execution, proof, simulate, tracing
from node.rpc.context import RpcContext, RpcMethod
from node.rpc.filters import LogMatcher, block_logs, query_logs
from node.tx_index import TransactionRecord
from node.tx_sender import RECOVERED_AHEAD
from node.syncing import sync_progress_json
from node.vm import LantauVM
from node.rpc.format import (
    JSON,
    data,
    deposit_nonce,
    effective_gas_price,
    format_block,
    format_block_receipts,
    format_receipt,
    format_transaction,
    quantity,
)
from node.rpc.full_blocks import JsonText
from node.rpc.params import (
    EARLIEST,
    FINALIZED,
    LATEST,
    LATEST_BLOCK,
    PENDING,
    SAFE,
    NO_BLOCK_OVERRIDES,
    BlockId,
    BlockOverrides,
    CallArgs,
    FilterCriteria,
    Param,
    StateOverrides,
    parse_address,
    parse_block_id,
    parse_block_overrides,
    parse_block_number,
    parse_bool,
    parse_call_args,
    parse_data,
    parse_filter_criteria,
    parse_hash,
    parse_hex_or_decimal,
    parse_reward_percentiles,
    parse_state_overrides,
    parse_storage_key,
    parse_storage_keys,
    parse_trace_config,
    parse_uint64,
)

METHODS: dict[str, RpcMethod] = {}

F = TypeVar("F", bound=Callable[..., Any])


def rpc_method(name: str, *params: Param) -> Callable[[F], F]:
    def register(handler: F) -> F:
        if name in METHODS:
            raise ValueError(f"JSON-RPC method {name} registered twice")
        METHODS[name] = RpcMethod(name, handler, tuple(params))
        return handler

    return register


def _any(value: Any) -> Any:
    return value


def _filter_id(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidParams("filter id must be a string")
    return value.lower()


SUBSCRIPTION_KINDS: Final = frozenset({"newHeads", "logs", "newPendingTransactions"})


def _subscription_kind(value: Any) -> str:
    if not isinstance(value, str) or value not in SUBSCRIPTION_KINDS:
        raise InvalidParams(f"no {value!r} subscription in eth namespace")
    return str(value)


ADDRESS = Param("address", parse_address)
BLOCK = Param("block", parse_block_id, LATEST_BLOCK)


# --- blocks by id -----------------------------------------------------------------------------


def resolve_header(ctx: RpcContext, block: BlockId) -> BlockHeaderAPI | None:
    """The header `block` names, or None if the node has no such block."""
    chain = ctx.backend.chain
    if block.hash is not None:
        try:
            header = chain.header_by_hash(block.hash)
        except BlockNotFound:
            return None
        if block.require_canonical and not chain.is_canonical(header):
            raise BlockNotFound(f"hash {block} is not currently canonical")
        return header
    if block.tag is not None:
        if block.tag in (LATEST, PENDING):
            return chain.head
        if block.tag == EARLIEST:
            return chain.header_by_number(0)
        if block.tag == SAFE:
            return ctx.backend.safe_head()
        if block.tag == FINALIZED:
            return ctx.backend.finalized_head()
        raise InvalidParams(f"unknown block tag {block.tag!r}")
    assert block.number is not None
    block_hash = chain.canonical_hash(block.number)
    return None if block_hash is None else chain.header_by_hash(block_hash)


def state_header(ctx: RpcContext, block: BlockId) -> BlockHeaderAPI:
    """The header of a block whose state a method reads; "header not found" if absent."""
    header = resolve_header(ctx, block)
    if header is None:
        raise BlockNotFound("header not found")
    return header


def _block_number(ctx: RpcContext, block: BlockId | None) -> int:
    """A filter bound as a number: a number as given (it may be ahead of the head), a tag
    as the number of its block."""
    if block is None:
        return ctx.backend.chain.head.block_number
    if block.number is not None:
        return block.number
    return state_header(ctx, block).block_number


def next_base_fee(chain: Chain) -> int:
    return calculate_expected_base_fee_per_gas(chain.head)


def blob_base_fee(excess_blob_gas: int) -> int:
    return fake_exponential(MIN_BLOB_BASE_FEE, excess_blob_gas, BLOB_BASE_FEE_UPDATE_FRACTION_PRAGUE)


def _effective_tip(tx: SignedTransactionAPI, base_fee: int) -> int:
    """What the block producer earns per gas (nothing from a deposit)."""
    return max(0, effective_gas_price(tx, base_fee) - base_fee)


# --- gas price ----------------------------------------------------------------------------------


class GasPriceOracle:
    """The suggested priority fee, as geth's oracle: over the last `blocks` blocks, the
    `samples_per_block` lowest tips of each, and the `percentile`-th of those; never below
    `min_tip_wei` (the OP Stack's minimum suggestion, 0.001 gwei). Cached per head."""

    def __init__(self, *, blocks: int = 20, samples_per_block: int = 3, percentile: int = 60,
                 min_tip_wei: int = 1_000_000) -> None:
        self.blocks, self.samples_per_block = blocks, samples_per_block
        self.percentile, self.min_tip_wei = percentile, min_tip_wei
        self._cached: tuple[bytes, int] | None = None

    def suggest_tip(self, chain: Chain, *, deadline: execution.Deadline | None = None) -> int:
        head = chain.head
        cached = self._cached
        if cached is not None and cached[0] == head.hash:
            return cached[1]
        samples: list[int] = []
        for number in range(max(0, head.block_number - self.blocks + 1), head.block_number + 1):
            if deadline is not None:
                deadline.check()
            header = chain.header_by_number(number)
            senders = chain.block_index(header).senders
            tips = sorted(
                _effective_tip(tx, header.base_fee_per_gas)
                for tx, sender in zip(chain.transactions(header.hash), senders, strict=True)
                if not is_deposit(tx) and sender != header.coinbase
            )
            samples.extend(tips[: self.samples_per_block])
        tip = self.min_tip_wei
        if samples:
            samples.sort()
            tip = max(tip, samples[(len(samples) - 1) * self.percentile // 100])
        self._cached = (head.hash, tip)
        return tip


def _fee_history(
    chain: Chain, newest: BlockHeaderAPI, block_count: int, percentiles: tuple[float, ...], *, deadline: execution.Deadline
) -> JSON:
    oldest = max(0, newest.block_number - block_count + 1)
    base_fees: list[str] = []
    blob_base_fees: list[str] = []
    gas_used_ratios: list[float] = []
    blob_gas_used_ratios: list[float] = []
    rewards: list[list[str]] = []
    header = newest
    for number in range(oldest, newest.block_number + 1):
        deadline.check()
        header = chain.header_by_number(number) if number != newest.block_number else newest
        base_fees.append(quantity(header.base_fee_per_gas))
        blob_base_fees.append(quantity(blob_base_fee(header.excess_blob_gas)))
        gas_used_ratios.append(header.gas_used / header.gas_limit if header.gas_limit else 0.0)
        blob_gas_used_ratios.append(header.blob_gas_used / MAX_BLOB_GAS_PER_BLOCK)
        if percentiles:
            rewards.append([quantity(r) for r in _block_rewards(chain, header, percentiles)])
    # One more base fee: the next block's, after the newest.
    base_fees.append(quantity(calculate_expected_base_fee_per_gas(newest)))
    blob_base_fees.append(quantity(blob_base_fee(calc_excess_blob_gas_prague(newest))))
    result: JSON = {
        "oldestBlock": quantity(oldest),
        "baseFeePerGas": base_fees,
        "gasUsedRatio": gas_used_ratios,
        "baseFeePerBlobGas": blob_base_fees,
        "blobGasUsedRatio": blob_gas_used_ratios,
    }
    if percentiles:
        result["reward"] = rewards
    return result


def _block_rewards(chain: Chain, header: BlockHeaderAPI, percentiles: tuple[float, ...]) -> list[int]:
    """geth's rewards: transactions by tip, each weighted by its gas used; the tip at which
    the cumulative gas first reaches p% of the block's gas."""
    transactions = chain.transactions(header.hash)
    if not transactions:
        return [0] * len(percentiles)
    receipts = chain.receipts(header.hash)
    weighted: list[tuple[int, int]] = []
    previous = 0
    for tx, receipt in zip(transactions, receipts, strict=True):
        weighted.append((_effective_tip(tx, header.base_fee_per_gas), receipt.gas_used - previous))
        previous = receipt.gas_used
    weighted.sort()
    rewards = []
    index, cumulative = 0, weighted[0][1]
    for percentile in percentiles:
        threshold = header.gas_used * percentile / 100
        while cumulative < threshold and index < len(weighted) - 1:
            index += 1
            cumulative += weighted[index][1]
        rewards.append(weighted[index][0])
    return rewards


# --- web3, net ----------------------------------------------------------------------------------


@rpc_method("web3_clientVersion")
def web3_client_version(ctx: RpcContext) -> str:
    return ctx.backend.client_version


@rpc_method("web3_sha3", Param("data", parse_data))
def web3_sha3(ctx: RpcContext, payload: bytes) -> str:
    return data(keccak(payload))


@rpc_method("net_version")
def net_version(ctx: RpcContext) -> str:
    return str(ctx.backend.chain.chain_id)


@rpc_method("net_listening")
def net_listening(ctx: RpcContext) -> bool:
    return True


@rpc_method("net_peerCount")
def net_peer_count(ctx: RpcContext) -> str:
    return "0x0"


# --- chain state ----------------------------------------------------------------------------------


@rpc_method("eth_chainId")
def eth_chain_id(ctx: RpcContext) -> str:
    return quantity(ctx.backend.chain.chain_id)


@rpc_method("eth_blockNumber")
def eth_block_number(ctx: RpcContext) -> str:
    return quantity(ctx.backend.chain.head.block_number)


@rpc_method("eth_syncing")
async def eth_syncing(ctx: RpcContext) -> bool | dict[str, str]:
    """geth's sync object while a derivation node is behind L1 (node/syncing.py), else false."""
    progress_of = getattr(ctx.backend, "sync_progress", None)
    if progress_of is None:
        return False
    return sync_progress_json(await ctx.runner.run(lambda deadline: progress_of()))


@rpc_method("eth_accounts")
def eth_accounts(ctx: RpcContext) -> list[str]:
    return []  # the node holds no keys


@rpc_method("eth_maxPriorityFeePerGas")
async def eth_max_priority_fee_per_gas(ctx: RpcContext) -> str:
    return quantity(await ctx.runner.run(ctx.gas_oracle.suggest_tip, ctx.backend.chain))


@rpc_method("eth_gasPrice")
async def eth_gas_price(ctx: RpcContext) -> str:
    chain = ctx.backend.chain
    tip = await ctx.runner.run(ctx.gas_oracle.suggest_tip, chain)
    return quantity(next_base_fee(chain) + tip)


@rpc_method("eth_blobBaseFee")
def eth_blob_base_fee(ctx: RpcContext) -> str:
    return quantity(blob_base_fee(calc_excess_blob_gas_prague(ctx.backend.chain.head)))


@rpc_method(
    "eth_feeHistory",
    Param("blockCount", parse_hex_or_decimal),
    Param("newestBlock", parse_block_number),
    Param("rewardPercentiles", parse_reward_percentiles, ()),
)
async def eth_fee_history(ctx: RpcContext, block_count: int, newest: BlockId, percentiles: tuple[float, ...]) -> JSON:
    if block_count == 0:
        return {"oldestBlock": "0x0", "baseFeePerGas": [], "gasUsedRatio": []}
    header = state_header(ctx, newest)
    count = min(block_count, ctx.limits.max_fee_history_blocks)
    return await ctx.runner.run(_fee_history, ctx.backend.chain, header, count, percentiles)


@rpc_method("eth_getBalance", ADDRESS, BLOCK)
def eth_get_balance(ctx: RpcContext, address: Address, block: BlockId) -> str:
    return quantity(ctx.backend.chain.state_at(state_header(ctx, block)).get_balance(address))


@rpc_method("eth_getTransactionCount", ADDRESS, BLOCK)
def eth_get_transaction_count(ctx: RpcContext, address: Address, block: BlockId) -> str:
    chain = ctx.backend.chain
    if block.tag == PENDING:
        return quantity(ctx.backend.txpool.pending_nonce(address, chain.state_at(chain.head)))
    return quantity(chain.state_at(state_header(ctx, block)).get_nonce(address))


@rpc_method("eth_getCode", ADDRESS, BLOCK)
def eth_get_code(ctx: RpcContext, address: Address, block: BlockId) -> str:
    return data(ctx.backend.chain.state_at(state_header(ctx, block)).get_code(address))


@rpc_method("eth_getStorageAt", ADDRESS, Param("slot", parse_storage_key), BLOCK)
def eth_get_storage_at(ctx: RpcContext, address: Address, slot: int, block: BlockId) -> str:
    value = ctx.backend.chain.state_at(state_header(ctx, block)).get_storage(address, slot)
    return data(value.to_bytes(32, "big"))


@rpc_method(
    "eth_getProof",
    ADDRESS,
    Param("storageKeys", parse_storage_keys),
    BLOCK,
)
async def eth_get_proof(ctx: RpcContext, address: Address, keys: tuple[tuple[str, int], ...], block: BlockId) -> JSON:
    header = state_header(ctx, block)
    return await ctx.runner.run(proof.account_proof, ctx.backend.chain, header, address, keys)


# --- execution ------------------------------------------------------------------------------------

CALL_PARAMS = (
    Param("transaction", parse_call_args),
    BLOCK,
    Param("stateOverrides", parse_state_overrides, {}),
    Param("blockOverrides", parse_block_overrides, NO_BLOCK_OVERRIDES),
)


@rpc_method("eth_call", *CALL_PARAMS)
async def eth_call(ctx: RpcContext, args: CallArgs, block: BlockId, overrides: StateOverrides, block_overrides: BlockOverrides) -> str:
    header = state_header(ctx, block)
    output = await ctx.runner.run_evm(
        execution.call, ctx.backend.chain, header, args, overrides=overrides, block_overrides=block_overrides,
        gas_cap=ctx.limits.gas_cap,
    )
    return data(output)


@rpc_method("eth_estimateGas", *CALL_PARAMS)
async def eth_estimate_gas(ctx: RpcContext, args: CallArgs, block: BlockId, overrides: StateOverrides, block_overrides: BlockOverrides) -> str:
    header = state_header(ctx, block)
    gas = await ctx.runner.run_evm(
        execution.estimate_gas, ctx.backend.chain, header, args, overrides=overrides, block_overrides=block_overrides,
        gas_cap=ctx.limits.gas_cap,
    )
    return quantity(gas)


@rpc_method("eth_simulateV1", Param("options", simulate.parse_simulate_options), BLOCK)
async def eth_simulate_v1(ctx: RpcContext, options: simulate.SimulateOptions, block: BlockId) -> list[JSON]:
    header = state_header(ctx, block)
    return await ctx.runner.run_evm(simulate.simulate, ctx.backend.chain, header, options, gas_cap=ctx.limits.gas_cap,
                                    max_bytes=ctx.limits.max_response_bytes)


@rpc_method("eth_createAccessList", *CALL_PARAMS[:3])  # no block overrides, as geth
async def eth_create_access_list(ctx: RpcContext, args: CallArgs, block: BlockId, overrides: StateOverrides) -> JSON:
    header = state_header(ctx, block)
    return await ctx.runner.run_evm(tracing.create_access_list, ctx.backend.chain, header, args, overrides=overrides,
                                    gas_cap=ctx.limits.gas_cap)


#: Fewer sends in a JSON-RPC batch than this are recovered in the node process as they come:
#: the round trip to the worker would cost more than it saves.
MIN_SENDS_RECOVERED_AHEAD = 8


async def recover_senders_ahead(batch: list[Any]) -> None:
    """The senders of a JSON-RPC batch's `eth_sendRawTransaction` calls, recovered together
    on the worker process before the first is admitted (`node.tx_sender.RecoveredAhead`).
    Only a speed-up: each send is still parsed, checked and refused as a lone one would be."""
    raws = []
    for item in batch:
        if isinstance(item, dict) and item.get("method") == "eth_sendRawTransaction":
            params = item.get("params")
            if isinstance(params, list) and params:
                try:
                    raws.append(parse_data(params[0]))
                except InvalidParams:
                    continue  # answered with its error when the call runs
    if len(raws) >= MIN_SENDS_RECOVERED_AHEAD:
        await RECOVERED_AHEAD.recover_in_worker(raws)


@rpc_method("eth_sendRawTransaction", Param("transaction", parse_data))
async def eth_send_raw_transaction(ctx: RpcContext, raw: bytes) -> str:
    tx_hash = await ctx.backend.send_raw_transaction(raw)
    ctx.events.publish_pending_transaction(tx_hash)
    return data(tx_hash)


# --- blocks ---------------------------------------------------------------------------------------


async def _block_json(ctx: RpcContext, header: BlockHeaderAPI | None, full: bool) -> JSON | JsonText | None:
    if header is None:
        return None
    chain = ctx.backend.chain
    if full:  # decoded and formatted by the worker process (node.rpc.full_blocks), kept by hash
        return await ctx.full_blocks.full_block(chain, header)
    # hashes from the block index: no transaction decoded
    return format_block(header, chain.raw_transactions(header.hash), chain.block_index(header).tx_hashes)


@rpc_method("eth_getBlockByNumber", Param("block", parse_block_number), Param("full", parse_bool, False))
async def eth_get_block_by_number(ctx: RpcContext, block: BlockId, full: bool) -> JSON | JsonText | None:
    return await _block_json(ctx, resolve_header(ctx, block), full)


@rpc_method("eth_getBlockByHash", Param("hash", parse_hash), Param("full", parse_bool, False))
async def eth_get_block_by_hash(ctx: RpcContext, block_hash: Hash32, full: bool) -> JSON | JsonText | None:
    return await _block_json(ctx, resolve_header(ctx, BlockId(hash=block_hash)), full)


def _transaction_count(ctx: RpcContext, header: BlockHeaderAPI | None) -> str | None:
    return None if header is None else quantity(len(ctx.backend.chain.raw_transactions(header.hash)))


@rpc_method("eth_getBlockTransactionCountByNumber", Param("block", parse_block_number))
def eth_get_block_transaction_count_by_number(ctx: RpcContext, block: BlockId) -> str | None:
    return _transaction_count(ctx, resolve_header(ctx, block))


@rpc_method("eth_getBlockTransactionCountByHash", Param("hash", parse_hash))
def eth_get_block_transaction_count_by_hash(ctx: RpcContext, block_hash: Hash32) -> str | None:
    return _transaction_count(ctx, resolve_header(ctx, BlockId(hash=block_hash)))


@rpc_method("eth_getUncleCountByBlockNumber", Param("block", parse_block_number))
def eth_get_uncle_count_by_block_number(ctx: RpcContext, block: BlockId) -> str | None:
    return None if resolve_header(ctx, block) is None else "0x0"


@rpc_method("eth_getUncleCountByBlockHash", Param("hash", parse_hash))
def eth_get_uncle_count_by_block_hash(ctx: RpcContext, block_hash: Hash32) -> str | None:
    return None if resolve_header(ctx, BlockId(hash=block_hash)) is None else "0x0"


@rpc_method("eth_getBlockReceipts", Param("block", parse_block_id))
def eth_get_block_receipts(ctx: RpcContext, block: BlockId) -> list[JSON] | None:
    header = resolve_header(ctx, block)
    if header is None:
        return None
    chain = ctx.backend.chain
    return format_block_receipts(header, chain.transactions(header.hash), chain.receipts(header.hash),
                                 chain.block_index(header).senders)


# --- transactions -------------------------------------------------------------------------------


# Reads of one transaction use its read record (`node.tx_index`): one decode, no signature
# recovery, the same cost in a block of 1 or 1,400 transactions.


def _record_transaction(record: TransactionRecord) -> SignedTransactionAPI:
    return LantauVM.get_transaction_builder().decode(record.raw_transaction)


def _transaction_in_block(ctx: RpcContext, header: BlockHeaderAPI | None, index: int) -> JSON | None:
    if header is None:
        return None
    record = ctx.backend.chain.transaction_record(header, index)
    if record is None:
        return None
    tx = _record_transaction(record)
    nonce_used = deposit_nonce(LantauVM.get_receipt_builder().decode(record.raw_receipt)) if is_deposit(tx) else None
    return format_transaction(tx, block_hash=header.hash, block_number=header.block_number, index=index,
                              base_fee=header.base_fee_per_gas, deposit_nonce=nonce_used, sender=record.fields.sender)


@rpc_method("eth_getTransactionByHash", Param("hash", parse_hash))
def eth_get_transaction_by_hash(ctx: RpcContext, tx_hash: Hash32) -> JSON | None:
    chain = ctx.backend.chain
    location = chain.transaction_location(tx_hash)
    if location is not None:
        return _transaction_in_block(ctx, chain.header_by_hash(location.block_hash), location.index)
    pooled = ctx.backend.txpool.get(tx_hash)
    return None if pooled is None else format_transaction(pooled.tx)


@rpc_method("eth_getTransactionByBlockHashAndIndex", Param("hash", parse_hash), Param("index", parse_uint64))
def eth_get_transaction_by_block_hash_and_index(ctx: RpcContext, block_hash: Hash32, index: int) -> JSON | None:
    return _transaction_in_block(ctx, resolve_header(ctx, BlockId(hash=block_hash)), index)


@rpc_method("eth_getTransactionByBlockNumberAndIndex", Param("block", parse_block_number), Param("index", parse_uint64))
def eth_get_transaction_by_block_number_and_index(ctx: RpcContext, block: BlockId, index: int) -> JSON | None:
    return _transaction_in_block(ctx, resolve_header(ctx, block), index)


@rpc_method("eth_getTransactionReceipt", Param("hash", parse_hash))
def eth_get_transaction_receipt(ctx: RpcContext, tx_hash: Hash32) -> JSON | None:
    chain = ctx.backend.chain
    location = chain.transaction_location(tx_hash)
    if location is None:
        return None
    header = chain.header_by_hash(location.block_hash)
    record = chain.transaction_record(header, location.index)
    assert record is not None, "the transaction index names only stored transactions"
    receipt = LantauVM.get_receipt_builder().decode(record.raw_receipt)
    return format_receipt(header, _record_transaction(record), receipt, index=location.index, fields=record.fields)


# --- logs and filters ----------------------------------------------------------------------------


async def _logs(ctx: RpcContext, criteria: FilterCriteria) -> JsonText:
    chain = ctx.backend.chain
    matcher = LogMatcher.from_criteria(criteria)
    if criteria.block_hash is not None:
        header = resolve_header(ctx, BlockId(hash=criteria.block_hash))
        if header is None:
            raise BlockNotFound("unknown block")
        return await ctx.runner.run(block_logs, chain, header, matcher)
    first = _block_number(ctx, criteria.from_block)
    last = _block_number(ctx, criteria.to_block)
    return await ctx.runner.run(query_logs, chain, matcher, first, last, limits=ctx.limits)


@rpc_method("eth_getLogs", Param("filter", parse_filter_criteria))
async def eth_get_logs(ctx: RpcContext, criteria: FilterCriteria) -> JsonText:
    return await _logs(ctx, criteria)


@rpc_method("eth_newFilter", Param("filter", parse_filter_criteria))
def eth_new_filter(ctx: RpcContext, criteria: FilterCriteria) -> str:
    if criteria.block_hash is not None:
        raise InvalidParams("invalid argument 0: blockHash is not supported by eth_newFilter; use eth_getLogs")
    return ctx.filters.new_log_filter(criteria)


@rpc_method("eth_newBlockFilter")
def eth_new_block_filter(ctx: RpcContext) -> str:
    return ctx.filters.new_block_filter()


@rpc_method("eth_newPendingTransactionFilter")
def eth_new_pending_transaction_filter(ctx: RpcContext) -> str:
    return ctx.filters.new_pending_transaction_filter()


@rpc_method("eth_getFilterChanges", Param("id", _filter_id))
def eth_get_filter_changes(ctx: RpcContext, filter_id: str) -> list[Any]:
    return ctx.filters.take_changes(filter_id)


@rpc_method("eth_getFilterLogs", Param("id", _filter_id))
async def eth_get_filter_logs(ctx: RpcContext, filter_id: str) -> JsonText:
    filter_ = ctx.filters.get(filter_id)
    if filter_.kind != "logs" or filter_.criteria is None:
        raise FilterNotFound()
    return await _logs(ctx, filter_.criteria)


@rpc_method("eth_uninstallFilter", Param("id", _filter_id))
def eth_uninstall_filter(ctx: RpcContext, filter_id: str) -> bool:
    return ctx.filters.uninstall(filter_id)


# --- subscriptions (WebSocket) -------------------------------------------------------------------


@rpc_method("eth_subscribe", Param("kind", _subscription_kind), Param("options", _any, None))
def eth_subscribe(ctx: RpcContext, kind: str, options: Any) -> str:
    if ctx.connection is None:
        raise NotificationsUnsupported()
    criteria, full_transactions = None, False
    try:
        if kind == "logs":
            criteria = parse_filter_criteria(options) if options is not None else FilterCriteria()
        elif kind == "newPendingTransactions" and options is not None:
            full_transactions = parse_bool(options)
    except InvalidParams as error:
        raise InvalidParams(f"invalid argument 1: {error}") from None
    return ctx.connection.subscribe(kind, criteria, full_transactions=full_transactions)


@rpc_method("eth_unsubscribe", Param("id", _filter_id))
def eth_unsubscribe(ctx: RpcContext, subscription_id: str) -> bool:
    if ctx.connection is None:
        raise NotificationsUnsupported()
    if not ctx.connection.unsubscribe(subscription_id):
        raise SubscriptionNotFound()
    return True


# --- txpool -------------------------------------------------------------------------------------


@rpc_method("txpool_status")
def txpool_status(ctx: RpcContext) -> JSON:
    pool = ctx.backend.txpool
    pending = sum(len(run) for run in pool.pending().values())
    queued = sum(len(waiting) for waiting in pool.queued().values())
    return {"pending": quantity(pending), "queued": quantity(queued)}


@rpc_method("txpool_content")
def txpool_content(ctx: RpcContext) -> JSON:
    pool = ctx.backend.txpool

    def by_sender(groups: Any) -> JSON:
        return {
            to_checksum_address(sender): {str(pooled.nonce): format_transaction(pooled.tx) for pooled in txs}
            for sender, txs in groups.items()
        }

    return {"pending": by_sender(pool.pending()), "queued": by_sender(pool.queued())}


# --- debug_trace* (geth's struct logger and callTracer; see node/rpc/tracing.py) -----------------


def _trace_options(value: Any) -> tracing.TraceConfig:
    return parse_trace_config(value)[0]


TRACE_OPTIONS = Param("options", _trace_options, tracing.TraceConfig())


async def _trace_block(ctx: RpcContext, header: BlockHeaderAPI | None, config: tracing.TraceConfig,
                       only_index: int | None = None) -> list[JSON]:
    if header is None:
        raise BlockNotFound("block not found")
    return await ctx.runner.run_evm(tracing.trace_block, ctx.backend.chain, header, config, only_index=only_index,
                                    max_bytes=ctx.limits.max_response_bytes)


@rpc_method("debug_traceTransaction", Param("hash", parse_hash), TRACE_OPTIONS)
async def debug_trace_transaction(ctx: RpcContext, tx_hash: Hash32, config: tracing.TraceConfig) -> JSON:
    chain = ctx.backend.chain
    location = chain.transaction_location(tx_hash)
    if location is None:
        raise BlockNotFound("transaction not found")
    header = chain.header_by_hash(location.block_hash)
    (traced,) = await _trace_block(ctx, header, config, location.index)
    return traced["result"]


@rpc_method("debug_traceBlockByNumber", Param("block", parse_block_number), TRACE_OPTIONS)
async def debug_trace_block_by_number(ctx: RpcContext, block: BlockId, config: tracing.TraceConfig) -> list[JSON]:
    return await _trace_block(ctx, resolve_header(ctx, block), config)


@rpc_method("debug_traceBlockByHash", Param("hash", parse_hash), TRACE_OPTIONS)
async def debug_trace_block_by_hash(ctx: RpcContext, block_hash: Hash32, config: tracing.TraceConfig) -> list[JSON]:
    return await _trace_block(ctx, resolve_header(ctx, BlockId(hash=block_hash)), config)


def _trace_call_options(value: Any) -> tuple[tracing.TraceConfig, StateOverrides]:
    config, extra = parse_trace_config(value, extra_fields=frozenset({"stateOverrides"}))
    try:
        overrides = parse_state_overrides(extra["stateOverrides"]) if "stateOverrides" in extra else {}
    except InvalidParams as error:
        raise InvalidParams(f"stateOverrides: {error}") from None
    return config, overrides


@rpc_method("debug_traceCall", Param("transaction", parse_call_args), BLOCK,
            Param("options", _trace_call_options, (tracing.TraceConfig(), {})))
async def debug_trace_call(ctx: RpcContext, args: CallArgs, block: BlockId,
                           options: tuple[tracing.TraceConfig, StateOverrides]) -> JSON:
    config, overrides = options
    header = state_header(ctx, block)
    return await ctx.runner.run_evm(tracing.trace_call, ctx.backend.chain, header, args, config, overrides=overrides,
                                    gas_cap=ctx.limits.gas_cap, max_bytes=ctx.limits.max_response_bytes)
