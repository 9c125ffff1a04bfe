"""The sequencer's pool across an L1 reorg that makes it rebuild its unsafe blocks (real anvil,
real `lantau node` sequencer): a sender's transactions of the abandoned blocks come back, none is
lost or mined twice, nothing is left queued behind a nonce gap, `eth_getTransactionCount
(pending)` never answers below the head's nonce, and the sender goes on with the next nonce,
also after a restart. A real node's pool (geth's reset on a reorg) behaves so."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3
from web3.exceptions import TransactionNotFound

from bridge.devnet import L1Devnet
from genesis.dev_accounts import dev_accounts
from tests.e2e.test_deposits import canonical_hash, l1_args, mine_l1
from tests.e2e.test_verifier import rpc, wait_until

SENDER = dev_accounts()[6]
RECIPIENT = "0x" + "7a" * 20
FEE_CAP_WEI = 10**11


@pytest.fixture
def l1_block_time_s() -> None:
    """The `l1` devnet on automine: L1 moves only when the test mines (and reorgs) it."""
    return None


def transfer(chain_id: int, nonce: int) -> bytes:
    return bytes(Account.sign_transaction({
        "to": Web3.to_checksum_address(RECIPIENT), "value": 1_000 + nonce, "gas": 21_000, "nonce": nonce,
        "maxFeePerGas": FEE_CAP_WEI, "maxPriorityFeePerGas": 10**9, "chainId": chain_id,
    }, SENDER.private_key).raw_transaction)


def head_origin(l2: Web3) -> int:
    return rpc(l2, "lantau_syncStatus")["unsafe_l2"]["l1origin"]["number"]


class Sender(threading.Thread):
    """Sends the sender's next nonces one after another, as a wallet does, while the sequencer
    rebuilds; records every hash it was given and every refusal."""

    def __init__(self, l2: Web3, chain_id: int, first_nonce: int) -> None:
        super().__init__(daemon=True)
        self.l2, self.chain_id, self.nonce = l2, chain_id, first_nonce
        self.sent: dict[int, bytes] = {}
        self.refused: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.sent[self.nonce] = bytes(self.l2.eth.send_raw_transaction(transfer(self.chain_id, self.nonce)))
                self.nonce += 1
            except Exception as error:  # noqa: BLE001 (recorded, and the test fails on it)
                self.refused.append(str(error))
            time.sleep(0.02)


def included_once(l2: Web3, tx_hash: bytes) -> bool:
    """The transaction is in exactly one canonical block (the index points at a block whose
    body holds it at that index)."""
    try:
        receipt = l2.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        return False
    block = l2.eth.get_block(receipt["blockNumber"])
    return block["hash"] == receipt["blockHash"] and bytes(block["transactions"][receipt["transactionIndex"]]) == tx_hash


def test_an_l1_reorg_rebuild_loses_no_pooled_transaction_and_opens_no_nonce_gap(
    node_factory, l1: L1Devnet, tmp_path: Path,
) -> None:
    data_dir = tmp_path / "l2"
    node = node_factory(data_dir=data_dir, block_time_s=0.25, extra_args=l1_args(l1, data_dir))
    l2 = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 60}))
    chain_id = l2.eth.chain_id
    start_nonce = l2.eth.get_transaction_count(SENDER.address)

    snapshot = l1.anvil.rpc("evm_snapshot")
    mine_l1(l1.anvil, 2)
    reorged_origin = l1.anvil.rpc("eth_blockNumber")
    wait_until(lambda: head_origin(l2) == int(reorged_origin, 16), 60, "L2 blocks on the L1 blocks the reorg drops")
    # Ten transfers in unsafe blocks whose L1 origins the reorg drops.
    first = [bytes(l2.eth.send_raw_transaction(transfer(chain_id, start_nonce + i))) for i in range(10)]
    wait_until(lambda: all(included_once(l2, h) for h in first), 60, "the first ten transfers")
    dropped_block = l2.eth.get_transaction_receipt(first[0])["blockHash"]

    sender = Sender(l2, chain_id, start_nonce + 10)
    sender.start()
    try:
        wait_until(lambda: len(sender.sent) >= 5, 30, "sends before the reorg")
        l1.anvil.rpc("evm_revert", [snapshot])
        mine_l1(l1.anvil, 3)  # a longer L1 branch without the origins
        number = l2.eth.get_transaction_receipt(first[0])["blockNumber"]
        wait_until(lambda: canonical_hash(l2, number) not in (None, dropped_block), 60, "the L2 rebuild")
        time.sleep(2)  # the sender goes on over the rebuilt blocks
    finally:
        sender.stop.set()
        sender.join(30)
    assert not sender.refused, sender.refused[:3]
    sent = {**{start_nonce + i: h for i, h in enumerate(first)}, **sender.sent}
    assert sorted(sent) == list(range(start_nonce, sender.nonce))

    def pool_of_sender(part: str) -> dict[str, object]:
        return rpc(l2, "txpool_content")[part].get(SENDER.address, {})

    def settled() -> bool:
        return all(included_once(l2, h) for h in sent.values())

    # Nothing queued behind a gap; every transaction mined exactly once (or still pending): the
    # pooled nonces run on from the head's (read before and after, as blocks keep coming).
    assert pool_of_sender("queued") == {}, pool_of_sender("queued")
    latest_before = l2.eth.get_transaction_count(SENDER.address, "latest")
    pooled = sorted(int(n) for n in pool_of_sender("pending"))
    latest_after = l2.eth.get_transaction_count(SENDER.address, "latest")
    first_pooled = pooled[0] if pooled else latest_after
    assert latest_before <= first_pooled <= latest_after and pooled == list(range(first_pooled, sender.nonce))
    assert l2.eth.get_transaction_count(SENDER.address, "pending") == sender.nonce
    wait_until(settled, 60, "every transaction mined once")
    assert l2.eth.get_transaction_count(SENDER.address, "latest") == sender.nonce

    # The sender goes on with the next nonce.
    following = bytes(l2.eth.send_raw_transaction(transfer(chain_id, sender.nonce)))
    wait_until(lambda: included_once(l2, following), 60, "the next nonce mined")

    # After a restart: nothing lost, nothing doubled; the pool holds nothing of the sender.
    node.stop()
    node = node_factory(data_dir=data_dir, block_time_s=0.25, extra_args=l1_args(l1, data_dir))
    l2 = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 60}))
    assert rpc(l2, "txpool_status") == {"pending": "0x0", "queued": "0x0"}
    assert l2.eth.get_transaction_count(SENDER.address, "pending") == sender.nonce + 1
    assert all(included_once(l2, h) for h in [*sent.values(), following])

    # A replayed transaction of a reorged block, re-mined meanwhile: refused, nothing changes.
    balance = l2.eth.get_balance(SENDER.address)
    with pytest.raises(Exception, match="nonce too low"):
        l2.eth.send_raw_transaction(transfer(chain_id, start_nonce))
    assert rpc(l2, "txpool_status") == {"pending": "0x0", "queued": "0x0"}
    assert l2.eth.get_balance(SENDER.address) == balance
    assert l2.eth.get_transaction_count(SENDER.address, "pending") == sender.nonce + 1


def test_a_kill_9_between_derivations_chain_write_and_the_pool_reset_loses_no_transaction(
    node_factory, l1: L1Devnet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sequencer without a batcher mines five transfers in unsafe blocks and restarts (its
    journal compacted: they are mined, so it keeps none of them). L1 then passes their origins'
    sequencing windows, so derivation forces deposit-only blocks in their place, and the node is
    killed -9 after that chain write, before the pool takes them back (the test seam
    `TEST_SEAM_KILL_BEFORE_POOL_RESET`). Was: restarted, the node had them in neither its chain
    nor its pool, lost for good. Now they were journaled before the write
    (`L2Node.keep_replaced_transactions`): the restarted node pools them and mines each once."""
    from bridge.devnet import devnet_rollup_config
    from genesis.config import DEVNET_GENESIS_PATH
    from node.service import TEST_SEAM_KILL_BEFORE_POOL_RESET
    from tests.e2e.test_verifier import write_rollup

    # The window: the first L2 origin's ends a few L1 blocks past L1's head now, so nothing is
    # forced until the test mines.
    start_block = devnet_rollup_config(l1.deployment, DEVNET_GENESIS_PATH).l1_start_block
    window = int(l1.anvil.rpc("eth_blockNumber"), 16) - start_block + 3
    args = ("--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(write_rollup(l1, tmp_path, sequencing_window=window)))
    data_dir = tmp_path / "l2"
    node = node_factory(data_dir=data_dir, block_time_s=0.25, extra_args=args)
    l2 = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 60}))
    chain_id = l2.eth.chain_id
    start_nonce = l2.eth.get_transaction_count(SENDER.address)
    sent = [bytes(l2.eth.send_raw_transaction(transfer(chain_id, start_nonce + i))) for i in range(5)]
    wait_until(lambda: all(included_once(l2, h) for h in sent), 60, "the five transfers in unsafe blocks")
    replaced = l2.eth.get_transaction_receipt(sent[0])
    assert rpc(l2, "lantau_syncStatus")["safe_l2"]["number"] == 0  # nothing batched: all of it unsafe

    node.stop()
    monkeypatch.setenv(TEST_SEAM_KILL_BEFORE_POOL_RESET, "1")
    node = node_factory(data_dir=data_dir, block_time_s=0.25, extra_args=args)
    monkeypatch.delenv(TEST_SEAM_KILL_BEFORE_POOL_RESET)
    l2 = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 60}))
    assert rpc(l2, "txpool_status") == {"pending": "0x0", "queued": "0x0"}
    assert (data_dir / "transactions.journal").stat().st_size == 0  # compacted at start: they are mined
    mine_l1(l1.anvil, window + 3)  # past every origin's window so far: derivation forces blocks
    assert node.process is not None
    node.process.wait(timeout=120)
    assert node.process.returncode == -9, node.output[-3000:]
    assert f"test seam {TEST_SEAM_KILL_BEFORE_POOL_RESET}" in node.output
    assert "journaled the transactions of unsafe blocks derivation replaces" in node.output

    node = node_factory(data_dir=data_dir, block_time_s=0.25, extra_args=args)
    l2 = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 60}))
    assert canonical_hash(l2, replaced["blockNumber"]) != replaced["blockHash"]  # the block they were in is gone
    wait_until(lambda: all(included_once(l2, h) for h in sent), 60, "the five transfers mined again after the kill")
    assert l2.eth.get_transaction_count(SENDER.address, "latest") == start_nonce + 5
    assert rpc(l2, "txpool_status") == {"pending": "0x0", "queued": "0x0"}
