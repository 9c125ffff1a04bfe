"""The batcher against a real L1 (anvil with Lantau's L1 contracts) and a real verifier.

Each test runs a sequencer in process (blocks built with the sequencer's own origin rules over
`RpcL1Source`, random transfers between the dev accounts), lets the batcher post them to the
batch inbox, and has `DerivationPipeline` rebuild the chain from L1 alone on a fresh `Chain`:
the verifier must reach the sequencer's block hash and state root at every block. anvil runs
with `--slots-in-an-epoch 4`, so L1's `safe` block is the head minus 4 (measured).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
from eth_account import Account
from eth_utils import to_canonical_address
from web3 import Web3

from bridge.devnet import L1Devnet
from bridge.l1_source import RpcL1Source
from genesis.dev_accounts import dev_accounts
from genesis.rollup_config import CHANNEL_TIMEOUT, MAX_SEQUENCER_DRIFT, SEQUENCING_WINDOW
from node.blobs import BLOB_TX_TYPE, decode_blob
from node.chain import Chain
from node.channels import Compression, channel_open_block, decode_batcher_tx_data
from node.derive.config import RollupDerivationConfig
from node.derive.pipeline import DerivationPipeline
from node.errors import ResetError, TemporaryError
from node.l1_info import read_l1_origin
from bridge.l1_client import L1Client
from bridge.tx_manager import TxManager, TxManagerConfig, calldata_gas
from sequencer.batcher import Batcher, BatcherConfig, BatcherStateError, inbox_call_gas
from sequencer.batcher_state import ChannelRecord
from tests.harness.devnet import running_l1_devnet
from tests.node.derive.sequencing import GENESIS, Wallets, sequence_block

ACCOUNTS = dev_accounts()
BATCHER = ACCOUNTS[1]  # the devnet's batcher (SystemConfig.batcher)
SAFE_DISTANCE = 4  # anvil --slots-in-an-epoch 4: safe = latest - 4


def derivation_config(batch_inbox: str, channel_timeout: int = CHANNEL_TIMEOUT,
                      sequencing_window: int = SEQUENCING_WINDOW) -> RollupDerivationConfig:
    return RollupDerivationConfig(
        batch_inbox=to_canonical_address(batch_inbox), batcher_address=to_canonical_address(BATCHER.address),
        sequencing_window=sequencing_window, channel_timeout=channel_timeout, max_sequencer_drift=MAX_SEQUENCER_DRIFT,
    )


@dataclass
class Rollup:
    """A devnet L1, an in-process sequencer chain, and helpers to batch and derive."""

    devnet: L1Devnet
    state_path: Path
    w3: Web3 = field(init=False)
    l1: RpcL1Source = field(init=False)
    chain: Chain = field(default_factory=lambda: Chain.open(None, GENESIS))
    wallets: Wallets = field(default_factory=Wallets)

    def __post_init__(self) -> None:
        self.w3 = self.new_web3()
        self.l1 = RpcL1Source(self.w3, self.devnet.deployment.lantau_portal)

    def new_web3(self) -> Web3:
        return Web3(Web3.HTTPProvider(self.devnet.anvil.rpc_url, request_kwargs={"timeout": 30}))

    def rpc(self, method: str, *params: Any) -> Any:
        return self.devnet.anvil.rpc(method, list(params))

    def build(self, count: int, *, transfers: bool = True) -> None:
        for _ in range(count):
            txs = [self.wallets.transfer(legacy=self.wallets.rng.random() < 0.2) for _ in range(self.wallets.rng.randrange(4))]
            sequence_block(self.chain, self.l1, int(time.time()), txs if transfers else [])

    def batcher(self, w3: Web3 | None = None, *, resubmit_after_s: float = 24.0, **overrides: Any) -> Batcher:
        # `sub_safety_margin` 0: the chain here starts at L1 origin 0 with L1 some 40 blocks on (the
        # deployment's), so with the default margin its first blocks' windows "end soon" and each
        # would close its channel before the fresher blocks after it (close_before_fresh_block)
        # Calldata: frames of at most 40,000 bytes and 3 transactions in flight (120,072 bytes: within
        # an L1 block's 131,072 of batcher data, node/batch_inbox.py), so a round sends a channel's
        # frames at once (a second channel's last frame waits for the first's inclusion: one
        # channel completes an L1 block); a blob batcher keeps the default (one blob in flight).
        defaults: dict[str, Any] = {"sub_safety_margin": 0} | ({} if overrides.get("use_blobs") else {"max_frame_data": 40_000, "max_pending_txs": 3})
        config = BatcherConfig(batch_inbox=self.devnet.deployment.batch_inbox, **{**defaults, **overrides})
        txmgr = TxManager(L1Client(w3 or self.w3), BATCHER.private_key, TxManagerConfig(resubmit_after_s=resubmit_after_s))
        return Batcher(self.chain, txmgr, config=config, state_path=self.state_path)

    def mine(self, blocks: int) -> None:
        for _ in range(blocks):
            self.rpc("evm_mine")

    def post_until_safe(self, batcher: Batcher, *, max_rounds: int = 40) -> None:
        """Step the batcher, mining L1 blocks, until every L2 block is in a safe channel."""
        for _ in range(max_rounds):
            batcher.step(close_open_channel=True)
            if batcher.safe_l2_block == self.chain.head.block_number and not batcher.state.channels:
                return
            self.mine(SAFE_DISTANCE)
        raise AssertionError(f"L2 blocks not safe on L1 after {max_rounds} rounds: safe_l2 {batcher.safe_l2_block}")

    def derive(self, verifier: Chain | None = None, source: RpcL1Source | None = None, channel_timeout: int = CHANNEL_TIMEOUT,
               sequencing_window: int = SEQUENCING_WINDOW) -> Chain:
        verifier = verifier or Chain.open(None, GENESIS)
        config = derivation_config(self.devnet.deployment.batch_inbox, channel_timeout, sequencing_window)
        pipeline = DerivationPipeline(config, source or self.l1, verifier)
        while pipeline.step() is not None:
            pass
        return verifier

    def assert_derived(self, verifier: Chain) -> None:
        head = self.chain.head
        assert verifier.head.block_number == head.block_number > 0
        for number in range(1, head.block_number + 1):
            ours, theirs = self.chain.header_by_number(number), verifier.header_by_number(number)
            assert (theirs.hash, theirs.state_root) == (ours.hash, ours.state_root), f"block {number} differs"

    def inbox_frames(self) -> Counter[tuple[str, int]]:
        """(channel id, frame number) of every frame the batcher has on canonical L1, counted."""
        frames: Counter[tuple[str, int]] = Counter()
        for number in range(self.w3.eth.block_number + 1):
            block = self.l1.block_by_number(number)
            assert block is not None
            for tx in self.l1.inbox_transactions(block, to_canonical_address(self.devnet.deployment.batch_inbox)):
                if tx.sender != to_canonical_address(BATCHER.address):
                    continue
                datas = [decode_blob(b) for b in self.l1.blobs(block, tx.blob_versioned_hashes)] if tx.tx_type == BLOB_TX_TYPE else [tx.data]
                for data in datas:
                    frames.update((f.channel_id.hex(), f.number) for f in decode_batcher_tx_data(data))
        return frames


@pytest.fixture
def rollup(tmp_path: Path) -> Iterator[Rollup]:
    with running_l1_devnet(block_time_s=None, genesis=GENESIS) as devnet:
        yield Rollup(devnet, tmp_path / "batcher-state.json")


# --- posting and deriving ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "compression, span",
    [(Compression.FASTLZ, True), (Compression.FASTLZ, False)],
    ids=["fastlz-span (default)", "fastlz-singular"],
)
def test_posted_blocks_derive_to_the_sequencers_chain(rollup: Rollup, compression: Compression, span: bool) -> None:
    rollup.build(35)
    batcher = rollup.batcher(compression=compression, span_batches=span)
    report = batcher.step()
    # 35 blocks: three channels of 10 blocks closed; 5 blocks stay open. Each channel is one
    # transaction carrying its last frame, so one is in flight at a time though 3 may be: two
    # landing in one L1 block would complete two channels there, and derivation drops the second
    # (node/derive/channel_bank.py).
    assert (report.blocks_added, report.channels_closed, report.txs_sent) == (35, 3, 1)
    assert report.txs_included == 0 and batcher.safe_l2_block == 0
    for _ in range(3):
        batcher.step()
    assert batcher.metrics.txs_sent == 3 and batcher.safe_l2_block == 0  # included, but not yet safe
    rollup.mine(SAFE_DISTANCE)
    report = batcher.step()
    assert report.channels_confirmed == 3 and batcher.safe_l2_block == 30
    rollup.post_until_safe(batcher)

    for channel_txs in _batcher_receipts(rollup):
        assert channel_txs["status"] == 1 and channel_txs["type"] == 2
    rollup.assert_derived(rollup.derive())
    frames = rollup.inbox_frames()
    assert set(frames.values()) == {1} and len(frames) == 4 == batcher.metrics.frames_posted
    assert batcher.metrics.l2_blocks_posted == 35 and batcher.metrics.channels_confirmed == 4
    assert sum(len(rollup.chain.transactions(rollup.chain.header_by_number(n).hash)) for n in range(1, 36)) > 35 + 20


def _batcher_receipts(rollup: Rollup) -> list[Any]:
    receipts = []
    for number in range(rollup.w3.eth.block_number + 1):
        for tx in rollup.w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] == BATCHER.address:
                receipts.append(rollup.w3.eth.get_transaction_receipt(tx["hash"]))
    return receipts


def test_calldata_gas_is_what_l1_charges(rollup: Rollup) -> None:
    """anvil (Bpo1: EIP-7623 applies) charges at least `calldata_gas` (a plain transaction's cost,
    here the floor) and at most the batcher's limit `inbox_call_gas`: the BatchInbox's work is
    charged on top of the standard cost, and disappears under the floor for frames above ~1.3 KB
    (tests/bridge/test_batch_inbox.py measures both)."""
    rollup.build(12)
    batcher = rollup.batcher()
    rollup.post_until_safe(batcher)
    receipts = _batcher_receipts(rollup)
    assert len(receipts) == 2
    for receipt in receipts:
        data = bytes(rollup.w3.eth.get_transaction(receipt["transactionHash"])["input"])
        nonzero = len(data) - data.count(0)
        assert calldata_gas(data) == 21_000 + 10 * (data.count(0) + 4 * nonzero)  # the floor: these frames are small
        assert calldata_gas(data) <= receipt["gasUsed"] <= inbox_call_gas(data)


def test_blob_batches_derive_through_the_pipeline(rollup: Rollup) -> None:
    """The batcher posts blobs; `DerivationPipeline` over `RpcL1Source` reads them back through
    anvil's beacon API (KZG-checked by the source and by retrieval) and reaches the sequencer's
    block hashes and state roots. With the beacon API unreachable it stops at the first blob
    block with `TemporaryError`, derives nothing past it, and goes on once the API is back."""
    rollup.build(14)
    batcher = rollup.batcher(use_blobs=True, max_channel_blocks=7)
    rollup.post_until_safe(batcher)
    receipts = _batcher_receipts(rollup)
    assert [r["type"] for r in receipts] == [BLOB_TX_TYPE, BLOB_TX_TYPE]
    # 21,000 plus the BatchInbox's work (recording the versioned hashes), within the signed limit.
    assert all(r["blobGasUsed"] == 131_072 and 21_000 < r["gasUsed"] <= inbox_call_gas(b"") for r in receipts)
    # The blob read back from L1 (beacon API, checked against the versioned hash) carries the
    # very channel the batcher recorded when it sent it.
    frames = rollup.inbox_frames()
    assert set(frames.values()) == {1} and len(frames) == 2 == batcher.metrics.frames_posted

    verifier = Chain.open(None, GENESIS)
    # Port 1 on loopback: nothing listens, so the beacon API is down (connection refused).
    source = RpcL1Source(rollup.w3, rollup.devnet.deployment.lantau_portal, beacon_url="http://127.0.0.1:1")
    pipeline = DerivationPipeline(derivation_config(rollup.devnet.deployment.batch_inbox), source, verifier)
    first_blob_block = min(int(r["blockNumber"]) for r in receipts)
    with pytest.raises(TemporaryError, match=f"cannot read blobs of L1 block {first_blob_block}"):
        while pipeline.step() is not None:
            pass
    assert pipeline.l1_position is not None and pipeline.l1_position.number == first_blob_block - 1
    assert verifier.head.block_number == 0
    source.beacon_url = None  # the L1 endpoint itself: anvil serves the beacon API there
    while pipeline.step() is not None:
        pass
    rollup.assert_derived(verifier)
    assert pipeline.safe_head.hash == rollup.chain.head.hash


# --- restarts -------------------------------------------------------------------------------------


def test_restart_mid_channel_resends_it_identically_and_no_frame_twice(rollup: Rollup, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small frames: the first channel (10 blocks) needs several. L1 mines nothing while the
    first batcher sends frames 0 and 1 and crashes in the middle of sending frame 2 (recorded,
    never sent). L1's pool then forgets frame 1's transaction. A new batcher on the same state
    file leaves frame 0's transaction alone, sends frame 1's and frame 2's again with their
    recorded hashes, and goes on with frame 3 of the same channel."""
    rollup.build(24)
    rollup.rpc("evm_setAutomine", False)
    first_w3 = rollup.new_web3()
    real_send = first_w3.eth.send_raw_transaction
    sent: list[bytes] = []

    def send_then_crash(raw: bytes) -> Any:
        if len(sent) == 2:
            raise KeyboardInterrupt("the batcher process dies")
        sent.append(bytes(raw))
        return real_send(raw)

    monkeypatch.setattr(first_w3.eth, "send_raw_transaction", send_then_crash)
    first = rollup.batcher(first_w3, max_frame_data=200)
    with pytest.raises(KeyboardInterrupt):
        first.step()
    channel = first.state.channels[0]
    assert len(channel.frames) >= 4 and [tx.frames for tx in channel.txs] == [[0], [1], [2]]
    hashes = [tx.hashes[-1] for tx in channel.txs]
    assert channel.txs[2].sent_at is None  # the write-ahead record of the send that never happened
    pool = rollup.rpc("txpool_content")["pending"][BATCHER.address.lower()]
    assert sorted(entry["hash"] for entry in pool.values()) == sorted(hashes[:2])  # frame 2 never reached L1
    rollup.rpc("anvil_dropTransaction", hashes[1])

    second = rollup.batcher(max_frame_data=200, max_pending_txs=4)
    report = second.step()
    resumed = second.state.channels[0]
    assert resumed.channel_id == channel.channel_id and resumed.frames == channel.frames
    assert [tx.hashes for tx in resumed.txs[:3]] == [[h] for h in hashes]
    assert report.reposts == 1  # frame 1 (frame 2 had never been sent: its first send is not a repost)
    assert [tx.frames for tx in resumed.txs] == [[0], [1], [2], [3]]  # 4 pending: frame 3 only
    pool = rollup.rpc("txpool_content")["pending"][BATCHER.address.lower()]
    assert sorted(entry["hash"] for entry in pool.values()) == sorted([*hashes, resumed.txs[3].hashes[0]])

    rollup.rpc("evm_setAutomine", True)
    rollup.mine(1)
    rollup.post_until_safe(second)
    frames = rollup.inbox_frames()
    assert set(frames.values()) == {1}, "a frame landed twice"
    assert sum(1 for (channel_id, _) in frames if channel_id == channel.channel_id) == len(channel.frames)
    assert second.metrics.frames_posted == len(frames)
    # As in the rebuilt-channel test below: the devnet's deployment (BatchReader and InputOracle
    # now too) puts L1 past SEQUENCING_WINDOW of block 22's epoch before this channel lands, so
    # derivation would rightly force a deposit-only block; the window is not what this test is about.
    rollup.assert_derived(rollup.derive(sequencing_window=4 * SEQUENCING_WINDOW))

    with pytest.raises(BatcherStateError, match="another chain or batcher"):
        Batcher(rollup.chain, TxManager(L1Client(rollup.w3), BATCHER.private_key), config=BatcherConfig(batch_inbox="0x" + "11" * 20),
                state_path=rollup.state_path)


