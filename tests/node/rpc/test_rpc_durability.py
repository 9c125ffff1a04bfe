"""Sent transactions are on disk before the answer, with one journal fsync per request body.

A real `L2Node` (LevelDB, pool, journal) behind the real RPC app. The fsyncs are counted by
wrapping the journal module's `os.fsync`; "on disk before the answer" is checked by reading the
journal back with a second reader the moment the answer arrives.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from eth_account import Account
from eth_utils import keccak

from genesis.config import GenesisConfig
from node.rpc import RpcLimits, create_rpc_app
from node.service import L2Node
from node.tx_journal import TxJournal
from tests.node.rpc.rpc_harness import DEV, GWEI

GENESIS = GenesisConfig.load()


def transfers(count: int, sender: int = 0) -> list[bytes]:
    return [
        bytes(Account.sign_transaction(
            {"type": 2, "chainId": GENESIS.chain_id, "nonce": nonce, "to": DEV[9].address, "value": 1, "gas": 21_000,
             "maxFeePerGas": 100 * GWEI, "maxPriorityFeePerGas": GWEI}, DEV[sender].private_key).raw_transaction)
        for nonce in range(count)
    ]


async def post(session: aiohttp.ClientSession, url: str, body: Any) -> Any:
    async with session.post(url, json=body) as response:
        assert response.status == 200
        return await response.json()


def batch(raws: list[bytes]) -> list[dict[str, Any]]:
    return [{"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": ["0x" + raw.hex()]}
            for i, raw in enumerate(raws)]


async def test_a_batch_of_sends_shares_one_fsync_and_is_on_disk_when_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = L2Node.open(tmp_path, GENESIS)
    server = TestServer(create_rpc_app(node, limits=RpcLimits()), host="127.0.0.1")
    await server.start_server()
    fsyncs: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr("node.tx_journal.os.fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd)))
    try:
        async with aiohttp.ClientSession() as session:
            url = str(server.make_url("/"))
            first = transfers(1, sender=1)
            await post(session, url, batch(first)[0])  # creates the file (and fsyncs its directory)
            fsyncs.clear()
            raws = transfers(100)
            answers = await post(session, url, batch(raws))
            assert [answer["result"] for answer in sorted(answers, key=lambda a: a["id"])] == [
                "0x" + keccak(raw).hex() for raw in raws]
            assert TxJournal(tmp_path / "transactions.journal").load() == first + raws
            assert len(fsyncs) == 1  # was 100
            # A single send is durable before its answer too.
            single = transfers(1, sender=2)
            await post(session, url, batch(single)[0])
            assert TxJournal(tmp_path / "transactions.journal").load() == first + raws + single
            assert len(fsyncs) == 2
    finally:
        await server.close()
        node.close()


async def test_a_failing_fsync_answers_an_error_and_acknowledges_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = L2Node.open(tmp_path, GENESIS)
    server = TestServer(create_rpc_app(node, limits=RpcLimits()), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            url = str(server.make_url("/"))
            await post(session, url, batch(transfers(1, sender=1))[0])

            def failing_fsync(fd: int) -> None:
                raise OSError(5, "Input/output error")

            monkeypatch.setattr("node.tx_journal.os.fsync", failing_fsync)
            answer = await post(session, url, batch(transfers(3)))
            assert answer["id"] is None and answer["error"]["code"] == -32603
            assert len(node.txpool) == 1  # only the first, acknowledged before the disk failed
            monkeypatch.undo()
    finally:
        await server.close()
        node.close()
