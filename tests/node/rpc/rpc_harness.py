"""An in-process Lantau node for the RPC tests: the shipped `L2Node` (chain in memory, the real
pool) and the real RPC application on a loopback port, blocks built by the shipped sequencer's
`BlockProducer` on demand (`Node.mine`).

The producer's clock stands still at 0, so each block is stamped one second after its parent;
deposits come from an in-memory L1 (tests/harness/l1_history.py) the way a sequencer takes
them: the block that moves to a new L1 origin carries its L1-info deposit, then that L1 block's
deposits.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import aiohttp
from aiohttp.test_utils import TestServer
from eth.abc import BlockHeaderAPI, SignedTransactionAPI
from eth_account import Account
from eth_utils import keccak, to_canonical_address, to_checksum_address

from genesis.artifacts import load_artifact
from genesis.config import GenesisConfig
from genesis.dev_accounts import DevAccount, dev_accounts
from node.chain import BuiltBlock, Chain
from node.rpc import RpcLimits, RpcMethod, create_rpc_app
from node.rpc.server import RPC_SERVICE
from node.service import L2Node
from node.txpool import TxPool, TxPoolConfig
from sequencer.block_producer import BlockProducer, ProducerConfig
from tests.harness.l1_history import L1History

PROBE = load_artifact("RpcProbe")  # contracts/src/testing/RpcProbe.sol
DEV: tuple[DevAccount, ...] = dev_accounts()
GWEI = 10**9


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def address_bytes(account: DevAccount) -> bytes:
    return to_canonical_address(account.address)


def _stopped_clock() -> float:
    """The producer's wall clock: always before the head, so a block is its parent's time + 1."""
    return 0.0


@dataclass
class Miner:
    """Builds blocks with the sequencer's own producer on demand. Without deposits it builds as a
    sequencer without an L1 (dev mode); a block with deposits first puts them in the next block
    of `l1`, and the producer reading `l1` takes that block as the new origin."""

    node: L2Node
    l1: L1History
    producer: BlockProducer
    with_l1: BlockProducer

    @classmethod
    def on(cls, node: L2Node) -> "Miner":
        config = ProducerConfig(block_time_s=0)
        lock = asyncio.Lock()  # one writer of the chain at a time, as in the node
        l1 = L1History()
        return cls(node, l1, BlockProducer(node, config, chain_lock=lock, clock=_stopped_clock),
                   BlockProducer(node, config, l1, chain_lock=lock, clock=_stopped_clock))

    async def mine(self, deposits: Sequence[SignedTransactionAPI] = ()) -> BuiltBlock:
        if not deposits:
            return await self.producer.produce_block()
        self.l1.append(0, deposits=deposits)
        return await self.with_l1.produce_block()

    def mark_safe(self, header: BlockHeaderAPI) -> None:
        """Make `header` the safe head, as derivation does once L1 data confirms it."""
        if not self.l1.blocks:
            self.l1.append(0)
        self.node.heads.set_safe(header, self.l1.head())


class RpcError(Exception):
    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(f"{error['code']}: {error['message']}")
        self.code: int = error["code"]
        self.message: str = error["message"]
        self.data: Any = error.get("data")


@dataclass
class Node:
    backend: L2Node
    miner: Miner
    server: TestServer
    session: aiohttp.ClientSession
    _ids: int = 0

    @property
    def url(self) -> str:
        return str(self.server.make_url("/"))

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1)

    @property
    def chain(self) -> Chain:
        return self.backend.chain

    async def post(self, body: Any) -> tuple[int, Any]:
        """POST `body` (bytes/str as is, anything else as JSON); the status and decoded answer."""
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
        async with self.session.post(self.url, data=raw, headers={"Content-Type": "application/json"}) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text else None)

    async def request(self, method: str, *params: Any) -> dict[str, Any]:
        self._ids += 1
        request_id = self._ids
        status, answer = await self.post({"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)})
        assert status == 200, (status, answer)
        assert answer["id"] == request_id and answer["jsonrpc"] == "2.0"
        return answer

    async def call(self, method: str, *params: Any) -> Any:
        answer = await self.request(method, *params)
        if "error" in answer:
            raise RpcError(answer["error"])
        return answer["result"]

    async def error(self, method: str, *params: Any) -> RpcError:
        answer = await self.request(method, *params)
        assert "error" in answer, f"{method} should have failed, answered {answer}"
        assert "result" not in answer
        return RpcError(answer["error"])

    # transactions

    def sign(self, account: DevAccount, **fields: Any) -> bytes:
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self.chain.chain_id,
            "nonce": self.backend.txpool.pending_nonce(address_bytes(account), self.chain.state_at(self.chain.head)),
            "gas": 100_000,
            "maxFeePerGas": 2 * GWEI,
            "maxPriorityFeePerGas": GWEI,
            "value": 0,
            "data": b"",
        }
        tx.update(fields)
        if tx.get("to"):
            tx["to"] = to_checksum_address(tx["to"])
        if tx.get("type") == 0:
            tx.pop("type")
            tx.pop("maxFeePerGas")
            tx.pop("maxPriorityFeePerGas")
            tx.setdefault("gasPrice", 2 * GWEI)
        return bytes(Account.sign_transaction(tx, account.private_key).raw_transaction)

    async def send(self, account: DevAccount, **fields: Any) -> str:
        return await self.call("eth_sendRawTransaction", "0x" + self.sign(account, **fields).hex())

    async def mine(self, *, deposits: Sequence[SignedTransactionAPI] = (), notify: bool = True) -> BuiltBlock:
        """The next block, built by the sequencer's producer (after `deposits`). `notify=False`:
        the server is not told of it (as a node that announces only its newest head)."""
        if notify:
            built = await self.miner.mine(deposits)
            await self.settle()
            return built
        followers = set(self.backend._subscribers)
        self.backend._subscribers.clear()
        try:
            built = await self.miner.mine(deposits)
        finally:
            self.backend._subscribers.update(followers)
        await settle()
        return built

    async def settle(self) -> None:
        """Wait until the server has told filters and subscriptions about the chain's head
        (it matches them in a worker thread first)."""
        events = self.server.app[RPC_SERVICE].events
        for _ in range(2_000):
            if events.announced == self.chain.head.hash:
                break
            await asyncio.sleep(0.005)
        else:
            raise AssertionError("the server never announced the head")
        await settle()

    async def deploy_probe(self, account: DevAccount = DEV[0], initial: int = 7) -> str:
        """Deploy the Probe contract; its address (lowercase hex)."""
        tx_hash = await self.send(account, to="", gas=1_000_000, data=PROBE.bytecode + initial.to_bytes(32, "big"))
        await self.mine()
        receipt = await self.call("eth_getTransactionReceipt", tx_hash)
        assert receipt["status"] == "0x1", receipt
        return receipt["contractAddress"]


async def settle() -> None:
    """Let the server's background tasks (new heads to filters and subscriptions) run."""
    for _ in range(5):
        await asyncio.sleep(0)


async def start_node(limits: RpcLimits = RpcLimits(), *, extra_methods: Mapping[str, RpcMethod] | None = None) -> Node:
    backend = L2Node.open(None, GenesisConfig.load())
    backend.register_methods(extra_methods or {})
    return await serve(backend, limits)


def l2_node_on(chain: Chain) -> L2Node:
    """The node service over an open `chain` (no journal: the pool lives in memory)."""
    pool = TxPool(TxPoolConfig(chain_id=chain.chain_id, block_gas_limit=chain.head.gas_limit))
    return L2Node(chain=chain, txpool=pool, journal=None)


async def serve(backend: L2Node, limits: RpcLimits = RpcLimits()) -> Node:
    """Serve `backend` on a loopback port, with a miner on it."""
    server = TestServer(create_rpc_app(backend, limits=limits), host="127.0.0.1")
    await server.start_server()
    node = Node(backend, Miner.on(backend), server, aiohttp.ClientSession())
    # Wait until the server follows new heads, so no block mined by a test is missed.
    for _ in range(100):
        if backend._subscribers:
            break
        await asyncio.sleep(0.01)
    return node


async def stop_node(node: Node) -> None:
    await node.session.close()
    await node.server.close()
