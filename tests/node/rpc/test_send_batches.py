"""A JSON-RPC batch of `eth_sendRawTransaction` has its senders recovered together on the
worker process (`node.rpc.eth.recover_senders_ahead`) and answers exactly as the same sends
one by one: hashes in order, the same named errors for a bad signature and for bad hex, the
pool holding the good ones only, each with the sender that signed it."""

from __future__ import annotations

import asyncio

import rlp
from eth_utils import keccak

from node.rpc.format import data
from node.tx_sender import RECOVERED_AHEAD
from tests.node.rpc.rpc_harness import DEV, address_bytes, start_node, stop_node


def _bad_signature(raw: bytes) -> bytes:
    fields = rlp.decode(raw[1:])
    return raw[:1] + rlp.encode(fields[:-3] + [fields[-3], b"", fields[-1]])  # r = 0: recovers nothing


async def test_a_batch_of_sends_answers_as_lone_sends() -> None:
    node = await start_node()
    try:
        await asyncio.wrap_future(RECOVERED_AHEAD.worker.start())
        raws = [node.sign(DEV[index % 5], nonce=index // 5, to=DEV[9].address, value=index + 1, gas=21_000)
                for index in range(10)]
        bad = _bad_signature(node.sign(DEV[6], to=DEV[9].address, gas=21_000))
        params = [*("0x" + raw.hex() for raw in raws[:5]), "0x" + bad.hex(), "0xabc", *("0x" + raw.hex() for raw in raws[5:])]
        taken = RECOVERED_AHEAD.taken
        status, answers = await node.post([{"jsonrpc": "2.0", "id": index, "method": "eth_sendRawTransaction", "params": [p]}
                                           for index, p in enumerate(params)])
        assert status == 200 and [answer["id"] for answer in answers] == list(range(12))
        assert RECOVERED_AHEAD.taken - taken == 10  # every good send's sender came from the worker
        good = answers[:5] + answers[7:]
        assert [answer["result"] for answer in good] == [data(keccak(raw)) for raw in raws]
        # The same errors as lone sends of the same bytes answer.
        lone_bad = await node.error("eth_sendRawTransaction", "0x" + bad.hex())
        lone_hex = await node.error("eth_sendRawTransaction", "0xabc")
        assert answers[5]["error"]["code"] == lone_bad.code and answers[5]["error"]["message"] == lone_bad.message
        assert lone_bad.message == "invalid transaction v, r, s values"  # geth's words
        assert answers[6]["error"]["code"] == lone_hex.code == -32602
        assert answers[6]["error"]["message"] == lone_hex.message
        pool = node.backend.txpool
        assert len(pool) == 10
        for index, raw in enumerate(raws):
            pooled = pool.get(keccak(raw))
            assert pooled is not None and pooled.sender == address_bytes(DEV[index % 5])
    finally:
        await stop_node(node)
