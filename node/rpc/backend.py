"""What the JSON-RPC server needs from the node: the `RpcBackend` protocol.

The server only reads the chain and the pool and hands raw transactions to the node; it
never writes blocks. The node service (`node.service.L2Node`) implements this protocol; `node/cli.py`
wires it, and the RPC tests serve the same class (tests/node/rpc/rpc_harness.py).
"""

from __future__ import annotations

import asyncio
from typing import Mapping, Protocol, Union

from eth.abc import BlockAPI, BlockHeaderAPI

from node.chain import Chain
from node.rpc.context import RpcMethod
from node.txpool import TxPool

#: What `subscribe_blocks` queues deliver: a new canonical head, as a block or a header.
NewHeadItem = Union[BlockAPI, BlockHeaderAPI]


class RpcBackend(Protocol):
    chain: Chain
    txpool: TxPool
    client_version: str
    #: More JSON-RPC methods (lantau_*, admin_*, dev), by name, their params parsed by their spec
    #: as every other method's (`node.rpc.rollup`, `node.rpc.admin`, `node.rpc.dev`).
    extra_methods: Mapping[str, RpcMethod]

    def safe_head(self) -> BlockHeaderAPI:
        """The head of the chain derived from L1 data (the "safe" block tag)."""
        ...

    def finalized_head(self) -> BlockHeaderAPI:
        """The head derived from finalized L1 blocks (the "finalized" block tag)."""
        ...

    async def send_raw_transaction(self, raw: bytes) -> bytes:
        """Validate `raw` into the pool (and its journal); return the transaction hash.
        Raises a `node.errors` class when the transaction is refused."""
        ...

    def subscribe_blocks(self) -> "asyncio.Queue[NewHeadItem]":
        """A queue that receives every new canonical head (eth_subscribe, filters)."""
        ...

    def unsubscribe_blocks(self, queue: "asyncio.Queue[NewHeadItem]") -> None: ...
