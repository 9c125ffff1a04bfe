"""The rollup's own methods, as op-node's `optimism_*`: `lantau_syncStatus` and
`lantau_outputAtBlock(blockNumber)`, served by a node with an L1 (the derivation's view of it),
read by the proposer (`prover.rollup_client`) and `lantau status`; and for the dispute game's
bisection over L1 blocks (node/derive/derivation_commitment.py), `lantau_derivationTrace(blockNumber)`
(the range S .. E for the block on its canonical parent, the commitment after each L1 block of it
and the batch found) and `lantau_derivationState(blockNumber, l1Block)` (the state before that L1
block: the pre-state a leaf step shows, each frame with its length, hash and data, each channel
with whether the bank reads it in that block; and the batches that reach the queue in it),
`lantau_derivationEnd(blockNumber)` (the state after E as {bankHash, queueHash, found}: what a
block claim names as `derivationEnd` and `stepInput` shows)."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Sequence

from eth_typing import Address
from eth_utils import keccak

from node.derive.derivation_commitment import DerivationState, DerivationTrace, QueuedBatch, bank_hash, queue_hash
from node.derive.l1_source import ForwardingL1Source, InboxTransaction
from node.errors import InvalidParams
from node.l1_block_ref import L1BlockRef
from node.outputs import output_at_block, output_json
from node.rpc.context import RpcContext, RpcMethod
from node.rpc.params import Param, parse_uint64
from node.sync_status import sync_status

if TYPE_CHECKING:
    from node.derive.config import RollupDerivationConfig
    from node.derive.l1_source import L1Source
    from node.service import L2Node


class InboxByHash(ForwardingL1Source):
    """`l1` with each block's inbox transactions read once: they are a fact of the block's hash, so
    the answer kept for a hash is its answer after any reorg (every other read is forwarded to
    `l1`). A trace reads every L1 block of its range, and the challenger asks a trace per L1 block
    (`lantau_derivationState`): without this, each asks L1 for the same blocks' transactions and
    receipts again. At most `max_blocks` blocks are kept, the least recently read dropped first."""

    def __init__(self, l1: "L1Source", max_blocks: int = 4096) -> None:
        super().__init__(l1)
        self._max_blocks = max_blocks
        self._kept: OrderedDict[tuple[bytes, bytes], Sequence[InboxTransaction]] = OrderedDict()
        self._lock = threading.Lock()  # traces run on worker threads (asyncio.to_thread)

    def inbox_transactions(self, block: L1BlockRef, inbox: Address) -> Sequence[InboxTransaction]:
        key = (bytes(block.hash), bytes(inbox))
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        transactions = self.source.inbox_transactions(block, inbox)
        with self._lock:
            self._kept[key] = transactions
            while len(self._kept) > self._max_blocks:
                self._kept.popitem(last=False)
        return transactions


def rollup_methods(
    node: "L2Node", l1: "L1Source", l1_position: Callable[[], L1BlockRef | None], config: "RollupDerivationConfig | None" = None
) -> dict[str, RpcMethod]:
    """The rollup methods by name, for `L2Node.register_methods`. `l1_position`: the L1 block
    the derivation has read up to; `config`: derivation's parameters (the derivation methods)."""
    traced_l1 = InboxByHash(l1)

    def trace_of(block_number: int) -> DerivationTrace:
        if config is None:
            raise InvalidParams("this node has no derivation configured")
        if block_number == 0:
            raise InvalidParams("invalid argument 0: block 0 has no parent")
        parent = node.chain.header_by_number(block_number - 1)
        return DerivationTrace(config, node.chain, parent, traced_l1)

    # A trace reads every L1 block of the range: off the event loop, as lantau_derivationEnd.
    async def lantau_derivation_trace(ctx: RpcContext, block_number: int) -> dict[str, Any]:
        trace = await asyncio.to_thread(trace_of, block_number)
        return {
            "first": trace.first, "last": trace.last,
            "commitments": ["0x" + c.hex() for c in trace.commitments()],
            "found": None if trace.found is None else _queued_json(trace.found),
        }

    async def lantau_derivation_state(ctx: RpcContext, block_number: int, l1_block: int) -> dict[str, Any]:
        trace = await asyncio.to_thread(trace_of, block_number)
        # An L1 block outside S .. E: the trace's L1BlockOutsideDerivationRange (-32602).
        return {**_state_json(trace.state_before(l1_block), trace.channels_read(l1_block)),
                "arrivals": [_queued_json(q) for q in trace.arrivals(l1_block)]}

    async def lantau_derivation_end(ctx: RpcContext, block_number: int) -> dict[str, Any]:
        trace = await asyncio.to_thread(trace_of, block_number)
        return _end_json(trace.state_after(trace.last))

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
        "lantau_derivationTrace": RpcMethod(
            "lantau_derivationTrace", lantau_derivation_trace, (Param("blockNumber", parse_uint64),)
        ),
        "lantau_derivationEnd": RpcMethod(
            "lantau_derivationEnd", lantau_derivation_end, (Param("blockNumber", parse_uint64),)
        ),
        "lantau_derivationState": RpcMethod(
            "lantau_derivationState", lantau_derivation_state,
            (Param("blockNumber", parse_uint64), Param("l1Block", parse_uint64)),
        ),
    }


def _queued_json(item: QueuedBatch) -> dict[str, Any]:
    return {"batch": "0x" + item.encoded.hex(), "inclusion": item.inclusion, "leaf": "0x" + item.leaf().hex()}


def _end_json(state: DerivationState) -> dict[str, str]:
    """The state after E as a block claim names it (`derivationEnd`) and `stepInput` shows its parts
    (`OutputDisputeGame.DerivationEnd`): bankHash, queueHash, found (zero: none, the forced block)."""
    found = state.found.leaf() if state.found is not None else bytes(32)
    return {"bankHash": "0x" + bank_hash(state.channels).hex(), "queueHash": "0x" + queue_hash(state.queue).hex(), "found": "0x" + found.hex()}


def _state_json(state: DerivationState, read: frozenset[bytes] = frozenset()) -> dict[str, Any]:
    """A state whole, as `IDerivationStep.State` takes it (`found`: its leaf, or zero); each frame with
    its length, hash and data, and each channel whether the bank reads it in the L1 block stepped
    (`read`: then the leaf is shown its frames' data, else their lengths and hashes only)."""
    return {
        "channels": [
            {
                "id": "0x" + c.channel_id.hex(), "openBlock": c.open_block,
                "closing": 0 if c.last_frame is None else c.last_frame + 1, "read": c.channel_id in read,
                "frames": [{"number": number, "length": len(data), "dataHash": "0x" + keccak(data).hex(), "data": "0x" + data.hex()}
                           for number, data in c.frames],
            }
            for c in state.channels
        ],
        "queue": [_queued_json(item) for item in state.queue],
        "found": "0x" + (state.found.leaf() if state.found else bytes(32)).hex(),
        "commitment": "0x" + state.commitment().hex(),
    }