def test_a_blob_batcher_killed_after_sending_bumps_a_blob_tx_the_base_fee_outgrew(rollup: Rollup, monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 of a blob batcher just after its blob transaction reached L1's pool: on disk, its
    write-ahead record, the send not yet noted. The `TxManager` leaves a pooled blob transaction to
    the batcher (it cannot re-send blobs the pool does not show), so the batcher must answer for it.
    While it is down the next block's base fee rises to 3x the transaction's fee cap and L1 drops
    it (anvil evicts a transaction under the base fee of a block it mines). The restarted batcher's
    re-send of the recorded bytes is refused (fee too low); it used to stop there, the nonce a gap
    every later batch queued behind; now a record L1 refused is bumped in the same step (fees at
    least the market's, the blob fee doubled), the replacement lands on the same nonce, the
    channel's one frame lands once and the chain derives."""
    rollup.build(10)
    rollup.rpc("evm_setAutomine", False)
    first_w3 = rollup.new_web3()
    real_send = first_w3.eth.send_raw_transaction

    def send_then_die(raw: bytes) -> Any:
        real_send(raw)
        raise KeyboardInterrupt("the batcher process dies")

    monkeypatch.setattr(first_w3.eth, "send_raw_transaction", send_then_die)
    with pytest.raises(KeyboardInterrupt):
        rollup.batcher(first_w3, use_blobs=True).step(close_open_channel=True)
    pool = rollup.rpc("txpool_content")["pending"][BATCHER.address.lower()]
    [(nonce_key, pooled)] = pool.items()
    assert int(pooled["type"], 16) == BLOB_TX_TYPE

    rollup.rpc("anvil_setNextBlockBaseFeePerGas", hex(3 * int(pooled["maxFeePerGas"], 16)))
    rollup.mine(1)
    assert BATCHER.address.lower() not in rollup.rpc("txpool_content")["pending"]  # dropped by L1

    second = rollup.batcher(use_blobs=True)
    [tx] = second.state.channels[0].txs
    assert (tx.nonce, tx.hashes, tx.sent_at) == (int(nonce_key), [pooled["hash"]], None)  # the dead one's record
    report = second.step()
    assert report.fee_bumps == 1 and len(tx.hashes) == 2
    [(key, replacement)] = rollup.rpc("txpool_content")["pending"][BATCHER.address.lower()].items()
    assert (int(key), replacement["hash"]) == (tx.nonce, tx.hashes[-1])
    assert int(replacement["maxFeePerGas"], 16) >= 3 * int(pooled["maxFeePerGas"], 16)
    assert int(replacement["maxFeePerBlobGas"], 16) >= 2 * int(pooled["maxFeePerBlobGas"], 16)

    rollup.rpc("evm_setAutomine", True)
    rollup.mine(1)
    rollup.post_until_safe(second)
    assert rollup.w3.eth.get_transaction_receipt(tx.hashes[-1])["status"] == 1
    assert rollup.w3.eth.get_transaction(tx.hashes[-1])["nonce"] == tx.nonce
    assert set(rollup.inbox_frames().values()) == {1}  # no frame twice
    # The window widened as in the restart test above: the devnet's deployment's L1 blocks, not the subject.
    rollup.assert_derived(rollup.derive(sequencing_window=4 * SEQUENCING_WINDOW))


def test_a_blob_batcher_whose_state_file_was_lost_cancels_the_dead_ones_pooled_blob_transaction(rollup: Rollup) -> None:
    """A blob batcher pools its blob transaction and its state file is lost (a new disk, an
    operator's `rm`); the next base fee outgrows the pooled transaction. The new batcher starts
    on L1's pending nonce, one past it, and knows nothing of it. Was: the `TxManager` left every
    pooled blob transaction "to its owner" and the batcher never asked it anyway, so the nonce
    stayed a gap: anvil evicts the stuck transaction when it mines, and every batch after it
    stayed queued for good. Now the batcher's step has the `TxManager` take over nonces no record
    of it owns: the dead one's is cancelled by a blob transaction paying at least twice each of
    its fee caps (a blob pool's replacement rule), it lands, the batcher's own batches land after
    it and the chain derives."""
    rollup.build(10)
    rollup.rpc("evm_setAutomine", False)
    rollup.batcher(use_blobs=True).step(close_open_channel=True)
    [(nonce_key, dead)] = rollup.rpc("txpool_content")["pending"][BATCHER.address.lower()].items()
    assert int(dead["type"], 16) == BLOB_TX_TYPE
    rollup.state_path.unlink()  # the state file is lost
    rollup.rpc("anvil_setNextBlockBaseFeePerGas", hex(3 * int(dead["maxFeePerGas"], 16)))

    second = rollup.batcher(use_blobs=True)
    assert second.state.channels == [] and second.state.next_nonce == int(nonce_key) + 1
    second.step(close_open_channel=True)
    pool = rollup.rpc("txpool_content")["pending"][BATCHER.address.lower()]
    cancel = pool[nonce_key]
    assert cancel["hash"] != dead["hash"] and int(cancel["type"], 16) == BLOB_TX_TYPE
    assert (Web3.to_checksum_address(cancel["to"]), int(cancel["value"], 16)) == (BATCHER.address, 0)
    for cap in ("maxFeePerGas", "maxPriorityFeePerGas", "maxFeePerBlobGas"):
        assert int(cancel[cap], 16) >= 2 * int(dead[cap], 16), cap
    assert second.txmgr.counters.pool_cancels == 1

    rollup.rpc("evm_setAutomine", True)
    rollup.mine(1)
    rollup.post_until_safe(second)
    assert rollup.w3.eth.get_transaction_receipt(cancel["hash"])["status"] == 1
    assert rollup.l1.w3.eth.get_transaction_count(BATCHER.address) > int(nonce_key) + 1
    # The window widened as in the restart test above: the devnet's deployment's L1 blocks, not the subject.
    rollup.assert_derived(rollup.derive(sequencing_window=4 * SEQUENCING_WINDOW))


def test_run_and_stop_post_the_open_channel(rollup: Rollup) -> None:
    """`stop()` closes the channel being filled and sends it: nothing taken from the chain is
    left unposted; a batcher started again from the state file confirms it."""
    rollup.build(14)

    async def run_briefly() -> Batcher:
        batcher = rollup.batcher(poll_interval_s=0.05, max_channel_duration_s=3600)
        task = asyncio.create_task(batcher.run())
        while batcher.metrics.txs_sent < 1:  # the first 10-block channel
            await asyncio.sleep(0.05)
        await batcher.stop()
        await task
        return batcher

    stopped = asyncio.run(run_briefly())
    assert stopped.metrics.txs_sent == 2 and stopped.metrics.l2_blocks_posted == 14
    restarted = rollup.batcher()
    assert [c.last_block for c in restarted.state.channels] == [10, 14]
    rollup.mine(SAFE_DISTANCE)
    restarted.step()
    assert restarted.safe_l2_block == 14 and restarted.metrics.txs_sent == 2
    rollup.assert_derived(rollup.derive())


# --- L1 trouble -----------------------------------------------------------------------------------


def test_l1_reorg_dropping_a_batch_is_reposted_and_the_verifier_reconverges(rollup: Rollup) -> None:
    rollup.build(10)
    batcher = rollup.batcher()
    rollup.post_until_safe(batcher)
    rollup.build(10)  # blocks 11-20, origins all before the snapshot
    snapshot = rollup.rpc("evm_snapshot")
    batcher.step()
    batcher.step()
    tx = batcher.state.channels[0].txs[0]
    assert tx.included and batcher.safe_l2_block == 10
    first_block, first_hashes = tx.included_block_hash, list(tx.hashes)

    verifier = Chain.open(None, GENESIS)
    pipeline = DerivationPipeline(derivation_config(rollup.devnet.deployment.batch_inbox), rollup.l1, verifier)
    while pipeline.step() is not None:
        pass
    assert pipeline.safe_head.block_number == 20

    rollup.rpc("evm_revert", snapshot)  # the L1 block with the batch is gone, and so is its tx
    rollup.mine(2)
    report = batcher.step()
    assert report.reposts == 1 and batcher.metrics.reposts == 1
    assert batcher.state.channels[0].txs == [tx]
    assert tx.reorged == 1 and tx.hashes == first_hashes  # the very same transaction, again
    batcher.step()
    assert tx.included and tx.included_block_hash != first_block

    with pytest.raises(ResetError):
        while pipeline.step() is not None:
            pass
    safe = pipeline.reset()
    assert safe.block_number == 10
    while pipeline.step() is not None:
        pass
    assert pipeline.safe_head.hash == rollup.chain.head.hash
    rollup.post_until_safe(batcher)
    rollup.assert_derived(verifier)
    assert set(rollup.inbox_frames().values()) == {1}


def _restart_and_derive(rollup: Rollup, channels: list[ChannelRecord], caplog: pytest.LogCaptureFixture, level: int,
                        **config: Any) -> tuple[Batcher, Chain]:
    """Restart the batcher on its state file (it must hold `channels`, abandoned or not, the last
    one's transaction the same), mine on, post until safe and derive, capturing derivation's log."""
    restarted = rollup.batcher(**config)
    assert [(c.channel_id, c.abandoned) for c in restarted.state.channels] == [(c.channel_id, c.abandoned) for c in channels]
    assert [[tx.reverted for tx in c.txs] for c in restarted.state.channels] == [[tx.reverted for tx in c.txs] for c in channels]
    assert restarted.state.channels[-1].txs[0].hashes == channels[-1].txs[0].hashes
    rollup.rpc("evm_setAutomine", True)
    rollup.mine(1)
    with caplog.at_level(level, logger="lantau.derive"):
        rollup.post_until_safe(restarted)
        verifier = rollup.derive()
    return restarted, verifier


def test_two_closing_transactions_an_l1_reorg_puts_in_one_block_the_dropped_channel_is_batched_again(
        rollup: Rollup, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Channels A (blocks 11-20) and B (21-30) land in L1 blocks of their own; an L1 reorg takes
    both away and L1 includes both again in one block: derivation reads A there and drops B (one
    channel completed an L1 block). The batcher sees it on inclusion (node's channel bank replayed
    over its records), abandons B and batches 21-30 again under a new id, which survives a restart;
    a verifier derives every block from the batches, none forced. Before, the batcher counted B
    safe and never sent 21-30 again: the verifier stopped at 20 (until the window forced
    deposit-only blocks over the sequencer's)."""
    rollup.build(10)
    batcher = rollup.batcher()
    rollup.post_until_safe(batcher)
    rollup.build(20)  # blocks 11-30, origins all before the snapshot
    snapshot = rollup.rpc("evm_snapshot")
    for _ in range(3):
        batcher.step()  # A sent; A included, B sent (its closing frame waited for A's); B included
    a, b = batcher.state.channels
    assert [(c.first_block, c.last_block) for c in (a, b)] == [(11, 20), (21, 30)]
    assert a.txs[0].included_block < b.txs[0].included_block

    rollup.rpc("evm_revert", snapshot)  # both L1 blocks gone
    rollup.rpc("evm_setAutomine", False)
    assert batcher.step().reposts == 2  # both sent again, the same transactions
    rollup.mine(1)
    report = batcher.step()
    assert a.txs[0].included_block == b.txs[0].included_block  # one L1 block
    assert report.channels_abandoned == 1 and batcher.metrics.channels_unread == 1
    assert b.abandoned is not None and "derivation does not read it" in b.abandoned and a.abandoned is None
    again = batcher.state.channels[2]
    assert (again.first_block, again.last_block, len(again.txs)) == (21, 30, 1) and again.channel_id != b.channel_id

    restarted, verifier = _restart_and_derive(rollup, [a, b, again], caplog, logging.WARNING)
    assert restarted.safe_l2_block == 30 and restarted.metrics.channels_unread == 1
    drops = [r for r in caplog.records if r.getMessage() == "dropping channel: second channel completed in one L1 block"]
    assert [r.channel for r in drops] == [b.channel_id]  # type: ignore[attr-defined]
    assert not any("deposit-only" in r.getMessage() for r in caplog.records)  # no block forced
    rollup.assert_derived(verifier)  # every block the sequencer's, 21-30 from the new channel


def _data_transfer(wallets: Wallets, size: int) -> bytes:
    """An L2 transaction carrying `size` random bytes of calldata (incompressible: its channel's size is its data's)."""
    sender = wallets.rng.randrange(len(ACCOUNTS))
    nonce = wallets.nonces.get(sender, 0)
    wallets.nonces[sender] = nonce + 1
    tx = {"to": ACCOUNTS[0].address, "value": 1, "data": wallets.rng.randbytes(size), "gas": 21_000 + 40 * size,
          "nonce": nonce, "chainId": GENESIS.chain_id, "type": 2, "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 1}
    return bytes(Account.sign_transaction(tx, ACCOUNTS[sender].private_key).raw_transaction)


def test_a_batcher_transaction_that_reverts_on_l1_does_not_count_as_landed(
        rollup: Rollup, caplog: pytest.LogCaptureFixture) -> None:
    """A blob channel A (L2 6-8) and the first calldata frame of a channel B past one blob (L2 9-11,
    frames of 65,600 B) land in L1 blocks of their own; an L1 reorg takes both away and L1 includes
    both again in one block: 65,536 + 65,624 B of batcher data, past the block's 131,072, so the
    inbox reverts B's frame (BatcherDataOverBlockBound) and derivation ignores it. The batcher
    records the revert, abandons B before its closing frame goes out and batches 9-11 again under a
    new id at the next nonce (the reverted one used its nonce); the state survives a restart and a
    verifier derives every block from the batches, none forced. Before, the reverted frame counted
    as landed: B's closing frame went out, the batcher counted B safe (safe_l2 11) and never sent
    9-11 again, while the verifier stopped at 8."""
    rollup.build(5)
    config: dict[str, Any] = {"use_blobs": True, "max_frame_data": 65_600}
    batcher = rollup.batcher(**config)
    rollup.post_until_safe(batcher)
    rollup.rpc("evm_setAutomine", False)
    rollup.build(3)  # A: 6-8, a few transfers: one blob
    batcher.step(close_open_channel=True)  # A closed and sent
    for _ in range(3):  # B: 9-11, ~64 KB of random data: past one blob, two calldata frames
        sequence_block(rollup.chain, rollup.l1, int(time.time()), [_data_transfer(rollup.wallets, 21_180)])
    batcher.step(close_open_channel=True)  # B closed; its frames wait for A's inclusion
    a, b = batcher.state.channels
    assert [(c.first_block, c.last_block, c.blob, len(c.frames)) for c in (a, b)] == [(6, 8, True, 1), (9, 11, False, 2)]
    assert len(bytes.fromhex(b.frames[0])) == 65_600
    snapshot = rollup.rpc("evm_snapshot")  # the L2 blocks' origins all before it
    rollup.mine(1)  # A
    batcher.step()  # A included; B's frame 0 sent (its closing frame waits: one transaction in flight)
    rollup.mine(1)  # B's frame 0, in a block of its own
    [b0] = b.txs
    landed = rollup.w3.eth.get_transaction_receipt(b0.hashes[-1])
    assert landed["status"] == 1 and landed["blockNumber"] == a.txs[0].included_block + 1

    rollup.rpc("evm_revert", snapshot)  # both L1 blocks gone
    batcher.step()  # both sent again, the same transactions
    rollup.mine(1)
    report = batcher.step(close_open_channel=True)  # (closes the channel of 9-11 again at once)
    assert a.txs[0].included_block == b0.included_block and not a.txs[0].reverted
    receipt = rollup.w3.eth.get_transaction_receipt(b0.included_hash)
    assert receipt["status"] == 0 and b0.reverted and batcher.metrics.txs_reverted == 1
    assert report.channels_abandoned == 1 and b.abandoned is not None and "reverted on L1" in b.abandoned
    assert [tx.frames for tx in b.txs] == [[0]]  # its closing frame never went out
    again = batcher.state.channels[2]
    assert (again.first_block, again.last_block) == (9, 11) and again.channel_id != b.channel_id
    assert again.txs[0].nonce == b0.nonce + 1 == batcher.state.next_nonce - 1  # no gap, no reuse
    assert batcher.sending_blocked is None  # a block's bound: not a permanent cause

    # The state file holds the revert, the abandoned channel and its replacement.
    restarted, verifier = _restart_and_derive(rollup, [a, b, again], caplog, logging.INFO, **config)
    assert restarted.safe_l2_block == 11 and restarted.metrics.txs_reverted == 1
    assert any(r.getMessage() == "ignoring inbox transaction: reverted on L1" for r in caplog.records)
    assert not any("deposit-only" in r.getMessage() for r in caplog.records)  # no block forced
    rollup.assert_derived(verifier)  # every block the sequencer's, 9-11 from the new channel
    assert rollup.w3.eth.get_transaction_count(BATCHER.address) == restarted.state.next_nonce


def test_a_batcher_whose_key_is_not_the_inboxs_logs_the_cause_once_and_backs_off(
        rollup: Rollup, caplog: pytest.LogCaptureFixture) -> None:
    """Every transaction of a key that is not SystemConfig's batcher reverts (NotBatcher): after the
    first revert the batcher logs the cause once as an error and sends nothing new, step after step,
    while its blocks are batched again and wait; its one transaction used one nonce."""
    rollup.build(5)
    stranger = ACCOUNTS[2]
    config = BatcherConfig(batch_inbox=rollup.devnet.deployment.batch_inbox, sub_safety_margin=0)
    txmgr = TxManager(L1Client(rollup.w3), stranger.private_key, TxManagerConfig())
    batcher = Batcher(rollup.chain, txmgr, config=config, state_path=rollup.state_path)
    nonce = rollup.w3.eth.get_transaction_count(stranger.address)
    with caplog.at_level(logging.WARNING, logger="lantau.batcher"):
        batcher.step(close_open_channel=True)  # sent, mined (automine), reverted: seen next step
        for _ in range(5):  # its blocks batched again each time, nothing sent
            report = batcher.step(close_open_channel=True)
            rollup.mine(1)
    assert report.txs_sent == 0 and batcher.metrics.txs_sent == 1 and batcher.metrics.txs_reverted == 1
    assert batcher.sending_blocked is not None and "NotBatcher" in batcher.sending_blocked
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "NotBatcher" in errors[0] and stranger.address in errors[0]
    assert rollup.w3.eth.get_transaction_count(stranger.address) == nonce + 1 == batcher.state.next_nonce
    assert batcher.safe_l2_block == 0 and batcher.metrics.channels_abandoned == 1  # the reverted one, retired once settled
    assert [(c.first_block, c.last_block, c.txs, c.abandoned) for c in batcher.state.channels] == [(1, 5, [], None)]  # waits


def test_a_channel_an_l1_reorg_to_a_shorter_chain_lands_before_the_block_its_id_names_is_batched_again(
        rollup: Rollup, caplog: pytest.LogCaptureFixture) -> None:
    """A channel's id names the L1 head when its first frame went out (node/channels.py `channel_id`);
    derivation drops a frame that lands before that block. An L1 reorg to a shorter chain (evm_revert
    three blocks back) has the batcher send its transaction again, and L1 includes it below the block
    its id names: node's bank refuses the frame, so the batcher's replay finds the channel unread and
    batches its blocks again under an id naming the new head; a verifier derives every block."""
    rollup.build(10)
    batcher = rollup.batcher()
    rollup.post_until_safe(batcher)
    rollup.build(10)  # blocks 11-20, origins all before the snapshot
    snapshot = rollup.rpc("evm_snapshot")
    rollup.mine(3)
    batcher.step()  # named after the L1 head, 3 blocks past the snapshot; included at once (automine)
    batcher.step()
    [channel] = batcher.state.channels
    named = channel_open_block(bytes.fromhex(channel.channel_id))
    assert channel.txs[0].included_block == named + 1

    rollup.rpc("evm_revert", snapshot)  # L1 back 4 blocks, its head now below the block the id names
    rollup.rpc("evm_setAutomine", False)
    assert batcher.step().reposts == 1
    rollup.mine(1)
    report = batcher.step()
    assert channel.txs[0].included_block < named  # landed before the block its id names
    assert report.channels_abandoned == 1 and channel.abandoned is not None and "derivation does not read it" in channel.abandoned
    again = batcher.state.channels[1]
    assert (again.first_block, again.last_block) == (11, 20) and channel_open_block(bytes.fromhex(again.channel_id)) < named
    rollup.rpc("evm_setAutomine", True)
    rollup.mine(1)
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        rollup.post_until_safe(batcher)
        verifier = rollup.derive()
    assert batcher.safe_l2_block == 20
    assert any(r.getMessage().startswith(f"dropping frame: channel id names L1 block {named} outside") for r in caplog.records)
    rollup.assert_derived(verifier)


def test_an_l1_reorg_during_a_step_leaves_no_nonce_gap(rollup: Rollup, monkeypatch: pytest.MonkeyPatch) -> None:
    """The step reads L1's nonce first; an L1 reorg dropping the batcher's included transaction
    after that read (the 300-block campaign: a 3-block reorg between the read and the receipts)
    must not make its nonce look used elsewhere: before, the frames went out again one nonce past
    L1's, a gap that held every later batch until someone else used the batcher key."""
    rollup.build(10)
    batcher = rollup.batcher()
    rollup.post_until_safe(batcher)
    rollup.build(10)
    snapshot = rollup.rpc("evm_snapshot")
    batcher.step()
    batcher.step()
    tx = batcher.state.channels[0].txs[0]
    assert tx.included and batcher.txmgr.latest_nonce() == tx.nonce + 1
    check_l2_reorg = batcher.manager.check_l2_reorg

    def reorg_after_the_nonce_read(canonical_hash: Any) -> None:  # between the step's nonce read and its receipts
        rollup.rpc("evm_revert", snapshot)
        rollup.mine(2)
        check_l2_reorg(canonical_hash)

    monkeypatch.setattr(batcher.manager, "check_l2_reorg", reorg_after_the_nonce_read)
    report = batcher.step()
    monkeypatch.undo()
    assert report.reposts == 1 and batcher.state.channels[0].txs == [tx] and tx.reorged == 1  # the same nonce again
    batcher.step()
    assert tx.included
    rollup.post_until_safe(batcher)
    rollup.assert_derived(rollup.derive())


def test_a_stuck_transaction_gets_its_fees_bumped(rollup: Rollup) -> None:
    rollup.build(10)
    rollup.rpc("evm_setAutomine", False)
    batcher = rollup.batcher(resubmit_after_s=0.5)
    batcher.step()
    tx = batcher.state.channels[0].txs[0]
    first_fees = (tx.max_fee_per_gas, tx.max_priority_fee_per_gas)
    batcher.step()
    assert len(tx.hashes) == 1  # not stuck for long enough yet
    time.sleep(0.6)
    report = batcher.step()
    assert report.fee_bumps == 1 and len(tx.hashes) == 2
    assert tx.max_fee_per_gas >= first_fees[0] * 1.125 and tx.max_priority_fee_per_gas >= first_fees[1] * 1.125
    pool = rollup.rpc("txpool_content")["pending"][BATCHER.address.lower()]
    assert [entry["hash"] for entry in pool.values()] == [tx.hashes[-1]]  # the replacement took its place
    assert int(pool[str(tx.nonce)]["maxPriorityFeePerGas"], 16) == tx.max_priority_fee_per_gas

    rollup.rpc("evm_setAutomine", True)
    rollup.mine(1)
    batcher.step()
    assert tx.included_hash == tx.hashes[-1] and batcher.metrics.fee_bumps == 1
    rollup.post_until_safe(batcher)
    rollup.assert_derived(rollup.derive())


def test_a_channel_that_cannot_complete_in_time_is_rebuilt_under_a_new_id(rollup: Rollup) -> None:
    """Channel timeout 10: frame 0 of the first channel lands, then L1 moves 10 blocks without
    the rest (the batcher was down). Derivation will drop that channel, so the batcher abandons
    it and posts the same L2 blocks in a new channel; the verifier derives them from that one."""
    rollup.build(10)
    window = 4 * SEQUENCING_WINDOW  # L1 moves on: the verifier's window, and so the batcher's
    first = rollup.batcher(max_frame_data=200, max_pending_txs=1, channel_timeout=10, sequencing_window=window)
    first.step()
    timed_out = first.state.channels[0]
    assert len(timed_out.frames) >= 3 and [tx.frames for tx in timed_out.txs] == [[0]]
    rollup.mine(10)

    second = rollup.batcher(max_frame_data=200, max_pending_txs=16, channel_timeout=10, sequencing_window=window)  # 16 x 224 B
    report = second.step()
    assert report.channels_abandoned == 1 and report.channels_closed == 1
    # The abandoned channel's one transaction is already safe: nothing left to watch.
    [rebuilt] = second.state.channels
    assert rebuilt.channel_id != timed_out.channel_id and (rebuilt.first_block, rebuilt.last_block) == (1, 10)
    assert report.txs_sent == len(rebuilt.frames) < 10  # lands within the timeout (automine: a block each)
    rollup.post_until_safe(second)
    assert second.metrics.channels_abandoned == 1 and second.safe_l2_block == 10
    frames = rollup.inbox_frames()
    assert set(frames.values()) == {1}
    assert sorted(n for (channel_id, n) in frames if channel_id == timed_out.channel_id) == [0]
    # The L2 chain's origins start at the L2 genesis' L1 block and advance one per L2 block, while
    # the devnet's deployment (the dispute contracts included) and this test's 10-block wait put
    # L1 more than SEQUENCING_WINDOW past block 10's epoch: derivation would rightly force an
    # empty block 11 for the next epoch. The window is not what this test is about.
    rollup.assert_derived(rollup.derive(channel_timeout=10, sequencing_window=window))


def test_an_l1_reorg_of_origins_reorganises_l2_and_the_batcher_follows(rollup: Rollup) -> None:
    """The last L2 blocks take their L1 origins from L1 blocks that a reorg then replaces: the
    sequencer rebuilds them on the new L1 blocks, and the batcher abandons the channel it had
    posted for the old ones and posts the new blocks."""
    rollup.build(10)
    batcher = rollup.batcher(max_channel_blocks=100)
    rollup.post_until_safe(batcher)
    while read_l1_origin(rollup.chain.state_at(rollup.chain.head)).number < rollup.w3.eth.block_number:
        rollup.build(1, transfers=False)  # L2 origins catch up with L1's head
    snapshot = rollup.rpc("evm_snapshot")
    rollup.mine(3)
    rollup.build(5, transfers=False)  # origins: the 3 new L1 blocks, then the third again
    old_head = rollup.chain.head
    assert batcher.step(close_open_channel=True).txs_sent == 1
    stale = batcher.state.channels[0]
    assert stale.last_block == old_head.block_number

    rollup.rpc("evm_revert", snapshot)
    rollup.rpc("evm_increaseTime", 1)  # the replacement blocks differ from the old ones
    rollup.mine(3)
    rollup.build(1, transfers=False)  # the sequencer abandons those 5 blocks and builds on the new L1
    assert rollup.chain.head.block_number == old_head.block_number - 4

    report = batcher.step(close_open_channel=True)
    assert report.channels_abandoned == 1 and stale.abandoned.startswith("L2 reorg")
    rebuilt = batcher.state.channels[-1]
    assert (rebuilt.first_block, rebuilt.last_block_hash) == (stale.first_block, "0x" + rollup.chain.head.hash.hex())
    rollup.post_until_safe(batcher)
    assert batcher.safe_l2_block == rollup.chain.head.block_number and batcher.metrics.channels_abandoned == 1
    rollup.assert_derived(rollup.derive())


# --- state of another L1 ----------------------------------------------------------------------------


def test_a_stored_nonce_above_l1s_is_discarded_and_batches_land(rollup: Rollup, caplog: pytest.LogCaptureFixture) -> None:
    """The state's next nonce is 5 above L1's pending nonce with nothing recorded in between (what
    a restarted devnet's new anvil looked like): trusting it left every batch behind a nonce gap,
    never mined. The batcher takes L1's pending nonce, says so in one line, and its batches land."""
    rollup.build(6)
    first = rollup.batcher()
    rollup.post_until_safe(first)
    pending = int(rollup.w3.eth.get_transaction_count(BATCHER.address, "pending"))
    assert first.state.next_nonce == pending > 0
    first.state.next_nonce = pending + 5
    first.state.save(rollup.state_path)

    rollup.build(6)
    with caplog.at_level("WARNING", logger="lantau.batcher"):
        second = rollup.batcher()
    assert second.state.next_nonce == pending
    assert [r.getMessage() for r in caplog.records if "discarding" in r.getMessage()] == [
        f"batcher state's next nonce {pending + 5} is above L1's pending nonce {pending} with no transaction recorded in between:"
        f" discarding it, using {pending}"
    ]
    rollup.post_until_safe(second)
    assert int(rollup.w3.eth.get_transaction_count(BATCHER.address, "latest")) > pending  # batches landed
    rollup.assert_derived(rollup.derive())


def test_a_state_of_another_l1_with_the_same_chain_id_is_refused(rollup: Rollup) -> None:
    """A new anvil has the same chain id (900) but another block 0: the state's safe head and
    nonces describe the old L1, so the batcher refuses the file and leaves it as it was."""
    from bridge.anvil import AnvilOptions, AnvilProcess

    rollup.build(3)
    rollup.post_until_safe(rollup.batcher())
    saved = rollup.state_path.read_text()
    other = AnvilProcess(AnvilOptions(block_time_s=None)).start()
    try:
        other_w3 = Web3(Web3.HTTPProvider(other.rpc_url, request_kwargs={"timeout": 30}))
        assert other_w3.eth.chain_id == rollup.w3.eth.chain_id
        with pytest.raises(BatcherStateError, match="belongs to another L1"):
            rollup.batcher(other_w3)
    finally:
        other.stop()
    assert rollup.state_path.read_text() == saved
