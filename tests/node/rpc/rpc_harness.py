"""An in-process Lantau node for the RPC tests: the real chain (in memory), the real pool, and
the real RPC application on a loopback port, with a test backend built from those pieces.

Blocks are mined by hand (`InProcessBackend.mine`) the way the sequencer will: the pool's
selection on the head, `Chain.build_block`, `pool.on_new_head`, then every new-head queue is
told.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import aiohttp
from aiohttp.test_utils import TestServer
from eth.abc import BlockHeaderAPI, SignedTransactionAPI
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth_account import Account
from eth_utils import keccak, to_canonical_address, to_checksum_address

from genesis import predeploys
from genesis.artifacts import load_artifact
from genesis.config import GenesisConfig
from genesis.dev_accounts import DevAccount, dev_accounts
from node.chain import BlockAttributes, BuiltBlock, Chain
from node.rpc import RpcLimits, RpcMethod, create_rpc_app
from node.rpc.server import RPC_SERVICE
from node.txpool import TxPool, TxPoolConfig

PROBE = load_artifact("RpcProbe")  # contracts/src/testing/RpcProbe.sol
DEV: tuple[DevAccount, ...] = dev_accounts()
GWEI = 10**9


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def address_bytes(account: DevAccount) -> bytes:
    return to_canonical_address(account.address)


class InProcessBackend:
    """`RpcBackend` over a chain and pool in this process (the node service's stand-in)."""

    def __init__(self, chain: Chain, txpool: TxPool) -> None:
        self.chain = chain
        self.txpool = txpool
        self.client_version = "lantau/v0.1.0-test/python3"
        self.extra_methods: Mapping[str, RpcMethod] = {}
        self.safe: BlockHeaderAPI | None = None
        self.finalized: BlockHeaderAPI | None = None
        self._queues: list[asyncio.Queue[Any]] = []

    @classmethod
    def create(cls) -> "InProcessBackend":
        genesis = GenesisConfig.load()
        chain = Chain.open(None, genesis)
        pool = TxPool(TxPoolConfig(chain_id=genesis.chain_id, block_gas_limit=chain.head.gas_limit))
        return cls(chain, pool)

    def safe_head(self) -> BlockHeaderAPI:
        return self.safe or self.chain.header_by_number(0)

    def finalized_head(self) -> BlockHeaderAPI:
        return self.finalized or self.chain.header_by_number(0)

    def next_base_fee(self) -> int:
        return calculate_expected_base_fee_per_gas(self.chain.head)

    async def send_raw_transaction(self, raw: bytes) -> bytes:
        pooled = self.txpool.add_raw(raw, self.chain.state_at(self.chain.head), self.next_base_fee())
        return pooled.hash

    def subscribe_blocks(self) -> "asyncio.Queue[Any]":
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self._queues.append(queue)
        return queue

    def unsubscribe_blocks(self, queue: "asyncio.Queue[Any]") -> None:
        if queue in self._queues:
            self._queues.remove(queue)

    @property
    def subscriber_count(self) -> int:
        return len(self._queues)

    def mine(self, *, deposits: Sequence[SignedTransactionAPI] = (), notify: bool = True) -> BuiltBlock:
        """Build the next block from the pool (after `deposits`), and tell subscribers."""
        head = self.chain.head
        base_fee = calculate_expected_base_fee_per_gas(head)
        attributes = BlockAttributes(
            timestamp=head.timestamp + 1,
            fee_recipient=predeploys.SEQUENCER_FEE_VAULT,
            prev_randao=b"\0" * 32,
            gas_limit=head.gas_limit,
            forced_transactions=tuple(deposits),
        )
        built = self.chain.build_block(head, attributes, self.txpool.select(head.gas_limit, base_fee))
        self.txpool.on_new_head(self.chain.state_at(self.chain.head), calculate_expected_base_fee_per_gas(built.header))
        if notify:
            self.notify(built)
        return built

    def notify(self, built: BuiltBlock) -> None:
        for queue in self._queues:
            queue.put_nowait(built.block)


class RpcError(Exception):
    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(f"{error['code']}: {error['message']}")
        self.code: int = error["code"]
        self.message: str = error["message"]
        self.data: Any = error.get("data")


@dataclass
class Node:
    backend: InProcessBackend
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
        built = self.backend.mine(deposits=deposits, notify=notify)
        if notify:
            await self.settle()
        else:
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
    backend = InProcessBackend.create()
    backend.extra_methods = dict(extra_methods or {})
    server = TestServer(create_rpc_app(backend, limits=limits), host="127.0.0.1")
    await server.start_server()
    session = aiohttp.ClientSession()
    node = Node(backend, server, session)
    # Wait until the server follows new heads, so no block mined by a test is missed.
    for _ in range(100):
        if backend.subscriber_count:
            break
        await asyncio.sleep(0.01)
    return node


async def stop_node(node: Node) -> None:
    await node.session.close()
    await node.server.close()
