"""The sequencer's admin controls, as op-node names them. The composition root registers them
only with `--admin`, which it allows only on a loopback `--rpc-host` (`lantau devnet` has it).

| method                | what it does                                                        |
|-----------------------|---------------------------------------------------------------------|
| admin_produceBlock    | build the next block now (scripts, tests); its number                |
| admin_stopSequencer   | stop building blocks on the clock (so nothing new is batched); the head's hash |
| admin_startSequencer  | build on the clock again, on the head as it is now (derivation may have added forced blocks meanwhile); its hash |
| admin_sequencerActive | whether the sequencer builds on the clock                           |

Stopping twice or starting a running sequencer is refused by name (`SequencerStateError`), as
op-node's "sequencer not running" / "sequencer already running"; the state does not change.
"""

from __future__ import annotations

from typing import Protocol

from eth_utils import encode_hex

from node.chain import BuiltBlock, Chain
from node.errors import SequencerStateError
from node.rpc.context import RpcContext, RpcMethod


class BlockProducing(Protocol):
    """The sequencer's block producer, as far as the admin methods need it."""

    paused: bool

    async def produce_block(self) -> BuiltBlock: ...


def admin_methods(producer: BlockProducing, chain: Chain) -> dict[str, RpcMethod]:
    """The admin methods by name, for `L2Node.register_methods`."""

    async def admin_produce_block(ctx: RpcContext) -> str:
        built = await producer.produce_block()
        return hex(built.header.block_number)

    def admin_stop_sequencer(ctx: RpcContext) -> str:
        if producer.paused:
            raise SequencerStateError("sequencer not running")
        producer.paused = True
        return encode_hex(chain.head.hash)

    def admin_start_sequencer(ctx: RpcContext) -> str:
        if not producer.paused:
            raise SequencerStateError("sequencer already running")
        producer.paused = False
        return encode_hex(chain.head.hash)

    def admin_sequencer_active(ctx: RpcContext) -> bool:
        return not producer.paused

    return {"admin_produceBlock": RpcMethod("admin_produceBlock", admin_produce_block),
            "admin_stopSequencer": RpcMethod("admin_stopSequencer", admin_stop_sequencer),
            "admin_startSequencer": RpcMethod("admin_startSequencer", admin_start_sequencer),
            "admin_sequencerActive": RpcMethod("admin_sequencerActive", admin_sequencer_active)}
