"""Lantau's JSON-RPC server (aiohttp; HTTP and WebSocket on one port).

`create_rpc_app(backend, limits=...)` builds the application for anything implementing
`RpcBackend`; `RpcLimits` holds the limits (batch size, body size, gas cap, EVM timeout,
eth_getLogs range). Error codes come from one table, `node.rpc.errors`.
"""

from node.rpc.backend import RpcBackend
from node.rpc.context import RpcContext, RpcMethod
from node.rpc.limits import RpcLimits
from node.rpc.server import create_rpc_app

__all__ = ["RpcBackend", "RpcContext", "RpcLimits", "RpcMethod", "create_rpc_app"]
