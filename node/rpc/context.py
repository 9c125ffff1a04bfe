"""What a JSON-RPC method implementation receives: the `RpcContext`, and `RpcMethod`.

A method is a handler `fn(ctx, *params)` (sync or async) with a spec of its positional
params; the dispatcher parses the params by the spec (-32602 on a bad one) and calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Protocol

from node.rpc.params import Param

if TYPE_CHECKING:
    from node.rpc.backend import RpcBackend
    from node.rpc.eth import GasPriceOracle
    from node.rpc.execution import ExecutionRunner
    from node.rpc.filters import ChainEvents, FilterManager
    from node.rpc.full_blocks import FullBlockFormatter
    from node.rpc.limits import RpcLimits
    from node.rpc.params import FilterCriteria


class SubscriptionHost(Protocol):
    """A connection that can push notifications (a WebSocket session)."""

    def subscribe(self, kind: str, criteria: "FilterCriteria | None", *, full_transactions: bool = False) -> str:
        """Start a subscription: "newHeads", "logs" (matching `criteria`) or
        "newPendingTransactions" (hashes, or whole transactions); its id."""
        ...

    def unsubscribe(self, subscription_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class RpcContext:
    backend: "RpcBackend"
    limits: "RpcLimits"
    runner: "ExecutionRunner"
    filters: "FilterManager"
    events: "ChainEvents"
    gas_oracle: "GasPriceOracle"
    full_blocks: "FullBlockFormatter"
    connection: SubscriptionHost | None = None  # None over HTTP


@dataclass(frozen=True, slots=True)
class RpcMethod:
    name: str
    handler: Callable[..., Any]  # handler(ctx, *params) -> result, or an awaitable of it
    params: tuple[Param, ...] = ()
