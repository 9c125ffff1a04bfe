"""The rollup's own methods, as op-node's `optimism_*`: `lantau_syncStatus` and
`lantau_outputAtBlock(blockNumber)`, served by a node with an L1 (the derivation's view of it),
read by the proposer (`prover.rollup_client`) and `lantau status`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from node.l1_block_ref import L1BlockRef
from node.outputs import output_at_block, output_json
from node.rpc.context import RpcContext, RpcMethod
from node.rpc.params import Param, parse_uint64
from node.sync_status import sync_status

if TYPE_CHECKING:
    from node.derive.l1_source import L1Source
    from node.service import L2Node


def rollup_methods(node: "L2Node", l1: "L1Source", l1_position: Callable[[], L1BlockRef | None]) -> dict[str, RpcMethod]:
    """The rollup methods by name, for `L2Node.register_methods`. `l1_position`: the L1 block
    the derivation has read up to."""

    def lantau_sync_status(ctx: RpcContext) -> dict[str, Any]:
        safe_ref, finalized_ref = node.heads.safe, node.heads.finalized
        return sync_status(
            node.chain,
            unsafe=node.chain.head, safe=node.safe_head(), finalized=node.finalized_head(),
            current_l1=l1_position(),
            head_l1=l1.head(),
            safe_l1=l1.block_by_number(safe_ref.l1_number) if safe_ref.l1_number else None,
            finalized_l1=l1.block_by_number(finalized_ref.l1_number) if finalized_ref.l1_number else None,
        )

    def lantau_output_at_block(ctx: RpcContext, block_number: int) -> dict[str, Any]:
        result = output_json(output_at_block(node.chain, node.chain.header_by_number(block_number)))
        result["syncStatus"] = lantau_sync_status(ctx)
        return result

    return {
        "lantau_syncStatus": RpcMethod("lantau_syncStatus", lantau_sync_status),
        "lantau_outputAtBlock": RpcMethod(
            "lantau_outputAtBlock", lantau_output_at_block, (Param("blockNumber", parse_uint64),)
        ),
    }
