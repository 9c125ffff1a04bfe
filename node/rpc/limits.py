"""The JSON-RPC server's limits, at least as tight as geth's defaults.

geth's equivalents: `--rpc.batch-request-limit` (1000), the 5 MiB HTTP body cap,
`--rpc.gascap` (50M), `--rpc.evmtimeout` (5s). geth has no eth_getLogs range cap by default;
Lantau sets an explicit one, as hosted providers do, so one request cannot scan the chain.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from node.errors import ConfigError


@dataclass(frozen=True, slots=True)
class RpcLimits:
    max_batch_items: int = 1_000
    max_response_bytes: int = 25_000_000  # one answer, or a batch's total (geth's BatchResponseMaxSize)
    max_body_bytes: int = 5 * 1024 * 1024
    gas_cap: int = 50_000_000  # eth_call / eth_estimateGas gas, as geth's --rpc.gascap
    evm_timeout_s: float = 5.0  # one eth_call, or one whole eth_estimateGas search
    read_timeout_s: float = 5.0  # any other execution-slot job: eth_getLogs, eth_getProof, fee history
    max_concurrent_executions: int = 4  # eth_call, estimateGas, getLogs, getProof at once
    max_logs_block_range: int = 10_000
    max_logs_results: int = 10_000
    max_fee_history_blocks: int = 1_024
    filter_timeout_s: float = 300.0  # an unpolled filter is dropped after this
    max_filters: int = 10_000
    max_filter_changes: int = 10_000  # per filter, between polls: the oldest are dropped
    max_subscriptions_per_connection: int = 1_000
    ws_send_queue: int = 10_000  # notifications a slow WebSocket client may fall behind by

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if value <= 0:
                raise ConfigError(f"rpc limits: {field.name} must be positive, got {value}")
