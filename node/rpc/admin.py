"""`admin_produceBlock`: build the next block now (scripts, tests). The composition root
registers it only with `--admin`, which it allows only on a loopback `--rpc-host`."""

from __future__ import annotations

from typing import Protocol

from node.chain import BuiltBlock
from node.rpc.context import RpcContext, RpcMethod


class BlockProducing(Protocol):
    """The sequencer's block producer, as far as admin_produceBlock needs it."""

    async def produce_block(self) -> BuiltBlock: ...


def admin_methods(producer: BlockProducing) -> dict[str, RpcMethod]:
    """The admin methods by name, for `L2Node.register_methods`."""

    async def admin_produce_block(ctx: RpcContext) -> str:
        built = await producer.produce_block()
        return hex(built.header.block_number)

    return {"admin_produceBlock": RpcMethod("admin_produceBlock", admin_produce_block)}
